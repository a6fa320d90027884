"""The plain-text summary printed after ``ragtune compare``: one row per arm, key comparisons, time per stage."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from ragtune.evaluate.plots import clip, finite, fmt_number

WIDTH = 120
NONE = "–"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def arm_names(results: Mapping[str, Any]) -> list[str]:
    """The arms of a run in order: ``arms`` first, then any other arm named in metrics, performance or cost."""
    names: list[str] = []
    for arm in _list(results.get("arms")):
        name = arm.get("name") if isinstance(arm, Mapping) else arm if isinstance(arm, str) else None
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    extra = [
        _map(results.get("metrics")),
        _map(results.get("performance")),
        _map(_map(results.get("cost")).get("arms")),
    ]
    for table in extra:
        names.extend(str(k) for k in table if str(k) not in names)
    return names


def _score(value: Any) -> str:
    v = finite(value)
    return NONE if v is None else f"{v:.2f}"


def _interval(value: Any, mean_only: bool = False) -> str:
    """``0.41 [0.29–0.53]`` from an interval mapping; the mean alone when the bounds are missing."""
    iv = _map(value)
    mean = finite(iv.get("mean"))
    if mean is None:
        return NONE
    low, high = finite(iv.get("low")), finite(iv.get("high"))
    if mean_only or low is None or high is None:
        return f"{mean:.2f}"
    return f"{mean:.2f} [{low:.2f}–{high:.2f}]"


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


def summary_lines(results: dict) -> list[str]:
    """The terminal summary of a run's results.json: an aligned table per arm, comparisons, stages (≤ 120 chars)."""
    results = _map(results)
    metrics = _map(results.get("metrics"))
    perf = _map(results.get("performance"))
    cost = _map(_map(results.get("cost")).get("arms"))
    fresh = _map(_map(results.get("freshness")).get("arms"))
    has_fresh = bool(fresh)
    header = ["arm", "accuracy [CI]", "F1", "halluc", "abst.acc", "faithful", "cite.acc", "recall", "p50 s", "$/1k q"]
    if has_fresh:
        header.append("updated [CI]")
    rows: list[list[str]] = []
    for arm in arm_names(results):
        m = _map(metrics.get(arm))
        p50 = finite(_map(perf.get(arm)).get("latency_p50_s"))
        usd = finite(_map(cost.get(arm)).get("per_1k_queries_usd"))
        row = [
            arm,
            _interval(m.get("accuracy")),
            _interval(m.get("f1"), mean_only=True),
            _interval(m.get("hallucination"), mean_only=True),
            _interval(m.get("abstention_accuracy"), mean_only=True),
            _interval(m.get("faithfulness"), mean_only=True),
            _interval(m.get("citation_accuracy"), mean_only=True),
            _interval(m.get("recall"), mean_only=True),
            NONE if p50 is None else f"{p50:.2f}",
            fmt_number(usd, "$"),
        ]
        if has_fresh:
            row.append(_interval(_map(fresh.get(arm)).get("updated")))
        rows.append(row)
    lines = _table(header, rows, right=set(range(1, len(header)))) if rows else ["no arms in this run"]

    comparisons = [
        c for c in _list(results.get("comparisons")) if isinstance(c, Mapping) and c.get("metric") == "accuracy"
    ]
    if comparisons:
        lines.append("")
        lines.append("accuracy differences (paired, a − b):")
        for c in comparisons:
            diff, low, high, p = (finite(c.get(k)) for k in ("diff", "low", "high", "p"))
            text = f"  {c.get('a', '?')} vs {c.get('b', '?')}: "
            text += NONE if diff is None else f"{diff:+.2f}"
            if low is not None and high is not None:
                text += f" [{low:+.2f}, {high:+.2f}]"
            if p is not None:
                text += f", p={'<0.001' if p < 0.001 else f'{p:.3f}'}"
            sig = c.get("significant")
            verdict = "significant" if sig is True else "not significant" if sig is False else "significance unknown"
            lines.append(clip(f"{text}  {verdict}", WIDTH))

    stages = [s for s in _list(results.get("stages")) if isinstance(s, Mapping)]
    if stages:
        lines.append("")
        named = [(str(s.get("name") or "?"), finite(s.get("seconds"))) for s in stages]
        total = sum(v for _, v in named if v is not None)
        width = min(max(len(n) for n, _ in [*named, ("total", 0)]), 60)
        lines.append("time per stage:")
        for name, secs in [*named, ("total", total)]:
            lines.append(f"  {clip(name, width).ljust(width)}  {NONE if secs is None else f'{secs:,.1f} s':>10}")
    out: list[str] = []
    for line in lines:  # a last guard: never wider than the terminal table promises
        out.extend(textwrap.wrap(line, WIDTH, subsequent_indent="    ") if len(line) > WIDTH else [line])
    return out
