"""Find the documents of a project: paths relative to the documents folder, sizes and content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path


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


def scan_documents(folder: Path, include: list[str], exclude: list[str]) -> list[SourceFile]:
    """Every regular file under ``folder`` matching ``include`` and not ``exclude``, sorted by path."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        source = path.relative_to(folder).as_posix()
        if source.endswith(SIDECAR_SUFFIX):
            continue
        if matches(source, include) and not matches(source, exclude):
            found.append(SourceFile(source, path, file_hash(path)))
    return found
