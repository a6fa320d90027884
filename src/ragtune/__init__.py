"""ragtune: RAG, fine-tuning or both? Build each on your documents and measure them side by side."""

from ragtune.api import (
    ask,
    build_data,
    compare,
    config_schema,
    export,
    ingest,
    init_project,
    kb_rollback,
    kb_versions,
    migrate,
    model_status,
    recommend,
    report,
    serve,
    train,
)
from ragtune.config import ProjectConfig, load_config
from ragtune.errors import ConfigError, InputError, MissingDependencyError, RagtuneError, StoreBusy
from ragtune.project import Project

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "InputError",
    "MissingDependencyError",
    "Project",
    "ProjectConfig",
    "RagtuneError",
    "StoreBusy",
    "ask",
    "build_data",
    "compare",
    "config_schema",
    "export",
    "ingest",
    "init_project",
    "kb_rollback",
    "kb_versions",
    "load_config",
    "migrate",
    "model_status",
    "recommend",
    "report",
    "serve",
    "train",
]
