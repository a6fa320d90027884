"""The recommendation: which measured arm a team should deploy, and the evidence for it.

Explainable rules over a run's results (``ragtune.results.RunResults``, docs/results.md) and the team's
``ConstraintsConfig``:

1. hard constraints (closed environment, traceability, latency target, monthly budget) exclude arms (``rules``);
2. how often the content changes weighs freshness: arms that do not retrieve go stale between retrainings
   (``staleness``);
3. the remaining arms are ranked by accuracy, and the simplest arm that is not significantly worse than the
   leader (paired test) wins; a specialized use case prefers a fine-tuned arm on the same terms (``ranking``);
4. the winner's measured figures and the comparisons behind the choice become the reasons, with caveats
   (``evidence``, ``caveats``);
5. each measured task gets its own arm, the simplest not significantly worse than the task's best, and when the
   questions and the tasks favour different arms the combination that serves both is named (``workloads``).

Every reason cites a measured number (with its interval or p-value) or a stated constraint.
"""

from __future__ import annotations

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.caveats import general_caveats
from ragtune.recommendation.evidence import names
from ragtune.recommendation.ranking import choose
from ragtune.recommendation.results import Run
from ragtune.recommendation.rules import apply_hard_constraints
from ragtune.recommendation.staleness import apply_content_changes
from ragtune.recommendation.workloads import weigh_tasks
from ragtune.results import Recommendation, RunResults


def recommend(
    results: RunResults | dict, constraints: ConstraintsConfig, *, training_questions: int | None = None
) -> Recommendation:
    """Choose an arm from a run's results (the model, or a results.json mapping) under the team's constraints,
    citing the evidence."""
    run = Run(results)
    rec = Recommendation(choice=None, variant=None, reasons=[], excluded={}, ranking=[], caveats=[],
                         constraints=constraints.model_dump(), workloads={}, combination=None)
    excluded: dict[str, list[str]] = {}
    remaining = _decide(run, constraints, rec, excluded)
    weigh_tasks(run, constraints, rec)
    rec.excluded = {a: "; ".join(why) for a, why in excluded.items()}
    general_caveats(run, constraints, remaining, training_questions, rec.caveats)
    return rec


def _decide(run: Run, c: ConstraintsConfig, rec: Recommendation, excluded: dict[str, list[str]]) -> list[str]:
    """Apply the rules in order, filling ``rec``; returns the arms left in the running (empty: no choice)."""
    if not run.arms:
        rec.reasons.append("the results list no arms, so there is nothing to recommend")
        return []
    remaining = apply_hard_constraints(run, c, excluded, rec.reasons, rec.caveats)
    if not remaining:
        return []
    remaining = apply_content_changes(run, c, remaining, excluded, rec.reasons, rec.caveats)
    unscored = [a for a in remaining if run.mean(a, "accuracy") is None]  # cannot be ranked
    for arm in unscored:
        excluded.setdefault(arm, []).append("no accuracy measured")
    remaining = [a for a in remaining if a not in unscored]
    if not remaining:
        rec.reasons.append(
            "no remaining arm has a measured accuracy" + (f" ({names(unscored)} have none)" if unscored else "")
        )
        return []
    rec.ranking = choose(run, c, remaining, rec.reasons, rec.caveats)
    rec.choice = rec.ranking[0]
    rec.variant = run.variant(rec.choice)
    return remaining
