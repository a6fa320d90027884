"""The report's Significance section: the paired comparisons between arms, as a table and in words.

Accuracy and freshness lead: their rows come first and are said in words; the other metrics' rows wait in a
collapsed "Other metrics" table.
"""

from __future__ import annotations

from ragtune.evaluate.formatting import NONE, p_value_text, verdict
from ragtune.evaluate.report.markup import e, section, table, text, ul
from ragtune.evaluate.report.run import RunView
from ragtune.results import Comparison

KEY_METRICS = ("accuracy", "freshness")
HEAD = [
    "metric",
    "a vs b",
    '<th class="num">diff (interval)</th>',
    '<th class="num">p</th>',
    '<th class="num">n</th>',
    "verdict",
]
VERDICT_CLASS = {"significant": "verdict-sig", "not significant": "verdict-ns"}


def significance(view: RunView) -> str:
    """The Significance section of the page."""
    comps = view.run.comparisons
    if not comps:
        return section("significance", "Significance", '<p class="muted">No paired comparisons in this run.</p>')
    key = [c for c in comps if c.metric in KEY_METRICS]
    other = [c for c in comps if c.metric not in KEY_METRICS]
    parts = [
        '<p class="small muted">Paired comparisons on the questions both arms were scored on; '
        "diff is a − b with its bootstrap interval. A difference is significant when the interval "
        "leaves out zero (and p is small).</p>"
    ]
    if key:
        parts.append(table(HEAD, [_row(c) for c in key]))
    if other:
        parts.append(
            '<details class="box"><summary><strong>Other metrics</strong></summary>'
            + table(HEAD, [_row(c) for c in other])
            + "</details>"
        )
    sentences = [s for s in map(_sentence, key) if s]
    if sentences:
        parts.append("<h3>In words</h3>" + ul(e(s) for s in sentences))
    return section("significance", "Significance", "".join(parts))


def _p_clause(value: float | None) -> str:
    """A p-value in a sentence: ``p < 0.001`` or ``p = 0.123``."""
    shown = p_value_text(value)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def _names(c: Comparison) -> tuple[str, str, str]:
    return c.metric or "?", c.a or "?", c.b or "?"


def _diff(value: float | None) -> str:
    return NONE if value is None else f"{value:+.2f}"


def _interval(c: Comparison, flip: bool = False, signed: bool = True) -> str:
    """The interval of a comparison's diff, ``+0.08 to +0.35``; ``flip`` for b − a, ``signed`` False: ``0.08 to 0.35``.

    Empty when a bound is missing.
    """
    low, high = c.low, c.high
    if low is None or high is None:
        return ""
    if flip:
        low, high = -high, -low
    return f"{low:+.2f} to {high:+.2f}" if signed else f"{low:.2f} to {high:.2f}"


def _row(c: Comparison) -> list[str]:
    metric, a, b = _names(c)
    interval = _interval(c)
    word = verdict(c.significant)
    return [
        e(metric),
        f"{e(a)} vs {e(b)}",
        f'<td class="num">{e(_diff(c.diff))}{e(f" ({interval})" if interval else "")}</td>',
        f'<td class="num">{e(p_value_text(c.p))}</td>',
        f'<td class="num">{e(text(c.n))}</td>',
        f'<span class="{VERDICT_CLASS.get(word, "muted")}">{word}</span>',
    ]


def _sentence(c: Comparison) -> str:
    """The comparison in words: which arm is higher and by how much, or that the run cannot tell them apart."""
    metric, a, b = _names(c)
    diff, p = c.diff, _p_clause(c.p)
    if c.significant is True:
        if diff is None or diff == 0:
            return ""
        hi, lo = (a, b) if diff > 0 else (b, a)
        interval = _interval(c, flip=diff < 0, signed=False)
        return (
            f"{metric}: {hi} is higher than {lo} by {abs(diff):.2f}"
            + (f" ({interval})" if interval else "")
            + f", {p}: significant."
        )
    if c.significant is False:
        interval = _interval(c)
        return (
            f"{metric}: the difference between {a} and {b} ({_diff(diff)}"
            + (f", interval {interval}" if interval else "")
            + f", {p}) is not significant — this run does not show that either is better."
        )
    return ""
