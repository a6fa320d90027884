"""LanceDB backend: an embedded folder with a `chunks` table, an `archive` table and JSON metadata.

Searches run on an in-memory Snapshot of the current table version (exact dense search and BM25, with
filters and access labels as row masks) up to IN_MEMORY_LIMIT chunks; beyond that, dense search is
LanceDB's own with the same conditions as a pre-filter. One writer at a time holds an flock on
``<path>/.lock``. A rebuild fills ``<path>/.rebuild`` and then renames its folders into place.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ragtune import atomic
from ragtune.corpus.document import Chunk
from ragtune.errors import ConfigError, StoreBusy, require
from ragtune.index.snapshot import Snapshot
from ragtune.index.store.base import (
    Allowed,
    ChunkRecord,
    ChunkStore,
    Filters,
    Hit,
    check_allowed,
    check_filters,
    check_meta_key,
    like_pattern,
)

CHUNKS, ARCHIVE, LOCK, GENERATION = "chunks", "archive", ".lock", "generation"
STAGE, REPLACED, READY = ".rebuild", ".replaced", "ready"  # a rebuild in progress, the folders it replaces
SWAPPED = ("lancedb", "meta")  # what a rebuild replaces: the tables and the metadata
IN_MEMORY_LIMIT = 500_000
META_COLUMNS = ["id", "source", "title", "section", "text", "position", "page", "labels"]
_ID_BATCH = 500


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def filters_to_sql(filters: Filters | None, allowed: list[str] | None = None) -> str | None:
    """Translate metadata filters and allowed labels to a SQL predicate ('*' becomes LIKE '%')."""
    clauses = []
    if allowed is not None:
        clauses.append(f"array_has_any(labels, [{', '.join(map(_quote, allowed))}])" if allowed else "FALSE")
    for key, value in check_filters(filters).items():
        values = value if isinstance(value, list) else [value]
        parts = []
        for v in values:
            if "*" in v:
                parts.append(f"{key} LIKE {_quote(like_pattern(v))}")
            else:
                parts.append(f"{key} = {_quote(v)}")
        clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses) or None


def _id_predicate(ids: list[str]) -> str:
    return "id IN (" + ", ".join(_quote(i) for i in ids) + ")"


def _batches(items: list[str], size: int = _ID_BATCH) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class LanceStore(ChunkStore):
    """Chunks and vectors in LanceDB; BM25 keyword search over the current chunks with bm25s."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        lancedb = require("lancedb", package="lancedb")
        self._pa = require("pyarrow", package="pyarrow")
        self._db = lancedb.connect(str(self.path / "lancedb"))
        self._lock = threading.RLock()
        self._tables: dict[str, Any] = {}
        self._snapshot: Snapshot | None = None
        self._snapshot_key: str | None = None  # generation and table version the snapshot holds
        self._generation_seen = -1
        if (self.path / STAGE / READY).exists():  # a rebuild killed while it swapped folders: complete it
            try:
                with self.lock():
                    pass
            except StoreBusy:
                pass  # the writer completes it

    def __str__(self) -> str:
        return f"LanceDB folder {self.path}"

    # -- tables ---------------------------------------------------------------------------------
    def _schema(self, dim: int):
        pa = self._pa
        return pa.schema([
            pa.field("id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("title", pa.string()),
            pa.field("section", pa.string()),
            pa.field("text", pa.string()),
            pa.field("position", pa.int32()),
            pa.field("page", pa.int32()),
            pa.field("labels", pa.list_(pa.string())),
            pa.field("vector", pa.list_(pa.float32(), dim)),
        ])

    def _table(self, name: str, dim: int | None = None):
        """The table, or None when it does not exist yet and no ``dim`` is given to create it."""
        table = self._tables.get(name)
        if table is None:
            if name in self._db.list_tables().tables:
                table = self._db.open_table(name)
            elif dim is None:
                return None
            else:
                table = self._db.create_table(name, schema=self._schema(dim))
            self._tables[name] = table
        if dim is not None:
            found = table.schema.field("vector").type.list_size
            if found != dim:
                raise ConfigError(
                    f"the store at {self.path} holds {found}-dimensional vectors but the embedding model "
                    f"makes {dim}: run `ragtune ingest --rebuild` to re-embed everything"
                )
        return table

    def refresh(self) -> None:
        """See writes made by other processes (e.g. an ingest while serving)."""
        with self._lock:
            for table in self._tables.values():
                table.checkout_latest()

    def _to_arrow(self, records: list[ChunkRecord]):
        pa = self._pa
        vectors = np.stack([r.vector for r in records]).astype(np.float32)
        dim = vectors.shape[1]
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        return pa.table({
            "id": [r.chunk.id for r in records],
            "source": [r.chunk.source for r in records],
            "title": [r.chunk.title for r in records],
            "section": [r.chunk.section for r in records],
            "text": [r.chunk.text for r in records],
            "position": pa.array([r.chunk.position for r in records], pa.int32()),
            "page": pa.array([r.chunk.page for r in records], pa.int32()),
            "labels": pa.array([list(r.labels) for r in records], pa.list_(pa.string())),
            "vector": pa.FixedSizeListArray.from_arrays(flat, dim),
        }, schema=self._schema(dim))

    def _select(self, name: str, columns: list[str], where: str | None = None):
        table = self._table(name)
        n = table.count_rows() if table is not None else 0
        if n == 0:
            return self._schema(1).empty_table().select(columns)
        query = table.search().select(columns).limit(n)
        if where:
            query = query.where(where)
        return query.to_arrow()

    # -- chunks ---------------------------------------------------------------------------------
    def ids(self) -> set[str]:
        return set(self._select(CHUNKS, ["id"]).column("id").to_pylist())

    def labels(self) -> dict[str, list[str]]:
        data = self._select(CHUNKS, ["id", "labels"])
        return {i: sorted(ls or []) for i, ls in zip(data.column("id").to_pylist(), data.column("labels").to_pylist())}

    def count(self) -> int:
        table = self._table(CHUNKS)
        return table.count_rows() if table is not None else 0

    def replace(self, delete: Iterable[str], add: list[ChunkRecord]) -> None:
        with self._lock:
            table = self._table(CHUNKS, len(add[0].vector) if add else None)
            if table is None:
                return
            for batch in _batches(sorted(set(delete))):
                table.delete(_id_predicate(batch))
            if add:
                table.add(self._to_arrow(add))
            self._bump_generation()

    def _generation(self) -> int:
        path = self.path / GENERATION
        return int(path.read_text()) if path.exists() else 0

    def _bump_generation(self) -> None:
        """Count a write (kept across drop(): a rebuilt table restarts its version numbers)."""
        self._snapshot_key = None
        atomic.write_text(self.path / GENERATION, str(self._generation() + 1), durable=False)  # as the tables

    def archive(self, records: list[ChunkRecord]) -> None:
        if not records:
            return
        unique = list({r.chunk.id: r for r in records}.values())
        table = self._table(ARCHIVE, len(unique[0].vector))
        table.merge_insert("id").when_not_matched_insert_all().execute(self._to_arrow(unique))

    def archived(self, ids: Iterable[str]) -> dict[str, ChunkRecord]:
        found: dict[str, ChunkRecord] = {}
        for batch in _batches(sorted(set(ids))):
            rows = self._select(ARCHIVE, [*META_COLUMNS, "vector"], _id_predicate(batch)).to_pylist()
            for row in rows:
                found[row["id"]] = ChunkRecord(_row_chunk(row), np.asarray(row["vector"], np.float32),
                                               row["labels"] or [])
        return found

    def archive_ids(self) -> set[str]:
        return set(self._select(ARCHIVE, ["id"]).column("id").to_pylist())

    def get(self, ids: Iterable[str]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for batch in _batches(list(ids)):
            chunks += [_row_chunk(r) for r in self._select(CHUNKS, META_COLUMNS, _id_predicate(batch)).to_pylist()]
        return chunks

    # -- search ---------------------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None,
                     allowed: Allowed = None) -> list[Hit]:
        snapshot = self._current_snapshot()
        filters, allowed = check_filters(filters), check_allowed(allowed)
        if snapshot.size <= IN_MEMORY_LIMIT:
            found = snapshot.dense(vector, k, snapshot.mask(filters, allowed))
            return [Hit(_row_chunk(row), score) for row, (_, score) in zip(snapshot.take([i for i, _ in found]), found)]
        query = self._table(CHUNKS).search(np.asarray(vector, np.float32), vector_column_name="vector")
        query = query.distance_type("cosine").select([*META_COLUMNS, "_distance"]).limit(k)
        where = filters_to_sql(filters, allowed)
        if where:
            query = query.where(where, prefilter=True)
        return [Hit(_row_chunk(r), 1.0 - float(r["_distance"])) for r in query.to_arrow().to_pylist()]

    def search_keyword(self, query: str, k: int, filters: Filters | None = None,
                       allowed: Allowed = None) -> list[Hit]:
        snapshot = self._current_snapshot()
        found = snapshot.keyword(query, k, snapshot.mask(check_filters(filters), check_allowed(allowed)))
        return [Hit(_row_chunk(row), score) for row, (_, score) in zip(snapshot.take([i for i, _ in found]), found)]

    def _current_snapshot(self) -> Snapshot:
        """The snapshot of the current table version: from memory, from disk, or built now.

        Every write bumps the ``generation`` file, so checking for writes by this or another process
        costs one stat; the table is asked for its version only when that file changed. A snapshot is
        keyed by generation and table version, since a dropped and rebuilt table reuses version numbers.
        """
        with self._lock:
            generation = self.path / GENERATION
            stamp = generation.stat().st_mtime_ns if generation.exists() else 0
            if self._snapshot is not None and self._snapshot_key is not None and stamp == self._generation_seen:
                return self._snapshot
            self.refresh()
            table = self._table(CHUNKS)
            key = f"g{self._generation()}-v{table.version if table is not None else 0}"
            self._generation_seen = stamp
            if self._snapshot is None or self._snapshot_key != key:
                cache = self.path / "snapshot"
                snapshot = Snapshot.load(cache, key)
                if snapshot is None:
                    data = self._select(CHUNKS, [*META_COLUMNS, "vector"])
                    column = data.column("vector").combine_chunks()
                    dim = column.type.list_size if data.num_rows else 0
                    vectors = column.flatten().to_numpy(zero_copy_only=False).reshape(data.num_rows, dim)
                    snapshot = Snapshot.build(data.drop_columns(["vector"]), vectors)
                    snapshot.save(cache, key)
                self._snapshot, self._snapshot_key = snapshot, key
            return self._snapshot

    # -- metadata -------------------------------------------------------------------------------
    def _meta_path(self, key: str) -> Path:
        return self.path / "meta" / f"{check_meta_key(key)}.json"

    def read_meta(self, key: str) -> Any | None:
        path = self._meta_path(key)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def write_meta(self, key: str, value: Any) -> None:
        path = self._meta_path(key)
        if value is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_json(path, value, durable=False, indent=1, sort_keys=True)  # LanceDB does not fsync either

    def meta_keys(self, prefix: str) -> list[str]:
        root = self.path / "meta"
        if not root.exists():
            return []
        keys = [p.relative_to(root).as_posix()[: -len(".json")] for p in root.rglob("*.json")]
        return sorted(k for k in keys if k.startswith(prefix))

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def drop(self) -> None:
        with self._lock:
            for child in self.path.iterdir() if self.path.exists() else []:
                if child.name not in (LOCK, GENERATION):  # the writer's lock; readers' change counter
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
            self._reopen()

    def _reopen(self) -> None:
        """Forget open tables and the snapshot after the folders changed under them; count it as a write."""
        self._tables.clear()
        self._snapshot, self._generation_seen = None, -1
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = require("lancedb").connect(str(self.path / "lancedb"))
        self._bump_generation()

    @contextmanager
    def rebuilding(self) -> Iterator[LanceStore]:
        """A LanceDB store in ``<path>/.rebuild``; once complete, its tables and metadata folders replace this
        store's by renames (marked ready first, so a process killed between two renames is completed by the
        next opener)."""
        stage = self.path / STAGE
        shutil.rmtree(stage, ignore_errors=True)  # what a killed rebuild left
        fresh = LanceStore(stage)
        try:
            yield fresh
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        if fresh.meta_keys(""):
            (stage / READY).touch()
        self._finish_rebuild()

    def _finish_rebuild(self) -> None:
        """Swap a ready rebuild's folders in (each step can be repeated after a crash); delete an unready one."""
        stage, replaced = self.path / STAGE, self.path / REPLACED
        if (stage / READY).exists():
            replaced.mkdir(exist_ok=True)
            with self._lock:
                for name in SWAPPED:
                    if not (stage / name).exists():
                        continue  # moved in already
                    if (self.path / name).exists():
                        shutil.rmtree(replaced / name, ignore_errors=True)
                        os.replace(self.path / name, replaced / name)
                    os.replace(stage / name, self.path / name)
                shutil.rmtree(self.path / "snapshot", ignore_errors=True)
                self._reopen()
        shutil.rmtree(replaced, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy(f"another ingest is running on {self.path}; wait for it to finish") from None
            try:
                if (self.path / STAGE).exists() or (self.path / REPLACED).exists():
                    self._finish_rebuild()  # a killed rebuild: completed when ready, else deleted
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _row_chunk(row: dict) -> Chunk:
    return Chunk(id=row["id"], source=row["source"], title=row["title"], section=row["section"],
                 text=row["text"], position=row["position"], page=row["page"])
