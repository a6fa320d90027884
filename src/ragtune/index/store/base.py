"""The store interface every knowledge-base backend implements (LanceDB now, PostgreSQL next)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ragtune.corpus.document import Chunk
from ragtune.errors import ConfigError

Filters = dict[str, str | list[str]]
FILTERABLE = ("source", "title", "section")


@dataclass
class ChunkRecord:
    """A chunk with its vector and access labels, as stored."""

    chunk: Chunk
    vector: np.ndarray
    labels: list[str] = field(default_factory=list)


@dataclass
class Hit:
    """A retrieved chunk and its score (higher is better; the scale depends on the retriever)."""

    chunk: Chunk
    score: float


def check_filters(filters: Filters | None) -> Filters:
    """Reject filters on unknown fields, naming the ones allowed."""
    filters = filters or {}
    for key, value in filters.items():
        if key not in FILTERABLE:
            raise ConfigError(f"cannot filter on {key!r}: filterable fields are {', '.join(FILTERABLE)}")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise ConfigError(f"filter {key!r}: values must be text, got {value!r}")
    return filters


def like_pattern(value: str) -> str:
    """A filter value as a SQL LIKE pattern: '*' matches any text, everything else is literal."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


class ChunkStore(ABC):
    """Current chunks (searchable), an archive of every chunk ever stored, and small JSON metadata.

    The archive lets a version be restored without re-embedding; metadata holds version manifests.
    """

    @abstractmethod
    def ids(self) -> set[str]:
        """Ids of the current (searchable) chunks."""

    @abstractmethod
    def count(self) -> int:
        """Number of current chunks."""

    @abstractmethod
    def replace(self, delete: Iterable[str], add: list[ChunkRecord]) -> None:
        """Remove ``delete`` and add ``add`` to the current chunks, then refresh the keyword index."""

    @abstractmethod
    def archive(self, records: list[ChunkRecord]) -> None:
        """Keep records in the archive (idempotent by chunk id)."""

    @abstractmethod
    def archived(self, ids: Iterable[str]) -> dict[str, ChunkRecord]:
        """Archived records by id (missing ids are absent from the result)."""

    @abstractmethod
    def get(self, ids: Iterable[str]) -> list[Chunk]:
        """Current chunks by id."""

    @abstractmethod
    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[Hit]:
        """Nearest chunks by cosine similarity (score in [-1, 1])."""

    @abstractmethod
    def search_keyword(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """Best chunks by BM25 keyword score."""

    @abstractmethod
    def read_meta(self, key: str) -> Any | None:
        """A JSON value stored under ``key`` (None if absent)."""

    @abstractmethod
    def write_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` atomically (None deletes it)."""

    @abstractmethod
    def meta_keys(self, prefix: str) -> list[str]:
        """Keys of stored metadata starting with ``prefix``, sorted."""

    @abstractmethod
    def drop(self) -> None:
        """Delete everything this store holds."""
