"""Shared fixtures: small real projects and the bundled example, ingested with the real embedder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("RAGTUNE_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "aldermoor"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def example_project(tmp_path_factory) -> Path:
    """The bundled example, initialised and ingested once per session (tests must not modify it)."""
    from ragtune import ingest, init_project

    root = tmp_path_factory.mktemp("example") / "aldermoor"
    init_project(root, example=EXAMPLE)
    ingest(root)
    return root


@pytest.fixture
def make_project(tmp_path):
    """A factory for small projects: ``make_project({"a.md": "..."}, **config)`` returns its folder."""
    from ragtune import init_project

    def make(files: dict[str, str | bytes], config: str = "") -> Path:
        root = tmp_path / "project"
        init_project(root)
        for name, content in files.items():
            path = root / "documents" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if config:
            with (root / "ragtune.yaml").open("a", encoding="utf-8") as handle:
                handle.write("\n" + config)
        return root

    return make
