"""The knowledge base: incremental sync of the documents folder into a store, as numbered versions.

Each sync or rollback that changes anything writes a version manifest (documents, their hashes,
access labels and chunk ids). Chunks are content-addressed and kept in the store's archive, so a
rollback, a relabelled document or an unchanged section never needs re-embedding. The commit runs in
the store's transaction (atomic on PostgreSQL); it also marks itself pending before it touches the
searchable chunks, so on a store without transactions an interrupted commit is undone by the next
open, and the next sync completes the work (embeddings already archived are reused). One writer at a
time holds the store's lock. A rebuild fills a new store beside the current one and swaps it in once complete,
so a failed or killed rebuild leaves every version and the archive as they were.
"""

from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ragtune.access import document_labels
from ragtune.corpus.document import Chunk
from ragtune.corpus.scan import SourceFile, scan_documents
from ragtune.errors import ConfigError, InputError, RagtuneError, StoreBusy
from ragtune.index.embed import Embedder
from ragtune.index.engines import IngestEngine, ReadJob, make_engine, skip_reason
from ragtune.index.manifest import KBDocument, KBSettings, KBVersion, chunk_labels
from ragtune.index.store import ChunkRecord, ChunkStore, open_store
from ragtune.progress import bar
from ragtune.project import Project

if TYPE_CHECKING:
    from ragtune.corpus.chunk import TokenCounter

HEAD, PENDING, VERSIONS, OWNER = "head", "pending", "versions/", "project"


@dataclass
class SyncReport:
    """What a sync did, document by document and chunk by chunk."""

    version: int | None
    previous: int | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    relabeled: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """A human summary, one line per fact."""
        if self.version is None or self.version == self.previous:
            head = f"knowledge base unchanged (version {self.previous})" if self.previous else "nothing to ingest"
        else:
            head = f"knowledge base version {self.version}" + (f" (was {self.previous})" if self.previous else "")
        out = [
            head,
            f"  documents: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped"
            + (f", {len(self.relabeled)} relabelled" if self.relabeled else ""),
            f"  chunks: {self.chunks_added} added, {self.chunks_removed} removed, {self.chunks_embedded} embedded, "
            f"{self.chunks_total} in total ({self.seconds:.1f} s)",
        ]
        out += [f"  skipped {source}: {reason}" for source, reason in self.skipped]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version_key(n: int) -> str:
    return f"{VERSIONS}{n:06d}"


