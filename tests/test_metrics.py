"""Answer metrics and statistics: hand-computed normalization, F1, abstention, faithfulness, citations, retrieval,
freshness outcomes, bootstrap intervals and paired tests."""

from __future__ import annotations

import math

import pytest

from ragtune.evaluate.metrics import (
    AGGREGATES,
    contains,
    exact_match,
    freshness_outcome,
    normalize,
    score_answer,
    supported,
    token_f1,
    tokens,
)
from ragtune.evaluate.stats import interval, paired

X200 = "products/x200-data-logger.md"
OTHER = "products/other.md"
WARRANTY = "The X200 data logger comes with a warranty of 38 months from the date of purchase."
SHIPPING = "Orders ship within 3 business days from our warehouse in Zürich."


def score(**overrides):
    """score_answer for an answerable rag question whose gold document is retrieved at rank 2."""
    args = {
        "answer": "The warranty is 38 months [2].",
        "abstained": False,
        "golds": ["38 months", "3 years and 2 months"],
        "answerable": True,
        "retrieving": True,
        "sources": [SHIPPING, WARRANTY],
        "source_docs": [OTHER, X200],
        "cited": [2],
        "gold_docs": [X200],
        "gold_text": WARRANTY,
        "k": 4,
    }
    return score_answer(**(args | overrides))


# normalization


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The warranty is 38 months [1].", "warranty is 38 months"),
        ("An apple, a pear; the end!", "apple pear end"),
        ("see [2, 3] and [4]", "see and"),
        ("Zürich", "zürich"),
        ("ﬁnal", "final"),  # the fi ligature, split by NFKC
        ("３８ months", "38 months"),  # full-width digits
        ("1,290 EUR", "1290 eur"),
        ("3.5 °C, 20% or €12", "3.5 °c 20% or €12"),
        ("then, 4 — done.", "then 4 done"),
        ("there are 3, 4 items", "there are 3 4 items"),  # a comma followed by a space is punctuation
        ("Theory of a thesis", "theory of thesis"),  # articles only as whole words
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_unicode_forms_compare_equal():
    assert normalize("３８ Months") == normalize("38 months")
    assert normalize("1,290 EUR") == normalize("1290 eur")
    assert tokens("The ﬁle is in Zürich.") == ["file", "is", "in", "zürich"]


# exact match, F1, containment


def test_exact_match_ignores_case_punctuation_articles_and_markers():
    assert exact_match("38 Months. [1]", ["38 months"]) == 1.0
    assert exact_match("The 3 years and 2 months", ["38 months", "3 years and 2 months"]) == 1.0
    assert exact_match("The warranty is 38 months", ["38 months"]) == 0.0
    assert exact_match("38 months", []) == 0.0


def test_token_f1_worked_numbers():
    # "the" is dropped: 4 answer tokens, 2 of them gold -> precision 1/2, recall 1, F1 = 2/3
    assert token_f1("the warranty is 38 months", ["38 months"]) == pytest.approx(2 / 3)
    # the best gold form counts: vs "3 years and 2 months" (5 tokens) only "months" overlaps
    assert token_f1("the warranty is 38 months", ["3 years and 2 months", "38 months"]) == pytest.approx(2 / 3)
    # partial overlap: answer "48 months" vs gold "38 months" -> precision 1/2, recall 1/2
    assert token_f1("48 months", ["38 months"]) == pytest.approx(0.5)
    assert token_f1("1,290 EUR", ["1290 eur"]) == 1.0


def test_empty_answer_scores_zero():
    assert token_f1("", ["38 months"]) == 0.0
    assert exact_match("", ["38 months"]) == 0.0
    assert contains("", ["38 months"]) == 0.0
    assert exact_match("", [""]) == 0.0  # an empty gold form is ignored, not matched


def test_contains_respects_token_boundaries():
    assert contains("The warranty is 38 months [1].", ["38 months"]) == 1.0
    assert contains("38 months", ["8 months"]) == 0.0
    assert contains("38 months", ["38 month"]) == 0.0
    assert contains("It lasts 3 Years and 2 months.", ["38 months", "3 years and 2 months"]) == 1.0
    assert contains("anything", ["", "  "]) == 0.0


# faithfulness


def test_supported_rejects_a_hallucinated_number():
    assert supported("The warranty is 38 months.", WARRANTY)
    assert not supported("The warranty is 48 months.", WARRANTY)
    assert not supported("The warranty is 38.5 months.", WARRANTY)  # a decimal is one number


