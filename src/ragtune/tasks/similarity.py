"""Reference similarity of a generated text: chrF (character n-gram F-score, as sacrebleu computes it: n = 1..6,
beta = 2, whitespace removed) and ROUGE-L (F-measure of the longest common token subsequence)."""

from __future__ import annotations

import re
from collections import Counter


def _ngrams(text: str, n: int) -> Counter[str]:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def chrf(hypothesis: str, reference: str, order: int = 6, beta: float = 2.0) -> float:
    """chrF in [0, 1]: the F-beta of character n-gram precision and recall, averaged over n = 1..order (orders
    that neither text is long enough for are skipped)."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for n in range(1, order + 1):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        if not h and not r:
            continue
        same = sum((h & r).values())
        precisions.append(same / sum(h.values()) if h else 0.0)
        recalls.append(same / sum(r.values()) if r else 0.0)
    if not precisions:
        return 1.0 if hyp == ref else 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    return (1 + beta**2) * p * r / (beta**2 * p + r)


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 over lowercased word tokens (0.0 when either is empty)."""
    hyp, ref = re.findall(r"\w+", hypothesis.lower()), re.findall(r"\w+", reference.lower())
    if not hyp or not ref:
        return 0.0
    previous = [0] * (len(ref) + 1)
    for h in hyp:
        current = [0]
        for j, r in enumerate(ref, start=1):
            current.append(previous[j - 1] + 1 if h == r else max(previous[j], current[j - 1]))
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(hyp), common / len(ref)
    return 2 * precision * recall / (precision + recall)


SIMILARITY = {"chrf": chrf, "rouge_l": rouge_l}
