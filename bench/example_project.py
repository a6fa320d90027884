"""The project a benchmark runs on: the one given, else a temporary copy of the bundled example, ingested."""

from __future__ import annotations

import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "aldermoor"


def example_project(path: str | None) -> Path:
    """``path`` when given; otherwise a new project made from the bundled example and ingested."""
    if path:
        return Path(path)
    from ragtune import ingest, init_project

    root = Path(tempfile.mkdtemp(prefix="ragtune-bench-")) / "example"
    init_project(root, example=EXAMPLE)
    ingest(root)
    return root
