"""Store backends behind one interface, and the factory that opens the configured one."""

from __future__ import annotations

from pathlib import Path

from ragtune.config import StoreConfig
from ragtune.index.store.base import ChunkRecord, ChunkStore, Filters, Hit


def open_store(cfg: StoreConfig, project_root: Path) -> ChunkStore:
    """Open (or create) the store configured for a project; tables take their vector size from the data."""
    if cfg.backend == "lancedb":
        from ragtune.index.store.lancedb import LanceStore

        return LanceStore(project_root / cfg.path)
    if cfg.backend == "pgvector":
        from ragtune.index.store.pgvector import PgVectorStore

        return PgVectorStore(cfg.resolved_url(), cfg.schema_for(project_root), cfg.ef_search)
    raise ValueError(f"store.backend: unknown backend {cfg.backend!r}")


__all__ = ["ChunkRecord", "ChunkStore", "Filters", "Hit", "open_store"]
