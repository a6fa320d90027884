"""The report's bubble chart (accuracy against latency, bubble area by cost), as an inline-SVG string."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ragtune.evaluate.formatting import clip, fmt_number
from ragtune.evaluate.report import svg
from ragtune.evaluate.report.markup import e
from ragtune.results.fields import finite


def scatter_svg(
    points: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    size_title: str = "",
    colors: Mapping[str, str] | None = None,
) -> str:
    """A labelled bubble chart of ``(label, x, y, size)``; bubble area grows with ``size`` (hollow when unknown)."""
    pts = [(str(lab), finite(x), finite(y), finite(s)) for lab, x, y, s in points]
    pts = [(lab, x, y, s) for lab, x, y, s in pts if x is not None and y is not None]
    if not pts:
        return svg.empty(title)
    cols = dict(zip([p[0] for p in pts], svg.colors_for([p[0] for p in pts], colors)))
    width, height = 640.0, 400.0
    left, right, top, bottom = 62.0, 130.0, 40.0, 56.0
    pw, ph = width - left - right, height - top - bottom
    xs = [p[1] for p in pts]
    ys = [p[2] for p in pts]
    xt = svg.nice_ticks(min(0.0, min(xs)), max(xs) * 1.08 if max(xs) > 0 else 1.0)
    y_span = (0.0, 1.0) if all(0 <= y <= 1 for y in ys) else (min(0.0, min(ys)), max(ys))
    yt = svg.nice_ticks(*y_span)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def sx(v: float) -> float:
        return left + (v - x0) / ((x1 - x0) or 1) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1) * ph

    desc = f"{y_title} against {x_title}" + (f"; bubble area: {size_title}" if size_title else "")
    parts = svg.open_svg(width, height, title, desc)
    for t in yt:
        parts += [
            svg.line(left, sy(t), left + pw, sy(t)),
            svg.text(left - 6, sy(t) + 4, svg.tick_label(t), "end", svg.MUTED),
        ]
    for t in xt:
        parts += [
            svg.line(sx(t), top, sx(t), top + ph),
            svg.text(sx(t), top + ph + 16, svg.tick_label(t), "middle", svg.MUTED),
        ]
    parts.append(svg.rect(left, top, pw, ph, "none", ' stroke="#BBBBBB"'))
    parts.append(svg.text(left + pw / 2, height - 14, x_title, "middle"))
    parts.append(
        f'<text transform="translate(16 {svg.coord(top + ph / 2)}) rotate(-90)" text-anchor="middle">'
        f"{e(y_title)}</text>"
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
            f'<circle cx="{svg.coord(cx)}" cy="{svg.coord(cy)}" r="{svg.coord(r)}" fill="{fill}" fill-opacity="0.55"'
            f' stroke="{cols[lab]}" stroke-width="2"><title>{e(tip)}</title></circle>'
        )
        anchor, tx = ("start", cx + r + 4) if cx + r + 90 < width else ("end", cx - r - 4)
        parts.append(svg.text(tx, cy + 4, clip(lab, 18), anchor))
    if size_title:
        note = f"bubble area ∝ {size_title}" + ("; hollow = unknown" if len(sizes) < len(pts) else "")
        parts.append(svg.text(width - 8, 18, note, "end", svg.MUTED))
    parts.append("</svg>")
    return "".join(parts)
