"""Trained models in the project: where they live, their manifest, and whether they are stale."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ragtune.corpus.scan import file_hash
from ragtune.errors import InputError
from ragtune.project import Project
from ragtune.training.manifest import ModelManifest
from ragtune.variants import trained

if TYPE_CHECKING:
    from ragtune.index.kb import KnowledgeBase

MANIFEST = "manifest.json"
TRAINED_VARIANTS = trained()  # ft, hybrid: the variants registered with training data (ragtune.variants)


def model_dir(project: Project, variant: str) -> Path:
    """The folder of a variant's current model: ``models/<variant>`` (``Project.model_dir``)."""
    return project.model_dir(variant)


def work_dir(project: Project, variant: str) -> Path:
    """Checkpoints and the live log of a variant's training run (``Project.work_dir``)."""
    return project.work_dir(variant)


def is_trained(project: Project, variant: str) -> bool:
    """Whether a variant has a finished model (its manifest is there), without reading the manifest."""
    return (project.model_dir(variant) / MANIFEST).is_file()


def read_manifest(folder: Path) -> ModelManifest | None:
    """A model folder's manifest, or None when there is no finished model; an InputError for one that does not
    read."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        return ModelManifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, AttributeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputError(f"{path} is not a model manifest ({type(exc).__name__}: {exc}): train the "
                         f"{folder.name} variant again (`ragtune train --variant {folder.name}`)") from None


@dataclass
class ModelStatus:
    """A variant's trained model: whether it exists, and why it may be stale."""

    variant: str
    path: Path
    manifest: ModelManifest | None
    stale: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        """True when a finished model is there."""
        return self.manifest is not None


def model_status(project: Project, variant: str, kb: KnowledgeBase | None = None) -> ModelStatus:
    """Check a variant's model against the current knowledge base and training data.

    Stale means: the knowledge base's content changed since the data the model learned from was built (the
    model cannot know the new facts), or the training data file changed since training.
    """
    from ragtune.index.kb import KnowledgeBase

    folder = project.model_dir(variant)
    manifest = read_manifest(folder)
    status = ModelStatus(variant, folder, manifest)
    if manifest is None:
        return status
    kb = kb or KnowledgeBase(project)
    current, trained_on = kb.manifest(), manifest.kb
    if current is not None and trained_on is not None and trained_on.fingerprint not in (None, current.fingerprint()):
        status.stale.append(
            f"the knowledge base changed since the training data was built (version {trained_on.version} "
            f"then, {current.version} now): the model does not know the changed documents"
        )
    data = manifest.data
    data_path = project.path(data.file) if data and data.file else None
    if data and data_path and data_path.is_file() and file_hash(data_path) != data.sha256:
        status.stale.append(f"{data.file} changed after training")
    return status


def require_model(project: Project, variant: str, kb: KnowledgeBase | None = None) -> ModelStatus:
    """The status of a variant's model; a clear error when it was never trained."""
    if variant not in TRAINED_VARIANTS:
        raise InputError(f"variant {variant!r} has no trained model (trained variants: {', '.join(TRAINED_VARIANTS)})")
    status = model_status(project, variant, kb=kb)
    if not status.exists:
        raise InputError(
            f"no trained model for the {variant} variant in {status.path}: run `ragtune data {project.root} build` "
            f"and `ragtune train {project.root} --variant {variant}` first"
        )
    return status
