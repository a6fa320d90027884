"""A project folder: ragtune.yaml, the documents, the knowledge base and the runs, as plain files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ragtune.config import CONFIG_FILE, ProjectConfig, load_config
from ragtune.errors import InputError


@dataclass
class Project:
    """A loaded project: its folder and validated configuration."""

    root: Path
    config: ProjectConfig

    @classmethod
    def load(cls, root: str | Path, overrides: list[str] | None = None) -> Project:
        """Read ``root/ragtune.yaml`` (with ``key=value`` overrides)."""
        path = Path(root)
        return cls(root=path, config=load_config(path, overrides))

    @property
    def documents_dir(self) -> Path:
        """The folder whose files are ingested."""
        return self.root / self.config.documents

    @property
    def store_dir(self) -> Path:
        """The LanceDB folder (and version manifests) of the knowledge base."""
        return self.root / self.config.store.path

    @property
    def questions_dir(self) -> Path:
        """Question sets (train/test JSONL) used for training and evaluation."""
        return self.root / "questions"


def init_project(root: str | Path, name: str | None = None, example: str | Path | None = None) -> Path:
    """Create a project folder with a commented ragtune.yaml and an empty documents folder.

    With ``example`` (a folder holding ``documents/`` and optionally ``questions/`` and
    ``update_v2/``), its files are copied in so the project is ready to ingest.
    """
    root = Path(root)
    config_path = root / CONFIG_FILE
    if config_path.exists():
        raise InputError(f"{config_path} already exists: edit it, or choose another folder")
    name = name or root.resolve().name or "project"
    template = resources.files("ragtune").joinpath("templates", CONFIG_FILE).read_text(encoding="utf-8")
    text = template.replace("{name}", _safe_name(name))
    if example is not None:
        _copy_example(Path(example), root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "documents").mkdir(exist_ok=True)
    config_path.write_text(text, encoding="utf-8")
    return config_path


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-")
    return cleaned or "project"


def _copy_example(source: Path, root: Path) -> None:
    if not (source / "documents").is_dir():
        raise InputError(f"{source} is not an example folder (it has no documents/ folder)")
    for part in ("documents", "questions", "update_v2"):
        if (source / part).is_dir():
            shutil.copytree(source / part, root / part, dirs_exist_ok=True)
