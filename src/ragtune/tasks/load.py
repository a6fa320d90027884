"""A project's tasks loaded and checked: each task's folder, schema and train / test rows (``Task``), all of them
read before any model loads so that bad input fails fast."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.errors import InputError
from ragtune.tasks.extract import validator
from ragtune.tasks.rows import TaskRow, load_rows, split_file

if TYPE_CHECKING:
    from ragtune.config import TaskConfig
    from ragtune.project import Project


@dataclass
class Task:
    """One task of a project: its name and configuration, its folder, and its rows."""

    name: str
    config: TaskConfig
    folder: Path
    test: list[TaskRow]
    train: list[TaskRow] = field(default_factory=list)
    schema: dict[str, Any] | None = None
    validator: Any = None  # the schema's validator, built once when the task is loaded

    @property
    def kind(self) -> str:
        return self.config.kind


def load_task(project: Project, name: str) -> Task:
    """The task ``name`` of the project with its rows; a clear error for a missing folder, file or schema."""
    config = project.config.tasks.get(name)
    if config is None:
        raise InputError(f"no task {name!r} in {project.config_file}: the tasks are "
                         f"{', '.join(project.config.tasks) or 'none'}")
    folder = project.path(config.path or f"tasks/{name}")
    if not folder.is_dir():
        raise InputError(f"tasks.{name}: no folder {folder}: put its train and test rows there "
                         f"(train.jsonl, test.jsonl) or set tasks.{name}.path")
    schema = _schema(config, folder, name)
    check = validator(schema, f"tasks.{name}.schema") if schema is not None else None
    test_file = split_file(folder, "test")
    if test_file is None:
        raise InputError(f"tasks.{name}: no test rows in {folder} (test.jsonl, test.json or test.csv)")
    train_file = split_file(folder, "train")
    train = load_rows(train_file, config, check) if train_file else []
    return Task(name, config, folder, load_rows(test_file, config, check), train, schema, check)


def load_tasks(project: Project) -> list[Task]:
    """Every task of the project, in the order ragtune.yaml lists them."""
    return [load_task(project, name) for name in project.config.tasks]


def _schema(config: TaskConfig, folder: Path, name: str) -> dict[str, Any] | None:
    """The extract task's schema: inline, or read from a .json file inside the task folder."""
    value = config.json_schema
    if value is None or isinstance(value, dict):
        return value
    path = (folder / value).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        raise InputError(f"tasks.{name}.schema: no file {value!r} in {folder}: write the schema there or inline")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"tasks.{name}.schema: {path.name} is not UTF-8 JSON ({exc}): fix the file") from None
    if not isinstance(schema, dict):
        raise InputError(f"tasks.{name}.schema: {path.name} must hold a JSON object (a JSON Schema)")
    return schema
