"""Document access: the labels a document carries and the labels a reader may see.

A document's labels come from its sidecar ``<file>.metadata.json`` (exactly ``{"labels": [...]}``) when there is
one, else from the first ``access.rules`` entry whose glob matches its path, else from ``access.default``
(``[public]``); a sidecar that does not parse into labels is an InputError (the ingest skips the document), never
the default. A reader is users of ``access.users`` (each reads their own name, their groups and ``public``) and
groups (each reads itself and ``public``, never expanded through ``access.users``): a ``ReaderSpec``, or names
where each user of ``access.users`` is that user and any other name a group (config validation keeps user and
group names apart). A restricted search returns only chunks holding one of the reader's labels. No reader (None)
means the project owner's full view.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragtune.config import PUBLIC_LABEL, AccessConfig, check_labels
from ragtune.corpus.scan import SIDECAR_SUFFIX, matches
from ragtune.errors import InputError

if TYPE_CHECKING:
    from ragtune.index.manifest import KBDocument, KBVersion

MAX_SIDECAR_BYTES = 64 * 1024  # labels fit in far less; a bigger sidecar is a mistake
SIDECAR_FORM = 'write {"labels": ["group", ...]} (or delete the sidecar to use access.rules)'


@dataclass(frozen=True)
class ReaderSpec:
    """A reader with its names typed: ``users`` expand through ``access.users``, ``groups`` are read as they are."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The users, then the groups."""
        return [*self.users, *self.groups]


Reader = str | Iterable[str] | ReaderSpec | None


def sidecar_path(document: Path) -> Path:
    """Where a document's metadata sidecar lives: beside it, named ``<file>.metadata.json``."""
    return document.with_name(document.name + SIDECAR_SUFFIX)


class _RepeatedKey(ValueError):
    """A JSON object names a key twice (json keeps the last silently)."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen[key] = value
    return seen


def read_sidecar_labels(document: Path) -> list[str] | None:
    """The labels in a document's sidecar, sorted (None when it has none). A sidecar that is there but is not
    exactly ``{"labels": [label, ...]}`` is an InputError naming it: the document is skipped, never relabelled to
    the rules or the default."""
    path = sidecar_path(document)
    if not os.path.lexists(path):
        return None
    if not path.is_file():  # a folder, a FIFO, a dangling link: there, so not "no sidecar"
        raise InputError(f"{path.name}: is not a regular file; {SIDECAR_FORM}")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror or exc}); {SIDECAR_FORM}") from None
    if len(raw) > MAX_SIDECAR_BYTES:
        raise InputError(f"{path.name}: is over {MAX_SIDECAR_BYTES // 1024} KiB; {SIDECAR_FORM}")
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
    except _RepeatedKey as exc:
        raise InputError(f"{path.name}: repeats the key {exc.args[0]!r}; {SIDECAR_FORM}") from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InputError(f"{path.name}: not valid JSON ({exc}); {SIDECAR_FORM}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path.name}: must be a JSON object, got {_short(data)}; "
                         f"{SIDECAR_FORM}")
    unknown = sorted(set(data) - {"labels"})
    if unknown:
        raise InputError(f"{path.name}: unknown key {', '.join(map(repr, unknown))} (a sidecar holds only "
                         f"\"labels\", lower case); {SIDECAR_FORM}")
    if "labels" not in data:
        raise InputError(f"{path.name}: no \"labels\"; {SIDECAR_FORM}, or [] to hide the document from every "
                         "restricted reader")
    labels = data["labels"]
    if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
        raise InputError(f"{path.name}: \"labels\" must be a list of names, got {_short(labels)}; {SIDECAR_FORM}")
    try:
        return check_labels(labels)
    except ValueError as exc:
        raise InputError(f"{path.name}: {exc}") from None


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def rule_labels(source: str, access: AccessConfig) -> list[str]:
    """The labels ``access.rules`` (else ``access.default``) give a document at ``source``, sidecar aside."""
    for rule in access.rules:
        if matches(source, [rule.path]):
            return list(rule.labels)
    return list(access.default)


def document_labels(source: str, path: Path, access: AccessConfig) -> list[str]:
    """A document's labels, sorted: sidecar, else the first matching rule, else the default."""
    labels = read_sidecar_labels(path)
    return labels if labels is not None else rule_labels(source, access)


def can_read(labels: Iterable[str], allowed: frozenset[str] | None) -> bool:
    """Whether a document with ``labels`` is visible to a reader allowed ``allowed`` (None: everything)."""
    return allowed is None or not allowed.isdisjoint(labels)


def visible_documents(manifest: KBVersion, allowed: frozenset[str] | None) -> list[KBDocument]:
    """The documents of a knowledge-base version's ``manifest`` that a reader allowed ``allowed`` may see."""
    return [d for d in manifest.documents.values() if can_read(d.labels, allowed)]


def resolve_reader(access: AccessConfig, reader: Reader) -> ReaderSpec | None:
    """``reader`` typed: a ReaderSpec as it is; names (a list or a comma-separated string) split into the users of
    ``access.users`` and groups (every other name)."""
    if reader is None or isinstance(reader, ReaderSpec):
        return reader
    names = reader.split(",") if isinstance(reader, str) else list(reader)
    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    return ReaderSpec(tuple(n for n in names if n in access.users), tuple(n for n in names if n not in access.users))


def hidden_now(learned: KBVersion, current: KBVersion | None, access: AccessConfig, allowed: frozenset[str]) -> int:
    """How many documents of the ``learned`` manifest (the version a model was trained on) a reader allowed
    ``allowed`` may not read now: by their labels in the ``current`` manifest; a document no longer there counts
    as hidden when its labels then or the labels ``access.rules`` would give it now hide it (``current`` None:
    the knowledge base is empty now)."""
    def readable(source: str, then: KBDocument) -> bool:
        now = current.documents.get(source) if current is not None else None
        if now is not None:
            return can_read(now.labels, allowed)
        return can_read(then.labels, allowed) and can_read(rule_labels(source, access), allowed)

    return sum(not readable(source, doc) for source, doc in learned.documents.items())


def reader_labels(access: AccessConfig, reader: Reader) -> frozenset[str] | None:
    """The labels a reader may see (None: everything). ``reader``: a ReaderSpec, or names as ``resolve_reader``
    reads them. A user reads their name and groups, a group itself, and everyone reads ``public``; a group that is
    a user's name or a user not in ``access.users`` is an InputError."""
    spec = resolve_reader(access, reader)
    if spec is None:
        return None
    if not spec.names:
        raise InputError("a reader needs a name: give a user of access.users or a group")
    for user in spec.users:
        if user not in access.users:
            known = ", ".join(sorted(access.users)) or "none"
            raise InputError(f"unknown user {user!r} (access.users: {known})")
    for group in spec.groups:
        if group in access.users:
            raise InputError(f"{group!r} is a user of access.users, not a group: read as the user, or rename one")
    labels = {PUBLIC_LABEL, *spec.groups}
    for user in spec.users:
        labels.add(user)
        labels.update(access.users[user])
    return frozenset(labels)
