"""The verbs of ragtune as plain functions: the CLI is a thin table over these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragtune.config import config_schema
from ragtune.project import Project, init_project


def ingest(project: str | Path, overrides: list[str] | None = None, rebuild: bool = False):
    """Parse, chunk, embed and index the documents folder incrementally; returns a SyncReport."""
    from ragtune.index.kb import KnowledgeBase

    return KnowledgeBase(Project.load(project, overrides)).sync(rebuild=rebuild)


def ask(project: str | Path, question: str, variant: str = "rag", overrides: list[str] | None = None,
        k: int | None = None, filters: dict[str, Any] | None = None,
        on_token: Callable[[str], None] | None = None):
    """Answer a question with a variant (base | rag); returns an Answer with numbered sources."""
    from ragtune.answer import Answerer

    return Answerer(Project.load(project, overrides)).ask(question, variant, k=k, filters=filters, on_token=on_token)


def kb_versions(project: str | Path) -> list[dict[str, Any]]:
    """The knowledge-base versions, oldest first, with the current one marked."""
    from ragtune.index.kb import KnowledgeBase

    return KnowledgeBase(Project.load(project)).versions()


def kb_rollback(project: str | Path, version: int) -> int:
    """Make an earlier knowledge-base version current (as a new version); returns the new number."""
    from ragtune.index.kb import KnowledgeBase

    return KnowledgeBase(Project.load(project)).rollback(version)


__all__ = ["ask", "config_schema", "ingest", "init_project", "kb_rollback", "kb_versions"]
