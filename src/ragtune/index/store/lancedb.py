"""LanceDB backend: an embedded folder with a `chunks` table, an `archive` table and JSON metadata.

Both tables hold the chunk row of ``ragtune.index.store.rows`` (its Arrow schema).

Searches run on an in-memory Snapshot of the current table version (exact dense search and BM25, with
filters and access labels as row masks) up to IN_MEMORY_LIMIT chunks; beyond that, dense search is
LanceDB's own with the same conditions as a pre-filter. One writer at a time holds an flock on
``<path>/.lock``. A rebuild fills ``<path>/.rebuild`` and then swaps its folders into place (``atomic.swap_folder``).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ragtune import atomic
from ragtune.corpus.document import Chunk
from ragtune.errors import ConfigError, RagtuneError, StoreBusy, require
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
from ragtune.index.store.rows import META_COLUMNS, VECTOR, arrow_schema, arrow_table, chunk_from_row, record_from_row

CHUNKS, ARCHIVE, LOCK, GENERATION = "chunks", "archive", ".lock", "generation"
STAGE, READY = ".rebuild", "ready"  # a rebuild in progress, and its mark of completion
REPLACED = ".replaced"  # where a swap killed under ragtune 0.x left the folders it replaced (deleted when found)
SWAPPED = ("lancedb", "meta")  # what a rebuild replaces: the tables and the metadata
IN_MEMORY_LIMIT = 500_000
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
        require("pyarrow", package="pyarrow")  # the rows are Arrow tables (ragtune.index.store.rows)
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
    def _table(self, name: str, dim: int | None = None):
        """The table, or None when it does not exist yet and no ``dim`` is given to create it."""
        table = self._tables.get(name)
        if table is None:
            if name in self._db.list_tables().tables:
                table = self._db.open_table(name)
            elif dim is None:
                return None
            else:
                table = self._db.create_table(name, schema=arrow_schema(dim))
            self._tables[name] = table
        if dim is not None:
            found = table.schema.field(VECTOR).type.list_size
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

    def _select(self, name: str, columns: Sequence[str], where: str | None = None):
        table = self._table(name)
        n = table.count_rows() if table is not None else 0
        if n == 0:
            return arrow_schema(1).empty_table().select(list(columns))
        query = table.search().select(list(columns)).limit(n)
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
                table.add(arrow_table(add))
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
        table.merge_insert("id").when_not_matched_insert_all().execute(arrow_table(unique))

    def archived(self, ids: Iterable[str]) -> dict[str, ChunkRecord]:
        found: dict[str, ChunkRecord] = {}
        for batch in _batches(sorted(set(ids))):
            for row in self._select(ARCHIVE, [*META_COLUMNS, VECTOR], _id_predicate(batch)).to_pylist():
                found[row["id"]] = record_from_row(row)
        return found

    def archive_ids(self) -> set[str]:
        return set(self._select(ARCHIVE, ["id"]).column("id").to_pylist())

    def get(self, ids: Iterable[str]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for batch in _batches(list(ids)):
            chunks += [chunk_from_row(r) for r in self._select(CHUNKS, META_COLUMNS, _id_predicate(batch)).to_pylist()]
        return chunks

    # -- search ---------------------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None,
                     allowed: Allowed = None) -> list[Hit]:
        snapshot = self._current_snapshot()
        filters, allowed = check_filters(filters), check_allowed(allowed)
        if snapshot.size <= IN_MEMORY_LIMIT:
            return _snapshot_hits(snapshot, snapshot.dense(vector, k, snapshot.mask(filters, allowed)))
        query = self._table(CHUNKS).search(np.asarray(vector, np.float32), vector_column_name=VECTOR)
        query = query.distance_type("cosine").select([*META_COLUMNS, "_distance"]).limit(k)
        where = filters_to_sql(filters, allowed)
        if where:
            query = query.where(where, prefilter=True)
        return [Hit(chunk_from_row(r), 1.0 - float(r["_distance"])) for r in query.to_arrow().to_pylist()]

    def search_keyword(self, query: str, k: int, filters: Filters | None = None,
                       allowed: Allowed = None) -> list[Hit]:
        snapshot = self._current_snapshot()
        return _snapshot_hits(snapshot, snapshot.keyword(query, k, snapshot.mask(check_filters(filters),
                                                                                 check_allowed(allowed))))

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
                    data = self._select(CHUNKS, [*META_COLUMNS, VECTOR])
                    column = data.column(VECTOR).combine_chunks()
                    dim = column.type.list_size if data.num_rows else 0
                    vectors = column.flatten().to_numpy(zero_copy_only=False).reshape(data.num_rows, dim)
                    snapshot = Snapshot.build(data.drop_columns([VECTOR]), vectors)
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
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise RagtuneError(f"{path} is not valid JSON ({exc}): restore it from a backup, or run "
                               "`ragtune ingest --rebuild`") from None

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
        """Swap a ready rebuild's folders in (each swap can be repeated after a crash); delete an unready one."""
        stage = self.path / STAGE
        if (stage / READY).exists():
            with self._lock:
                for name in SWAPPED:
                    if (stage / name).exists():  # else moved in already
                        atomic.swap_folder(stage / name, self.path / name)
                shutil.rmtree(self.path / "snapshot", ignore_errors=True)
                self._reopen()
        for name in SWAPPED:  # what swap_folder put aside, should a kill have kept it from deleting it
            shutil.rmtree(self.path / f".old-{name}", ignore_errors=True)
        shutil.rmtree(self.path / REPLACED, ignore_errors=True)
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


def _snapshot_hits(snapshot: Snapshot, found: list[tuple[int, float]]) -> list[Hit]:
    """Hits for a snapshot search's (row, score) pairs."""
    rows = snapshot.take([i for i, _ in found])
    return [Hit(chunk_from_row(row), score) for row, (_, score) in zip(rows, found)]