def test_supported_needs_the_share_of_content_words():
    # content tokens {x200, warranty, covers, water, damage}: 2 of 5 in the context
    answer = "The X200 warranty covers water damage."
    assert not supported(answer, WARRANTY)
    assert supported(answer, WARRANTY, threshold=0.4)
    assert supported("", WARRANTY)  # claims nothing
    assert supported("It is.", WARRANTY)  # stopwords only


# score_answer


def test_score_answer_for_a_correct_cited_rag_answer():
    m = score()
    assert list(m) == list(AGGREGATES)
    assert m["correct"] == 1.0
    assert m["exact_match"] == 0.0
    assert m["f1"] == pytest.approx(2 / 3)  # "warranty is 38 months" vs "38 months"
    assert m["contains"] == 1.0
    assert m["abstained"] == 0.0
    assert m["hallucinated"] == 0.0
    assert m["abstention_correct"] is None
    assert m["faithful"] == 1.0
    assert m["cited"] == 1.0
    assert m["citation_correct"] == 1.0
    # the gold document at rank 2
    assert m["recall"] == 1.0
    assert m["mrr"] == 0.5
    assert m["ndcg"] == pytest.approx(1 / math.log2(3))
    assert m["judge"] is None
    assert score(judge=1)["judge"] == 1.0


def test_citation_correct_depends_on_the_cited_source():
    assert score(cited=[1])["citation_correct"] == 0.0
    assert score(cited=[1, 2])["citation_correct"] == 1.0
    assert score(cited=[])["cited"] == 0.0
    assert score(cited=[])["citation_correct"] is None
    assert score(cited=[7])["cited"] == 0.0  # there is no source 7


def test_retrieval_metrics_count_documents_not_chunks():
    m = score(sources=[SHIPPING, SHIPPING, WARRANTY], source_docs=[OTHER, OTHER, X200], k=2)
    assert (m["recall"], m["mrr"]) == (1.0, 0.5)
    missed = score(source_docs=[OTHER, X200], k=1)
    assert (missed["recall"], missed["mrr"], missed["ndcg"]) == (0.0, 0.0, 0.0)


def test_wrong_answer_is_hallucinated_and_unfaithful():
    m = score(answer="The warranty is 48 months [2].")
    assert (m["correct"], m["contains"], m["hallucinated"]) == (0.0, 0.0, 1.0)
    assert m["faithful"] == 0.0
    assert m["citation_correct"] == 1.0  # the cited source does hold the gold answer


def test_abstention_on_answerable_and_unanswerable_questions():
    idk = {"answer": "I don't know.", "abstained": True, "cited": []}
    answerable = score(**idk)
    assert (answerable["correct"], answerable["hallucinated"], answerable["abstained"]) == (0.0, 0.0, 1.0)
    assert answerable["abstention_correct"] is None
    assert answerable["f1"] == 0.0
    assert answerable["faithful"] is None and answerable["cited"] is None
    assert answerable["citation_correct"] is None

    unanswerable = {"golds": [], "answerable": False, "gold_docs": [], "gold_text": None}
    m = score(**unanswerable, **idk)
    assert (m["correct"], m["hallucinated"], m["abstention_correct"]) == (1.0, 0.0, 1.0)
    m = score(**unanswerable)
    assert (m["correct"], m["hallucinated"], m["abstention_correct"]) == (0.0, 1.0, 0.0)
    # no gold answer, no gold document: answer and retrieval metrics do not apply
    assert all(m[key] is None for key in ("exact_match", "f1", "contains", "citation_correct", "recall", "mrr", "ndcg"))
    assert m["cited"] == 1.0 and m["faithful"] is not None


def test_non_retrieving_variant_has_no_retrieval_or_citation_metrics():
    base = {"retrieving": False, "sources": [], "source_docs": [], "cited": []}
    m = score(**base)
    assert all(m[key] is None for key in ("cited", "citation_correct", "recall", "mrr", "ndcg"))
    assert m["correct"] == 1.0
    assert m["faithful"] == 1.0  # judged against the gold document's text
    assert score(**base, answer="The warranty is 48 months.")["faithful"] == 0.0
    assert score(**base, gold_text=None)["faithful"] is None


def test_every_per_question_metric_has_an_aggregate_name():
    # score_answer's keys are exactly the keys aggregation knows (a metric that does not apply is None, not left out)
    assert set(score()) == set(AGGREGATES)
    # and no two per-question metrics are aggregated under the same name
    assert len(set(AGGREGATES.values())) == len(AGGREGATES)


