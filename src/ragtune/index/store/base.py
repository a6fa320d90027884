"""The store interface every knowledge-base backend implements (LanceDB now, PostgreSQL next)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ragtune.corpus.document import Chunk
from ragtune.errors import ConfigError

Filters = dict[str, str | list[str]]
Allowed = Collection[str] | None  # labels a reader may see; None: no restriction
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


def check_meta_key(key: str) -> str:
    """A metadata key as given, or a ValueError for one that could escape its place ('', '..', leading '/')."""
    if not key or ".." in key or key.startswith("/"):
        raise ValueError(f"bad metadata key {key!r}")
    return key


def like_pattern(value: str) -> str:
    """A filter value as a SQL LIKE pattern: '*' matches any text, everything else is literal."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def check_allowed(allowed: Allowed) -> list[str] | None:
    """The labels a restricted search may return, sorted (None: unrestricted; [] returns nothing)."""
    if allowed is None:
        return None
    if isinstance(allowed, str):
        raise TypeError("allowed must be a collection of labels, not a single string")
    return sorted(set(allowed))


class ChunkStore(ABC):
    """Current chunks (searchable), an archive of every chunk ever stored, and small JSON metadata.

    The archive lets a version be restored without re-embedding; metadata holds version manifests.
    Every current chunk carries access labels; a search given ``allowed`` labels returns only chunks
    holding at least one of them, and the restriction is part of the search itself (a restricted
    search still returns k chunks when k visible ones exist).
    """

    @abstractmethod
    def __str__(self) -> str:
        """Where the store lives, for messages (no password)."""

    @abstractmethod
    def ids(self) -> set[str]:
        """Ids of the current (searchable) chunks."""

    @abstractmethod
    def labels(self) -> dict[str, list[str]]:
        """Access labels of every current chunk, by id."""

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
    def archive_ids(self) -> set[str]:
        """Ids of every archived chunk."""

    @abstractmethod
    def get(self, ids: Iterable[str]) -> list[Chunk]:
        """Current chunks by id."""

    @abstractmethod
    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None,
                     allowed: Allowed = None) -> list[Hit]:
        """Nearest chunks by cosine similarity (score in [-1, 1]), among those ``allowed`` may see."""

    @abstractmethod
    def search_keyword(self, query: str, k: int, filters: Filters | None = None,
                       allowed: Allowed = None) -> list[Hit]:
        """Best chunks by keyword score, among those ``allowed`` may see."""

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
    def size_bytes(self) -> int:
        """What the store occupies on disk: chunks, indexes, archive and metadata."""

    @abstractmethod
    def drop(self) -> None:
        """Delete everything this store holds."""

    @abstractmethod
    def rebuilding(self) -> AbstractContextManager[ChunkStore]:
        """An empty store of the same kind, beside this one, to rebuild the knowledge base in (hold ``lock()``).

        When the block completes and the new store holds anything, it replaces this store's content in one
        step; if the block fails, or the process dies before the end, this store is left as it was.
        """

    @abstractmethod
    def lock(self) -> Iterator[None]:
        """A context manager held by the one writer (ingest, rollback, migrate); raises RagtuneError when taken."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so that readers and a crash see all of them or none, where the backend can.

        The default has no atomicity: callers keep a pending marker and recover from it (see KnowledgeBase).
        """
        yield
