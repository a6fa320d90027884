"""Layout-aware PDF parser (``pdfplumber``, the ``pdf-layout`` extra): text in reading order plus tables.

Heavier than the default pypdf parser, but it keeps table rows together ("cell | cell") and handles
multi-column pages better. Select it with ``parsers: {".pdf": pdfplumber}`` in ragtune.yaml.
"""

from __future__ import annotations

import io

from ...errors import InputError, require
from ..document import ParsedDocument, Section
from ._common import title_from_source
from .pdf import _clean_page


def _page_text(page) -> str:
    """The page's running text (outside tables), then each table as "cell | cell" rows."""
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        return not any(x0 <= obj.get("x0", -1) and obj.get("x1", 1e9) <= x1 and top <= obj.get("top", -1)
                       and obj.get("bottom", 1e9) <= bottom for x0, top, x1, bottom in boxes)

    text = (page.filter(outside) if boxes else page).extract_text() or ""
    rows = []
    for table in tables:
        for row in table.extract():
            cells = [" ".join((cell or "").split()) for cell in row]
            if any(cells):
                rows.append(" | ".join(cells))
    return text + ("\n\n" + "\n".join(rows) if rows else "")


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse PDF bytes into one section per page: the page's text, then its tables as rows."""
    pdfplumber = require("pdfplumber", extra="pdf-layout")
    if b"%PDF-" not in data[:1024]:
        raise InputError(f"{source} is not a readable PDF: it has no %PDF header (is it really a PDF?)")
    sections: list[Section] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            title = str((pdf.metadata or {}).get("Title") or "").strip()
            for number, page in enumerate(pdf.pages, start=1):
                body = _clean_page(_page_text(page))
                if body.strip():
                    sections.append(Section(text=body, heading="", page=number))
    except InputError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged or encrypted files
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(f"{source} is not a readable PDF: {reason} (damaged or password-protected?)") from exc
    if not sections:
        raise InputError(f"{source} has no extractable text (scanned images? run OCR first)")
    if not title:
        first = next(line for line in sections[0].text.split("\n") if line.strip())
        title = first if len(first) <= 80 else title_from_source(source)
    return ParsedDocument(source=source, title=title, sections=sections)
