"""Question sets: the QAPair record and loading train/test questions from JSONL, JSON or CSV files."""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ragtune.errors import InputError

SUFFIXES = (".jsonl", ".json", ".csv")
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
    it was derived from. An unanswerable pair (``answerable=False``) is trained to answer "I don't know.".
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
    ``aliases`` (a list; in CSV a string split on "|"), ``source``, ``answerable``, ``fact`` and ``kind``;
    other fields are ignored. A missing id becomes ``{file stem}-{row number}``. Every problem raises an
    InputError naming the file, the line (or item) and what to do.
    """
    path = Path(path)
    label = _label(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        kind = path.suffix or "(no suffix)"
        raise InputError(f"{label}: unsupported question file type {kind!r}: use .jsonl, .json or .csv")
    if not path.is_file():
        raise InputError(f"{label}: no such file")
    text = _decode(path.read_bytes(), label)
    if not text.strip():
        raise InputError(f"{label} has no questions: add some or remove the file")
    if suffix == ".jsonl":
        records = _jsonl_records(text, label)
    elif suffix == ".json":
        records = _json_records(text, label)
    else:
        records = _csv_records(text, label)
    if not records:
        raise InputError(f"{label} has no questions: add some or remove the file")

    pairs: list[QAPair] = []
    seen: dict[str, str] = {}
    for number, (where, row) in enumerate(records, start=1):
        pair = _pair(row, where, f"{path.stem}-{number}", csv_style=suffix == ".csv")
        if pair.id in seen:
            raise InputError(
                f"{label}: duplicate id {pair.id!r} on {seen[pair.id]} and {where}: give each question its own id"
            )
        seen[pair.id] = where
        pairs.append(pair)
    return pairs


def _label(path: Path) -> str:
    # "questions/train.csv": short, and enough to find the file in a project
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _decode(data: bytes, label: str) -> str:
    """Strict UTF-8 (a UTF-8 BOM is dropped; a UTF-16 BOM is honoured), newlines normalised."""
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{label} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): re-save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _jsonl_records(text: str, label: str) -> list[tuple[str, dict[str, Any]]]:
    return [(where, row) for _, where, row in _jsonl_rows(text, label)]


def _jsonl_rows(text: str, label: str) -> list[tuple[int, str, dict[str, Any]]]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{label} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = f"{exc.msg}, column {exc.colno}"
            raise InputError(f"{where}: not valid JSON ({problem}): fix or remove the line") from None
        if not isinstance(row, dict):
            raise InputError(f'{where}: expected a JSON object like {{"question": ..., "answer": ...}}')
        records.append((number, where, row))
    return records


def read_jsonl_records(path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, where, object) for each non-empty line of a UTF-8 JSONL file; errors name the file and line."""
    path = Path(path)
    return _jsonl_rows(_decode(path.read_bytes(), _label(path)), _label(path))


def _json_records(text: str, label: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label} line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno}): fix it") from None
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
    if not isinstance(data, list):
        raise InputError(f'{label}: expected a JSON list of objects like [{{"question": ..., "answer": ...}}]')
    records = []
    for number, row in enumerate(data, start=1):
        where = f"{label} item {number}"
        if not isinstance(row, dict):
            raise InputError(f'{where}: expected a JSON object like {{"question": ..., "answer": ...}}')
        records.append((where, row))
    return records


def _csv_records(text: str, label: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{label} line 1: not a valid CSV header ({exc})") from None
    columns = [c.strip().lower() for c in header]
    if not any(c in columns for c in _QUESTION_KEYS):
        raise InputError(
            f'{label} line 1: no question column in the header (columns: {", ".join(columns)}): name one "question"'
        )
    records = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{label} line {reader.line_num}: not valid CSV ({exc}): fix the quoting") from None
        if not any(c.strip() for c in cells):
            continue
        where = f"{label} line {reader.line_num}"
        if len(cells) > len(columns):
            raise InputError(
                f"{where}: {len(cells)} values but {len(columns)} columns ({', '.join(columns)}): "
                "quote values that contain commas"
            )
        row = {col: cell for col, cell in zip(columns, cells) if col}
        row["_columns"] = columns
        records.append((where, row))
    return records


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
    )
