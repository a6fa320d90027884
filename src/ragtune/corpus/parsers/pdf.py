"""PDF parser (``pypdf``): one section per page, carrying the 1-based page number for citations."""

from __future__ import annotations

import io
import logging
import re
import warnings
from contextlib import contextmanager

from ...errors import InputError, require
from ..document import ParsedDocument, Section
from ._common import squash_spaces, tidy_block, title_from_source

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st", "\x00": ""})
_WORD_TITLE_PREFIX = re.compile(r"^Microsoft (?:Word|PowerPoint) - ", re.IGNORECASE)
_FILE_SUFFIX = re.compile(r"\.(?:docx?|pptx?|odt|rtf|txt|pdf)$", re.IGNORECASE)
_MAX_TITLE = 80


@contextmanager
def _quiet():
    """Silence pypdf's warnings and log messages about sloppy-but-readable files."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _clean_page(text: str) -> str:
    text = text.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n")
    return tidy_block("\n".join(squash_spaces(line) for line in text.split("\n")))


def _metadata_title(reader) -> str:
    try:
        meta = reader.metadata
        raw = meta.title if meta is not None else None
    except Exception:  # broken metadata is no reason to reject the file
        return ""
    title = squash_spaces(str(raw)) if raw else ""
    title = _FILE_SUFFIX.sub("", _WORD_TITLE_PREFIX.sub("", title)).strip()
    return "" if title.lower() in {"untitled", "title", "document"} else title


def parse(data: bytes, source: str) -> ParsedDocument:
    """Parse PDF bytes into a document with one section per page that has text."""
    pypdf = require("pypdf")
    if b"%PDF-" not in data[:1024]:
        raise InputError(f"{source} is not a readable PDF: it has no %PDF header (is it really a PDF?)")
    sections: list[Section] = []
    encrypted = False
    with _quiet():
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            encrypted = reader.is_encrypted
            if encrypted and not reader.decrypt(""):
                raise InputError(
                    f"{source} is not a readable PDF: it is password-protected; remove the password"
                )
            pages = list(reader.pages)
            for number, page in enumerate(pages, start=1):
                text = _clean_page(page.extract_text() or "")
                if text.strip():
                    sections.append(Section(text=text, heading="", page=number))
        except InputError:
            raise
        except Exception as exc:  # pypdf raises many types for damaged files
            reason = str(exc).strip() or type(exc).__name__
            if encrypted or "password" in reason.lower() or "decrypt" in reason.lower():
                reason = f"it is encrypted ({reason}); remove the password"
            else:
                reason = f"{reason} (the file may be truncated or damaged)"
            raise InputError(f"{source} is not a readable PDF: {reason}") from exc
        if not pages:
            raise InputError(f"{source} is not a readable PDF: it has no pages")
        title = _metadata_title(reader)
    if not sections:
        raise InputError(f"{source} has no extractable text (scanned images? run OCR first)")
    if not title:
        first = next(line for line in sections[0].text.split("\n") if line.strip())
        title = first if len(first) <= _MAX_TITLE else title_from_source(source)
    return ParsedDocument(source=source, title=title, sections=sections)