class KnowledgeBase:
    """A project's versioned knowledge base over its configured store and embedder."""

    def __init__(self, project: Project, engine: IngestEngine | None = None):
        self.project = project
        self.embedder = Embedder(project.config.embedding)
        self._engine = engine
        self._store: ChunkStore | None = None
        self._holding = False  # this object holds the ingest lock
        self._recovered = False

    @property
    def engine(self) -> IngestEngine:
        """Where a sync reads and embeds (``ingest.engine``), made on first use: reading needs no Ray."""
        if self._engine is None:
            self._engine = make_engine(self.project.config.ingest)
        return self._engine

    @property
    def store(self) -> ChunkStore:
        """The opened store, restored to the last committed version if a sync was interrupted."""
        store = self._opened()
        if not self._recovered:
            self._recovered = True
            self._recover()
        return store

    def _opened(self) -> ChunkStore:
        """The store, opened without recovery (for taking its lock)."""
        if self._store is None:
            store = open_store(self.project.config.store, self.project.root)
            self._check_owner(store)
            self._store = store
        return self._store

    def _check_owner(self, store: ChunkStore) -> None:
        """A PostgreSQL schema is found by name, so refuse one that another project wrote."""
        cfg = self.project.config
        owner = store.read_meta(OWNER) if cfg.store.backend == "pgvector" else None
        if owner and owner.get("name") != cfg.name:
            raise ConfigError(
                f"the PostgreSQL schema {getattr(store, 'schema', '?')!r} holds the knowledge base of project "
                f"{owner.get('name')!r}, not {cfg.name!r}: set store.pg_schema to a schema of this project's own"
            )

    # -- versions -----------------------------------------------------------------------------
    def head(self) -> int | None:
        """The current version number (None before the first ingest)."""
        value = self.store.read_meta(HEAD)
        return value["version"] if value else None

    def manifest(self, version: int | None = None) -> KBVersion | None:
        """A version's manifest (the head's by default); None when there is no such version."""
        store = self.store
        version = version if version is not None else self.head()
        data = store.read_meta(_version_key(version)) if version is not None else None
        return None if data is None else KBVersion.from_dict(data, f"knowledge-base version {version} in {store}")

    def versions(self) -> list[dict[str, Any]]:
        """Every version's summary: number, time, note, document and chunk counts."""
        store = self.store
        head = self.head()
        out = []
        for key in store.meta_keys(VERSIONS):
            m = KBVersion.from_dict(store.read_meta(key), f"knowledge-base {key} in {store}")
            out.append({"version": m.version, "created": m.created, "note": m.note, "documents": len(m.documents),
                        "chunks": m.chunk_count, "summary": m.summary, "current": m.version == head})
        return out

    # -- sync ---------------------------------------------------------------------------------
    def sync(self, rebuild: bool = False) -> SyncReport:
        """Bring the knowledge base in line with the documents folder; returns what changed.

        ``rebuild`` starts over (every chunk embedded again, one version) in an empty store beside the current
        one, which becomes the knowledge base only once complete: until then, and if the rebuild fails or is
        killed, the current knowledge base stays as it was, every version and the archive included.
        """
        started = time.perf_counter()
        cfg = self.project.config
        with self._locked(), ExitStack() as stack:
            stack.callback(self.engine.close)
            if rebuild:  # into a new store, swapped in when the block ends (unless it stays empty)
                current = self._opened()
                fresh = stack.enter_context(current.rebuilding())
                stack.callback(setattr, self, "_store", current)
                self._store, self._recovered = fresh, True  # nothing of the current store is read or recovered
            store = self.store
            head = self.manifest()
            settings = self._settings()
            if head and head.settings.embedding != settings.embedding:
                raise ConfigError(
                    f"embedding.model changed from {head.settings.embedding!r} to {settings.embedding!r}: "
                    "vectors of different models cannot be mixed; run `ragtune ingest --rebuild`"
                )
            same_chunking = head is not None and head.settings.same_chunking(settings)
            old_docs: dict[str, KBDocument] = head.documents if head else {}
            report = SyncReport(version=None, previous=head.version if head else None)
            files, passed_over = scan_documents(self.project.documents_dir, cfg.include, cfg.exclude)
            if not files and not self.project.documents_dir.is_dir():
                raise InputError(f"{self.project.documents_dir} does not exist: put the documents there")
            docs: dict[str, KBDocument] = {}
            new_chunks: dict[str, Chunk] = {}
            for source, reason in passed_over:
                self._skip(report, docs, source, reason, old_docs.get(source))
            plan: list[tuple[SourceFile, KBDocument | None, ReadJob | KBDocument | Exception]] = []
            jobs: list[ReadJob] = []
            for file in files:  # labels first; then the engine reads the changed files (in order, lazily when local)
                prev = old_docs.get(file.source)
                try:
                    labels = document_labels(file.source, file.path, cfg.access)
                except Exception as exc:
                    plan.append((file, prev, exc))
                    continue
                if prev and prev.sha256 == file.sha256 and same_chunking:
                    plan.append((file, prev, replace(prev, labels=labels)))
                    continue
                jobs.append(ReadJob(file, labels))
                plan.append((file, prev, jobs[-1]))
            reads = self.engine.read(self, jobs)
            stack.callback(reads.close)
            for file, prev, step in plan:
                if isinstance(step, KBDocument):
                    docs[file.source] = step
                    if prev.labels != step.labels:
                        report.relabeled.append(file.source)
                    report.unchanged += 1
                    continue
                outcome = next(reads) if isinstance(step, ReadJob) else step
                if isinstance(outcome, Exception):  # a parser's bug or a file no check foresaw: skip this file
                    self._skip(report, docs, file.source, skip_reason(outcome, file.source), prev)
                    continue
                entry, chunks = outcome
                docs[file.source] = entry
                new_chunks.update({c.id: c for c in chunks})
                (report.changed if prev else report.added).append(file.source)
            report.removed = sorted(set(old_docs) - set(docs))
            if jobs:
                self._check_sizes(report)
            target = chunk_labels(docs)
            current = store.labels()
            report.chunks_added = len(target.keys() - current.keys())
            report.chunks_removed = len(current.keys() - target.keys())
            report.chunks_total = len(target)
            if (head and docs == old_docs and target == current) or (not head and not docs):
                report.version = head.version if head else None
                if rebuild:
                    report.warnings.append("nothing to ingest: the knowledge base is left as it was")
                report.seconds = time.perf_counter() - started
                return report
            missing = sorted(target.keys() - current.keys())
            fresh = self._embed_missing([new_chunks[i] for i in missing if i in new_chunks], report)
            # `current` stays valid until the commit: this sync holds the writer lock
            summary = {"added": len(report.added), "changed": len(report.changed), "removed": len(report.removed),
                       "unchanged": report.unchanged, "skipped": len(report.skipped),
                       "relabeled": len(report.relabeled)}
            report.version = self._commit(docs, settings, "ingest", summary, fresh, current)
            report.seconds = time.perf_counter() - started
            return report

    def rollback(self, version: int) -> int:
        """Make ``version``'s documents current again, as a new version; returns its number."""
        with self._locked():
            target = self.manifest(version)
            if target is None:
                known = ", ".join(str(v["version"]) for v in self.versions()) or "none"
                raise InputError(f"no knowledge-base version {version} (versions: {known})")
            self.store  # noqa: B018 - opens and recovers
            summary = {"rollback_to": version}
            return self._commit(target.documents, target.settings, f"rollback to {version}", summary, {})

    # -- internals ----------------------------------------------------------------------------
    @staticmethod
    def _skip(report: SyncReport, docs: dict[str, KBDocument], source: str, reason: str,
              prev: KBDocument | None) -> None:
        """Pass over a document with the reason; one already in the knowledge base keeps its previous version."""
        if prev:
            docs[source] = prev
            reason += " (previous version kept)"
        report.skipped.append((source, reason))

    def _settings(self) -> KBSettings:
        cfg = self.project.config
        return KBSettings(cfg.embedding.model, cfg.chunking.model_dump(), dict(cfg.parsers))

    def token_counter(self) -> TokenCounter:
        """Counts tokens as the embedding model does (what chunking sizes chunks by)."""
        from ragtune.corpus.chunk import TokenCounter

        return TokenCounter(self.embedder.tokenizer)

    def _check_sizes(self, report: SyncReport) -> None:
        size, limit = self.project.config.chunking.size, self.embedder.max_tokens
        if size + 16 > limit:
            report.warnings.append(
                f"chunking.size {size} is near or above what {self.embedder.name} reads ({limit} tokens): "
                "the end of long chunks is not embedded; lower chunking.size"
            )

    def _embed_missing(self, chunks: list[Chunk], report: SyncReport) -> dict[str, ChunkRecord]:
        """Records for new chunks: from the archive when embedded before, else embedded now and archived."""
        store = self.store
        records = store.archived([c.id for c in chunks]) if chunks else {}
        todo = [c for c in chunks if c.id not in records]
        progress = bar(len(todo), "embedding", unit="chunk")
        for fresh in self.engine.embed(self, todo):
            store.archive(fresh)  # an interrupted ingest keeps what was embedded
            records.update({r.chunk.id: r for r in fresh})
            progress.update(len(fresh))
        progress.close()
        report.chunks_embedded = len(todo)
        return records

    def _commit(self, docs: dict[str, KBDocument], settings: KBSettings, note: str, summary: dict[str, Any],
                records: dict[str, ChunkRecord], current: dict[str, list[str]] | None = None) -> int:
        store = self.store
        previous = self.head()
        number = max([int(k[len(VERSIONS):]) for k in store.meta_keys(VERSIONS)] or [0]) + 1
        manifest = KBVersion(number, docs, parent=previous, created=_now(), note=note, settings=settings,
                             summary=summary)
        with store.transaction():
            if store.read_meta(OWNER) is None:
                store.write_meta(OWNER, {"name": self.project.config.name})
            store.write_meta(PENDING, {"version": number, "restore": previous})
            self._apply(chunk_labels(docs), records, current)
            store.write_meta(_version_key(number), manifest.to_dict())
            store.write_meta(HEAD, {"version": number})
            store.write_meta(PENDING, None)
        return number

    def _apply(self, target: dict[str, list[str]], records: dict[str, ChunkRecord],
               current: dict[str, list[str]] | None = None) -> None:
        """Make the searchable chunks exactly ``target``'s ids with its labels (records not given come from
        the archive; a chunk whose labels changed is rewritten from it). ``current``: the store's labels, when
        the caller has just read them under the lock. Labels are sorted lists everywhere (manifests, stores)."""
        store = self._store
        current = store.labels() if current is None else current
        relabel = {i for i in target.keys() & current.keys() if current[i] != target[i]}
        missing = sorted((target.keys() - current.keys()) | relabel)
        needed = [i for i in missing if i not in records]
        found = store.archived(needed) if needed else {}
        lost = [i for i in needed if i not in found]
        if lost:
            raise RagtuneError(
                f"{len(lost)} chunks of the target version are not in the archive (e.g. {lost[0]}): "
                "run `ragtune ingest --rebuild`"
            )
        add = [records.get(i) or found[i] for i in missing]
        store.replace((current.keys() - target.keys()) | relabel,
                      [ChunkRecord(r.chunk, r.vector, target[r.chunk.id]) for r in add])

    def _recover(self) -> None:
        """After an interrupted sync, put the last committed version back in place.

        Only with the ingest lock: while another process holds it, its sync is still running (not interrupted),
        and it will commit or leave the recovery to the next opener.
        """
        store = self._store
        if store.read_meta(PENDING) is None:
            return
        if not self._holding:
            try:
                with self._locked():
                    self._recover()
            except StoreBusy:
                pass  # another ingest is running: it commits, or leaves the recovery to the next opener
            return
        head = self.manifest()
        self._apply(head.chunk_labels() if head else {}, {})
        store.write_meta(PENDING, None)

    @contextmanager
    def _locked(self):
        with self._opened().lock():
            self._holding = True
            try:
                yield
            finally:
                self._holding = False
