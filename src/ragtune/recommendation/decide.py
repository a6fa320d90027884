"""The recommendation: which measured arm a team should deploy, and the evidence for it.

Explainable rules over a results.json mapping (docs/results.md) and the team's ``ConstraintsConfig``:

1. hard constraints (closed environment, traceability, latency target, monthly budget) exclude arms (``rules``);
2. how often the content changes weighs freshness: arms that do not retrieve go stale between retrainings
   (``staleness``);
3. the remaining arms are ranked by accuracy, and the simplest arm that is not significantly worse than the
   leader (paired test) wins; a specialized use case prefers a fine-tuned arm on the same terms (``ranking``);
4. the winner's measured figures and the comparisons behind the choice become the reasons, with caveats
   (``evidence``, ``caveats``).

Every reason cites a measured number (with its interval or p-value) or a stated constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.caveats import general_caveats
from ragtune.recommendation.evidence import names
from ragtune.recommendation.ranking import choose
from ragtune.recommendation.results import Run
from ragtune.recommendation.rules import apply_hard_constraints
from ragtune.recommendation.staleness import apply_content_changes


@dataclass
class Recommendation:
    """The chosen arm (None when nothing qualifies) with its reasons, exclusions, ranking and caveats."""

    choice: str | None
    variant: str | None = None
    reasons: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    ranking: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    constraints: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready "recommendation" object of results.json."""
        return {
            "choice": self.choice,
            "variant": self.variant,
            "reasons": list(self.reasons),
            "excluded": dict(self.excluded),
            "ranking": list(self.ranking),
            "caveats": list(self.caveats),
            "constraints": dict(self.constraints),
        }

    def lines(self) -> list[str]:
        """A human summary for the terminal."""
        if self.choice is None:
            head = "Recommendation: none (no arm qualifies)"
        elif self.variant and self.variant != self.choice:
            head = f"Recommendation: {self.choice} (variant {self.variant})"
        else:
            head = f"Recommendation: {self.choice}"
        out = [head, *(f"  - {reason}" for reason in self.reasons)]
        if self.ranking:
            out.append("Ranking: " + " > ".join(self.ranking))
        if self.excluded:
            out.append("Excluded:")
            out += [f"  - {arm}: {why}" for arm, why in self.excluded.items()]
        if self.caveats:
            out.append("Caveats:")
            out += [f"  - {caveat}" for caveat in self.caveats]
        return out


def recommend(
    results: dict[str, Any], constraints: ConstraintsConfig, *, training_questions: int | None = None
) -> Recommendation:
    """Choose an arm from a results.json mapping under the team's constraints, citing the evidence."""
    run = Run(results)
    rec = Recommendation(choice=None, constraints=constraints.model_dump())
    excluded: dict[str, list[str]] = {}
    remaining = _decide(run, constraints, rec, excluded)
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
