"""Hard constraints: closed environment, traceability, a latency target and a monthly budget exclude arms.

They apply in that order; when one removes the last arms, the reasons name it and what relaxing it would take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import are, fmt_interval, fmt_s, fmt_usd, monthly_cost, names
from ragtune.recommendation.results import Run


@dataclass
class _Step:
    """One hard constraint: the arms it excludes (with why), a summary reason, and what relaxing it means."""

    key: str
    hits: dict[str, str]
    summary: Callable[[list[str]], str]
    relax: Callable[[list[str]], str]


def apply_hard_constraints(
    run: Run, c: ConstraintsConfig, excluded: dict[str, list[str]], reasons: list[str], caveats: list[str]
) -> list[str]:
    """Exclude the arms that break a hard constraint; returns the arms left (empty: none meets every constraint)."""
    remaining = list(run.arms)
    emptied: tuple[_Step, list[str]] | None = None
    for step in _steps(run, c, caveats):
        for arm, why in step.hits.items():
            excluded.setdefault(arm, []).append(why)
        out = [a for a in remaining if a in step.hits]
        if out:
            reasons.append(step.summary(out))
            remaining = [a for a in remaining if a not in step.hits]
            if not remaining and emptied is None:
                emptied = (step, out)
    if emptied is not None:
        step, out = emptied
        reasons.append(
            f"{step.key} removed the last arms ({names(out)}): no arm meets every constraint; relax {step.relax(out)}"
        )
    return remaining


def _steps(run: Run, c: ConstraintsConfig, caveats: list[str]) -> list[_Step]:
    steps = []
    if c.closed_environment is True:
        steps.append(_closed_environment(run, c))
    if c.traceable is True:
        steps.append(_traceable(run, c))
    if c.latency_p95_s is not None:
        steps.append(_latency(run, c.latency_p95_s, caveats))
    if c.budget_usd_month is not None:
        steps.append(_budget(run, c, c.budget_usd_month, caveats))
    return steps


def _closed_environment(run: Run, c: ConstraintsConfig) -> _Step:
    hits = {
        a: "no retrieval store can run in the deployment (closed_environment)" for a in run.arms if run.retrieves(a)
    }
    return _Step(
        "closed_environment",
        hits,
        lambda out: (
            f"closed_environment=true: no retrieval store can run in the deployment, so "
            f"{names(out)} (retrieving) {are(out)} out"
        ),
        lambda out: (
            "closed_environment (allow a retrieval store in the deployment)"
            + (" or traceable (only retrieving arms cite sources)" if c.traceable else "")
        ),
    )


def _traceable(run: Run, c: ConstraintsConfig) -> _Step:
    cites = [
        f"{a} {fmt_interval(iv)}"
        for a in run.arms
        if run.retrieves(a) and (iv := run.metric(a, "citation_accuracy")) is not None
    ]
    evidence = f"; citation accuracy of the retrieving arms: {', '.join(cites)}" if cites else ""
    hits = {
        a: f"answers must cite their sources (traceable) and {a} does not retrieve{evidence}"
        for a in run.arms
        if not run.retrieves(a)
    }
    return _Step(
        "traceable",
        hits,
        lambda out: (
            f"traceable=true: answers must cite their sources, so {names(out)} (no retrieval) {are(out)} out{evidence}"
        ),
        lambda out: (
            "traceable (no arm that can run here cites sources)"
            + (" or closed_environment" if c.closed_environment else "")
        ),
    )


def _latency(run: Run, target: float, caveats: list[str]) -> _Step:
    p95 = {a: run.perf(a, "latency_p95_s") for a in run.arms}
    hits = _over_limit(
        p95,
        target,
        lambda a: f"measured p95 latency {fmt_s(p95[a] or 0)} exceeds the target {fmt_s(target)} (latency_p95_s)",
        ("p95 latency", "latency target"),
        caveats,
    )
    return _Step(
        "latency_p95_s",
        hits,
        lambda out: (
            f"latency_p95_s={target:g} s: "
            + ", ".join(f"{a} (p95 {fmt_s(p95[a] or 0)})" for a in out)
            + (" misses" if len(out) == 1 else " miss")
            + " the target"
        ),
        lambda out: f"latency_p95_s to at least {fmt_s(min(p95[a] or 0 for a in out))} (the fastest of them)",
    )


def _budget(run: Run, c: ConstraintsConfig, budget: float, caveats: list[str]) -> _Step:
    costs = {a: monthly_cost(run, a, c) for a in run.arms}
    totals = {a: None if v is None else v[0] for a, v in costs.items()}

    def over(arm: str) -> str:
        total, how = costs[arm] or (0.0, "")
        return f"costs {fmt_usd(total)}/month ({how}), over the budget of {fmt_usd(budget)}/month (budget_usd_month)"

    hits = _over_limit(totals, budget, over, ("cost per query", "budget"), caveats)
    if c.content_changes == "unknown":
        caveats.append("content_changes is unknown, so the monthly costs count no updates")
    return _Step(
        "budget_usd_month",
        hits,
        lambda out: (
            f"budget_usd_month={fmt_usd(budget)}: "
            + ", ".join(f"{a} ({fmt_usd(totals[a] or 0.0)}/month)" for a in out)
            + " over budget"
        ),
        lambda out: (
            f"budget_usd_month to at least {fmt_usd(min(totals[a] or 0.0 for a in out))}/month (the cheapest "
            f"of them), or lower queries_per_month ({c.queries_per_month:,})"
        ),
    )


def _over_limit(
    measured: dict[str, float | None],
    limit: float,
    why: Callable[[str], str],
    names_of: tuple[str, str],
    caveats: list[str],
) -> dict[str, str]:
    """The arms whose measured figure exceeds ``limit``, with why; a caveat names the arms that were not measured.

    ``names_of``: what was measured and what it was checked against, e.g. ("p95 latency", "latency target").
    """
    unmeasured = [a for a, v in measured.items() if v is None]
    if unmeasured:
        what, target = names_of
        caveats.append(f"no {what} measured for {names(unmeasured)}: the {target} was not checked for them")
    return {a: why(a) for a, v in measured.items() if v is not None and v > limit}
