"""Citations: the [n] markers an answer carries, and post-hoc attribution when a model writes none.

Small models often answer from the sources without writing [n]. Attribution then finds the source that
supports the answer: the one holding most of the answer's distinctive terms (words and numbers that are
not already in the question), numbers counting double since they carry most facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CITATION = re.compile(r"\[(\d{1,3})\]")
_TERM = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have",
    "how", "i", "in", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "what", "when", "where", "which", "who", "why", "will", "with", "within", "you", "your", "per", "not",
    "no", "yes",
])


def cited_numbers(text: str, n_sources: int) -> list[int]:
    """The source numbers an answer cites, in order of first mention, ignoring out-of-range ones."""
    seen: list[int] = []
    for match in _CITATION.finditer(text):
        n = int(match.group(1))
        if 1 <= n <= n_sources and n not in seen:
            seen.append(n)
    return seen


def _terms(text: str) -> set[str]:
    return {t for t in _TERM.findall(text.lower()) if t not in _STOP}


def attribute(answer: str, question: str, sources: Sequence[str], min_score: float = 1.0) -> list[int]:
    """Source numbers (1-based) that best support ``answer``; empty when none shares its distinctive terms."""
    distinctive = _terms(_CITATION.sub(" ", answer)) - _terms(question)
    if not distinctive or not sources:
        return []
    scores = []
    for text in sources:
        present = distinctive & _terms(text)
        scores.append(sum(2.0 if any(c.isdigit() for c in t) else 1.0 for t in present))
    best = max(scores)
    if best < min_score:
        return []
    return [n for n, s in enumerate(scores, start=1) if s == best]
