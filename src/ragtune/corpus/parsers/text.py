"""Plain-text parser: a title line if there is one, and simple heading lines as section breaks.

Heading lines are recognised conservatively, each standing alone between blank lines: underlined lines
(``===`` / ``---``), lines framed by two such rules, short ALL-CAPS lines, and numbered lines such as
``2. Scope`` or ``2.1 Limits`` that are not part of a numbered list.  Plain text says little about
nesting, so headings are flat, except that numbered ones nest by their numbering (``2.1`` under ``2.``).
"""

from __future__ import annotations

import re

from ..decode import decode_text
from ..document import ParsedDocument
from ._common import SectionBuilder, squash_spaces, title_from_source

_UNDERLINE = re.compile(r"^[ \t]*(={3,}|-{3,})[ \t]*$")
_RULE = re.compile(r"^[ \t]*([-=*_#~])\1{2,}[ \t]*$")
_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?[ \t]+(\S.*)$")
_MAX_TITLE = 80
_MAX_CAPS = 60


def _is_blank(lines: list[str], i: int) -> bool:
    return i < 0 or i >= len(lines) or not lines[i].strip()


def _is_caps_heading(line: str) -> bool:
    s = line.strip()
    letters = [c for c in s if c.isalpha()]
    return (
        len(s) <= _MAX_CAPS
        and len(letters) >= 3
        and all(c.isupper() for c in letters)
        and len(s.split()) <= 8
        and not s.endswith((".", ",", ";"))
    )


def _numbered(line: str) -> re.Match[str] | None:
    m = _NUMBERED.match(line.strip())
    if not m or len(line.strip()) > _MAX_TITLE or m.group(2).rstrip().endswith(tuple(".,;:!?")):
        return None
    return m if m.group(2)[0].isupper() else None


def _neighbour(lines: list[str], i: int, step: int) -> str:
    """The nearest non-blank line before (step=-1) or after (step=1) line ``i``."""
    j = i + step
    while 0 <= j < len(lines) and not lines[j].strip():
        j += step
    return lines[j] if 0 <= j < len(lines) else ""


def _split_title(lines: list[str], source: str) -> tuple[str, list[str]]:
    """Take the first line as the title when it is short and stands apart; else use the file name."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        head = lines[first].strip()
        rest = first + 1
        if rest < len(lines) and _UNDERLINE.match(lines[rest]):
            rest += 1
        elif not _is_blank(lines, rest) or head.endswith((".", ",", ";", ":")):
            rest = -1
        has_body = rest >= 0 and any(line.strip() for line in lines[rest:])
        if len(head) <= _MAX_TITLE and has_body:
            return squash_spaces(head), lines[rest:]
    return title_from_source(source), lines


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse plain-text bytes into a document, split into sections at recognisable heading lines."""
    title, lines = _split_title(decode_text(data, source).split("\n"), source)
    builder = SectionBuilder()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _RULE.match(line):
            framed = i + 2 < len(lines) and _RULE.match(lines[i + 2]) and lines[i + 1].strip()
            if framed and len(lines[i + 1].strip()) <= _MAX_TITLE:  # a heading between two rules
                num = _NUMBERED.match(lines[i + 1].strip())
                builder.heading(num.group(1).count(".") + 1 if num else 1, lines[i + 1])
                i += 3
            else:  # a bare horizontal rule separates paragraphs
                builder.add("")
                i += 1
            continue
        standalone = line.strip() and _is_blank(lines, i - 1)
        if standalone and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) and len(line) <= _MAX_TITLE:
            builder.heading(1, line)
            i += 2
            continue
        if standalone and _is_blank(lines, i + 1):
            num = _numbered(line)
            if num and not _numbered(_neighbour(lines, i, -1)) and not _numbered(_neighbour(lines, i, 1)):
                builder.heading(num.group(1).count(".") + 1, line)
                i += 1
                continue
            if not num and _is_caps_heading(line):
                builder.heading(1, line)
                i += 1
                continue
        builder.add(line.rstrip())
        i += 1
    return ParsedDocument(source=source, title=title, sections=builder.build(title))
