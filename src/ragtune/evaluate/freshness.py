"""Freshness: apply a document update to a copy of the knowledge base and re-ask without retraining.

An update folder holds ``documents/`` (new and changed files at their paths), an optional ``removed.txt`` (one
path per line, relative to documents/) and ``questions.jsonl`` (question, old_answer, new_answer, aliases of the
new answer, kind: changed | added | removed). The project's own documents and knowledge base are never touched:
the update is applied to a copy under the run folder (on PostgreSQL, a copy of the knowledge base in a temporary
schema), which ``remove_copy`` deletes afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ragtune import atomic
from ragtune.data.questions import read_jsonl_records
from ragtune.errors import InputError
from ragtune.evaluate.formatting import OUTCOMES
from ragtune.project import Project

KINDS = ("changed", "added", "removed")
SCHEMA_FILE = "pg_schema"  # in the workspace: the temporary PostgreSQL schema of a pgvector project's copy
_FRESH_SCHEMA = re.compile(r"[a-z_][a-z0-9_]*_fresh_[0-9a-f]{8}")
_TEMP_SCHEMAS: dict[str, str] = {}  # schema -> url, dropped at exit if remove_copy was not called
_TEMP_LOCK = threading.Lock()


@dataclass
class UpdateQuestion:
    """A question whose answer the update changed, added or removed."""

    id: str
    question: str
    old: list[str]
    new: list[str]
    kind: str
    source: str | None = None


@dataclass
class Update:
    """A document update: its folder, the files it removes and the questions it changes."""

    folder: Path
    documents: Path
    removed: list[str]
    questions: list[UpdateQuestion]


def sample_update(update: Update, limit: int | None, seed: int) -> Update:
    """The update with at most ``limit`` of its questions, each kind in proportion (largest remainders), in order."""
    if limit is None or limit >= len(update.questions):
        return update
    rng = random.Random(f"{seed}:freshness")
    kinds = sorted({q.kind for q in update.questions})
    shares = {k: limit * sum(q.kind == k for q in update.questions) / len(update.questions) for k in kinds}
    take = {k: int(shares[k]) for k in kinds}
    for k in sorted(kinds, key=lambda k: take[k] - shares[k])[: limit - sum(take.values())]:
        take[k] += 1
    chosen = {q.id for k in kinds for q in rng.sample([q for q in update.questions if q.kind == k], take[k])}
    return replace(update, questions=[q for q in update.questions if q.id in chosen])


def load_update(project: Project) -> Update:
    """Read the update named by evaluation.freshness.update; errors say what the folder must hold."""
    folder = project.update_dir
    documents, questions_path = folder / "documents", folder / "questions.jsonl"
    if not documents.is_dir() or not questions_path.is_file():
        raise InputError(f"freshness needs an update folder at {folder} with documents/ (the new and changed files "
                         "at their paths) and questions.jsonl (question, old_answer, new_answer); set "
                         "evaluation.freshness.update to yours")
    removed_path = folder / "removed.txt"
    removed = [line.strip() for line in removed_path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")] if removed_path.is_file() else []
    questions = []
    for number, where, row in read_jsonl_records(questions_path):
        if not str(row.get("question", "")).strip():
            raise InputError(f"{where}: expected an object with a question")
        old, new = str(row.get("old_answer") or "").strip(), str(row.get("new_answer") or "").strip()
        kind = row.get("kind") or ("added" if not old else "removed" if not new else "changed")
        if kind not in KINDS or (not old and not new):
            raise InputError(f"{where}: give old_answer and/or new_answer, and kind one of {', '.join(KINDS)}")
        aliases = [str(a) for a in row.get("aliases") or []] if new else []
        questions.append(UpdateQuestion(str(row.get("id") or f"u{number:03d}"), row["question"].strip(),
                                        [old] if old else [], [new, *aliases] if new else [], kind,
                                        row.get("source")))
    if not questions:
        raise InputError(f"{questions_path} has no questions")
    return Update(folder, documents, removed, questions)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def updated_copy(project: Project, update: Update, workspace: Path) -> Project:
    """A project view whose documents are the current ones with the update laid over them, and whose store is
    a copy of the current one (so syncing it re-indexes only what the update changed): a folder under
    ``workspace`` for LanceDB, a temporary schema for PostgreSQL. ``remove_copy`` deletes both."""
    remove_copy(project, workspace)
    documents, store = workspace / "documents", workspace / "store"
    shutil.copytree(project.documents_dir, documents, copy_function=_link_or_copy)
    for path in update.removed:
        target = (documents / path).resolve()
        if documents.resolve() not in target.parents:
            raise InputError(f"{update.folder / 'removed.txt'}: {path!r} is outside the documents folder")
        target.unlink(missing_ok=True)
    for src in update.documents.rglob("*"):
        if src.is_file():
            dst = documents / src.relative_to(update.documents)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.unlink(missing_ok=True)
            shutil.copy2(src, dst)
    cfg = project.config.model_copy(deep=True)
    cfg.documents = str(documents.resolve())
    if cfg.store.backend == "pgvector":
        cfg.store.pg_schema = _copy_to_temporary_schema(project, workspace)
    else:
        if project.store_dir.is_dir():
            shutil.copytree(project.store_dir, store, ignore=shutil.ignore_patterns(".lock"))
        cfg.store.path = str(store.resolve())
    return Project(root=project.root, config=cfg)


def _copy_to_temporary_schema(project: Project, workspace: Path) -> str:
    """Copy a pgvector project's knowledge base into a new schema beside its own; returns the schema's name."""
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.migrate import copy_store
    from ragtune.index.store.pgvector import PgVectorStore

    cfg = project.config.store
    url = cfg.resolved_url()
    schema = f"{cfg.schema_for(project.root)[:46]}_fresh_{secrets.token_hex(4)}"
    atomic.write_text(workspace / SCHEMA_FILE, schema)  # for remove_copy
    with _TEMP_LOCK:
        if not _TEMP_SCHEMAS:  # (again) after pgvector's own exit handler, so it runs before the pools close
            atexit.unregister(_drop_leftover_schemas)
            atexit.register(_drop_leftover_schemas)
        _TEMP_SCHEMAS[schema] = url
    try:
        copy_store(KnowledgeBase(project).store, PgVectorStore(url, schema))
    except BaseException:
        _drop_schema(url, schema)
        raise
    return schema


def remove_copy(project: Project, workspace: Path) -> None:
    """Delete what ``updated_copy`` made: the workspace folder and, on PostgreSQL, the temporary schema."""
    marker = workspace / SCHEMA_FILE
    schema = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    if _FRESH_SCHEMA.fullmatch(schema) and project.config.store.backend == "pgvector":
        _drop_schema(project.config.store.resolved_url(), schema)
    shutil.rmtree(workspace, ignore_errors=True)


def _drop_schema(url: str, schema: str) -> None:
    from ragtune.index.store.pgvector import PgVectorStore

    PgVectorStore(url, schema).drop_schema()
    with _TEMP_LOCK:
        _TEMP_SCHEMAS.pop(schema, None)


def _drop_leftover_schemas() -> None:
    """Drop temporary schemas whose run ended without ``remove_copy`` (best effort)."""
    with _TEMP_LOCK:
        left = list(_TEMP_SCHEMAS.items())
    for schema, url in left:
        with contextlib.suppress(Exception):  # the server may be gone at exit
            _drop_schema(url, schema)


def outcome_shares(outcomes: list[str]) -> dict[str, float]:
    """The share of each outcome (new, old, idk, other) among ``outcomes``."""
    total = len(outcomes) or 1
    return {name: round(sum(o == name for o in outcomes) / total, 4) for name in OUTCOMES}


def updated_score(question: UpdateQuestion, outcome: str, phase: str) -> float:
    """1.0 when an answer is right for its phase: the old fact before the update, the new one (or "I don't know"
    for a removed fact) after it."""
    if phase == "fresh_before":
        return float(outcome == "idk") if question.kind == "added" else float(outcome == "old")
    return float(outcome == "idk") if question.kind == "removed" else float(outcome == "new")


def summary(update: Update) -> dict[str, Any]:
    """Counts of the update's questions per kind."""
    return {kind: sum(q.kind == kind for q in update.questions) for kind in KINDS}
