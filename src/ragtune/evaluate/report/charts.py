"""The report's Plots section: accuracy against latency, quality metrics with intervals, freshness, update cost
and time per stage, each an inline SVG with a caption. A chart with nothing to draw is left out."""

from __future__ import annotations

from ragtune.evaluate.formatting import fmt_number
from ragtune.evaluate.report.markup import e, section
from ragtune.evaluate.report.run import RunView
from ragtune.evaluate.report.svg_bars import bars_svg, ci_bars_svg, stacked_shares_svg
from ragtune.evaluate.report.svg_scatter import scatter_svg
from ragtune.evaluate.report.tables import QUALITY

BAR_METRICS = ("accuracy", "f1", "hallucination", "faithfulness", "citation_accuracy", "recall")


def plots(view: RunView) -> str:
    """The Plots section: a grid of captioned charts."""
    figs = [*_scatter(view), *_metric_bars(view), *_freshness(view), *_update_cost(view), *_stages(view)]
    body = "".join(f"<figure>{svg}<figcaption>{e(cap)}</figcaption></figure>" for svg, cap in figs)
    if not body:
        body = '<p class="muted">Nothing to plot in this run.</p>'
    return section("plots", "Plots", f'<div class="charts">{body}</div>')


def _scatter(view: RunView) -> list[tuple[str, str]]:
    points = [
        (
            a,
            view.figure("performance", "latency_p50_s", a),
            view.metric(a, "accuracy").mean,
            view.figure("cost", "per_1k_queries_usd", a),
        )
        for a in view.arms
    ]
    if not any(p[1] is not None and p[2] is not None for p in points):
        return []
    svg = scatter_svg(
        points,
        title="Accuracy vs latency",
        x_title="latency p50 (s)",
        y_title="accuracy",
        size_title="$ per 1k queries",
        colors=view.colors,
    )
    return [(svg, "Up and to the left is better; bubble area grows with the cost per 1,000 queries.")]


def _metric_bars(view: RunView) -> list[tuple[str, str]]:
    figs = []
    for k in BAR_METRICS:
        items = []
        for a in view.arms:
            iv = view.metric(a, k)
            items.append((a, iv.mean, iv.low, iv.high))
        if any(i[1] is not None for i in items):
            label = QUALITY[k][0]
            caption = f"{label} per arm with its confidence interval" + (
                " (lower is better)" if QUALITY[k][2] < 0 else ""
            )
            figs.append((ci_bars_svg(items, title=label, colors=view.colors), caption))
    return figs


def _freshness(view: RunView) -> list[tuple[str, str]]:
    if view.freshness is None:
        return []
    fa = {a: f for a, f in view.freshness.arms.items() if f is not None}
    rows = [(a, fa[a].before, fa[a].after) for a in view.arms if a in fa]
    if not rows:
        return []
    svg = stacked_shares_svg(rows, title="Freshness: answers before and after the update")
    return [
        (
            svg,
            "Share of update questions answered with the new fact, the old fact, “I don't know”, or something else.",
        )
    ]


def _update_cost(view: RunView) -> list[tuple[str, str]]:
    upd = [(a, view.figure("cost", "update_s", a)) for a in view.arms]
    if all(v is None for _, v in upd):
        return []
    notes = []
    for a in view.arms:
        c = view.run.arm_cost(a)
        bits = [fmt_number(c.update_usd, "$")] if c.update_usd is not None else []
        if c.update_how:
            bits.append(c.update_how)
        notes.append(" · ".join(bits))
    svg = bars_svg(
        upd, title="Update cost per arm (seconds)", unit="s", notes=notes, colors=view.colors, single_color=None
    )
    return [
        (
            svg,
            "Time (and dollars) to take in a knowledge update: re-index for retrieving arms, retrain for trained ones.",
        )
    ]


def _stages(view: RunView) -> list[tuple[str, str]]:
    items = [(s.name or "?", s.seconds) for s in view.run.stages]
    total = view.run.total_seconds()
    if not items:
        return []
    svg = bars_svg(items, title=f"Time per stage (total {fmt_number(total, 's')})", unit="s")
    return [(svg, "Wall-clock seconds per stage of this run.")]
