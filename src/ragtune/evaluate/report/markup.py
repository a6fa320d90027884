"""HTML helpers shared by the report's sections: escaping, display text, lists, tables.

Every string that comes from the run goes through ``e``; missing or null pieces read as empty and show as ``–``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from ragtune.evaluate.formatting import NONE, fmt_number


def e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def text(value: Any) -> str:
    """A data value as display text: ``–`` for null/missing, lists joined."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value) or NONE
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={text(v)}" for k, v in value.items()) or NONE
    return str(value)


def ul(items: Iterable[str]) -> str:
    """A bullet list of already-escaped html items."""
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, already-escaped html) pairs, skipping empty values."""
    body = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="facts">{body}</dl>' if body else ""


def table(head: list[str], rows: list[list[str]]) -> str:
    """A table from escaped html cells; a cell may be a ``<td ...>`` already."""
    ths = "".join(h if h.startswith("<th") else f"<th>{h}</th>" for h in head)
    trs = "".join(
        "<tr>" + "".join(c if c.startswith(("<td", "<th")) else f"<td>{c}</td>" for c in r) + "</tr>" for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{ths}</tr></thead><tbody>{trs}</tbody></table></div>'


def section(key: str, title: str, body: str) -> str:
    """A top-level page section with its anchor and heading."""
    return f'<section id="{key}"><h2>{title}</h2>{body}</section>'
