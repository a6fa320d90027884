"""Question sets: the QAPair record and loading train/test questions from JSONL, JSON or CSV files."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ragtune.data import records
from ragtune.data.records import SUFFIXES, label, read_rows
from ragtune.errors import InputError
from ragtune.tasks.choice import read_choices

EXAMPLE = '{"question": ..., "answer": ...}'
ORIGINS = ("question_set", "paraphrase", "synthetic")

_QUESTION_KEYS = ("question", "q", "query")
_ANSWER_KEYS = ("answer", "a", "response", "gold")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass
class QAPair:
    """One question with its gold answer.

    ``source`` is the answering document's path relative to documents/; ``fact`` groups rephrasings of one fact;
    ``origin`` says where the pair came from (question_set, paraphrase or synthetic) and ``parent`` names the pair
    it was derived from. An unanswerable pair (``answerable=False``) is trained to answer "I don't know.". A
    multiple-choice pair lists its options in ``choices`` with ``choice`` the index of the right one (whose text is
    ``answer``).
    """

    id: str
    question: str
    answer: str
    aliases: list[str] = field(default_factory=list)
    source: str | None = None
    answerable: bool = True
    fact: str | None = None
    kind: str | None = None
    origin: str = "question_set"
    parent: str | None = None
    choices: list[str] | None = None
    choice: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping without the None values."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QAPair:
        """The pair a ``to_dict`` mapping describes (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["aliases"] = list(values.get("aliases") or [])
        return cls(**values)


def find_question_file(folder: Path, split: str) -> Path | None:
    """The first existing ``folder/{split}.jsonl``, ``.json`` or ``.csv``; None when there is none."""
    for suffix in SUFFIXES:
        path = Path(folder) / f"{split}{suffix}"
        if path.is_file():
            return path
    return None


def load_questions(path: Path) -> list[QAPair]:
    """Read a question set (.jsonl, .json list of objects, or .csv with a header row) into QAPairs.

    Accepted fields: ``question`` (or q, query), ``answer`` (or a, response, gold), and optionally ``id``,
    ``aliases`` (a list; in CSV a string split on "|"), ``source``, ``answerable``, ``fact`` and ``kind``, and
    ``choices`` (a list; in CSV split on "|") for a multiple-choice row, whose answer then names the right option
    by its index, letter or text (as a choice task's rows do); other fields are ignored. A missing id becomes
    ``{file stem}-{row number}``. Every problem raises an InputError naming the file, the line (or item) and what
    to do.
    """
    path = Path(path)
    records = read_rows(path, "question", EXAMPLE, _QUESTION_KEYS, "questions")
    pairs: list[QAPair] = []
    seen: dict[str, str] = {}
    for number, (where, row) in enumerate(records, start=1):
        pair = _pair(row, where, f"{path.stem}-{number}", csv_style=path.suffix.lower() == ".csv")
        if pair.id in seen:
            raise InputError(
                f"{label(path)}: duplicate id {pair.id!r} on {seen[pair.id]} and {where}: give each question its own id"
            )
        seen[pair.id] = where
        pairs.append(pair)
    return pairs


def read_jsonl_records(path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, where, object) for each non-empty line of a UTF-8 JSONL file; errors name the file and line."""
    return records.read_jsonl_records(path, EXAMPLE)


def _text(row: dict[str, Any], keys: tuple[str, ...], where: str) -> str | None:
    """The first of ``keys`` present in ``row`` as a stripped string (None when none is present)."""
    for key in keys:
        value = row.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f'{where}: "{key}" must be text, got {type(value).__name__}')
        return str(value).strip()
    return None


def _bool(value: Any, where: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f'{where}: "answerable" must be true or false (or yes/no, 1/0), got {value!r}')


def _aliases(value: Any, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.split("|")
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        items = [str(v) for v in value]
    else:
        raise InputError(f'{where}: "aliases" must be a list of strings (in CSV: values separated by "|")')
    return [a.strip() for a in items if a.strip()]


def _pair(row: dict[str, Any], where: str, default_id: str, csv_style: bool) -> QAPair:
    columns = row.pop("_columns", None) or list(row)
    row = {str(k).strip().lower(): v for k, v in row.items()}
    thing = "column value" if csv_style else "value"
    listed = f"({'columns' if csv_style else 'fields'}: {', '.join(columns) or 'none'})"
    question = _text(row, _QUESTION_KEYS, where)
    if not question:
        raise InputError(f'{where}: no "question" {thing} {listed}')
    answer = _text(row, _ANSWER_KEYS, where) or ""
    answerable = _bool(row.get("answerable"), where)
    choices, choice = None, None
    if row.get("choices") not in (None, "", []):
        if answerable is False:
            raise InputError(f'{where}: a row with "choices" needs the right one: give its "answer", not '
                             '"answerable": false')
        key = next((k for k in _ANSWER_KEYS if row.get(k) not in (None, "")), "answer")
        choices, choice = read_choices(row["choices"], row.get(key), where, key)
        answer = choices[choice]
    if not answer and answerable is not False:
        raise InputError(
            f'{where}: no "answer" {thing} {listed}: give the answer, or set "answerable" to false '
            "for a question the documents cannot answer"
        )
    return QAPair(
        id=_text(row, ("id",), where) or default_id,
        question=question,
        answer=answer,
        aliases=_aliases(row.get("aliases"), where),
        source=_text(row, ("source",), where) or None,
        answerable=True if answerable is None else answerable,
        fact=_text(row, ("fact",), where) or None,
        kind=_text(row, ("kind",), where) or None,
        choices=choices,
        choice=choice,
    )
