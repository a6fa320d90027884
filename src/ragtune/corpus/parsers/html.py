"""HTML parser (stdlib ``html.parser``): main text by heading path, page chrome and scripts dropped."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from ...errors import InputError
from ..decode import decode_text
from ..document import ParsedDocument
from ._common import SectionBuilder, squash_spaces, title_from_source

# Elements whose content is never document text.
SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "head",
     "svg", "iframe", "object", "select", "button"}
)
# Elements that end a paragraph (blank line) or a line (newline).
_PARAGRAPH_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "dl", "table",
     "figure", "figcaption", "address", "details", "summary", "fieldset", "hr", "body"}
)
_LINE_TAGS = frozenset({"li", "tr", "br", "dt", "dd", "caption", "thead", "tbody", "tfoot"})
_ENDS_HEADING = frozenset({"p", "table", "ul", "ol", "dl", "pre", "blockquote", "section", "article", "main"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source",
                   "track", "wbr", "param"})

# Elements that may appear in <head>; anything else means the (unclosed) head has ended.
_HEAD_CONTENT = frozenset({"title", "meta", "link", "style", "script", "base", "noscript", "template"})

_PARA, _LINE = "\x00P", "\x00L"  # break markers in the output stream
_BREAKS = re.compile(r"(?:\s*\x00[PL])+\s*")  # a run of breaks: a paragraph break wins over line breaks
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)


class _Extractor(HTMLParser):
    """Walk the HTML once, feeding text and headings into a SectionBuilder."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = SectionBuilder()
        self._title_parts: list[str] = []
        self._skip: list[str] = []  # open skipped elements
        self._in_title = False
        self._heading: tuple[int, list[str]] | None = None
        self._pre = 0
        self._out: list[str] = []
        self._cells = 0  # cells seen in the current table row

    # -- output -----------------------------------------------------------------------------------
    def _emit_break(self, marker: str) -> None:
        if self._heading is not None:
            self._heading[1].append(" ")
        else:
            self._out.append(marker)

    def _flush_text(self) -> None:
        """Turn the buffered stream into lines and hand them to the builder."""
        text = _BREAKS.sub(lambda m: "\n\n" if _PARA in m.group() else "\n", "".join(self._out))
        self._out = []
        for line in text.split("\n"):
            self.builder.add(squash_spaces(line))

    def _end_heading(self) -> None:
        if self._heading is None:
            return
        level, parts = self._heading
        self._heading = None
        self._flush_text()
        self.builder.heading(level, "".join(parts))

    # -- parser callbacks --------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip == ["head"] and tag not in _HEAD_CONTENT:
            self._skip.clear()  # </head> was left out: the body has started
        if tag == "title" and self._skip in ([], ["head"]):
            self._in_title = not self._title_parts
            return
        if self._skip:
            if tag in SKIP_TAGS and tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in SKIP_TAGS:
            self._skip.append(tag)
        elif tag in _HEADINGS:
            self._end_heading()
            self._heading = (_HEADINGS[tag], [])
        elif tag in ("td", "th"):
            if self._cells:
                self._out.append(" | ")
            self._cells += 1
        elif tag == "tr":
            self._cells = 0
            self._emit_break(_LINE)
        elif tag == "li":
            self._emit_break(_LINE)
            self._out.append("- ")
        elif tag in _PARAGRAPH_TAGS:
            if tag in _ENDS_HEADING:
                self._end_heading()  # an unclosed heading: block content cannot sit inside one
            self._pre += int(tag == "pre")
            self._emit_break(_PARA)
        elif tag in _LINE_TAGS:
            self._emit_break(_LINE)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)
        else:  # <div/> and the like: open and close at once
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if self._skip:
            if tag in self._skip:
                while self._skip.pop() != tag:
                    pass
            return
        if tag in _HEADINGS:
            self._end_heading()
        elif tag in ("tr", "table"):
            self._cells = 0
            self._emit_break(_LINE if tag == "tr" else _PARA)
        elif tag in _PARAGRAPH_TAGS:
            self._pre = max(0, self._pre - int(tag == "pre"))
            self._emit_break(_PARA)
        elif tag in _LINE_TAGS:
            self._emit_break(_LINE)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._skip:
            return
        if self._heading is not None:
            self._heading[1].append(data)
        elif self._pre:
            self._out.append(data.replace("\n", _LINE))
        else:
            self._out.append(re.sub(r"\s+", " ", data))

    @property
    def title(self) -> str:
        """The text of the first ``<title>`` element ("" when there is none)."""
        return squash_spaces("".join(self._title_parts))

    def finish(self) -> None:
        """Close the parser and flush whatever text is still buffered."""
        self.close()
        self._end_heading()
        self._flush_text()


def _declared_charset(data: bytes) -> str | None:
    """A non-UTF-8 charset named by a ``<meta>`` tag in the first few KB, if Python knows it."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return None if name in ("utf-8", "utf-8-sig") else name


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse HTML bytes into a document with one section per heading path (h1..h6)."""
    text = decode_text(data, source, fallback_encoding=_declared_charset(data))
    extractor = _Extractor()
    try:
        extractor.feed(text)
        extractor.finish()
    except Exception as exc:  # html.parser is lenient; this is a last line of defence
        raise InputError(f"{source} is not readable HTML: {exc}") from exc
    builder = extractor.builder
    title = extractor.title or builder.first_heading(1) or title_from_source(source)
    return ParsedDocument(source=source, title=title, sections=builder.build(title))
