"""A trained model's manifest (``models/<variant>/manifest.json``): how, on what and from which knowledge base.

``from_dict`` reads every manifest ragtune has written (a key added since gets its default; keys it does not know
are kept and written back); ``to_dict`` gives exactly the JSON object written today, key for key and in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ragtune.index.manifest import KBRef

_KEYS = ("variant", "method", "base_model", "hyperparameters", "autocast", "data", "kb", "result", "created",
         "versions")  # the keys written today, in their order

@dataclass(frozen=True)
class TrainingData:
    """The data file a model learned from (relative to the project), its hash and its train/dev row counts."""

    file: str = ""
    sha256: str = ""
    rows_train: int = 0
    rows_dev: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TrainingData | None:
        if not data:
            return None
        return cls(file=data.get("file") or "", sha256=data.get("sha256") or "",
                   rows_train=int(data.get("rows_train") or 0), rows_dev=int(data.get("rows_dev") or 0))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "rows_train": self.rows_train, "rows_dev": self.rows_dev}


@dataclass(frozen=True)
class ModelManifest:
    """What ``ragtune train`` wrote beside a model: variant, method, base model, settings, data, knowledge base
    (the version the data was built from; None: none), the loop's result, time and package versions."""

    variant: str | None = None
    method: str | None = None
    base_model: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    autocast: str | None = None
    data: TrainingData | None = None
    kb: KBRef | None = None
    result: dict[str, Any] = field(default_factory=dict)
    created: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # keys of a newer ragtune, kept as they were

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelManifest:
        """Read a manifest; a ValueError (or TypeError) for one that is not a JSON object of the right shape."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a JSON object was expected, not {type(data).__name__}")
        return cls(variant=data.get("variant"), method=data.get("method"), base_model=data.get("base_model"),
                   hyperparameters=dict(data.get("hyperparameters") or {}), autocast=data.get("autocast"),
                   data=TrainingData.from_dict(data.get("data")), kb=KBRef.from_dict(data.get("kb")),
                   result=dict(data.get("result") or {}), created=data.get("created"),
                   versions=dict(data.get("versions") or {}),
                   extra={k: v for k, v in data.items() if k not in _KEYS})

    def to_dict(self) -> dict[str, Any]:
        return {"variant": self.variant, "method": self.method, "base_model": self.base_model,
                "hyperparameters": self.hyperparameters, "autocast": self.autocast,
                "data": self.data.to_dict() if self.data else {}, "kb": self.kb.to_dict() if self.kb else {},
                "result": self.result, "created": self.created, "versions": self.versions, **self.extra}

    @property
    def training_seconds(self) -> float | None:
        """How long the training loop ran (None when not recorded)."""
        return self.result.get("seconds")
