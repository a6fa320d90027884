"""The plain-text summary printed after ``ragtune compare``: one row per arm, key comparisons, time per stage."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from ragtune.evaluate.formatting import (
    NONE,
    arm_names,
    as_list,
    as_map,
    clip,
    finite,
    fmt_number,
    interval_text,
    p_value_text,
    score,
    stage_times,
    verdict,
)

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


def _comparison(c: Mapping[str, Any]) -> str:
    """``  rag vs ft: +0.33 [+0.08, +0.50], p=0.004  significant``."""
    diff, low, high = (finite(c.get(k)) for k in ("diff", "low", "high"))
    text = f"  {c.get('a', '?')} vs {c.get('b', '?')}: "
    text += NONE if diff is None else f"{diff:+.2f}"
    if low is not None and high is not None:
        text += f" [{low:+.2f}, {high:+.2f}]"
    if finite(c.get("p")) is not None:
        text += f", p={p_value_text(c.get('p'), tight=True)}"
    return clip(f"{text}  {verdict(c.get('significant'), unknown='significance unknown')}", WIDTH)


def summary_lines(results: dict) -> list[str]:
    """The terminal summary of a run's results.json: an aligned table per arm, comparisons, stages (≤ 120 chars)."""
    results = as_map(results)
    metrics = as_map(results.get("metrics"))
    perf = as_map(results.get("performance"))
    cost = as_map(as_map(results.get("cost")).get("arms"))
    fresh = as_map(as_map(results.get("freshness")).get("arms"))
    header = ["arm", "accuracy [CI]", "F1", "halluc", "abst.acc", "faithful", "cite.acc", "recall", "p50 s", "$/1k q"]
    if fresh:
        header.append("updated [CI]")
    rows: list[list[str]] = []
    for arm in arm_names(results):
        m = as_map(metrics.get(arm))
        row = [
            arm,
            interval_text(m.get("accuracy"), brackets="[]"),
            *(score(as_map(m.get(k)).get("mean")) for k in MEAN_ONLY),
            score(as_map(perf.get(arm)).get("latency_p50_s")),
            fmt_number(as_map(cost.get(arm)).get("per_1k_queries_usd"), "$"),
        ]
        if fresh:
            row.append(interval_text(as_map(fresh.get(arm)).get("updated"), brackets="[]"))
        rows.append(row)
    lines = _table(header, rows, right=set(range(1, len(header)))) if rows else ["no arms in this run"]

    comparisons = [c for c in as_list(results.get("comparisons")) if isinstance(c, Mapping)]
    comparisons = [c for c in comparisons if c.get("metric") == "accuracy"]
    if comparisons:
        lines += ["", "accuracy differences (paired, a − b):", *map(_comparison, comparisons)]

    named, total = stage_times(results)
    if named:
        width = min(max(len(n) for n, _ in [*named, ("total", 0)]), 60)
        lines += ["", "time per stage:"]
        for name, secs in [*named, ("total", total)]:
            lines.append(f"  {clip(name, width).ljust(width)}  {NONE if secs is None else f'{secs:,.1f} s':>10}")
    out: list[str] = []
    for line in lines:  # a last guard: never wider than the terminal table promises
        out.extend(textwrap.wrap(line, WIDTH, subsequent_indent="    ") if len(line) > WIDTH else [line])
    return out
