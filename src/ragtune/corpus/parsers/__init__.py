"""Document parsers by file suffix, and :func:`parse_file` to read and parse one file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError
from ..document import ParsedDocument
from . import docx, html, markdown, pdf, text

if TYPE_CHECKING:
    from ...config import IngestConfig

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


# Suffixes whose text has at least a quarter as many characters as the file has bytes (UTF-8/16/32)
_PLAIN_TEXT = (".md", ".markdown", ".txt", ".text")

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


def parse_file(path: Path, source: str, choices: dict[str, str] | None = None,
               limits: IngestConfig | None = None) -> ParsedDocument:
    """Read ``path`` and parse it by suffix; ``source`` names it in the document and in errors.

    Raises InputError when the type is unsupported, the file cannot be read, is empty or unusable, holds no
    text, or exceeds one of ``limits`` (checked before reading, before unzipping and after parsing).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        parser = get_parser(path.suffix, choices)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    try:
        if limits is not None:
            _check_size(path.stat().st_size, source, suffix, limits)
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1 if limits is not None else -1)
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}") from exc
    if limits is not None:
        _check_size(len(data), source, suffix, limits)  # it grew since
        if suffix == ".docx":
            docx.check_expanded(data, source, limits.max_expanded_bytes)
    if not data.strip():
        raise InputError(f"{source} is empty: add some text or remove the file")
    doc = parser(data, source)
    doc.source = source
    if not any(section.text.strip() for section in doc.sections):
        raise InputError(f"{source} has no text: add some text or remove the file")
    chars = sum(len(section.text) for section in doc.sections)
    if limits is not None and chars > limits.max_text_chars:
        raise InputError(f"{source} holds {chars:,} characters of text, over ingest.max_text_chars "
                         f"({limits.max_text_chars:,}): split it, or raise the limit")
    return doc


def _check_size(size: int, source: str, suffix: str, limits: IngestConfig) -> None:
    """Refuse a file by its size in bytes, before it is read."""
    if size > limits.max_file_bytes:
        raise InputError(f"{source} is {size:,} bytes, over ingest.max_file_bytes ({limits.max_file_bytes:,}): "
                         "split it, or raise the limit")
    if suffix in _PLAIN_TEXT and size > 4 * limits.max_text_chars:
        raise InputError(f"{source} is {size:,} bytes: more characters of text than ingest.max_text_chars "
                         f"({limits.max_text_chars:,}); split it, or raise the limit")
