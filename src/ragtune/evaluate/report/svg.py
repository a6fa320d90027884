"""Inline-SVG building blocks for the report's charts: palette, ticks, and the few shapes they are drawn with.

Every chart is sized by its ``viewBox`` so it scales with the page, escapes all text it is given, and uses the
Okabe-Ito colour-blind-safe palette. The charts are in ``svg_bars`` and ``svg_scatter``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ragtune.evaluate.formatting import clip
from ragtune.evaluate.report.markup import e

# Okabe & Ito (2008): distinguishable with the common forms of colour blindness.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
INK = "#222222"
MUTED = "#666666"
GRID = "#E3E3E3"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def coord(x: float) -> str:
    """A coordinate, short."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about ``count`` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks: list[float] = []
    t = start
    while t < hi + step * 0.999 and len(ticks) < 50:
        ticks.append(round(t, 10))
        if t >= hi - 1e-12:
            break
        t += step
    return ticks


def tick_label(value: float, unit: str = "") -> str:
    """An axis tick: as few decimals as the round tick value needs (``0.2``, ``50 s``, ``$0.25``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    if unit == "$":
        return "$" + text
    return f"{text} {unit}".rstrip() if unit else text


def colors_for(labels: Sequence[str], colors: Mapping[str, str] | None) -> list[str]:
    """The colour of each label: from ``colors`` when given there, else the palette in order."""
    return [(colors or {}).get(label) or PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)]


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, width: float = 1.0) -> str:
    w = f' stroke-width="{coord(width)}"' if width != 1.0 else ""
    return f'<line x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(x2)}" y2="{coord(y2)}" stroke="{stroke}"{w}/>'


def text(
    x: float, y: float, content: object, anchor: str = "start", fill: str = "", size: int = 0, bold: bool = False
) -> str:
    attrs = f' x="{coord(x)}" y="{coord(y)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if fill:
        attrs += f' fill="{fill}"'
    if size:
        attrs += f' font-size="{size}"'
    if bold:
        attrs += ' font-weight="600"'
    return f"<text{attrs}>{e(content)}</text>"


def rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "", tip: str = "") -> str:
    body = f'<rect x="{coord(x)}" y="{coord(y)}" width="{coord(w)}" height="{coord(h)}" fill="{fill}"{extra}'
    return f"{body}><title>{e(tip)}</title></rect>" if tip else f"{body}/>"


def whisker(a: float, b: float, at: float) -> list[str]:
    """A horizontal interval line from ``a`` to ``b`` with end caps, at the height ``at``."""
    return [line(a, at, b, at, INK, 1.5), line(a, at - 6, a, at + 6, INK, 1.5), line(b, at - 6, b, at + 6, INK, 1.5)]


def open_svg(width: float, height: float, title: str, desc: str = "") -> list[str]:
    """The opening tags of a chart with its accessible title (and description) and the visible title."""
    head = (
        f'<svg class="chart" viewBox="0 0 {coord(width)} {coord(height)}" role="img"'
        ' preserveAspectRatio="xMidYMid meet"'
        f' font-family="{e(FONT)}" font-size="12" fill="{INK}">'
    )
    parts = [head, f"<title>{e(title)}</title>"]
    if desc:
        parts.append(f"<desc>{e(desc)}</desc>")
    parts.append(text(8, 18, clip(title, 90), size=14, bold=True))
    return parts


def empty(title: str) -> str:
    """A small chart that only says there is nothing to draw."""
    return "".join([*open_svg(480, 60, title), text(8, 44, "no data", fill=MUTED), "</svg>"])
