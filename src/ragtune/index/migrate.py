"""Copy a knowledge base between stores (a LanceDB folder, a PostgreSQL schema), versions and labels included.

Everything a store holds is copied: the archive of every chunk ever embedded (so rollbacks still re-embed
nothing), every metadata key (version manifests, head) and the current chunks with their access labels, then
compared with the source. Nothing is embedded again. Both stores' writer locks are held throughout, so no ingest
runs meanwhile; the current chunks and metadata are written in one target transaction (atomic on PostgreSQL).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ragtune import atomic
from ragtune.config import CONFIG_FILE, StoreConfig, parse_config, read_config_file
from ragtune.errors import ConfigError, RagtuneError
from ragtune.index.kb import HEAD, PENDING, VERSIONS, KnowledgeBase
from ragtune.index.store import ChunkRecord, ChunkStore, open_store
from ragtune.progress import bar
from ragtune.project import Project


@dataclass
class MigrateReport:
    """What a migration copied, and whether the project now uses the copy."""

    source: str
    target: str
    archived: int
    current: int
    versions: int
    head: int | None
    seconds: float
    switched: bool = False

    def lines(self) -> list[str]:
        """A human summary, one line per fact."""
        head = f", head {self.head}" if self.head is not None else ""
        out = [f"copied the knowledge base from {self.source} to {self.target}",
               f"  {self.versions} versions{head}, {self.current} current chunks, {self.archived} archived chunks "
               f"({self.seconds:.1f} s, nothing re-embedded)"]
        if self.switched:
            out.append(f"  {CONFIG_FILE} now uses {self.target}")
        else:
            out.append(f"  the project still uses {self.source}; run with --switch (or edit store: in "
                       f"{CONFIG_FILE}) to use the copy")
        return out


def copy_store(source: ChunkStore, target: ChunkStore, batch: int = 2000, replace: bool = False) -> MigrateReport:
    """Copy every archived chunk, every metadata key and the current chunks with their labels into ``target``.

    Refuses a non-empty target unless ``replace`` (then it is dropped first) and a source whose last ingest was
    interrupted; after copying, checks that both hold the same chunks, labels, archive and metadata.
    """
    started = time.perf_counter()
    where, there = str(source), str(target)
    with target.lock(), source.lock():
        if source.read_meta(PENDING) is not None:
            raise RagtuneError(f"the last ingest into {where} was interrupted: run `ragtune ingest` on the project "
                               "to complete it, then migrate")
        if target.meta_keys("") or target.count() or target.archive_ids():
            if not replace:
                raise RagtuneError(f"{there} already holds a knowledge base: choose another target, or pass "
                                   "--replace (replace=True) to delete it and copy over it")
            target.drop()
        keys = source.meta_keys("")
        labels = source.labels()
        archive_ids = sorted(source.archive_ids())
        # a copy cut short leaves this marker: opening the target then restores its head from the archive
        target.write_meta(PENDING, {"version": None, "restore": None, "migrating_from": where})
        progress = bar(len(archive_ids), "copying", unit="chunk")
        current: list[ChunkRecord] = []  # kept from the archive pass: written in one call (a bulk load on PostgreSQL)
        for start in range(0, len(archive_ids), batch):
            records = source.archived(archive_ids[start : start + batch])
            target.archive(list(records.values()))
            current += [_labelled(r, labels[i]) for i, r in records.items() if i in labels]
            progress.update(len(records))
        lost = sorted(labels.keys() - {r.chunk.id for r in current})
        if lost:
            raise RagtuneError(f"{len(lost)} current chunks of {where} are not in its archive (e.g. {lost[0]}): "
                               "run `ragtune ingest --rebuild` on the project, then migrate")
        with target.transaction():
            target.replace([], current)
            for key in sorted(keys, key=lambda k: k == HEAD):  # the head last: it must never name a missing version
                target.write_meta(key, source.read_meta(key))
            target.write_meta(PENDING, None)
        progress.close()
        _verify(source, target, keys, labels, set(archive_ids))
        head = source.read_meta(HEAD)
    return MigrateReport(where, there, archived=len(archive_ids), current=len(labels),
                         versions=sum(k.startswith(VERSIONS) for k in keys),
                         head=head["version"] if head else None, seconds=time.perf_counter() - started)


def _labelled(record: ChunkRecord, labels: list[str]) -> ChunkRecord:
    return ChunkRecord(record.chunk, record.vector, list(labels))


def _verify(source: ChunkStore, target: ChunkStore, keys: list[str], labels: dict[str, list[str]],
            archive_ids: set[str]) -> None:
    """Raise when the target differs from the source in current chunks, labels, archive or metadata."""
    problems = []
    if target.labels() != labels:
        problems.append("current chunks or their labels")
    if target.archive_ids() != archive_ids:
        problems.append("archived chunks")
    if target.meta_keys("") != keys or any(target.read_meta(k) != source.read_meta(k) for k in keys):
        problems.append("metadata (versions, head)")
    if problems:
        raise RagtuneError(f"the copy in {target} differs from {source} in "
                           f"{', '.join(problems)}: migrate again with --replace; the source is unchanged")


def target_config(values: dict[str, Any] | StoreConfig) -> StoreConfig:
    """A migration target's store settings, validated like ragtune.yaml's ``store:`` section."""
    if isinstance(values, StoreConfig):
        return values
    return parse_config({"store": dict(values)}, origin="the migration target").store


def same_place(a: StoreConfig, b: StoreConfig, root: Path) -> bool:
    """Whether two store settings of a project name the same LanceDB folder or PostgreSQL schema."""
    if a.backend != b.backend:
        return False
    if a.backend == "lancedb":
        return (root / a.path).resolve() == (root / b.path).resolve()
    schema_a, schema_b = (s.schema_for(root) for s in (a, b))
    return schema_a == schema_b and a.resolved_url() == b.resolved_url()


def migrate_project(project: Project, to: StoreConfig, replace: bool = False, switch: bool = False) -> MigrateReport:
    """Copy a project's knowledge base into the store ``to`` describes; with ``switch`` the project's ragtune.yaml
    then names that store, so the next commands use it."""
    if same_place(project.config.store, to, project.root):
        raise ConfigError(f"the target is the project's own store ({_where(to, project.root)}): give another "
                          "--path (lancedb) or --pg-schema / --url (pgvector)")
    source = KnowledgeBase(project).store  # an interrupted ingest is undone first
    report = copy_store(source, open_store(to, project.root), replace=replace)
    if switch:
        switch_store(project.config_file, to)
        report.switched = True
    return report


def _where(cfg: StoreConfig, root: Path) -> str:
    if cfg.backend == "lancedb":
        return f"LanceDB folder {root / cfg.path}"
    return f"PostgreSQL schema {cfg.schema_for(root)!r}"


def switch_store(config_path: Path, to: StoreConfig) -> None:
    """Rewrite the ``store:`` section of ragtune.yaml to ``to``, leaving every other line (comments too) alone."""
    data = read_config_file(config_path)
    text = config_path.read_text(encoding="utf-8")
    section = yaml.safe_dump({"store": to.model_dump()}, sort_keys=False, default_flow_style=False)
    lines = text.splitlines(keepends=True)
    blocks = []  # (start, end) of each top-level store: key with its indented lines (YAML keeps the last)
    for start, line in enumerate(lines):
        if re.match(r"store\s*:", line):
            end = start + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
                end += 1
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            blocks.append((start, end))
    if not blocks:
        new = text + ("\n" if text and not text.endswith("\n") else "") + section
    else:
        for start, end in reversed(blocks):
            lines[start:end] = [section] if start == blocks[0][0] else []
        new = "".join(lines)
    try:
        written = yaml.safe_load(new)
    except yaml.YAMLError:
        written = None
    expected = {**data, "store": to.model_dump()}
    if not isinstance(written, dict) or written != expected:
        shown = to.model_dump()
        if shown.get("url") and not shown["url"].startswith("env:"):
            shown["url"] = "(the URL you gave)"  # it may hold a password
        raise ConfigError(f"could not rewrite the store: section of {config_path}; the copy is complete: set it by "
                          f"hand to {shown}")
    atomic.write_text(config_path, new)  # keeps the file's permissions: it may hold a database password
