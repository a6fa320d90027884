"""The recommendation's view of a run (``ragtune.results.RunResults``): its arms with their variants, and the
measured figures the rules weigh, with missing ones as None so a partial run still gets a (more cautious)
recommendation."""

from __future__ import annotations

from typing import Any

from ragtune.results import Comparison, Interval, RunResults, parse_results
from ragtune.results.models import GUARDS
from ragtune.variants import VARIANTS

SIMPLICITY = {name: v.simplicity for name, v in VARIANTS.items()}  # base 0, rag 1, ft 2, hybrid 3: simplest first
ALPHA = 0.05

LOWER_IS_BETTER = frozenset({"hallucination"})


def oriented(entries: list[Comparison], metric: str, a: str, b: str) -> Comparison | None:
    """The paired test of a against b on ``metric`` among ``entries``, oriented as a - b (its significance from p
    or the interval when the file does not say); None when absent or unreadable."""
    for entry in entries:
        pair = (entry.a, entry.b)
        if entry.metric != metric or pair not in ((a, b), (b, a)) or entry.diff is None:
            continue
        diff, low, high, p = entry.diff, entry.low, entry.high, entry.p
        if pair == (b, a):
            diff, low, high = -diff, (None if high is None else -high), (None if low is None else -low)
        significant = entry.significant
        if significant is None:
            if p is not None:
                significant = p < ALPHA
            elif low is not None and high is not None:
                significant = low > 0 or high < 0
            else:
                continue
        return Comparison(metric=metric, a=a, b=b, diff=diff, low=low, high=high, p=p, significant=significant,
                          n=entry.n)
    return None


class Run:
    """The arms of a run (name -> variant) and accessors for their measured figures."""

    def __init__(self, results: RunResults | dict[str, Any] | None) -> None:
        self.results = parse_results(results)
        listed = [a.name for a in self.results.arms] or list(self.results.metrics)  # older files: arms with metrics
        self.arms: dict[str, str] = {name: self.results.variant_of(name) for name in listed}

    def variant(self, arm: str) -> str:
        return self.arms.get(arm, arm)

    def simplicity(self, arm: str) -> int:
        """0 for base up to 3 for hybrid (unknown variants last): the order in which simpler arms are preferred."""
        return SIMPLICITY.get(self.variant(arm), max(SIMPLICITY.values()) + 1)

    def retrieves(self, arm: str) -> bool:
        spec = VARIANTS.get(self.variant(arm))
        return spec is not None and spec.retrieves

    def tuned(self, arm: str) -> bool:
        spec = VARIANTS.get(self.variant(arm))
        return spec is not None and spec.trained

    def metric(self, arm: str, name: str) -> Interval | None:
        """The interval of an aggregate metric, or None when it has no mean."""
        iv = self.results.metric(arm, name)
        return iv if iv.mean is not None else None

    def mean(self, arm: str, name: str) -> float | None:
        iv = self.metric(arm, name)
        return None if iv is None else float(iv.mean)  # type: ignore[arg-type]

    def perf(self, arm: str, key: str) -> float | None:
        return getattr(self.results.perf(arm), key, None)

    def cost(self, arm: str, key: str) -> Any:
        return getattr(self.results.arm_cost(arm), key, None)

    def comparison(self, metric: str, a: str, b: str) -> Comparison | None:
        """The paired test of a against b on metric, oriented as a - b; None when absent or unreadable."""
        return oriented(self.results.comparisons, metric, a, b)

    def significantly_worse(self, arm: str, other: str, metric: str = "accuracy") -> bool:
        """Whether a paired test shows ``arm`` significantly worse than ``other`` (below it, or above it for a
        metric where lower is better)."""
        cmp = self.comparison(metric, arm, other)
        return bool(cmp and cmp.significant and (cmp.diff > 0 if metric in LOWER_IS_BETTER else cmp.diff < 0))

    def worse_on_guards(self, arm: str, other: str) -> list[str]:
        """The guard metrics (F1, hallucination, faithfulness) on which ``arm`` is significantly worse."""
        return [m for m in GUARDS if self.significantly_worse(arm, other, m)]

    def freshness(self, arm: str) -> Interval | None:
        """The share of updated questions the arm answered with the new answer (an interval when measured)."""
        entry = self.results.freshness.arms.get(arm) if self.results.freshness else None
        if entry is None:
            return None
        if entry.updated is not None and entry.updated.mean is not None:
            return entry.updated
        new = entry.after.get("new")
        return None if new is None else Interval(mean=new)
