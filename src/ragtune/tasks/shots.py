"""Choosing few-shot examples: the ``k`` train rows whose inputs are closest to the input (cosine of the
knowledge base's embeddings), or the first ``k`` (``shot_selection: fixed``), never the row itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ragtune.index.embed import Embedder

T = TypeVar("T")


def fixed(pool: Sequence[T], k: int, inputs: Sequence[str]) -> list[list[T]]:
    """The first ``k`` examples for every input."""
    return [list(pool[:k]) for _ in inputs]


def similar(pool: Sequence[T], pool_texts: Sequence[str], k: int, inputs: Sequence[str],
            embedder: Embedder) -> list[list[T]]:
    """For each input, the ``k`` pool examples whose text is closest to it, the closest last (nearest the
    input in the prompt); a pool text equal to the input is skipped."""
    if k == 0 or not pool:
        return [[] for _ in inputs]
    vectors = embedder.embed_queries([*pool_texts, *inputs])
    pool_vectors, input_vectors = vectors[: len(pool)], vectors[len(pool) :]
    picked = []
    for text, scores in zip(inputs, input_vectors @ pool_vectors.T):
        ranked = [i for i in scores.argsort()[::-1] if pool_texts[i].strip() != text.strip()][:k]
        picked.append([pool[i] for i in reversed(ranked)])
    return picked
