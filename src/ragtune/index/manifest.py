"""A knowledge-base version's manifest: its documents (hash, title, chunk ids, access labels) and settings.

A store keeps one per version as metadata (LanceDB: ``meta/versions/<n>.json``; PostgreSQL: its ``meta`` table).
``from_dict`` reads every manifest ragtune has written (a key added since gets its default) and raises a clear
RagtuneError for one that is not a manifest; ``to_dict`` gives exactly the JSON object written today. A
:class:`KBRef` names a version by number and content fingerprint where training data and models record what they
were built from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ragtune.errors import RagtuneError


@dataclass(frozen=True)
class KBDocument:
    """One document of a version: its file's hash, title, chunk ids (in order) and access labels (sorted)."""

    sha256: str
    title: str
    chunks: list[str]
    labels: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KBDocument:
        return cls(sha256=data.get("sha256", ""), title=data.get("title", ""), chunks=list(data["chunks"]),
                   labels=list(data.get("labels") or []))

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "title": self.title, "chunks": list(self.chunks), "labels": list(self.labels)}


@dataclass(frozen=True)
class KBSettings:
    """What a version's chunks depend on: the embedding model, the chunking settings and the parsers."""

    embedding: str = ""
    chunking: dict[str, Any] = field(default_factory=dict)
    parsers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KBSettings:
        return cls(embedding=data.get("embedding", ""), chunking=dict(data.get("chunking") or {}),
                   parsers=dict(data.get("parsers") or {}))

    def to_dict(self) -> dict[str, Any]:
        return {"embedding": self.embedding, "chunking": self.chunking, "parsers": self.parsers}

    def same_chunking(self, other: KBSettings) -> bool:
        """Whether documents are cut into the same chunks under both settings (chunking and parsers alike)."""
        return self.chunking == other.chunking and self.parsers == other.parsers


@dataclass(frozen=True)
class KBRef:
    """A knowledge-base version as training data and models record it: its number and content fingerprint."""

    version: int | None = None
    fingerprint: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> KBRef | None:
        """None for an empty or absent reference (``{}``: the data was built from no knowledge base)."""
        if not data:
            return None
        return cls(version=data.get("version"), fingerprint=data.get("fingerprint"))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "fingerprint": self.fingerprint}


def chunk_labels(documents: Mapping[str, KBDocument]) -> dict[str, list[str]]:
    """The access labels of every chunk of these documents, by chunk id."""
    return {cid: list(d.labels) for d in documents.values() for cid in d.chunks}


@dataclass(frozen=True)
class KBVersion:
    """One knowledge-base version: its number, parent, time, note, settings, summary of changes and documents."""

    version: int
    documents: dict[str, KBDocument] = field(default_factory=dict)
    parent: int | None = None
    created: str | None = None
    note: str = ""
    settings: KBSettings = field(default_factory=KBSettings)
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, where: str = "a knowledge-base version") -> KBVersion:
        """Read a stored manifest; ``where`` names it in the error raised for one that is malformed."""
        try:
            return cls(version=int(data["version"]),
                       documents={str(s): KBDocument.from_dict(d) for s, d in data["documents"].items()},
                       parent=data.get("parent"), created=data.get("created"), note=data.get("note") or "",
                       settings=KBSettings.from_dict(data.get("settings") or {}),
                       summary=dict(data.get("summary") or {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RagtuneError(f"the manifest of {where} is malformed ({type(exc).__name__}: {exc}): run "
                               "`ragtune ingest --rebuild` to write the knowledge base again") from None

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "parent": self.parent, "created": self.created, "note": self.note,
                "settings": self.settings.to_dict(), "summary": self.summary,
                "documents": {source: d.to_dict() for source, d in self.documents.items()}}

    def chunk_labels(self) -> dict[str, list[str]]:
        """The access labels of every chunk of this version, by chunk id."""
        return chunk_labels(self.documents)

    @property
    def chunk_count(self) -> int:
        """How many chunks this version's documents have."""
        return sum(len(d.chunks) for d in self.documents.values())

    def fingerprint(self) -> str:
        """A hash of the chunk ids: equal for versions with the same content (e.g. after a rollback)."""
        ids = sorted(cid for d in self.documents.values() for cid in d.chunks)
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]

    def ref(self) -> KBRef:
        """This version as training data and models record it."""
        return KBRef(self.version, self.fingerprint())
