"""Document parsers by file suffix, and :func:`parse_file` to read and parse one file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import InputError
from ..document import ParsedDocument
from . import docx, html, markdown, pdf, text

Parser = Callable[[bytes, str], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".txt": text.parse,
    ".text": text.parse,
    ".html": html.parse,
    ".htm": html.parse,
    ".pdf": pdf.parse,
    ".docx": docx.parse,
}


# Heavier parsers, chosen per suffix with `parsers: {".pdf": pdfplumber}`: name -> (suffixes, module, extra)
ALTERNATIVES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "pdfplumber": ((".pdf",), "ragtune.corpus.parsers.pdf_layout", "pdf-layout"),
}


def supported_suffixes() -> list[str]:
    """The file suffixes ragtune can parse, sorted (``[".docx", ".htm", ...]``)."""
    return sorted(PARSERS)


def get_parser(suffix: str, choices: dict[str, str] | None = None) -> Parser:
    """The parser for a file suffix (any case), or InputError listing the supported ones.

    ``choices`` maps a suffix to an alternative parser name (see ALTERNATIVES) or "default".
    """
    choice = (choices or {}).get(suffix.lower(), "default")
    if choice != "default":
        import importlib

        return importlib.import_module(ALTERNATIVES[choice][1]).parse
    parser = PARSERS.get(suffix.lower())
    if parser is None:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        raise InputError(f"unsupported file type {shown} (supported: {', '.join(supported_suffixes())})")
    return parser


def parse_file(path: Path, source: str, choices: dict[str, str] | None = None) -> ParsedDocument:
    """Read ``path`` and parse it by suffix; ``source`` names it in the document and in errors.

    Raises InputError when the type is unsupported, the file cannot be read, is empty or unusable,
    or holds no text.
    """
    path = Path(path)
    try:
        parser = get_parser(path.suffix, choices)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise InputError(f"{source} is empty: add some text or remove the file")
    doc = parser(data, source)
    doc.source = source
    if not any(section.text.strip() for section in doc.sections):
        raise InputError(f"{source} has no text: add some text or remove the file")
    return doc
