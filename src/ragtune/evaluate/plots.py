"""Small inline-SVG charts for the HTML report: pure functions that return SVG strings (no plotting library).

Every chart is sized by its ``viewBox`` so it scales with the page, escapes all text it is given, and uses the
Okabe-Ito colour-blind-safe palette. Values that are ``None`` (or not finite) are skipped, never drawn as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

# Okabe & Ito (2008): distinguishable with the common forms of colour blindness.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
OUTCOME_COLORS: dict[str, str] = {"new": "#009E73", "old": "#D55E00", "idk": "#BBBBBB", "other": "#56B4E9"}
OUTCOME_TEXT: dict[str, str] = {"new": "#FFFFFF", "old": "#FFFFFF", "idk": "#000000", "other": "#000000"}
INK = "#222222"
MUTED = "#666666"
GRID = "#E3E3E3"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _c(x: float) -> str:
    """A coordinate, short."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


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


def fmt_number(value: float | None, unit: str = "") -> str:
    """A short human label for a number: 3 significant figures, no exponent for ordinary sizes."""
    v = finite(value)
    if v is None:
        return "–"
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


def _colors(labels: Sequence[str], colors: Mapping[str, str] | None) -> list[str]:
    return [(colors or {}).get(label) or PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)]


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, width: float = 1.0) -> str:
    w = f' stroke-width="{_c(width)}"' if width != 1.0 else ""
    return f'<line x1="{_c(x1)}" y1="{_c(y1)}" x2="{_c(x2)}" y2="{_c(y2)}" stroke="{stroke}"{w}/>'


def _txt(
    x: float, y: float, text: object, anchor: str = "start", fill: str = "", size: int = 0, bold: bool = False
) -> str:
    attrs = f' x="{_c(x)}" y="{_c(y)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if fill:
        attrs += f' fill="{fill}"'
    if size:
        attrs += f' font-size="{size}"'
    if bold:
        attrs += ' font-weight="600"'
    return f"<text{attrs}>{_esc(text)}</text>"


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "", tip: str = "") -> str:
    body = f'<rect x="{_c(x)}" y="{_c(y)}" width="{_c(w)}" height="{_c(h)}" fill="{fill}"{extra}'
    return f"{body}><title>{_esc(tip)}</title></rect>" if tip else f"{body}/>"


def _whisker(a: float, b: float, at: float, vertical: bool) -> list[str]:
    """An interval line from ``a`` to ``b`` with end caps, at the cross position ``at``."""
    if vertical:
        return [
            _line(at, a, at, b, INK, 1.5),
            _line(at - 6, a, at + 6, a, INK, 1.5),
            _line(at - 6, b, at + 6, b, INK, 1.5),
        ]
    return [_line(a, at, b, at, INK, 1.5), _line(a, at - 6, a, at + 6, INK, 1.5), _line(b, at - 6, b, at + 6, INK, 1.5)]


def _open(width: float, height: float, title: str, desc: str = "") -> list[str]:
    head = (
        f'<svg class="chart" viewBox="0 0 {_c(width)} {_c(height)}" role="img" preserveAspectRatio="xMidYMid meet"'
        f' font-family="{_esc(FONT)}" font-size="12" fill="{INK}">'
    )
    parts = [head, f"<title>{_esc(title)}</title>"]
    if desc:
        parts.append(f"<desc>{_esc(desc)}</desc>")
    parts.append(_txt(8, 18, clip(title, 90), size=14, bold=True))
    return parts


def _empty(title: str, message: str = "no data") -> str:
    return "".join([*_open(480, 60, title), _txt(8, 44, message, fill=MUTED), "</svg>"])


