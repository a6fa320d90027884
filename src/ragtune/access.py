"""Document access: the labels a document carries and the labels a reader may see.

A document's labels come from its sidecar ``<file>.metadata.json`` (``{"labels": [...]}``) when there is one,
else from the first ``access.rules`` entry whose glob matches its path, else from ``access.default``
(``[public]``). A reader is a user of ``access.users`` (who reads their own name, their groups and
``public``) or a group name; a restricted search returns only chunks holding one of the reader's labels.
No reader (None) means the project owner's full view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ragtune.config import PUBLIC_LABEL, AccessConfig, check_labels
from ragtune.corpus.scan import SIDECAR_SUFFIX, matches
from ragtune.errors import InputError

Reader = str | Iterable[str] | None


def sidecar_path(document: Path) -> Path:
    """Where a document's metadata sidecar lives: beside it, named ``<file>.metadata.json``."""
    return document.with_name(document.name + SIDECAR_SUFFIX)


def read_sidecar_labels(document: Path) -> list[str] | None:
    """The labels in a document's sidecar (None when it has none or names no labels)."""
    path = sidecar_path(document)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name}: not valid JSON ({exc}); write {{\"labels\": [\"group\", ...]}}") from None
    labels = data.get("labels") if isinstance(data, dict) else None
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
        raise InputError(f"{path.name}: \"labels\" must be a list of names, got {labels!r}")
    try:
        return check_labels(labels)
    except ValueError as exc:
        raise InputError(f"{path.name}: {exc}") from None


def document_labels(source: str, path: Path, access: AccessConfig) -> list[str]:
    """A document's labels, sorted: sidecar, else the first matching rule, else the default."""
    labels = read_sidecar_labels(path)
    if labels is not None:
        return labels
    for rule in access.rules:
        if matches(source, [rule.path]):
            return list(rule.labels)
    return list(access.default)


def can_read(labels: Iterable[str], allowed: frozenset[str] | None) -> bool:
    """Whether a document with ``labels`` is visible to a reader allowed ``allowed`` (None: everything)."""
    return allowed is None or not allowed.isdisjoint(labels)


def visible_documents(manifest: dict, allowed: frozenset[str] | None) -> list[dict]:
    """The documents of a knowledge-base version's ``manifest`` that a reader allowed ``allowed`` may see."""
    return [d for d in manifest["documents"].values() if can_read(d.get("labels", []), allowed)]


def reader_labels(access: AccessConfig, reader: Reader) -> frozenset[str] | None:
    """The labels a reader may see (None: everything). ``reader`` is a user, a group, or several (a list or
    a comma-separated string); users expand to their name and groups, and everyone reads ``public``."""
    if reader is None:
        return None
    names = reader.split(",") if isinstance(reader, str) else list(reader)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise InputError("a reader needs a name: give a user of access.users or a group")
    labels = {PUBLIC_LABEL}
    for name in names:
        labels.add(name)
        labels.update(access.users.get(name, []))
    return frozenset(labels)
