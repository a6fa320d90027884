"""Dense, BM25 and hybrid retrieval over any store, with min-max or reciprocal-rank fusion."""

from __future__ import annotations

import numpy as np

from ragtune.config import RetrievalConfig
from ragtune.index.embed import Embedder
from ragtune.index.store.base import Allowed, ChunkStore, Filters, Hit


def minmax_fuse(dense: list[Hit], keyword: list[Hit], dense_weight: float, k: int) -> list[Hit]:
    """Scale each list's scores to [0, 1], then rank by the weighted sum (absent = 0)."""

    def scaled(hits: list[Hit]) -> dict[str, float]:
        if not hits:
            return {}
        scores = np.array([h.score for h in hits], dtype=np.float64)
        low, span = scores.min(), scores.max() - scores.min()
        norm = (scores - low) / span if span > 0 else np.ones_like(scores)
        return {h.chunk.id: float(s) for h, s in zip(hits, norm)}

    d, b = scaled(dense), scaled(keyword)
    combined = {i: dense_weight * d.get(i, 0.0) + (1 - dense_weight) * b.get(i, 0.0) for i in d.keys() | b.keys()}
    return _ranked(combined, dense, keyword, k)


def rrf_fuse(dense: list[Hit], keyword: list[Hit], rrf_k: int, k: int) -> list[Hit]:
    """Reciprocal rank fusion: sum of 1 / (rrf_k + rank) over the lists that hold a chunk."""
    combined: dict[str, float] = {}
    for hits in (dense, keyword):
        for rank, hit in enumerate(hits, start=1):
            combined[hit.chunk.id] = combined.get(hit.chunk.id, 0.0) + 1.0 / (rrf_k + rank)
    return _ranked(combined, dense, keyword, k)


def _ranked(scores: dict[str, float], dense: list[Hit], keyword: list[Hit], k: int) -> list[Hit]:
    chunks = {h.chunk.id: h.chunk for h in keyword} | {h.chunk.id: h.chunk for h in dense}
    order = sorted(scores, key=lambda i: (-scores[i], i))[:k]
    return [Hit(chunks[i], scores[i]) for i in order]


class Retriever:
    """Finds the chunks for a question with the configured mode, depth and filters."""

    def __init__(self, store: ChunkStore, embedder: Embedder, cfg: RetrievalConfig):
        self.store, self.embedder, self.cfg = store, embedder, cfg

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: Filters | None = None, allowed: Allowed = None) -> list[Hit]:
        """The top ``k`` chunks for ``query`` (among those holding an ``allowed`` label, when given)."""
        return self.search_many([query], k, mode, filters, allowed=allowed)[0]

    def search_many(self, queries: list[str], k: int | None = None, mode: str | None = None,
                    filters: Filters | None = None, vectors: np.ndarray | None = None,
                    allowed: Allowed = None) -> list[list[Hit]]:
        """Search several queries, embedding them in one batch (or using ``vectors`` already embedded)."""
        k = k or self.cfg.k
        mode = mode or self.cfg.mode
        filters = self.cfg.filters | (filters or {})
        depth = max(k, self.cfg.candidates) if mode == "hybrid" else k
        if mode in ("dense", "hybrid") and vectors is None:
            vectors = self.embedder.embed_queries(queries)
        elif mode == "bm25":
            vectors = None
        results = []
        for i, query in enumerate(queries):
            dense = self.store.search_dense(vectors[i], depth, filters, allowed) if vectors is not None else []
            keyword = self.store.search_keyword(query, depth, filters, allowed) if mode in ("bm25", "hybrid") else []
            if mode == "dense":
                results.append(dense[:k])
            elif mode == "bm25":
                results.append(keyword[:k])
            elif self.cfg.fusion == "rrf":
                results.append(rrf_fuse(dense, keyword, self.cfg.rrf_k, k))
            else:
                results.append(minmax_fuse(dense, keyword, self.cfg.dense_weight, k))
        return results
