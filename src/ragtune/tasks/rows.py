"""Task rows: reading a task's train and test files (tasks/<name>/train|test .jsonl/.json/.csv) into ``TaskRow``s,
checked against the task's kind before any model loads. Every problem names the file, the line and the key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ragtune.data.records import SUFFIXES, label, read_rows
from ragtune.errors import InputError
from ragtune.tasks.choice import read_choices
from ragtune.tasks.rules import Rules

if TYPE_CHECKING:
    from ragtune.config import TaskConfig

EXAMPLE = '{"input": ..., "expected": ...}'


@dataclass
class TaskRow:
    """One example: the input, the expected output (a label, a JSON object or a text; for choice the right
    option's text), and for choice rows the options and the right one's index; ``rules``: the row's own rules."""

    id: str
    input: str
    expected: Any
    choices: list[str] | None = None
    answer: int | None = None
    rules: Rules | None = None

    def expected_text(self) -> str:
        """The expected output as the model should write it (JSON for an object)."""
        if isinstance(self.expected, str):
            return self.expected
        return json.dumps(self.expected, ensure_ascii=False)


def split_file(folder: Path, split: str) -> Path | None:
    """``folder/<split>.jsonl`` (or .json, .csv) when it exists."""
    return next((folder / f"{split}{s}" for s in SUFFIXES if (folder / f"{split}{s}").is_file()), None)


def load_rows(path: Path, task: TaskConfig, check: Any = None) -> list[TaskRow]:
    """The rows of one task file, each checked for its kind (``check``: the extract task's schema validator)."""
    path = Path(path)
    rows, seen = [], {}
    for number, (where, raw) in enumerate(read_rows(path, "task row", EXAMPLE, ("input",), "rows"), start=1):
        raw.pop("_columns", None)
        raw = {str(k).strip().lower(): v for k, v in raw.items()}
        row = _row(raw, where, f"{path.stem}-{number}", task, check)
        if row.id in seen:
            raise InputError(f"{label(path)}: duplicate id {row.id!r} on {seen[row.id]} and {where}: give each row "
                             "its own id")
        seen[row.id] = where
        rows.append(row)
    return rows


def _text(raw: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f'{where}: no "{key}" value (keys: {", ".join(raw) or "none"})')
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError(f'{where}: "{key}" must be text, got {type(value).__name__}')
    return str(value).strip()


def _row(raw: dict[str, Any], where: str, default_id: str, task: TaskConfig, check: Any) -> TaskRow:
    row = TaskRow(id=_text(raw, "id", where, required=False) or default_id, input=_text(raw, "input", where),
                  expected=None)
    if task.kind == "choice":
        row.choices, row.answer = read_choices(raw.get("choices"), raw.get("answer", raw.get("expected")), where)
        row.expected = row.choices[row.answer]
    elif task.kind == "classify":
        row.expected = _text(raw, "expected", where, required=False) or _text(raw, "label", where)
        if row.expected not in task.labels:
            raise InputError(f'{where}: "expected" {row.expected!r} is not one of the task\'s labels '
                             f"({', '.join(task.labels)}): fix the row or add the label to tasks.<name>.labels")
    elif task.kind == "extract":
        row.expected = _object(raw.get("expected"), where)
        if check is not None and not check.is_valid(row.expected):
            problem = next(iter(check.iter_errors(row.expected))).message
            raise InputError(f'{where}: "expected" does not match the task\'s schema ({problem}): fix the row')
    else:
        row.expected = _text(raw, "expected", where, required=False) or ""
    if raw.get("constraints") not in (None, ""):
        row.rules = _rules(raw["constraints"], where)
    return row


def _object(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(f'{where}: "expected" is not valid JSON ({exc.msg}): write the expected object') from None
    if not isinstance(value, dict):
        raise InputError(f'{where}: "expected" must be a JSON object for an extract task')
    return value


def _rules(value: Any, where: str) -> Rules:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InputError(f'{where}: "constraints" must be a mapping of rules, e.g. {{"max_words": 80}}') from None
    try:
        return Rules.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "constraints"
        raise InputError(f'{where}: "constraints.{key}": {err["msg"]}') from None