def scatter_svg(
    points: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    size_title: str = "",
    colors: Mapping[str, str] | None = None,
    y_range: tuple[float, float] | None = None,
) -> str:
    """A labelled bubble chart of ``(label, x, y, size)``; bubble area grows with ``size`` (hollow when unknown)."""
    pts = [(str(lab), finite(x), finite(y), finite(s)) for lab, x, y, s in points]
    pts = [(lab, x, y, s) for lab, x, y, s in pts if x is not None and y is not None]
    if not pts:
        return _empty(title)
    cols = dict(zip([p[0] for p in pts], _colors([p[0] for p in pts], colors)))
    width, height = 640.0, 400.0
    left, right, top, bottom = 62.0, 130.0, 40.0, 56.0
    pw, ph = width - left - right, height - top - bottom
    xs = [p[1] for p in pts]
    ys = [p[2] for p in pts]
    xt = nice_ticks(min(0.0, min(xs)), max(xs) * 1.08 if max(xs) > 0 else 1.0)
    if y_range is None:
        y_range = (0.0, 1.0) if all(0 <= y <= 1 for y in ys) else (min(0.0, min(ys)), max(ys))
    yt = nice_ticks(*y_range)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def sx(v: float) -> float:
        return left + (v - x0) / ((x1 - x0) or 1) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1) * ph

    desc = f"{y_title} against {x_title}" + (f"; bubble area: {size_title}" if size_title else "")
    parts = _open(width, height, title, desc)
    for t in yt:
        parts += [_line(left, sy(t), left + pw, sy(t)), _txt(left - 6, sy(t) + 4, tick_label(t), "end", MUTED)]
    for t in xt:
        parts += [_line(sx(t), top, sx(t), top + ph), _txt(sx(t), top + ph + 16, tick_label(t), "middle", MUTED)]
    parts.append(_rect(left, top, pw, ph, "none", ' stroke="#BBBBBB"'))
    parts.append(_txt(left + pw / 2, height - 14, x_title, "middle"))
    parts.append(
        f'<text transform="translate(16 {_c(top + ph / 2)}) rotate(-90)" text-anchor="middle">{_esc(y_title)}</text>'
    )
    sizes = [s for *_, s in pts if s is not None and s > 0]
    smax = max(sizes) if sizes else 0.0
    for lab, x, y, s in sorted(pts, key=lambda p: -(p[3] or 0)):  # big bubbles first, small ones stay visible
        r = 6.0 + (20.0 * math.sqrt(s / smax) if s is not None and s > 0 and smax > 0 else 0.0)
        cx, cy = sx(x), sy(y)
        fill = cols[lab] if s is not None else "none"
        tip = f"{lab}: {y_title} {fmt_number(y)}, {x_title} {fmt_number(x)}"
        if size_title:
            tip += f", {size_title} {fmt_number(s)}"
        parts.append(
            f'<circle cx="{_c(cx)}" cy="{_c(cy)}" r="{_c(r)}" fill="{fill}" fill-opacity="0.55" stroke="{cols[lab]}"'
            f' stroke-width="2"><title>{_esc(tip)}</title></circle>'
        )
        anchor, tx = ("start", cx + r + 4) if cx + r + 90 < width else ("end", cx - r - 4)
        parts.append(_txt(tx, cy + 4, clip(lab, 18), anchor))
    if size_title:
        note = f"bubble area ∝ {size_title}" + ("; hollow = unknown" if len(sizes) < len(pts) else "")
        parts.append(_txt(width - 8, 18, note, "end", MUTED))
    parts.append("</svg>")
    return "".join(parts)


