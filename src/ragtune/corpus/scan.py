"""Find the documents of a project: paths relative to the documents folder, sizes and content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True)
class SourceFile:
    """A file under the documents folder; ``source`` is its relative POSIX path."""

    source: str
    path: Path
    sha256: str


SIDECAR_SUFFIX = ".metadata.json"  # a document's metadata (see ragtune.access), never a document itself


def matches(source: str, patterns: list[str]) -> bool:
    """Whether a relative path matches any glob ("**/x" also matches "x" at the top level)."""
    return any(fnmatch(source, p) or (p.startswith("**/") and fnmatch(source, p[3:])) for p in patterns)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Scan(NamedTuple):
    """The documents found, and the paths passed over with the reason (``source`` printable)."""

    files: list[SourceFile]
    skipped: list[tuple[str, str]]


def printable_name(source: str) -> str:
    """A path as the file system gave it, with bytes that are not UTF-8 shown as ``\\xff``."""
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


NOT_UTF8 = "the file name is not valid UTF-8: rename the file"
SYMLINK = ("a symbolic link: only regular files inside the documents folder are read (a link may point "
           "anywhere); copy the file in instead")


def scan_documents(folder: Path, include: list[str], exclude: list[str]) -> Scan:
    """Every regular file under ``folder`` matching ``include`` and not ``exclude``, sorted by path.

    Symbolic links (to files or folders, which are not entered) and names that are not UTF-8 are skipped
    with the reason.
    """
    if not folder.is_dir():
        return Scan([], [])
    found, skipped = [], []
    for path in sorted(folder.rglob("*")):  # rglob does not descend into linked folders
        source = path.relative_to(folder).as_posix()
        if source.endswith(SIDECAR_SUFFIX) or not matches(source, include) or matches(source, exclude):
            continue
        if path.is_symlink():
            skipped.append((printable_name(source), SYMLINK))
        elif not path.is_file():
            continue
        elif printable_name(source) != source:
            skipped.append((printable_name(source), NOT_UTF8))
        else:
            found.append(SourceFile(source, path, file_hash(path)))
    return Scan(found, skipped)
