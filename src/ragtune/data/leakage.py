"""Leakage guard: keep test questions, and near-identical copies of them, out of training data.

Test questions that reword a training fact are legitimate (the knowledge-injection setup: learn a fact from one
phrasing, be tested on another), so only near-identical text is flagged. Similarity is the larger of two Jaccard
indexes over the normalized text: of character 4-gram shingles (robust to small spelling edits) and of words
(a changed long word costs a 10-word question up to a third of its shingles, but only one word in eleven).
Text whose numbers and codes (tokens with a digit: "2024", "x200") differ from a test question's is never its
copy: "revenue in the year ending 31 March 2024" asks about another fact than "... 2023".

Calibration on the bundled example (examples/aldermoor/questions; 116 train and 161 test questions, 106 of the
test questions reword a train question's fact), best similarity of each train question to any test question:

- this measure: max 0.583, 99th percentile 0.543, median 0.250 (character shingles alone: max 0.517, p99 0.472);
- without the numbers rule the max is 0.971: train q097 and test q255 differ only in the year, on purpose (q255
  is unanswerable), and q072/q274 (2023 vs 2021) score 0.778;
- the 928 template paraphrases of the train questions (k=8): max 0.538, so none is removed at 0.65.

Trivial edits of the test questions score above 0.65: case and punctuation 1.0; in the 9-11 word ones, one word
changed min 0.727 (2,615 edits; p1 0.769), one word added min 0.90, one word dropped min 0.80. Hence the default
threshold 0.65, between 0.583 and 0.727. Filtering the 928 paraphrases takes about 0.15 s.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ragtune.data.questions import QAPair

DEFAULT_THRESHOLD = 0.65
SHINGLE = 4
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, casefolded, punctuation replaced by spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def shingles(norm: str, size: int = SHINGLE) -> frozenset[str]:
    """Character ``size``-grams of normalized text (the whole text when it is shorter)."""
    if len(norm) <= size:
        return frozenset([norm]) if norm else frozenset()
    return frozenset(norm[i : i + size] for i in range(len(norm) - size + 1))


def numbers(norm: str) -> frozenset[str]:
    """The tokens of normalized text that carry a digit: numbers, years, model codes."""
    return frozenset(t for t in norm.split() if any(ch.isdigit() for ch in t))


class _Index:
    """An inverted index of feature sets: feature -> ids of the sets holding it."""

    def __init__(self) -> None:
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.sizes: list[int] = []

    def add(self, features: frozenset[str]) -> None:
        tid = len(self.sizes)
        self.sizes.append(len(features))
        for feature in features:
            self.postings[feature].append(tid)

    def jaccard(self, features: frozenset[str]) -> dict[int, float]:
        """Jaccard similarity to every indexed set sharing a feature with ``features``."""
        shared: Counter[int] = Counter()
        for feature in features:
            shared.update(self.postings.get(feature, ()))
        return {tid: n / (len(features) + self.sizes[tid] - n) for tid, n in shared.items()}


class LeakageGuard:
    """Finds training text that is a test question or a near-identical copy of one (see the module docstring)."""

    def __init__(
        self, test_questions: list[str], threshold: float = DEFAULT_THRESHOLD, same_numbers: bool = True
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.same_numbers = same_numbers
        self.questions: list[str] = []
        self._exact: dict[str, int] = {}
        self._numbers: list[frozenset[str]] = []
        self._chars = _Index()
        self._words = _Index()
        for question in test_questions:
            norm = normalize(question)
            if not norm or norm in self._exact:
                continue
            self._exact[norm] = len(self.questions)
            self.questions.append(question)
            self._numbers.append(numbers(norm))
            self._chars.add(shingles(norm))
            self._words.add(frozenset(norm.split()))

    def similarity(self, text: str) -> tuple[str, float] | None:
        """The most similar test question and its similarity (None when none shares anything with ``text``)."""
        norm = normalize(text)
        if norm in self._exact:
            return self.questions[self._exact[norm]], 1.0
        scores = self._chars.jaccard(shingles(norm))
        for tid, score in self._words.jaccard(frozenset(norm.split())).items():
            scores[tid] = max(score, scores.get(tid, 0.0))
        if self.same_numbers:
            mine = numbers(norm)
            scores = {tid: s for tid, s in scores.items() if self._numbers[tid] == mine}
        if not scores:
            return None
        best = max(scores, key=lambda tid: (scores[tid], -tid))
        return self.questions[best], scores[best]

    def match(self, text: str) -> tuple[str, float] | None:
        """The matching test question and similarity when ``text`` is one or near-identical to one, else None."""
        found = self.similarity(text)
        if found is None or found[1] < self.threshold:
            return None
        return found

    def filter(self, pairs: list[QAPair]) -> tuple[list[QAPair], list[dict]]:
        """Split ``pairs`` into those kept and removal records {id, question, test_question, similarity}."""
        kept: list[QAPair] = []
        removed: list[dict] = []
        for pair in pairs:
            found = self.match(pair.question)
            if found is None:
                kept.append(pair)
                continue
            test_question, score = found
            removed.append(
                {
                    "id": pair.id,
                    "question": pair.question,
                    "test_question": test_question,
                    "similarity": round(score, 4),
                }
            )
        return kept, removed
