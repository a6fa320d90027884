"""Answer metrics: normalized exact match, token F1, containment, faithfulness, citations, freshness outcome."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ragtune.claims import lexically_supported, normalize
from ragtune.evaluate.retrieval import mrr_at_k, ndcg_at_k, unique_in_order

AGGREGATES: dict[str, str] = {
    "correct": "accuracy",
    "exact_match": "exact_match",
    "f1": "f1",
    "contains": "contains",
    "abstained": "abstention",
    "hallucinated": "hallucination",
    "abstention_correct": "abstention_accuracy",
    "faithful": "faithfulness",
    "unsupported": "unsupported",
    "cited": "citation_rate",
    "citation_correct": "citation_accuracy",
    "recall": "recall",
    "mrr": "mrr",
    "ndcg": "ndcg",
    "judge": "judge",
}


def tokens(text: str) -> list[str]:
    """The normalized tokens of a text."""
    return normalize(text).split()


def _forms(golds: Sequence[str]) -> list[str]:
    """Normalized gold forms, without the ones that normalize to nothing."""
    return [g for g in (normalize(g) for g in golds) if g]


def _occurs(form: str, normalized: str) -> bool:
    """Whether a normalized form occurs in a normalized text on token boundaries."""
    return re.search(rf"(?<!\S){re.escape(form)}(?!\S)", normalized) is not None


def exact_match(answer: str, golds: Sequence[str]) -> float:
    """1.0 when the normalized answer equals a normalized gold form, else 0.0."""
    norm = normalize(answer)
    return float(any(norm == g for g in _forms(golds)))


def _f1(pred: list[str], gold: list[str]) -> float:
    """SQuAD token F1 of two token lists."""
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(answer: str, golds: Sequence[str]) -> float:
    """SQuAD-style token F1 against the best gold form (0.0 for an empty answer or no gold forms)."""
    pred = tokens(answer)
    return max((_f1(pred, g.split()) for g in _forms(golds)), default=0.0)


def found_in(text: str, forms: Sequence[str]) -> bool:
    """The one answer matcher: whether a non-empty normalized form occurs in the normalized text on token
    boundaries. The metrics' "contains", RAFT's choice of the chunk that holds the answer and the synthetic QA
    builder's check that an answer was copied from its chunk all use it."""
    norm = normalize(text)
    return any(_occurs(g, norm) for g in _forms(forms))


def contains(answer: str, golds: Sequence[str]) -> float:
    """1.0 when a non-empty normalized gold form occurs in the normalized answer on token boundaries."""
    return float(found_in(answer, golds))


def supported(answer: str, context: str, threshold: float = 0.5) -> bool:
    """Lexical faithfulness: all answer numbers and >= threshold of its distinct content tokens are in the context
    (``ragtune.claims``, which the answer-time grounding check reads claims with too)."""
    return lexically_supported(answer, context, threshold)


def score_answer(
    *,
    answer: str,
    abstained: bool,
    golds: Sequence[str],
    answerable: bool,
    retrieving: bool,
    sources: Sequence[str],
    source_docs: Sequence[str],
    cited: Sequence[int],
    gold_docs: Sequence[str],
    gold_text: str | None,
    k: int,
    judge: float | None = None,
    unsupported: bool | None = None,
) -> dict[str, float | None]:
    """The per-question metrics of one answer (None where a metric does not apply; see docs/results.md).

    ``unsupported``: whether the answer-time grounding check flagged the model's answer (None: not checked).
    """
    answered = not abstained
    if answerable:
        contained = contains(answer, golds)
        correct = float(contained == 1.0 and answered)
        em, f1 = exact_match(answer, golds), token_f1(answer, golds)
    else:
        contained = em = f1 = None
        correct = float(abstained)

    if abstained:
        faithful = None
    elif retrieving:
        faithful = float(supported(answer, "\n".join(sources)))
    else:
        faithful = None if gold_text is None else float(supported(answer, gold_text))

    # only citations of existing sources (1..len(sources)) count
    valid = [n for n in cited if 1 <= n <= len(sources)]
    cited_any = float(bool(valid)) if retrieving and answered else None
    citation_correct = None
    if retrieving and answered and answerable and valid:
        citation_correct = float(any(contains(sources[n - 1], golds) for n in valid))

    recall = mrr = ndcg = None
    if retrieving and answerable and gold_docs:
        relevant = set(gold_docs)
        # recall is the hit rate (any gold document in the top k), not recall_at_k's share of gold documents
        recall = float(any(d in relevant for d in unique_in_order(source_docs)[:k]))
        mrr, ndcg = mrr_at_k(source_docs, relevant, k), ndcg_at_k(source_docs, relevant, k)

    return {
        "correct": correct,
        "exact_match": em,
        "f1": f1,
        "contains": contained,
        "abstained": float(abstained),
        "hallucinated": float(answered and correct == 0.0),
        "abstention_correct": None if answerable else float(abstained),
        "faithful": faithful,
        "unsupported": None if unsupported is None else float(unsupported),
        "cited": cited_any,
        "citation_correct": citation_correct,
        "recall": recall,
        "mrr": mrr,
        "ndcg": ndcg,
        "judge": None if judge is None else float(judge),
    }


def freshness_outcome(*, answer: str, abstained: bool, old: Sequence[str], new: Sequence[str]) -> str:
    """Classify an answer after a fact changed: "new", "old", "idk" or "other".

    Empty forms are ignored (an added fact has no old form, a removed fact no new form). An old form counts
    only outside the new forms' occurrences (so old "monday" inside new "monday and tuesday" is no old hit);
    an answer with both a new and an old form is ambiguous and counts as "other".
    """
    norm, new_forms = normalize(answer), _forms(new)
    has_new = any(_occurs(f, norm) for f in new_forms)
    rest = norm
    for f in sorted(new_forms, key=len, reverse=True):
        rest = re.sub(rf"(?<!\S){re.escape(f)}(?!\S)", " | ", rest)
    has_old = any(_occurs(f, rest) for f in _forms(old))
    if has_new and has_old:
        return "other"
    if has_new:
        return "new"
    if has_old:
        return "old"
    return "idk" if abstained else "other"
