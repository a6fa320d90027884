"""The evidence a recommendation cites, as text: numbers with intervals and p-values, costs and the winner's figures.

Every reason cites a measured number (with its interval or p-value) or a stated constraint.
"""

from __future__ import annotations

import math

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.results import Run
from ragtune.results import Comparison, Interval

UPDATES_PER_MONTH = {
    "never": 0.0,
    "yearly": 1 / 12,
    "quarterly": 1 / 3,
    "monthly": 1.0,
    "weekly": 52 / 12,
    "daily": 30.0,
}


def fmt_interval(iv: Interval) -> str:
    """``0.41 [0.29, 0.53] (n=60)``: a mean with its interval and count when known."""
    if iv.mean is None:
        return "not measured"
    text = f"{iv.mean:.2f}"
    low, high = iv.low, iv.high
    if low is not None and high is not None:
        text += f" [{low:.2f}, {high:.2f}]"
    if iv.n:
        text += f" (n={iv.n})"
    return text


def fmt_p(p: float | None) -> str:
    if p is None:
        return "p not reported"
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def fmt_diff(cmp: Comparison | None) -> str:
    """``diff +0.22 [+0.08, +0.35], p=0.004`` for a paired comparison (from Run.comparison)."""
    if not cmp:
        return "no paired comparison"
    text = f"diff {cmp.diff:+.2f}"
    if cmp.low is not None and cmp.high is not None:
        text += f" [{cmp.low:+.2f}, {cmp.high:+.2f}]"
    return f"{text}, {fmt_p(cmp.p)}"


def fmt_usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:.2f}"
    decimals = max(2, 1 - math.floor(math.log10(value)))  # two significant digits, at least cents
    return f"${value:.{decimals}f}"


def fmt_s(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.3g} s"


def names(arms: list[str]) -> str:
    return ", ".join(arms)


def are(arms: list[str]) -> str:
    return "is" if len(arms) == 1 else "are"


def update_text(run: Run, arm: str) -> str:
    """What one knowledge update of the arm takes (time, dollars, how), or that it was not measured."""
    seconds, usd = run.cost(arm, "update_s"), run.cost(arm, "update_usd")
    how = run.cost(arm, "update_how")
    parts = []
    if seconds is not None:
        parts.append(fmt_s(seconds))
    if usd is not None:
        parts.append(fmt_usd(usd))
    if not parts:
        return f"{arm}'s update cost was not measured"
    text = f"each update of {arm} takes {' and '.join(parts)}"
    return text + (f" ({how})" if how else "")


def monthly_cost(run: Run, arm: str, constraints: ConstraintsConfig) -> tuple[float, str] | None:
    """The arm's monthly cost (serving + updates) and how it was computed; None without a measured price."""
    per_1k = run.cost(arm, "per_1k_queries_usd")
    if per_1k is None:
        return None
    serving = constraints.queries_per_month / 1000 * per_1k
    updates = UPDATES_PER_MONTH.get(constraints.content_changes, 0.0)
    update_usd = run.cost(arm, "update_usd") or 0.0
    total = serving + updates * update_usd
    how = f"{constraints.queries_per_month:,} queries x {fmt_usd(per_1k)}/1k"
    if updates and update_usd:
        how += f" + {updates:.3g} updates x {fmt_usd(update_usd)}"
    return total, how


def winner_figures(run: Run, arm: str, c: ConstraintsConfig) -> list[str]:
    """The chosen arm's measured quality (hallucination, faithfulness, citations) and serving speed and cost."""
    out = []
    quality = [
        f"{label} {fmt_interval(iv)}"
        for label, metric in (
            ("hallucination rate", "hallucination"),
            ("faithfulness", "faithfulness"),
            ("citation accuracy", "citation_accuracy"),
        )
        if (iv := run.metric(arm, metric)) is not None
    ]
    if quality:
        out.append(f"{arm}: " + "; ".join(quality))
    serving = []
    p50, p95 = run.perf(arm, "latency_p50_s"), run.perf(arm, "latency_p95_s")
    if p50 is not None:
        serving.append(f"latency p50 {fmt_s(p50)}" + (f" (p95 {fmt_s(p95)})" if p95 is not None else ""))
    per_1k = run.cost(arm, "per_1k_queries_usd")
    if per_1k is not None:
        monthly = monthly_cost(run, arm, c)
        serving.append(
            f"{fmt_usd(per_1k)} per 1k queries" + (f" (~{fmt_usd(monthly[0])}/month: {monthly[1]})" if monthly else "")
        )
    if serving:
        out.append(f"{arm} serves at " + ", ".join(serving))
    return out


def compare_line(run: Run, arm: str, other: str, metric: str) -> str | None:
    """``rag vs hybrid on accuracy: diff ... (not significant, and rag is the simpler)``; None without a test."""
    cmp = run.comparison(metric, arm, other)
    if cmp is None:
        return None
    verdict = "significant" if cmp.significant else "not significant"
    if metric == "accuracy" and not cmp.significant and run.simplicity(arm) < run.simplicity(other):
        verdict += f", and {arm} is the simpler"
    return f"{arm} vs {other} on {metric}: {fmt_diff(cmp)} ({verdict})"
