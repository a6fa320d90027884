"""The corpus data model: parsed documents, their sections, and the chunks cut from them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class Section:
    """A run of text under one heading path (e.g. "Warranty > Exclusions"), optionally on one page."""

    text: str
    heading: str = ""
    page: int | None = None


@dataclass
class ParsedDocument:
    """A document as text: ``source`` is its path relative to the documents folder (POSIX style)."""

    source: str
    title: str
    sections: list[Section] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All section texts joined, for word counts and previews."""
        return "\n\n".join(s.text for s in self.sections)


@dataclass
class Chunk:
    """A retrievable piece of a document with the metadata citations need; its fields, in this order, are the first
    columns of the row the stores hold (``ragtune.index.store.rows``)."""

    id: str
    source: str
    title: str
    section: str
    text: str
    position: int
    page: int | None = None

    @property
    def embed_text(self) -> str:
        """The text that is embedded and keyword-indexed: title and section give context."""
        header = " > ".join(p for p in (self.title, self.section) if p)
        return f"{header}\n{self.text}" if header else self.text


def chunk_id(source: str, section: str, text: str, occurrence: int = 0) -> str:
    """A deterministic id from the chunk's content and place (same input, same id)."""
    digest = hashlib.sha256(f"{source}\x00{section}\x00{occurrence}\x00{text}".encode()).hexdigest()
    return digest[:32]
