"""Plain-text formatting shared by the terminal summary and the HTML report: tolerant access to run data, number
labels, intervals, p-values, verdicts, stage times and the arms of a run.

Nothing here writes HTML (``ragtune.evaluate.report.markup`` does), and nothing here imports the report or the
summary, so both can import from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

NONE = "–"
# the outcomes of an answer to an update question: the new fact, the old fact, "I don't know", neither
OUTCOMES: tuple[str, ...] = ("new", "old", "idk", "other")


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number, else None (bools and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


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


def interval_text(iv: Any, brackets: str = "()") -> str:
    """``0.41 (0.29–0.53)`` for an interval mapping (``brackets="[]"``: ``0.41 [0.29–0.53]``); the mean alone
    when a bound is missing, ``–`` when the mean is."""
    iv = as_map(iv)
    mean = finite(iv.get("mean"))
    if mean is None:
        return NONE
    low, high = finite(iv.get("low")), finite(iv.get("high"))
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


def stage_times(results: Mapping[str, Any]) -> tuple[list[tuple[str, float | None]], float]:
    """The run's stages as ``(name, seconds)`` (``None`` when not a number) and their total seconds."""
    stages = [s for s in as_list(results.get("stages")) if isinstance(s, Mapping)]
    named = [(str(s.get("name") or "?"), finite(s.get("seconds"))) for s in stages]
    return named, sum(v for _, v in named if v is not None)


def arm_names(results: Mapping[str, Any]) -> list[str]:
    """The arms of a run in order: ``arms`` first, then any other arm named in metrics, performance or cost."""
    names: list[str] = []
    for arm in as_list(results.get("arms")):
        name = arm.get("name") if isinstance(arm, Mapping) else arm if isinstance(arm, str) else None
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    extra = [
        as_map(results.get("metrics")),
        as_map(results.get("performance")),
        as_map(as_map(results.get("cost")).get("arms")),
    ]
    for table in extra:
        names.extend(str(k) for k in table if str(k) not in names)
    return names