def test_every_aggregate_has_a_column_in_the_report():
    from ragtune.evaluate.report.tables import QUALITY

    assert set(AGGREGATES.values()) == set(QUALITY)


# freshness


@pytest.mark.parametrize(
    ("answer", "abstained", "old", "new", "expected"),
    [
        ("The warranty is now 48 months [1].", False, ["38 months"], ["48 months"], "new"),
        ("The warranty is 38 months.", False, ["38 months"], ["48 months"], "old"),
        ("I don't know.", True, ["38 months"], ["48 months"], "idk"),
        ("The warranty is 12 months.", False, ["38 months"], ["48 months"], "other"),
        ("It was 38 months, now 48 months.", False, ["38 months"], ["48 months"], "other"),  # ambiguous
        ("We ship on Monday and Tuesday.", False, ["Monday"], ["Monday and Tuesday"], "new"),  # old inside new
        ("We ship on Monday.", False, ["Monday"], ["Monday and Tuesday"], "old"),
        ("The X300 costs 1,290 EUR.", False, [""], ["1290 eur"], "new"),  # an added fact
        ("The X300 costs 1,290 EUR.", False, ["1290 EUR"], [""], "old"),  # a removed fact
        ("I don't know.", True, ["1290 EUR"], [""], "idk"),
        ("No such product.", False, [""], ["1290 eur"], "other"),
    ],
)
def test_freshness_outcome(answer, abstained, old, new, expected):
    assert freshness_outcome(answer=answer, abstained=abstained, old=old, new=new) == expected


# statistics


def test_interval_of_a_small_sample():
    result = interval([1, 0, 1, 1])
    assert result["mean"] == 0.75 and result["n"] == 4
    assert result["low"] <= 0.75 <= result["high"]
    assert result["low"] < result["high"]
    assert result["low"] >= 0.0 and result["high"] <= 1.0


def test_interval_is_seeded_and_drops_none():
    values = [1, 0, None, 1, 0, 0, 1, 1, None, 0, 1]
    assert interval(values, seed=3) == interval(values, seed=3)
    assert interval(values, seed=3) == interval([v for v in values if v is not None], seed=3)
    assert interval(values, seed=3)["n"] == 9
    assert interval(values, seed=3)["mean"] == round(5 / 9, 4)
    wider = interval(values, confidence=0.99)
    narrower = interval(values, confidence=0.8)
    assert wider["low"] <= narrower["low"] and narrower["high"] <= wider["high"]


def test_interval_of_empty_and_single_inputs():
    assert interval([]) == {"mean": None, "low": None, "high": None, "n": 0}
    assert interval([None, None]) == {"mean": None, "low": None, "high": None, "n": 0}
    assert interval([0.5]) == {"mean": 0.5, "low": 0.5, "high": 0.5, "n": 1}


def test_paired_identical_arms():
    values = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
    result = paired(values, values)
    assert result == {"diff": 0.0, "low": 0.0, "high": 0.0, "p": 1.0, "significant": False, "n": 10}


def test_paired_clearly_better_arm_is_significant():
    # 40 questions: a is right on 0-29, b on 25-34 -> 25 wins, 5 losses, 10 ties
    a = [1.0 if i < 30 else 0.0 for i in range(40)]
    b = [1.0 if 25 <= i < 35 else 0.0 for i in range(40)]
    result = paired(a, b)
    assert result["diff"] == 0.5 and result["n"] == 40
    assert result["p"] < 0.01 and result["significant"] is True
    assert 0 < result["low"] < 0.5 < result["high"]
    reverse = paired(b, a)
    assert reverse["diff"] == -0.5 and reverse["significant"] is True
    assert paired(a, b, seed=7) == paired(a, b, seed=7)


def test_paired_tiny_difference_is_not_significant():
    a = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    b = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    result = paired(a, b)
    assert result["diff"] == 0.1
    assert result["p"] > 0.5 and result["significant"] is False
    assert result["low"] <= 0.0 <= result["high"]


def test_paired_uses_positions_both_arms_have():
    result = paired([1, None, 0, 1], [0, 1, None, 0])
    assert result["n"] == 2 and result["diff"] == 1.0
    assert paired([None], [1]) == {"diff": None, "low": None, "high": None, "p": None, "significant": False, "n": 0}
    with pytest.raises(ValueError):
        paired([1, 0], [1])
