"""Retrieval: recall@5 on the bundled example, fusion arithmetic and ranking metrics."""

from __future__ import annotations

import math

import pytest
from conftest import read_jsonl

from ragtune import Project
from ragtune.corpus.document import Chunk
from ragtune.evaluate.retrieval import mrr_at_k, ndcg_at_k, recall_at_k
from ragtune.index.kb import KnowledgeBase
from ragtune.index.retrieve import Retriever, minmax_fuse, rrf_fuse
from ragtune.index.store.base import Hit


def gold_in_top(hits, question, k=5) -> bool:
    gold = question.get("sources") or [question["source"]]
    return any(h.chunk.source in gold for h in hits[:k])


@pytest.fixture(scope="module")
def recall_by_mode(example_project):
    project = Project.load(example_project)
    kb = KnowledgeBase(project)
    questions = [q for q in read_jsonl(example_project / "questions" / "test.jsonl") if q["answerable"]]
    recall = {}
    for mode in ("dense", "bm25", "hybrid"):
        retriever = Retriever(kb.store, kb.embedder, project.config.retrieval.model_copy(update={"mode": mode}))
        results = retriever.search_many([q["question"] for q in questions], k=5)
        recall[mode] = sum(gold_in_top(h, q) for h, q in zip(results, questions)) / len(questions)
    print("\nrecall@5 on the example's answerable test questions:", recall)
    return recall


def test_hybrid_finds_the_gold_document_in_the_top_5_for_90_percent(recall_by_mode):
    assert recall_by_mode["hybrid"] >= 0.90
    # each retriever on its own is useful, and fusing them is not worse than the better one
    assert min(recall_by_mode["dense"], recall_by_mode["bm25"]) >= 0.80
    assert recall_by_mode["hybrid"] >= max(recall_by_mode["dense"], recall_by_mode["bm25"]) - 0.01


def _hits(*pairs) -> list[Hit]:
    return [Hit(Chunk(id=i, source=i, title="", section="", text=i, position=0), s) for i, s in pairs]


def test_minmax_fusion_weights_normalized_scores():
    dense = _hits(("a", 0.9), ("b", 0.7), ("c", 0.5))  # -> a 1.0, b 0.5, c 0.0
    bm25 = _hits(("c", 12.0), ("d", 4.0))  # -> c 1.0, d 0.0
    fused = minmax_fuse(dense, bm25, dense_weight=0.5, k=4)
    assert [(h.chunk.id, round(h.score, 6)) for h in fused] == [("a", 0.5), ("c", 0.5), ("b", 0.25), ("d", 0.0)]
    assert [h.chunk.id for h in minmax_fuse(dense, bm25, dense_weight=0.8, k=2)] == ["a", "b"]


def test_rrf_sums_reciprocal_ranks():
    fused = rrf_fuse(_hits(("a", 9), ("b", 8)), _hits(("b", 3), ("c", 2)), rrf_k=60, k=3)
    scores = {h.chunk.id: h.score for h in fused}
    assert fused[0].chunk.id == "b"
    assert math.isclose(scores["b"], 1 / 62 + 1 / 61)
    assert math.isclose(scores["a"], 1 / 61) and math.isclose(scores["c"], 1 / 62)


def test_fusion_of_empty_lists_is_empty():
    assert minmax_fuse([], [], 0.5, 3) == [] and rrf_fuse([], [], 60, 3) == []


def test_ranking_metrics_match_hand_computed_values():
    ranked = ["x", "a", "x", "b", "c"]  # the repeated "x" (two chunks of one document) counts once
    relevant = {"a", "c"}
    assert recall_at_k(ranked, relevant, 2) == 0.5
    assert recall_at_k(ranked, relevant, 4) == 1.0
    assert mrr_at_k(ranked, relevant, 10) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert math.isclose(ndcg_at_k(ranked, relevant, 10), dcg / idcg)
    assert ndcg_at_k(ranked, {"a": 2.0}, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(ranked, set(), 10) == 0.0 and recall_at_k(ranked, set(), 5) == 0.0
