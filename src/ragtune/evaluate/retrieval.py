"""Retrieval metrics over ranked document ids: recall@k, MRR@k and nDCG@k (binary or graded relevance)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def unique_in_order(ids: Sequence[str]) -> list[str]:
    """Drop repeats, keeping first occurrences (e.g. several chunks of one document)."""
    seen: set[str] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    """Share of relevant ids found in the top k (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    top = set(unique_in_order(ranked)[:k])
    return sum(1 for r in relevant if r in top) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    """Reciprocal rank of the first relevant id in the top k."""
    for rank, doc in enumerate(unique_in_order(ranked)[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    """Normalized discounted cumulative gain (linear gains, as in BEIR/trec_eval)."""
    gains = relevant if isinstance(relevant, Mapping) else {r: 1.0 for r in relevant}
    dcg = sum(gains.get(doc, 0.0) / math.log2(rank + 1)
              for rank, doc in enumerate(unique_in_order(ranked)[:k], start=1))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0
