"""Helpers the parsers share: heading-path section building, whitespace tidying, titles from file names."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..document import Section

HEADING_SEP = " > "

_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def tidy_block(text: str) -> str:
    """Strip trailing spaces from lines, collapse runs of blank lines to one, and trim the ends."""
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def squash_spaces(text: str) -> str:
    """Collapse runs of spaces/tabs (and odd Unicode spaces) in one line of text and trim it."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


def title_from_source(source: str) -> str:
    """A readable title from a file name: ``warranty_policy-v2.md`` -> ``Warranty policy v2``."""
    stem = PurePosixPath(source.replace("\\", "/")).stem
    words = re.sub(r"[_\-.]+", " ", stem).split()
    title = " ".join(words) or stem
    return title[:1].upper() + title[1:] if title.islower() else title


_TITLE_PARTS = re.compile(r"\s+[|\-\u2013\u2014:\u00b7]\s+")


def same_title(heading: str, title: str) -> bool:
    """True when ``heading`` is the title, or one part of a title like "Returns | Example Shop"."""
    heading, title = heading.casefold(), title.casefold()
    return bool(heading) and (heading == title or heading in _TITLE_PARTS.split(title))


def relative_heading(heading: str, parent: str) -> str:
    """``heading`` with the ``parent`` path prefix removed (``A > B`` under ``A`` -> ``B``)."""
    if parent and heading.startswith(parent + HEADING_SEP):
        return heading[len(parent) + len(HEADING_SEP) :]
    return heading


class SectionBuilder:
    """Collect lines under a stack of headings and cut them into Sections by heading path.

    Call :meth:`heading` when a heading starts, :meth:`add` for body lines, then :meth:`build`.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._parts: list[tuple[tuple[str, ...], str, int | None]] = []
        self.headings: list[tuple[int, str]] = []
        self.page: int | None = None

    def heading(self, level: int, text: str) -> None:
        """Start a new section under a heading of ``level`` (1 = top)."""
        text = squash_spaces(text)
        if not text:
            return
        self.flush()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        self.headings.append((level, text))

    def add(self, text: str) -> None:
        """Append body text (one or more lines) to the current section."""
        self._lines.append(text)

    def drop_last_line(self) -> None:
        """Forget the most recently added body text (e.g. a line that turned out to be a heading)."""
        if self._lines:
            self._lines.pop()

    def flush(self) -> None:
        """Close the current run of body text as a section (empty runs are dropped)."""
        body = tidy_block("\n".join(self._lines))
        self._lines = []
        if body.strip():
            self._parts.append((tuple(t for _, t in self._stack), body, self.page))

    def first_heading(self, level: int) -> str | None:
        """The text of the first heading of ``level``, if any."""
        return next((t for lvl, t in self.headings if lvl == level), None)

    def build(self, title: str = "") -> list[Section]:
        """The sections, with heading paths joined by " > ".

        When the document's only top-level heading is its title (or the title is that heading plus a site
        name, "Returns | Example Shop"), the heading is left out of the paths: the title is shown with every
        chunk anyway.
        """
        self.flush()
        roots = {path[0] for path, _, _ in self._parts if path}
        top = min((lvl for lvl, _ in self.headings), default=0)
        top_levels = [t for lvl, t in self.headings if lvl == top]
        root = top_levels[0] if len(top_levels) == 1 else None
        strip_root = root is not None and roots == {root} and same_title(root, title)
        sections = []
        for path, body, page in self._parts:
            if strip_root and path and path[0] == root:
                path = path[1:]
            sections.append(Section(text=body, heading=HEADING_SEP.join(path), page=page))
        return sections
