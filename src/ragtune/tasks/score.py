"""Per-row scores of a task output, by kind (the row's numbers for paired tests), and the kind's summary over
rows (macro-F1 and the confusion matrix, per-field scores, per-rule pass rates).

Per-row metrics (1.0 / 0.0 flags, or a fraction):
- classify: ``correct``, ``outside`` (the answer names no label);
- extract: ``parsed`` (the answer holds JSON), ``schema_valid``, ``fields_exact`` and ``fields_f1`` (means over
  the expected fields), ``all_exact`` (every field right);
- generate: ``strict`` and ``loose`` (every rule holds), ``rules_passed`` (share of rules held strictly),
  ``similarity`` (to the expected text; None without one);
- choice: ``correct`` (the most likely option, or the written answer, is right) and ``correct_norm`` (by
  log-likelihood per byte; the same as ``correct`` for a written answer).
"""

from __future__ import annotations

from typing import Any

from ragtune.tasks import classify, extract
from ragtune.tasks.load import Task
from ragtune.tasks.rows import TaskRow
from ragtune.tasks.rules import check
from ragtune.tasks.similarity import SIMILARITY

PRIMARY = {"classify": "correct", "extract": "schema_valid", "generate": "strict", "choice": "correct"}
COMPARED = {"classify": ("correct",), "extract": ("schema_valid", "fields_exact"), "generate": ("strict",
            "similarity"), "choice": ("correct", "correct_norm")}


def score_output(task: Task, row: TaskRow, output: str, validator: Any = None) -> tuple[dict[str, float | None],
                                                                                     dict[str, Any]]:
    """The row's metrics for a written output, and what the summary needs (the predicted label, the field
    scores, the rule results)."""
    kind = task.kind
    if kind == "classify":
        label = classify.match_label(output, task.config.labels)
        return {"correct": float(label == row.expected), "outside": float(label is None)}, {"predicted": label}
    if kind == "extract":
        value = extract.parse_json(output)
        fields = extract.field_scores(value, row.expected)
        exact = [e for e, _ in fields.values()]
        return {"parsed": float(value is not None),
                "schema_valid": float(validator is not None and extract.schema_valid(value, validator)),
                "fields_exact": sum(exact) / len(exact) if exact else None,
                "fields_f1": sum(f for _, f in fields.values()) / len(fields) if fields else None,
                "all_exact": float(all(e == 1.0 for e in exact)) if exact else None}, {"fields": fields}
    if kind == "generate":
        result = check(output, task.config.rules.merged(row.rules))
        rules = result["rules"]
        similarity = SIMILARITY[task.config.similarity](output, row.expected) if row.expected else None
        return {"strict": float(result["strict"]), "loose": float(result["loose"]),
                "rules_passed": sum(s for s, _ in rules.values()) / len(rules) if rules else None,
                "similarity": None if similarity is None else round(similarity, 4)}, {"rules": rules}
    from ragtune.tasks.choice import parse_answer

    picked = parse_answer(output, row.choices or [])
    right = float(picked == row.answer)
    return {"correct": right, "correct_norm": right}, {"predicted": picked}


def score_choice(row: TaskRow, raw: int, norm: int) -> tuple[dict[str, float | None], dict[str, Any]]:
    """The row's metrics when a local model picked options by log-likelihood (raw and per byte)."""
    return {"correct": float(raw == row.answer), "correct_norm": float(norm == row.answer)}, {"predicted": raw}
