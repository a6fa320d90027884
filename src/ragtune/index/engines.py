"""Ingest engines: where a sync's per-file reading (parse and chunk) and its embedding run.

``KnowledgeBase.sync`` keeps all the logic (what changed, the archive, the one writer and its commit); an engine
only maps work out and hands the results back in order. ``local`` runs in this process (the default);
``ray`` parses and chunks each file in a Ray task and embeds in Ray Data ``map_batches`` actors that load the
embedding model once each, so a cluster (``ingest.ray_address``) shares the work while the commit stays here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ragtune.corpus.document import Chunk
from ragtune.corpus.scan import SourceFile
from ragtune.errors import InputError, RagtuneError
from ragtune.index.manifest import KBDocument
from ragtune.index.store import ChunkRecord
from ragtune.progress import track
from ragtune.rayutil import INGEST, connect, error_cause, import_ray

if TYPE_CHECKING:
    from ragtune.config import EmbeddingConfig, IngestConfig, ProjectConfig
    from ragtune.index.kb import KnowledgeBase

EMBED_BATCH = 256

Read = tuple[KBDocument, list[Chunk]]
"""A file read: its manifest entry and its chunks."""


@dataclass(frozen=True)
class ReadJob:
    """A file to parse and chunk, with its access labels."""

    file: SourceFile
    labels: list[str]


def read_document(config: ProjectConfig, file: SourceFile, counter: Any, labels: list[str]) -> Read:
    """Parse and chunk one file (``counter`` sizes chunks in the embedder's tokens); InputError when unusable."""
    from ragtune.corpus.chunk import chunk_document
    from ragtune.corpus.parsers import parse_file

    cfg, limits = config.chunking, config.ingest
    doc = parse_file(file.path, file.source, config.parsers, limits)
    chunks = chunk_document(doc, cfg.size, cfg.overlap, counter)
    if not chunks:
        raise InputError(f"{file.source}: has no text")
    if len(chunks) > limits.max_chunks_per_file:
        raise InputError(f"{file.source} makes {len(chunks):,} chunks, over ingest.max_chunks_per_file "
                         f"({limits.max_chunks_per_file:,}): split it, or raise the limit")
    return KBDocument(file.sha256, doc.title, [c.id for c in chunks], labels), chunks


def skip_reason(exc: Exception, source: str) -> str:
    """Why ``source`` is skipped after ``exc``; a RagtuneError is re-raised (a configuration problem, not the
    file's)."""
    if isinstance(exc, InputError):
        return str(exc).removeprefix(f"{source}: ")
    if isinstance(exc, RagtuneError):
        raise exc
    return f"could not be read ({type(exc).__name__}: {str(exc).strip()[:300]})"


class IngestEngine(Protocol):
    """Runs a sync's reads and embeddings; results come back to the sync, which alone writes the store."""

    name: str

    def read(self, kb: KnowledgeBase, jobs: list[ReadJob]) -> Generator[Read | Exception, None, None]:
        """Each job's read, in order, or the exception reading it raised (the sync skips or re-raises it)."""
        ...

    def embed(self, kb: KnowledgeBase, chunks: list[Chunk]) -> Iterator[list[ChunkRecord]]:
        """The chunks' records with vectors, batch by batch (the sync archives each as it comes)."""
        ...

    def close(self) -> None:
        """Release what the engine started."""
        ...


class LocalEngine:
    """Reads and embeds in this process, one file and one batch at a time."""

    name = "local"

    def read(self, kb: KnowledgeBase, jobs: list[ReadJob]) -> Generator[Read | Exception, None, None]:
        counter = None
        for job in track(jobs, "parsing", unit="doc"):
            try:
                if counter is None:
                    counter = kb.token_counter()
                yield read_document(kb.project.config, job.file, counter, job.labels)
            except Exception as exc:  # handed to the sync, which skips the file or re-raises
                yield exc

    def embed(self, kb: KnowledgeBase, chunks: list[Chunk]) -> Iterator[list[ChunkRecord]]:
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            vectors = kb.embedder.embed_documents([c.embed_text for c in batch], show_progress=False)
            yield [ChunkRecord(c, v) for c, v in zip(batch, vectors)]

    def close(self) -> None:
        pass


# -- Ray ----------------------------------------------------------------------------------------------------------
def _worker_read(config: ProjectConfig, job: ReadJob) -> Read | Exception:
    """A Ray task's body: one file's read, or the exception it raised (returned, so the sync decides)."""
    from ragtune.corpus.chunk import TokenCounter
    from ragtune.index.embed import Embedder

    try:
        counter = TokenCounter(Embedder(config.embedding).tokenizer)  # the model loads once per worker process
        return read_document(config, job.file, counter, job.labels)
    except RagtuneError as exc:
        return exc
    except Exception as exc:  # as an InputError with the local reason: any exception type travels back
        return InputError(f"{job.file.source}: {skip_reason(exc, job.file.source)}")


class _EmbedActor:
    """A Ray Data ``map_batches`` actor: loads the embedding model once and embeds batches of chunk texts."""

    def __init__(self, cfg: EmbeddingConfig):
        from ragtune.index.embed import Embedder

        self.embedder = Embedder(cfg)
        self.embedder.model  # noqa: B018 - load now, once per actor

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed_documents([str(t) for t in batch["text"]], show_progress=False)
        return {"id": batch["id"], "vector": vectors}


class RayEngine:
    """Parses and chunks each file in a Ray task and embeds in Ray Data actors; the sync commits as usual.

    ``address``: a running cluster's (``ray://host:10001`` or ``host:6379``); None starts a local Ray (or joins
    the one ``RAY_ADDRESS`` names). Every worker reads the documents by path: on a cluster, the documents folder
    must be at the same path on each node. ``reader``: the task body (a test swaps in a failing one).
    """

    name = "ray"
    actor: type = _EmbedActor
    """The ``map_batches`` class that embeds (a test swaps in a failing one)."""

    def __init__(self, address: str | None = None, reader: Callable[[Any, ReadJob], Read | Exception] = _worker_read):
        self.ray = import_ray(INGEST, data=True)
        self.address = address
        self.reader = reader
        self._started = False

    def _connect(self) -> Any:
        if connect(self.ray, self.address, INGEST):
            self._started = True
        return self.ray

    def read(self, kb: KnowledgeBase, jobs: list[ReadJob]) -> Generator[Read | Exception, None, None]:
        if not jobs:
            return
        ray = self._connect()
        task = ray.remote(self.reader)
        config = ray.put(kb.project.config)
        refs = [task.remote(config, job) for job in jobs]
        done = False
        try:
            for job, ref in zip(track(jobs, "parsing", unit="doc"), refs):
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise RagtuneError(
                        f"{job.file.source}: the Ray worker reading it failed ({error_cause(exc)}); nothing was "
                        "committed, the knowledge base stays at its last version"
                    ) from None
            done = True
        finally:
            if not done:  # a failure, or the sync stopped early: stop what still runs. force: end the worker
                for ref in refs:  # process, as an interrupt mid-import could leave it unable to read another file
                    ray.cancel(ref, force=True)

    def embed(self, kb: KnowledgeBase, chunks: list[Chunk]) -> Iterator[list[ChunkRecord]]:
        if not chunks:
            return
        ray = self._connect()
        cfg = kb.project.config.embedding
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        use_gpu = gpus > 0 and cfg.device != "cpu"
        actors = gpus if use_gpu else max(1, cpus // 2)
        by_id = {c.id: c for c in chunks}
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # quiet: the sync shows its own progress bar
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = context.print_on_execution_start = False
        dataset = ray.data.from_items([{"id": c.id, "text": c.embed_text} for c in chunks]).map_batches(
            self.actor, fn_constructor_args=(cfg,), batch_size=EMBED_BATCH, batch_format="numpy",
            concurrency=actors, num_gpus=1 if use_gpu else 0, num_cpus=0 if use_gpu else 1,
        )
        try:
            for batch in dataset.iter_batches(batch_size=EMBED_BATCH, batch_format="numpy"):
                yield [ChunkRecord(by_id[str(i)], np.asarray(v, dtype=np.float32))
                       for i, v in zip(batch["id"], batch["vector"])]
        except Exception as exc:
            if isinstance(exc, RagtuneError):
                raise
            sources = sorted({c.source for c in chunks})
            named = ", ".join(sources[:5]) + (f" and {len(sources) - 5} more" if len(sources) > 5 else "")
            raise RagtuneError(
                f"embedding the chunks of {named} failed in a Ray worker ({error_cause(exc)}); nothing was committed, "
                "the knowledge base stays at its last version"
            ) from None

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False


def make_engine(cfg: IngestConfig, address: str | None = None) -> IngestEngine:
    """The engine ``cfg.engine`` names (``address`` overrides ``cfg.ray_address``)."""
    if cfg.engine == "ray":
        return RayEngine(address or cfg.ray_address)
    return LocalEngine()
