"""The caveats every recommendation ends with: too few questions, too little training data, stale models, and
the constraints the team did not state (so they were not weighed)."""

from __future__ import annotations

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import names
from ragtune.recommendation.results import Run

MIN_QUESTIONS = 30
MIN_TRAINING_QUESTIONS = 50
STATED = ("traceable", "closed_environment", "specialized", "budget_usd_month", "latency_p95_s")


def general_caveats(
    run: Run, c: ConstraintsConfig, remaining: list[str], training_questions: int | None, caveats: list[str]
) -> None:
    """Append the general caveats about ``run`` and the arms still in the running to ``caveats``
    (``training_questions``: the questions of the train split, synthetic ones included, paraphrases not)."""
    few = [
        f"{a} (n={iv.n})"
        for a in remaining
        if (iv := run.metric(a, "accuracy")) is not None and iv.n is not None and iv.n < MIN_QUESTIONS
    ]
    if few:
        caveats.append(
            f"few questions: accuracy rests on fewer than {MIN_QUESTIONS} for {names(few)}, so the "
            "intervals are wide; add held-out questions"
        )
    tuned = [a for a in run.arms if run.tuned(a)]
    if tuned and training_questions is not None and training_questions < MIN_TRAINING_QUESTIONS:
        caveats.append(
            f"fine-tuning had only {training_questions} training questions ({names(tuned)}; question set and "
            f"synthetic, paraphrases not counted); {MIN_TRAINING_QUESTIONS}+ with paraphrases give the tuned arms "
            "a fairer chance"
        )
    warnings = [w for w in run.results.warnings if "stale" in w.lower()]
    caveats.extend(warnings)
    for name, model in run.results.models.items():
        if model is not None and model.stale and not any(name in w for w in warnings):
            caveats.append(f"the {name} model is stale ({', '.join(model.stale)}): retrain it before trusting its "
                           "numbers")
    unknown = ["content_changes"] if c.content_changes == "unknown" else []
    unknown += [k for k in STATED if getattr(c, k) is None]
    if unknown:
        caveats.append(f"constraints not stated, so not weighed: {names(unknown)}")
