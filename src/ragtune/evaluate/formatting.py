"""Plain-text formatting shared by the terminal summary and the HTML report: number labels, intervals, p-values
and verdicts.

Nothing here writes HTML (``ragtune.evaluate.report.markup`` does), and nothing here imports the report or the
summary, so both can import from it.
"""

from __future__ import annotations

from typing import Any

from ragtune.results import Interval
from ragtune.results.fields import finite

NONE = "–"
# the outcomes of an answer to an update question: the new fact, the old fact, "I don't know", neither
OUTCOMES: tuple[str, ...] = ("new", "old", "idk", "other")


def clip(text: object, width: int) -> str:
    """``text`` shortened to ``width`` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def score(value: object) -> str:
    """A score with two decimals, ``–`` when it is not a finite number."""
    v = finite(value)
    return NONE if v is None else f"{v:.2f}"


def fmt_number(value: float | None, unit: str = "") -> str:
    """A short human label for a number: 3 significant figures, no exponent for ordinary sizes."""
    v = finite(value)
    if v is None:
        return NONE
    a = abs(v)
    if a == 0:
        text = "0"
    elif a >= 1000:
        text = f"{v:,.0f}"
    elif a >= 100:
        text = f"{v:.0f}"
    elif a >= 10:
        text = f"{v:.1f}"
    elif a >= 1:
        text = f"{v:.2f}"
    elif a >= 0.001:
        text = f"{v:.3g}"
    else:
        text = f"{v:.2g}"
    if unit == "$":
        return ("−$" if v < 0 else "$") + text.lstrip("-")
    return f"{text} {unit}".rstrip()


def interval_text(iv: Interval | None, brackets: str = "()") -> str:
    """``0.41 (0.29–0.53)`` for an interval (``brackets="[]"``: ``0.41 [0.29–0.53]``); the mean alone when a bound
    is missing, ``–`` when the mean is."""
    mean = iv.mean if iv is not None else None
    if mean is None:
        return NONE
    low, high = iv.low, iv.high  # type: ignore[union-attr]
    if low is None or high is None:
        return f"{mean:.2f}"
    return f"{mean:.2f} {brackets[0]}{low:.2f}–{high:.2f}{brackets[1]}"


def p_value_text(value: Any, tight: bool = False) -> str:
    """A p-value: ``< 0.001`` for tiny ones (``<0.001`` when ``tight``), else three decimals; ``–`` when missing."""
    p = finite(value)
    if p is None:
        return NONE
    return ("<0.001" if tight else "< 0.001") if p < 0.001 else f"{p:.3f}"


def verdict(significant: Any, unknown: str = "unknown") -> str:
    """A comparison's ``significant`` flag in words; ``unknown`` when it is not a boolean."""
    return "significant" if significant is True else "not significant" if significant is False else unknown


