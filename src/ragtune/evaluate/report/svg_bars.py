"""The report's bar charts as inline-SVG strings: bars with confidence intervals, stacked shares, plain bars.

Values that are ``None`` (or not finite) are skipped, never drawn as zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ragtune.evaluate.formatting import OUTCOMES, clip, fmt_number, score
from ragtune.evaluate.report import svg
from ragtune.results.fields import finite

# fill and label ink of each freshness outcome, in the order of OUTCOMES
OUTCOME_COLORS: dict[str, str] = dict(zip(OUTCOMES, ("#009E73", "#D55E00", "#BBBBBB", "#56B4E9")))
OUTCOME_TEXT: dict[str, str] = dict(zip(OUTCOMES, ("#FFFFFF", "#FFFFFF", "#000000", "#000000")))
PANELS = ("before", "after")


def ci_bars_svg(
    items: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    colors: Mapping[str, str] | None = None,
) -> str:
    """Horizontal bars of ``(label, mean, low, high)`` for several arms with confidence-interval whiskers."""
    rows = [(str(lab), finite(m), finite(lo), finite(hi)) for lab, m, lo, hi in items]
    kept = [(lab, m, lo, hi) for lab, m, lo, hi in rows if m is not None]
    if not kept:
        return svg.empty(title)
    values = [v for r in kept for v in r[1:] if v is not None]
    domain = (0.0, 1.0) if all(0 <= v <= 1 for v in values) else (min(0.0, min(values)), max(values))
    fmt = score if all(abs(v) <= 1 for v in values) else fmt_number
    desc = "; ".join(
        f"{lab} {fmt(m)}" + (f" ({fmt(lo)}–{fmt(hi)})" if lo is not None and hi is not None else "")
        for lab, m, lo, hi in kept
    )
    cols = svg.colors_for([r[0] for r in kept], colors)
    ticks = svg.nice_ticks(*domain)
    width, left, right, top, row = 560.0, 110.0, 130.0, 36.0, 26.0
    pw = width - left - right
    height = top + row * len(kept) + 44.0

    def sx(v: float) -> float:
        """Where ``v`` lies along the axis (clamped to the ticks)."""
        d0, d1 = ticks[0], ticks[-1]
        return left + (min(max(v, d0), d1) - d0) / ((d1 - d0) or 1.0) * pw

    parts = svg.open_svg(width, height, title, desc)
    bottom = top + row * len(kept)
    for t in ticks:
        parts += [
            svg.line(sx(t), top, sx(t), bottom),
            svg.text(sx(t), bottom + 15, svg.tick_label(t), "middle", svg.MUTED),
        ]
    base = sx(0.0)
    for i, (lab, m, lo, hi) in enumerate(kept):
        cy = top + row * (i + 0.5)
        x_a, x_b = sorted((sx(m), base))
        parts.append(svg.text(left - 8, cy + 4, clip(lab, 16), "end"))
        parts.append(svg.rect(x_a, cy - 8, max(x_b - x_a, 0.5), 16, cols[i], ' fill-opacity="0.8"', f"{lab}: {fmt(m)}"))
        label, end = fmt(m), sx(m)
        if lo is not None and hi is not None:
            parts += svg.whisker(sx(lo), sx(hi), cy)
            label += f" ({fmt(lo)}–{fmt(hi)})"
            end = max(end, sx(hi))
        parts.append(svg.text(max(end, base) + 6, cy + 4, label, size=11))
    parts.append("</svg>")
    return "".join(parts)


def stacked_shares_svg(
    rows: Sequence[tuple[str, Mapping[str, float | None] | None, Mapping[str, float | None] | None]],
    *,
    title: str,
) -> str:
    """Stacked 0–100% bars of the freshness outcomes' shares per ``(label, before, after)``, the two panels side by
    side."""
    clean = [
        (str(lab), b if isinstance(b, Mapping) else None, a if isinstance(a, Mapping) else None) for lab, b, a in rows
    ]
    clean = [r for r in clean if r[1] is not None or r[2] is not None]
    if not clean:
        return svg.empty(title)
    width, left, gap, top, row = 660.0, 104.0, 48.0, 62.0, 28.0
    panel = (width - left - gap - 24.0) / 2
    height = top + row * len(clean) + 30.0
    parts = svg.open_svg(
        width, height, title, f"shares of {', '.join(OUTCOMES)} per arm, {PANELS[0]} and {PANELS[1]}"
    )
    x = 8.0
    for cat in OUTCOMES:  # legend
        parts.append(svg.rect(x, 28, 12, 12, OUTCOME_COLORS[cat], ' stroke="#888888" stroke-width="0.5"'))
        parts.append(svg.text(x + 16, 38, cat))
        x += 24 + 7.5 * len(cat) + 10
    for p, name in enumerate(PANELS):
        px = left + p * (panel + gap)
        parts.append(svg.text(px + panel / 2, top - 6, name, "middle", bold=True))
        for t in (0.0, 0.5, 1.0):
            parts.append(
                svg.text(px + t * panel, top + row * len(clean) + 16, f"{int(t * 100)}%", "middle", svg.MUTED, 11)
            )
    for i, (lab, before, after) in enumerate(clean):
        y = top + row * i + 4
        parts.append(svg.text(left - 8, y + 14, clip(lab, 14), "end"))
        for p, shares in enumerate((before, after)):
            px = left + p * (panel + gap)
            parts.append(svg.rect(px, y, panel, 20, "none", ' stroke="#CCCCCC"'))
            if shares is None:
                parts.append(svg.text(px + 6, y + 14, "no data", fill=svg.MUTED))
                continue
            acc = 0.0
            for cat in OUTCOMES:
                v = finite(shares.get(cat))
                if v is None or v <= 0:
                    continue
                v = min(v, 1.0 - acc)
                if v <= 0:
                    break
                w = v * panel
                parts.append(
                    svg.rect(
                        px + acc * panel, y, w, 20, OUTCOME_COLORS[cat], tip=f"{lab}, {PANELS[p]}: {cat} {v * 100:.0f}%"
                    )
                )
                if w >= 30:
                    parts.append(
                        svg.text(px + acc * panel + w / 2, y + 14, f"{v * 100:.0f}%", "middle", OUTCOME_TEXT[cat], 11)
                    )
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
    kept = [(lab, v, note) for lab, v, note in rows if v is not None]
    if not kept:
        return svg.empty(title)
    cols = [single_color] * len(kept) if single_color and not colors else svg.colors_for([r[0] for r in kept], colors)
    vmax = max(max(v for _, v, _ in kept), 0.0)
    ticks = svg.nice_ticks(0.0, vmax if vmax > 0 else 1.0, 4)
    d1 = ticks[-1] or 1.0
    texts = [clip(fmt_number(v, unit) + (f" · {note}" if note else ""), 64) for _, v, note in kept]
    left = 16.0 + 7.0 * min(max(len(lab) for lab, _, _ in kept), 26)
    pw, right = 280.0, 16.0 + 6.5 * max(len(t) for t in texts)
    width, top, row = max(left + pw + right, 400.0), 34.0, 24.0
    height = top + row * len(kept) + 32.0
    bottom = top + row * len(kept)
    parts = svg.open_svg(width, height, title, "; ".join(f"{lab} {fmt_number(v, unit)}" for lab, v, _ in kept))
    for t in ticks:
        x = left + t / d1 * pw
        parts += [
            svg.line(x, top, x, bottom),
            svg.text(x, bottom + 15, svg.tick_label(t, unit), "middle", svg.MUTED, 11),
        ]
    for i, (lab, v, _note) in enumerate(kept):
        cy = top + row * (i + 0.5)
        w = max(v, 0.0) / d1 * pw
        parts.append(svg.text(left - 8, cy + 4, clip(lab, 26), "end"))
        parts.append(
            svg.rect(left, cy - 7, max(w, 0.5), 14, cols[i], ' fill-opacity="0.85"', f"{lab}: {fmt_number(v, unit)}")
        )
        parts.append(svg.text(left + w + 6, cy + 4, texts[i], size=11))
    parts.append("</svg>")
    return "".join(parts)
