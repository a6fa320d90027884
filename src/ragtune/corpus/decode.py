"""Turn a document's bytes into text: BOM-aware, strict UTF-8, with clear errors for unusable files."""

from __future__ import annotations

import codecs

from ..errors import InputError

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Control characters that never appear in ordinary text (tab, LF, VT, FF, CR and ESC are allowed).
_BAD_CONTROLS = frozenset(range(0x00, 0x09)) | frozenset({0x0E, 0x0F}) | frozenset(range(0x10, 0x1B))
_BAD_CONTROLS |= frozenset(range(0x1C, 0x20)) | frozenset({0x7F})

_SNIFF_BYTES = 8192


def normalize_newlines(text: str) -> str:
    """Convert Windows (CRLF) and old Mac (CR) line endings to LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(data: bytes) -> bool:
    """True when the first few KB hold a NUL byte or more than 5% control characters."""
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        return True
    bad = sum(1 for b in head if b in _BAD_CONTROLS)
    return bad > max(2, len(head) // 20)


def decode_text(data: bytes, source: str, fallback_encoding: str | None = None) -> str:
    """Decode ``data`` (honouring a UTF-8/16/32 BOM, else strict UTF-8) with newlines normalised to LF.

    ``fallback_encoding`` (e.g. a charset an HTML ``<meta>`` tag declares) is tried when the bytes are
    not valid UTF-8.  Raises InputError naming ``source`` when the file is empty, binary, or undecodable.
    """
    if not data or not data.strip():
        raise InputError(f"{source} is empty: add some text or remove the file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source} starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} ({exc.reason} at offset {exc.start + len(bom)}); re-save it as UTF-8"
                ) from exc
            return normalize_newlines(text)
    if _looks_binary(data):
        raise InputError(
            f"{source} looks like a binary file, not text: convert it to a supported format or remove it"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if fallback_encoding:
            try:
                return normalize_newlines(data.decode(fallback_encoding))
            except (UnicodeDecodeError, LookupError):
                pass
        byte = data[exc.start]
        raise InputError(
            f"{source} is not valid UTF-8 (byte 0x{byte:02x} at offset {exc.start}); re-save it as UTF-8 "
            "(it may be Latin-1/Windows-1252 encoded)"
        ) from exc
    return normalize_newlines(text)
