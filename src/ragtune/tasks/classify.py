"""Scoring a classification task: the answer mapped onto the closed label set, then accuracy, macro-F1,
per-class precision / recall / F1 and a confusion matrix. An answer that names no label counts as
``OUTSIDE`` (wrong for every class, and shown as its own confusion column)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ragtune.claims import normalize

OUTSIDE = "(outside the label set)"


def match_label(answer: str, labels: Sequence[str]) -> str | None:
    """The label an answer gives: the whole normalized answer equal to a label, else the label named earliest in
    it (the longest one when two start together); None when it names none."""
    norm = normalize(answer)
    forms = {label: normalize(label) for label in labels}
    for label, form in forms.items():
        if form and norm == form:
            return label
    found = []
    for label, form in forms.items():
        hit = re.search(rf"(?<!\S){re.escape(form)}(?!\S)", norm) if form else None
        if hit:
            found.append((hit.start(), -len(form), label))
    return min(found)[2] if found else None


@dataclass
class ClassScores:
    """One class's precision, recall, F1 and support (gold rows of that class)."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class ClassifyReport:
    """Accuracy and macro-F1 over the rows, each class's scores and the confusion matrix (gold -> predicted ->
    count, ``OUTSIDE`` for answers outside the label set)."""

    accuracy: float
    macro_f1: float
    outside: int
    classes: dict[str, ClassScores] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)


def report(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> ClassifyReport:
    """The classification metrics of ``predicted`` (None: outside the set) against ``gold``; macro-F1 averages
    the classes that occur in gold or in the predictions."""
    pairs = list(zip(gold, predicted, strict=True))
    confusion = {g: {} for g in labels}
    for g, p in pairs:
        row = confusion.setdefault(g, {})
        row[p or OUTSIDE] = row.get(p or OUTSIDE, 0) + 1
    classes = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in pairs)
        predicted_n = sum(p == label for _, p in pairs)
        support = sum(g == label for g, _ in pairs)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if support or predicted_n:
            classes[label] = ClassScores(round(precision, 4), round(recall, 4), round(f1, 4), support)
    accuracy = sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0
    macro = sum(c.f1 for c in classes.values()) / len(classes) if classes else 0.0
    return ClassifyReport(round(accuracy, 4), round(macro, 4), sum(p is None for _, p in pairs), classes,
                          {g: row for g, row in confusion.items() if row})
