"""DOCX parser (``python-docx``): sections by Heading styles, tables kept in place as ``a | b`` rows."""

from __future__ import annotations

import io
import re
import zipfile

from ...errors import InputError, require
from ..document import ParsedDocument
from ._common import SectionBuilder, squash_spaces, title_from_source

_HEADING_STYLE = re.compile(r"^heading\s*(\d*)$", re.IGNORECASE)


def _style_name(paragraph) -> str:
    try:
        style = paragraph.style
        return (style.name or "") if style is not None else ""
    except Exception:  # a dangling style reference: treat as body text
        return ""


def _table_rows(table) -> list[str]:
    """Each row of a table as ``cell | cell``, merged cells counted once, empty rows dropped."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(squash_spaces(cell.text.replace("\n", " ")))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def check_expanded(data: bytes, source: str, limit: int) -> None:
    """Refuse a DOCX whose zip parts add up to more than ``limit`` bytes uncompressed, before extracting any
    (the sizes a zip declares bound what its parts decompress to). A file that is no zip is left to parse()."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    if size > limit:
        raise InputError(f"{source} expands to {size:,} bytes when unzipped, over ingest.max_expanded_bytes "
                         f"({limit:,}): it may be a zip bomb; if it is a real document, split it or raise the limit")


def _open(data: bytes, source: str):
    docx = require("docx", package="python-docx")
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, KeyError, PackageNotFoundError, ValueError...
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(f"{source} is not a readable DOCX file: {reason} (save it again as .docx)") from exc


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse DOCX bytes into a document with one section per heading path."""
    document = _open(data, source)
    builder = SectionBuilder()
    styled_title = ""
    try:
        core_title = squash_spaces(document.core_properties.title or "")
    except Exception:  # broken docProps/core.xml
        core_title = ""
    try:
        for block in document.iter_inner_content():
            if not hasattr(block, "rows"):  # a Paragraph
                text = "\n".join(squash_spaces(t) for t in block.text.split("\n")).strip()
                if not text:
                    continue
                style = _style_name(block)
                heading = _HEADING_STYLE.match(style)
                if style.lower() == "title":
                    if not styled_title:
                        styled_title = squash_spaces(text)
                    if squash_spaces(text) != (core_title or styled_title):
                        builder.add(text + "\n")
                elif heading:
                    builder.heading(int(heading.group(1) or 1), text)
                elif style.lower().startswith("list"):
                    builder.add(f"- {text}")
                else:
                    builder.add(f"\n{text}\n")
            else:
                builder.add("\n" + "\n".join(_table_rows(block)) + "\n")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{source} is not a readable DOCX file: {exc} (save it again as .docx)") from exc
    title = core_title or styled_title or builder.first_heading(1) or title_from_source(source)
    return ParsedDocument(source=source, title=title, sections=builder.build(title))
