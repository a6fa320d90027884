"""Tolerant read access to a results.json mapping (docs/results.md) for the recommendation rules.

Anything missing or malformed reads as None, so a partial run still gets a (more cautious) recommendation.
"""

from __future__ import annotations

from typing import Any

from ragtune.evaluate.aggregate import GUARDS
from ragtune.evaluate.formatting import finite
from ragtune.variants import VARIANTS

SIMPLICITY = {name: v.simplicity for name, v in VARIANTS.items()}  # base 0, rag 1, ft 2, hybrid 3: simplest first
ALPHA = 0.05

LOWER_IS_BETTER = frozenset({"hallucination"})


class Run:
    """The arms of a run (name -> variant) and accessors for their measured figures."""

    def __init__(self, results: dict[str, Any] | None) -> None:
        self.raw: dict[str, Any] = results if isinstance(results, dict) else {}
        self.arms: dict[str, str] = {}
        for entry in self.raw.get("arms") or []:
            if isinstance(entry, dict) and entry.get("name"):
                self.arms[str(entry["name"])] = str(entry.get("variant") or entry["name"])
            elif isinstance(entry, str):
                self.arms[entry] = entry
        if not self.arms:  # older or partial files: the arms that have metrics
            for name in self.section("metrics"):
                self.arms[str(name)] = str(name)

    def section(self, *keys: str) -> dict[str, Any]:
        """The mapping at ``keys`` (e.g. "metrics", arm); empty when any step is missing."""
        node: Any = self.raw
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

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

    def metric(self, arm: str, name: str) -> dict[str, Any] | None:
        """The interval of an aggregate metric, or None when it has no numeric mean."""
        iv = self.section("metrics", arm).get(name)
        if not isinstance(iv, dict) or finite(iv.get("mean")) is None:
            return None
        return iv

    def mean(self, arm: str, name: str) -> float | None:
        iv = self.metric(arm, name)
        return None if iv is None else float(iv["mean"])

    def perf(self, arm: str, key: str) -> float | None:
        return finite(self.section("performance", arm).get(key))

    def cost(self, arm: str, key: str) -> Any:
        return self.section("cost", "arms", arm).get(key)

    def comparison(self, metric: str, a: str, b: str) -> dict[str, Any] | None:
        """The paired test of a against b on metric, oriented as a - b; None when absent or unreadable."""
        for entry in self.raw.get("comparisons") or []:
            if not isinstance(entry, dict) or entry.get("metric") != metric:
                continue
            pair = (entry.get("a"), entry.get("b"))
            if pair not in ((a, b), (b, a)):
                continue
            diff, low, high, p = (finite(entry.get(k)) for k in ("diff", "low", "high", "p"))
            if diff is None:
                continue
            if pair == (b, a):
                diff, low, high = -diff, (None if high is None else -high), (None if low is None else -low)
            significant = entry.get("significant")
            if not isinstance(significant, bool):
                if p is not None:
                    significant = p < ALPHA
                elif low is not None and high is not None:
                    significant = low > 0 or high < 0
                else:
                    continue
            return {"diff": diff, "low": low, "high": high, "p": p, "significant": significant, "n": entry.get("n")}
        return None

    def significantly_worse(self, arm: str, other: str, metric: str = "accuracy") -> bool:
        """Whether a paired test shows ``arm`` significantly worse than ``other`` (below it, or above it for a
        metric where lower is better)."""
        cmp = self.comparison(metric, arm, other)
        return bool(cmp and cmp["significant"] and (cmp["diff"] > 0 if metric in LOWER_IS_BETTER else cmp["diff"] < 0))

    def worse_on_guards(self, arm: str, other: str) -> list[str]:
        """The guard metrics (F1, hallucination, faithfulness) on which ``arm`` is significantly worse."""
        return [m for m in GUARDS if self.significantly_worse(arm, other, m)]

    def freshness(self, arm: str) -> dict[str, Any] | None:
        """The share of updated questions the arm answered with the new answer (an interval when measured)."""
        entry = self.section("freshness", "arms", arm)
        updated = entry.get("updated")
        if isinstance(updated, dict) and finite(updated.get("mean")) is not None:
            return updated
        after = entry.get("after")
        new = finite(after.get("new")) if isinstance(after, dict) else None
        return None if new is None else {"mean": new}
