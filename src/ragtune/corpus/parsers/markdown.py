"""Markdown parser: sections by ATX/setext headings, front-matter title, light clean-up of markup."""

from __future__ import annotations

import re

from ..decode import decode_text
from ..document import ParsedDocument
from ._common import SectionBuilder, squash_spaces, title_from_source

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_KEY = re.compile(r"^[A-Za-z_][\w -]*:", re.MULTILINE)
_FM_TITLE = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HRULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+.*$")
_BLOCKQUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+")

_ESCAPABLE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")

_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_PRIVATE = 0xE000  # escaped characters are parked in the Private Use Area while markup is removed


def _protect(match: re.Match[str]) -> str:
    return chr(_PRIVATE + ord(match.group(1)))


def _restore(text: str) -> str:
    return re.sub(r"[\ue000-\ue0ff]", lambda m: chr(ord(m.group()) - _PRIVATE), text)


def _clean_span(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _STRONG.sub(r"\2", text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDER.sub(r"\1", text)
    return _STRIKE.sub(r"\1", text)


def clean_inline(text: str) -> str:
    """Remove inline Markdown markup (links, images, emphasis, code ticks, tags), keeping the words."""
    text = _ESCAPABLE.sub(_protect, text)
    out, pos = [], 0
    for m in _INLINE_CODE.finditer(text):
        out.append(_clean_span(text[pos : m.start()]))
        out.append(m.group(2).strip())
        pos = m.end()
    out.append(_clean_span(text[pos:]))
    return _restore("".join(out))


def _table_row(line: str) -> str:
    cells = line.strip().strip("|").split("|")
    return " | ".join(squash_spaces(clean_inline(c)) for c in cells)


def _strip_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """Remove HTML comments from one line, carrying the 'inside a comment' state across lines."""
    out = []
    while line:
        if in_comment:
            end = line.find("-->")
            if end < 0:
                return "".join(out), True
            line, in_comment = line[end + 3 :], False
        else:
            start = line.find("<!--")
            if start < 0:
                out.append(line)
                break
            out.append(line[:start])
            line, in_comment = line[start + 4 :], True
    return "".join(out), in_comment


def _front_matter(text: str) -> tuple[str | None, str]:
    """The front-matter title (if any) and the text without the front matter."""
    m = _FRONT_MATTER.match(text)
    if not m or not _FM_KEY.search(m.group(1)):
        return None, text
    title = None
    t = _FM_TITLE.search(m.group(1))
    if t:
        title = t.group(1).strip()
        if len(title) >= 2 and title[0] == title[-1] and title[0] in "'\"":
            title = title[1:-1]
        title = squash_spaces(title) or None
    return title, text[m.end() :]


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse Markdown bytes into a document with one section per heading path."""
    fm_title, text = _front_matter(decode_text(data, source))
    builder = SectionBuilder()
    fence: str | None = None
    in_comment = False
    prev_plain: str | None = None  # the previous line, when it was a one-line plain paragraph
    prev_blank = True
    for raw in text.split("\n"):
        if fence is not None:
            if raw.strip().startswith(fence) and set(raw.strip()) == {fence[0]}:
                fence = None
            else:
                builder.add(raw.rstrip())
            continue
        line, in_comment = _strip_comments(raw, in_comment)
        fm = _FENCE.match(line)
        if fm:
            fence, prev_plain, prev_blank = fm.group(1), None, False
            continue
        if not line.strip():
            if raw.strip():
                continue  # a line that held only a comment
            builder.add("")
            prev_plain, prev_blank = None, True
            continue
        setext = _SETEXT.match(line)
        if setext and prev_plain is not None:
            builder.drop_last_line()
            builder.heading(1 if setext.group(1)[0] == "=" else 2, clean_inline(prev_plain))
            prev_plain, prev_blank = None, False
            continue
        atx = _ATX.match(line)
        if atx:
            body = _ATX_CLOSE.sub("", atx.group(2) or "")
            builder.heading(len(atx.group(1)), clean_inline(body))
            prev_plain, prev_blank = None, False
            continue
        if _HRULE.match(line) or _REF_DEF.match(line):
            builder.add("")
            prev_plain, prev_blank = None, True
            continue
        if "|" in line and _TABLE_SEP.match(line):
            prev_plain, prev_blank = None, False
            continue
        stripped = line.strip()
        if stripped.startswith("|") or (stripped.endswith("|") and "|" in stripped[:-1]):
            builder.add(_table_row(line))
            prev_plain, prev_blank = None, False
            continue
        quoted = _BLOCKQUOTE.sub("", line)
        cleaned = _BULLET.sub(r"\1- ", quoted)
        builder.add(_INNER_SPACES.sub(" ", clean_inline(cleaned)).rstrip())
        is_plain = prev_blank and quoted == line and cleaned == quoted and not line.startswith((" ", "\t"))
        prev_plain, prev_blank = (stripped if is_plain else None), False
    first_h1 = builder.first_heading(1)
    title = fm_title or first_h1 or title_from_source(source)
    return ParsedDocument(source=source, title=title, sections=builder.build(title))