def ci_bars_svg(
    items: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    axis_title: str = "",
    horizontal: bool = True,
    domain: tuple[float, float] | None = None,
    colors: Mapping[str, str] | None = None,
) -> str:
    """Bars of ``(label, mean, low, high)`` for several arms with confidence-interval whiskers."""
    rows = [(str(lab), finite(m), finite(lo), finite(hi)) for lab, m, lo, hi in items]
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return _empty(title)
    cols = _colors([r[0] for r in rows], colors)
    values = [v for r in rows for v in r[1:] if v is not None]
    if domain is None:
        domain = (0.0, 1.0) if all(0 <= v <= 1 for v in values) else (min(0.0, min(values)), max(values))
    ticks = nice_ticks(*domain)
    fmt = _score if all(abs(v) <= 1 for v in values) else fmt_number
    desc = "; ".join(
        f"{lab} {fmt(m)}" + (f" ({fmt(lo)}–{fmt(hi)})" if lo is not None and hi is not None else "")
        for lab, m, lo, hi in rows
    )
    if horizontal:
        return _hbars(rows, cols, ticks, title, axis_title, desc, fmt)
    return _vbars(rows, cols, ticks, title, axis_title, desc, fmt)


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _vbars(
    rows: list[tuple[str, float | None, float | None, float | None]],
    cols: list[str],
    ticks: list[float],
    title: str,
    axis_title: str,
    desc: str,
    fmt: Callable[[float | None], str],
) -> str:
    d0, d1 = ticks[0], ticks[-1]
    span = (d1 - d0) or 1.0
    width = max(320.0, 80.0 + 70.0 * len(rows))
    height = 300.0
    left, top, bottom = 52.0, 40.0, 58.0
    pw, ph = width - left - 16.0, height - top - bottom
    slot = pw / len(rows)

    def sy(v: float) -> float:
        return top + ph - (min(max(v, d0), d1) - d0) / span * ph

    parts = _open(width, height, title, desc)
    for t in ticks:
        parts += [_line(left, sy(t), left + pw, sy(t)), _txt(left - 6, sy(t) + 4, tick_label(t), "end", MUTED)]
    base = sy(max(d0, min(0.0, d1)))
    for i, (lab, m, lo, hi) in enumerate(rows):
        if m is None:
            continue
        cx = left + slot * (i + 0.5)
        bw = min(slot * 0.6, 48.0)
        ytop, ybot = sorted((sy(m), base))
        tip = f"{lab}: {fmt(m)}"
        parts.append(_rect(cx - bw / 2, ytop, bw, max(ybot - ytop, 0.5), cols[i], ' fill-opacity="0.8"', tip))
        top_y = sy(m)
        if lo is not None and hi is not None:
            parts += _whisker(sy(lo), sy(hi), cx, vertical=True)
            top_y = min(top_y, sy(hi))
        parts.append(_txt(cx, max(top_y - 5, top - 2), fmt(m), "middle", size=11))
        parts.append(_txt(cx, top + ph + 16, clip(lab, 11), "middle"))
    if axis_title:
        parts.append(_txt(left + pw / 2, height - 12, axis_title, "middle", MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _hbars(
    rows: list[tuple[str, float | None, float | None, float | None]],
    cols: list[str],
    ticks: list[float],
    title: str,
    axis_title: str,
    desc: str,
    fmt: Callable[[float | None], str],
) -> str:
    d0, d1 = ticks[0], ticks[-1]
    span = (d1 - d0) or 1.0
    width, left, right, top, row = 560.0, 110.0, 130.0, 36.0, 26.0
    pw = width - left - right
    height = top + row * len(rows) + 44.0

    def sx(v: float) -> float:
        return left + (min(max(v, d0), d1) - d0) / span * pw

    parts = _open(width, height, title, desc)
    bottom = top + row * len(rows)
    for t in ticks:
        parts += [_line(sx(t), top, sx(t), bottom), _txt(sx(t), bottom + 15, tick_label(t), "middle", MUTED)]
    base = sx(max(d0, min(0.0, d1)))
    for i, (lab, m, lo, hi) in enumerate(rows):
        if m is None:
            continue
        cy = top + row * (i + 0.5)
        x_a, x_b = sorted((sx(m), base))
        parts.append(_txt(left - 8, cy + 4, clip(lab, 16), "end"))
        tip = f"{lab}: {fmt(m)}"
        parts.append(_rect(x_a, cy - 8, max(x_b - x_a, 0.5), 16, cols[i], ' fill-opacity="0.8"', tip))
        text, end = fmt(m), sx(m)
        if lo is not None and hi is not None:
            parts += _whisker(sx(lo), sx(hi), cy, vertical=False)
            text += f" ({fmt(lo)}–{fmt(hi)})"
            end = max(end, sx(hi))
        parts.append(_txt(max(end, base) + 6, cy + 4, text, size=11))
    if axis_title:
        parts.append(_txt(left + pw / 2, height - 8, axis_title, "middle", MUTED))
    parts.append("</svg>")
    return "".join(parts)


def stacked_shares_svg(
    rows: Sequence[tuple[str, Mapping[str, float | None] | None, Mapping[str, float | None] | None]],
    *,
    title: str,
    categories: Sequence[str] = ("new", "old", "idk", "other"),
    panels: tuple[str, str] = ("before", "after"),
    category_colors: Mapping[str, str] | None = None,
) -> str:
    """Stacked 0–100% bars of category shares per ``(label, before, after)``, the two panels side by side."""
    clean = [
        (str(lab), b if isinstance(b, Mapping) else None, a if isinstance(a, Mapping) else None) for lab, b, a in rows
    ]
    clean = [r for r in clean if r[1] is not None or r[2] is not None]
    if not clean:
        return _empty(title)
    palette = {**OUTCOME_COLORS, **(category_colors or {})}
    cat_colors = [palette.get(c) or PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)]
    width, left, gap, top, row = 660.0, 104.0, 48.0, 62.0, 28.0
    panel = (width - left - gap - 24.0) / 2
    height = top + row * len(clean) + 30.0
    parts = _open(width, height, title, f"shares of {', '.join(categories)} per arm, {panels[0]} and {panels[1]}")
    x = 8.0
    for cat, color in zip(categories, cat_colors):  # legend
        parts.append(_rect(x, 28, 12, 12, color, ' stroke="#888888" stroke-width="0.5"'))
        parts.append(_txt(x + 16, 38, cat))
        x += 24 + 7.5 * len(str(cat)) + 10
    for p, name in enumerate(panels):
        px = left + p * (panel + gap)
        parts.append(_txt(px + panel / 2, top - 6, name, "middle", bold=True))
        for t in (0.0, 0.5, 1.0):
            parts.append(_txt(px + t * panel, top + row * len(clean) + 16, f"{int(t * 100)}%", "middle", MUTED, 11))
    for i, (lab, before, after) in enumerate(clean):
        y = top + row * i + 4
        parts.append(_txt(left - 8, y + 14, clip(lab, 14), "end"))
        for p, shares in enumerate((before, after)):
            px = left + p * (panel + gap)
            parts.append(_rect(px, y, panel, 20, "none", ' stroke="#CCCCCC"'))
            if shares is None:
                parts.append(_txt(px + 6, y + 14, "no data", fill=MUTED))
                continue
            acc = 0.0
            for cat, color in zip(categories, cat_colors):
                v = finite(shares.get(cat))
                if v is None or v <= 0:
                    continue
                v = min(v, 1.0 - acc)
                if v <= 0:
                    break
                w = v * panel
                parts.append(_rect(px + acc * panel, y, w, 20, color, tip=f"{lab}, {panels[p]}: {cat} {v * 100:.0f}%"))
                if w >= 30:
                    ink = OUTCOME_TEXT.get(str(cat), "#000000")
                    parts.append(_txt(px + acc * panel + w / 2, y + 14, f"{v * 100:.0f}%", "middle", ink, 11))
                acc += v
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    notes: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    single_color: str | None = "#0072B2",
) -> str:
    """A simple horizontal bar chart of ``(label, value)`` (e.g. seconds per stage); ``notes`` add text per bar."""
    rows = [(str(lab), finite(v), (notes[i] if notes and i < len(notes) else "")) for i, (lab, v) in enumerate(items)]
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return _empty(title)
    cols = [single_color] * len(rows) if single_color and not colors else _colors([r[0] for r in rows], colors)
    vmax = max(max(v for _, v, _ in rows if v is not None), 0.0)
    ticks = nice_ticks(0.0, vmax if vmax > 0 else 1.0, 4)
    d1 = ticks[-1] or 1.0
    texts = [clip(fmt_number(v, unit) + (f" · {note}" if note else ""), 64) for _, v, note in rows]
    left = 16.0 + 7.0 * min(max(len(lab) for lab, _, _ in rows), 26)
    pw, right = 280.0, 16.0 + 6.5 * max(len(t) for t in texts)
    width, top, row = max(left + pw + right, 400.0), 34.0, 24.0
    height = top + row * len(rows) + 32.0
    bottom = top + row * len(rows)
    parts = _open(width, height, title, "; ".join(f"{lab} {fmt_number(v, unit)}" for lab, v, _ in rows))
    for t in ticks:
        x = left + t / d1 * pw
        parts += [_line(x, top, x, bottom), _txt(x, bottom + 15, tick_label(t, unit), "middle", MUTED, 11)]
    for i, (lab, v, _note) in enumerate(rows):
        if v is None:
            continue
        cy = top + row * (i + 0.5)
        w = max(v, 0.0) / d1 * pw
        parts.append(_txt(left - 8, cy + 4, clip(lab, 26), "end"))
        parts.append(
            _rect(left, cy - 7, max(w, 0.5), 14, cols[i], ' fill-opacity="0.85"', f"{lab}: {fmt_number(v, unit)}")
        )
        parts.append(_txt(left + w + 6, cy + 4, texts[i], size=11))
    parts.append("</svg>")
    return "".join(parts)
