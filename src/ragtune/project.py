"""A project folder: ragtune.yaml, the documents, the knowledge base and the runs, as plain files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ragtune import atomic
from ragtune.config import CONFIG_FILE, ProjectConfig, load_config
from ragtune.errors import InputError

# The fixed parts of a project's layout (relative to its folder); the documents, the knowledge base's store, the
# question sets and the freshness update are configured in ragtune.yaml.
QUESTIONS_DIR = "questions"
DATA_DIR = "data"
DATA_KINDS = ("sft", "raft", "cpt")  # the training data files ``ragtune data build`` writes (data/<kind>.jsonl)
BUILD_REPORT = "build.json"
MODELS_DIR = "models"
RUNS_DIR = "runs"


def data_file_name(kind: str) -> str:
    """A training data file relative to the project, as model manifests record it: ``data/<kind>.jsonl``."""
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown training data {kind!r}: one of {', '.join(DATA_KINDS)}")
    return f"{DATA_DIR}/{kind}.jsonl"


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

    def path(self, value: str | Path) -> Path:
        """A path given relative to the project (a configured path, a manifest's data file); absolute ones stay."""
        return self.root / value

    @property
    def config_file(self) -> Path:
        """``ragtune.yaml``."""
        return self.root / CONFIG_FILE

    @property
    def documents_dir(self) -> Path:
        """The folder whose files are ingested (``documents:``, default ``documents/``)."""
        return self.path(self.config.documents)

    @property
    def store_dir(self) -> Path:
        """The knowledge base's LanceDB folder and version manifests (``store.path``, default ``kb/``)."""
        return self.path(self.config.store.path)

    @property
    def questions_dir(self) -> Path:
        """Question sets (train/test JSONL) used for training and evaluation: ``questions/``."""
        return self.root / QUESTIONS_DIR

    @property
    def update_dir(self) -> Path:
        """The document update ``compare --freshness`` applies (``evaluation.freshness.update``)."""
        return self.path(self.config.evaluation.freshness.update)

    @property
    def data_dir(self) -> Path:
        """The training data ``ragtune data build`` writes: ``data/``."""
        return self.root / DATA_DIR

    def data_file(self, kind: str) -> Path:
        """A training data file: ``data/<kind>.jsonl`` for sft, raft or cpt."""
        return self.path(data_file_name(kind))

    @property
    def build_report(self) -> Path:
        """What the last data build wrote and removed: ``data/build.json``."""
        return self.data_dir / BUILD_REPORT

    @property
    def models_dir(self) -> Path:
        """Trained models and their training work folders: ``models/``."""
        return self.root / MODELS_DIR

    def model_dir(self, variant: str) -> Path:
        """The folder of a variant's current model (with its manifest): ``models/<variant>``."""
        return self.models_dir / variant

    def work_dir(self, variant: str) -> Path:
        """Checkpoints, best weights and the live log of a variant's training run: ``models/.work-<variant>``."""
        return self.models_dir / f".work-{variant}"

    @property
    def runs_dir(self) -> Path:
        """Comparison runs: ``runs/``."""
        return self.root / RUNS_DIR

    def run_dir(self, run_id: str) -> Path:
        """One run's folder (results.json, samples.jsonl, report.html): ``runs/<run_id>``."""
        return self.runs_dir / run_id


def init_project(root: str | Path, name: str | None = None, example: str | Path | None = None) -> Path:
    """Create a project folder with a commented ragtune.yaml and an empty documents folder.

    With ``example`` (a folder holding ``documents/`` and optionally ``questions/``, ``update_v2/`` and
    ``tasks/``), its files are copied in so the project is ready to ingest; the example's ``tasks.yaml`` (its
    ``tasks:`` section) is appended to ragtune.yaml.
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
        extra = Path(example) / "tasks.yaml"
        if extra.is_file():
            text = text.rstrip("\n") + "\n\n" + extra.read_text(encoding="utf-8").strip("\n") + "\n"
    root.mkdir(parents=True, exist_ok=True)
    (root / "documents").mkdir(exist_ok=True)
    atomic.write_text(config_path, text)
    return config_path


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-")
    return cleaned or "project"


def _copy_example(source: Path, root: Path) -> None:
    if not (source / "documents").is_dir():
        raise InputError(f"{source} is not an example folder (it has no documents/ folder)")
    for part in ("documents", "questions", "update_v2", "tasks"):
        if (source / part).is_dir():
            shutil.copytree(source / part, root / part, dirs_exist_ok=True)
