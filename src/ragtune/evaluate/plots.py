"""Number labels shared by the terminal summary and the HTML report's tables and charts.

The charts themselves are in ``ragtune.evaluate.report.svg`` (and its ``svg_*`` siblings); these helpers stay here
because they are not report-specific (``ragtune.evaluate.summary`` uses them too).
"""

from __future__ import annotations

import math

NONE = "–"


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
    return f"{text} {unit}".rstrip() if unit and unit != "%" else text + unit
