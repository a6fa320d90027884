"""The chunk row every store holds, defined once: its columns, their types, and the conversions to and from it.

A row is a chunk's fields (those of :class:`~ragtune.corpus.document.Chunk`, in order), its access labels and its
vector. The LanceDB schema and Arrow tables, the PostgreSQL column definitions, COPY types and column lists, the
snapshot's keyword text and the row -> Chunk / ChunkRecord conversions all derive from :data:`COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ragtune.corpus.document import Chunk
from ragtune.errors import require
from ragtune.index.store.base import ChunkRecord


@dataclass(frozen=True)
class Column:
    """A column: its name, kind (text, int, labels or vector) and PostgreSQL constraint."""

    name: str
    kind: str
    constraint: str = ""

    @property
    def nullable(self) -> bool:
        """Whether PostgreSQL lets the column be NULL."""
        return "NOT NULL" not in self.constraint and "PRIMARY KEY" not in self.constraint


COLUMNS = (
    Column("id", "text", "PRIMARY KEY"),
    Column("source", "text", "NOT NULL"),
    Column("title", "text"),
    Column("section", "text"),
    Column("text", "text", "NOT NULL"),
    Column("position", "int"),
    Column("page", "int"),
    Column("labels", "labels", "NOT NULL DEFAULT '{}'"),
    Column("vector", "vector", "NOT NULL"),
)
LABELS, VECTOR = "labels", "vector"
NAMES = tuple(c.name for c in COLUMNS)
CHUNK_COLUMNS = tuple(f.name for f in fields(Chunk))  # a Chunk's fields, in the order its constructor takes them
META_COLUMNS = tuple(n for n in NAMES if n != VECTOR)  # everything but the vector
KEYWORD_COLUMNS = ("title", "section", "text")  # what keyword search indexes (as Chunk.embed_text's parts)
if (*CHUNK_COLUMNS, LABELS, VECTOR) != NAMES:
    raise AssertionError(f"the chunk row {NAMES} does not hold Chunk's fields {CHUNK_COLUMNS} in order")

_PG_TYPES = {"text": "text", "int": "integer", "labels": "text[]", "vector": "vector({dim})"}
_COPY_TYPES = {"text": "text", "int": "int4", "labels": "text[]", "vector": "vector"}


# -- conversions ---------------------------------------------------------------------------------------------------
def chunk_from_row(row: Mapping[str, Any]) -> Chunk:
    """The Chunk of a row given as a mapping (more keys are ignored)."""
    return Chunk(**{name: row[name] for name in CHUNK_COLUMNS})


def chunk_from_values(values: Sequence[Any]) -> Chunk:
    """The Chunk of a row given as values in column order (what follows the chunk's columns is ignored)."""
    return Chunk(*values[: len(CHUNK_COLUMNS)])


def record_from_row(row: Mapping[str, Any]) -> ChunkRecord:
    """The ChunkRecord (chunk, float32 vector, labels) of a full row given as a mapping."""
    vector = row[VECTOR]
    vector = vector.to_numpy() if hasattr(vector, "to_numpy") else vector
    return ChunkRecord(chunk_from_row(row), np.array(vector, dtype=np.float32), list(row[LABELS] or []))


def record_values(record: ChunkRecord) -> tuple[Any, ...]:
    """A record's values in column order (the vector as float32)."""
    chunk = record.chunk
    return (*(getattr(chunk, name) for name in CHUNK_COLUMNS), list(record.labels),
            np.asarray(record.vector, dtype=np.float32))


def keyword_text(row: Mapping[str, Any]) -> str:
    """The text a row is keyword-indexed under: title, section and body, the empty ones left out."""
    return "\n".join(p for p in (row[name] for name in KEYWORD_COLUMNS) if p)


# -- Arrow (LanceDB, the snapshot) ---------------------------------------------------------------------------------
def arrow_schema(dim: int):
    """The LanceDB table schema for ``dim``-dimensional vectors."""
    pa = require("pyarrow", package="pyarrow")
    types = {"text": pa.string(), "int": pa.int32(), "labels": pa.list_(pa.string()),
             "vector": pa.list_(pa.float32(), dim)}
    return pa.schema([pa.field(c.name, types[c.kind]) for c in COLUMNS])


def arrow_table(records: list[ChunkRecord]):
    """Records as an Arrow table of the LanceDB schema (at least one record)."""
    pa = require("pyarrow", package="pyarrow")
    vectors = np.stack([r.vector for r in records]).astype(np.float32)
    schema = arrow_schema(vectors.shape[1])
    columns: dict[str, Any] = {
        name: pa.array([getattr(r.chunk, name) for r in records], schema.field(name).type) for name in CHUNK_COLUMNS
    }
    columns[LABELS] = pa.array([list(r.labels) for r in records], schema.field(LABELS).type)
    columns[VECTOR] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1])
    return pa.table(columns, schema=schema)


# -- PostgreSQL ----------------------------------------------------------------------------------------------------
def pg_columns(dim: int) -> str:
    """The column definitions of a chunk table, for CREATE TABLE."""
    return ", ".join(" ".join(filter(None, (c.name, _PG_TYPES[c.kind].format(dim=int(dim)), c.constraint)))
                     for c in COLUMNS)


def pg_keyword_text() -> str:
    """The SQL expression of a row's keyword text (as ``keyword_text``, joined by spaces)."""
    nullable = {c.name for c in COLUMNS if c.nullable}
    return " || ' ' || ".join(f"coalesce({n}, '')" if n in nullable else n for n in KEYWORD_COLUMNS)


def pg_copy_types() -> list[str]:
    """The COPY (binary) types of the columns, in order."""
    return [_COPY_TYPES[c.kind] for c in COLUMNS]


def select_list(names: Sequence[str] = CHUNK_COLUMNS, prefix: str = "") -> str:
    """Columns for a SELECT, e.g. ``id, source, ...`` or with ``prefix`` "c." ``c.id, c.source, ...``."""
    return ", ".join(prefix + name for name in names)
