"""The plain-text summary printed after ``ragtune compare``: one row per arm, key comparisons, the test questions as
multiple choice (when they carry choices), time per stage."""

from __future__ import annotations

import textwrap

from ragtune.evaluate.formatting import NONE, clip, fmt_number, interval_text, p_value_text, score, verdict
from ragtune.results import Comparison, RunResults, parse_results

WIDTH = 120
MEAN_ONLY = ("f1", "hallucination", "abstention_accuracy", "faithfulness", "citation_accuracy", "recall")


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    overflow = sum(widths) + 2 * (len(widths) - 1) - WIDTH
    if overflow > 0:  # only the arm names can give way
        widths[0] = max(4, widths[0] - overflow)
    lines = []
    for r in [header, *rows]:
        cells = [clip(c, widths[i]) for i, c in enumerate(r)]
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _comparison(c: Comparison) -> str:
    """``  rag vs ft: +0.33 [+0.08, +0.50], p=0.004  significant``."""
    text = f"  {c.a or '?'} vs {c.b or '?'}: "
    text += NONE if c.diff is None else f"{c.diff:+.2f}"
    if c.low is not None and c.high is not None:
        text += f" [{c.low:+.2f}, {c.high:+.2f}]"
    if c.p is not None:
        text += f", p={p_value_text(c.p, tight=True)}"
    return clip(f"{text}  {verdict(c.significant, unknown='significance unknown')}", WIDTH)


def summary_lines(results: RunResults | dict) -> list[str]:
    """The terminal summary of a run's results: an aligned table per arm, comparisons, stages (≤ 120 chars)."""
    run = parse_results(results)
    fresh = run.freshness.arms if run.freshness else {}
    header = ["arm", "accuracy [CI]", "F1", "halluc", "abst.acc", "faithful", "cite.acc", "recall", "p50 s", "$/1k q"]
    if fresh:
        header.append("updated [CI]")
    rows: list[list[str]] = []
    for arm in run.arm_names():
        row = [
            arm,
            interval_text(run.metric(arm, "accuracy"), brackets="[]"),
            *(score(run.metric(arm, k).mean) for k in MEAN_ONLY),
            score(run.perf(arm).latency_p50_s),
            fmt_number(run.arm_cost(arm).per_1k_queries_usd, "$"),
        ]
        if fresh:
            fa = fresh.get(arm)
            row.append(interval_text(fa.updated if fa else None, brackets="[]"))
        rows.append(row)
    lines = _table(header, rows, right=set(range(1, len(header)))) if rows else ["no arms in this run"]

    comparisons = [c for c in run.comparisons if c.metric == "accuracy"]
    if comparisons:
        lines += ["", "accuracy differences (paired, a − b):", *map(_comparison, comparisons)]

    choice = run.multiple_choice
    if choice is not None:
        lines += ["", f"multiple choice ({choice.rows or 0} questions, chance {score(choice.chance)}): "
                      "accuracy [CI], per byte"]
        for arm, result in choice.arms.items():
            metrics = result.metrics if result is not None else {}
            lines.append(f"  {arm}: {interval_text(metrics.get('correct'), brackets='[]')}, "
                         f"{interval_text(metrics.get('correct_norm'), brackets='[]')}")

    named = [(s.name or "?", s.seconds) for s in run.stages]
    if named:
        width = min(max(len(n) for n, _ in [*named, ("total", 0)]), 60)
        lines += ["", "time per stage:"]
        for name, secs in [*named, ("total", run.total_seconds())]:
            lines.append(f"  {clip(name, width).ljust(width)}  {NONE if secs is None else f'{secs:,.1f} s':>10}")
    out: list[str] = []
    for line in lines:  # a last guard: never wider than the terminal table promises
        out.extend(textwrap.wrap(line, WIDTH, subsequent_indent="    ") if len(line) > WIDTH else [line])
    return out
