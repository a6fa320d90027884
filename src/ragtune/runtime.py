"""What one ask, compare or serve has loaded, owned in one place and loaded once.

A ``Runtime`` holds a project and everything answering reads: its knowledge base (opened on first use), the
retriever, the configured generator, the trained variants' generators, and the trained models' statuses.
``with_overrides`` gives the runtime of a compare arm's config changes and ``with_documents`` the runtime over
another copy of the documents and store (compare's freshness copy); runtimes made from one another share what they
have loaded, keyed by the settings each thing depends on: the same store is the same ``KnowledgeBase`` object, the
same generation settings the same generator, the same model the same status.

Safe to use from many threads (the server shares one): loading takes one lock, and ``embedding_lock`` (an RLock:
a fast tokenizer must not be used by two threads at once) is held by whoever embeds, retrieval included.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ragtune import variants
from ragtune.project import Project

if TYPE_CHECKING:
    from pathlib import Path

    from ragtune.generate.base import Generator
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.retrieve import Retriever
    from ragtune.index.store.base import Filters, Hit
    from ragtune.training.artifact import ModelStatus

T = TypeVar("T")


def _key(*parts: Any) -> str:
    """A cache key of config values (pydantic models dumped as JSON)."""
    return json.dumps(parts, sort_keys=True,
                      default=lambda v: v.model_dump(mode="json") if hasattr(v, "model_dump") else str(v))


class _Pool:
    """What runtimes made from one another have loaded, by the settings it depends on, and how its local generators
    batch (``max_batch``: the most concurrent requests generated together; None: their default; ``serving``: a
    server's, whose fine-tuned variants share the base model's weights)."""

    def __init__(self, max_batch: int | None = None, serving: bool = False) -> None:
        self.loading = threading.RLock()
        self.embedding = threading.RLock()
        self.loaded: dict[Hashable, Any] = {}
        self.max_batch = max_batch
        self.serving = serving

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The object under ``key``, made by ``load()`` once (a load that raises keeps nothing)."""
        with self.loading:
            if key not in self.loaded:
                self.loaded[key] = load()
            return self.loaded[key]


class Runtime:
    """A project and what answering with it has loaded; see the module's docstring."""

    def __init__(self, project: Project, overrides: Sequence[str] = (), *, max_batch: int | None = None,
                 serving: bool = False, _pool: _Pool | None = None, _plain: Runtime | None = None) -> None:
        """``overrides``: the ``key=value`` settings ``project`` was loaded with (``with_overrides`` adds to them);
        ``max_batch``: the most concurrent requests its local generators generate together (the server's
        ``--max-batch``; None: their default); ``serving``: a server's runtime, where LoRA variants are attached
        to the one shared base model (elsewhere each merges its adapter into its own copy: faster batch work)."""
        self.project = project
        self._overrides = tuple(overrides)
        self._pool = _pool or _Pool(max_batch, serving)
        self._plain = _plain  # for a copy's runtime (``with_documents``): the runtime whose documents it replaces
        self._learned: dict[tuple[Any, ...], tuple[int, int]] = {}

    @classmethod
    def load(cls, root: str | Path, overrides: list[str] | None = None, *, max_batch: int | None = None,
             serving: bool = False) -> Runtime:
        """The runtime of the project at ``root`` read with ``overrides``; nothing is loaded yet."""
        return cls(Project.load(root, overrides), overrides or (), max_batch=max_batch, serving=serving)

    @property
    def overrides(self) -> tuple[str, ...]:
        """The ``key=value`` settings this runtime's project was read with (an arm's after compare's own)."""
        return self._overrides

    # ------------------------------------------------------------------ derived runtimes

    def with_overrides(self, overrides: Sequence[str]) -> Runtime:
        """This runtime with more ``key=value`` settings (a compare arm's), sharing what they do not change; the
        same overrides give the same runtime (each arm's config is read once, for the copy's runtime too)."""
        if not overrides:
            return self
        if self._plain is not None:
            return self._plain.with_overrides(overrides)._over(self.project)
        settings = (*self._overrides, *overrides)
        return self._pool.get(("runtime", settings), lambda: Runtime(
            Project.load(self.project.root, list(settings)), settings, _pool=self._pool))

    def with_documents(self, updated: Project) -> Runtime:
        """The runtime of ``updated``, a copy of this project with other documents and store (compare's
        freshness copy): its own knowledge base, everything else shared."""
        return (self._plain or self)._over(updated)

    def _over(self, copy: Project) -> Runtime:
        """This runtime with the documents and store of ``copy``."""
        over = {"documents": copy.config.documents, "store": copy.config.store}
        project = Project(self.project.root, self.project.config.model_copy(update=over))
        return self._pool.get(("copy", _key(over), self._overrides),
                              lambda: Runtime(project, self._overrides, _pool=self._pool, _plain=self))

    # ------------------------------------------------------------------ what is loaded

    @property
    def embedding_lock(self) -> threading.RLock:
        """Held while the embedder is used (retrieval takes it itself)."""
        return self._pool.embedding

    @property
    def store_key(self) -> str:
        """What identifies this runtime's knowledge base: the project folder, its store and embedder settings."""
        cfg = self.project.config
        return _key(str(self.project.root.resolve()), cfg.name, cfg.store, cfg.embedding)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base, opened once per distinct store."""
        from ragtune.index.kb import KnowledgeBase

        return self._pool.get(("kb", self.store_key), lambda: KnowledgeBase(self.project))

    @property
    def retriever(self) -> Retriever:
        """The configured retriever over the knowledge base (searched through ``search_many``)."""
        from ragtune.index.retrieve import Retriever

        return self._pool.get(("retriever", self.store_key, _key(self.project.config.retrieval)),
                              lambda: Retriever(self.kb.store, self.kb.embedder, self.project.config.retrieval))

    def qa_shots(self, questions: list[str]) -> list[list[tuple[str, str]]]:
        """For each question, the ``answer.shots`` train questions closest to it with their answers (the few-shot
        prompt's examples); none without a train split."""
        from ragtune.tasks.shots import similar

        pool = self._pool.get(("train pairs", str(self.project.root.resolve()), self.project.config.data.train),
                              self._train_pairs)
        with self.embedding_lock:
            return similar(pool, [q for q, _ in pool], self.project.config.answer.shots, questions, self.kb.embedder)

    def _train_pairs(self) -> list[tuple[str, str]]:
        from ragtune.data.build import question_file
        from ragtune.data.questions import load_questions
        from ragtune.generate.prompt import IDK

        path = question_file(self.project, self.project.config.data.train)
        pairs = load_questions(path) if path is not None else []
        return [(p.question, p.answer if p.answerable else IDK) for p in pairs]

    def search_many(self, questions: list[str], k: int | None = None, filters: Filters | None = None,
                    allowed: frozenset[str] | None = None) -> list[list[Hit]]:
        """The retriever's hits for each question, under the embedding lock."""
        retriever = self.retriever
        with self.embedding_lock:
            return retriever.search_many(questions, k=k, filters=filters, allowed=allowed)

    @property
    def generator(self) -> Generator:
        """The configured generator (a local model or an OpenAI-compatible endpoint)."""
        from ragtune.generate import load_generator

        cfg = self.project.config.generation
        return self._pool.get(("generator", _key(cfg)), lambda: self._batching(load_generator(cfg)))

    def model_status(self, variant: str) -> ModelStatus:
        """A trained variant's model status against this runtime's knowledge base, computed once (a model not
        trained yet is looked for again on the next call)."""
        from ragtune.training.artifact import model_status

        key = ("status", variant, self.store_key)
        with self._pool.loading:
            status = self._pool.loaded.get(key) or model_status(self.project, variant, kb=self.kb)
            if status.exists:
                self._pool.loaded[key] = status
            return status

    def generator_for(self, variant: str) -> tuple[Generator, list[str]]:
        """The generator a variant answers with, and warnings about it (a stale fine-tuned model)."""
        if not variants.get(variant).trained:
            return self.generator, []
        status = self.model_status(variant)
        if not status.exists:
            from ragtune.training.artifact import require_model

            require_model(self.project, variant, kb=self.kb)  # raises, naming what to run
        cfg = self.project.config.generation
        generator = self._pool.get(("tuned", variant, str(self.project.root.resolve()), _key(cfg)),
                                   lambda: self._batching(self._load_tuned(status)))
        return generator, [f"the {variant} model is stale: {why} (run `ragtune data build` and `ragtune train`)"
                           for why in status.stale]

    def _batching(self, generator: Generator) -> Generator:
        """``generator`` with this runtime's ``max_batch``, if it batches (a local model) and one was given."""
        if self._pool.max_batch is not None and hasattr(generator, "max_batch"):
            generator.max_batch = self._pool.max_batch
        return generator

    def _load_tuned(self, status: ModelStatus) -> Generator:
        from ragtune.generate import load_generator

        manifest = status.manifest
        cfg = self.project.config.generation.model_copy(update={"backend": "local"})
        if manifest is not None and manifest.method == "lora":
            return load_generator(cfg.model_copy(update={"model": manifest.base_model}), adapter=str(status.path),
                                  share_base=self._pool.serving)
        return load_generator(cfg.model_copy(update={"model": str(status.path)}))

    def trained_on(self, variant: str) -> int | None:
        """The knowledge-base version a trained variant's data was built from (None: unknown)."""
        manifest = self.model_status(variant).manifest
        return manifest.kb.version if manifest is not None and manifest.kb is not None else None

    def learned_hidden(self, variant: str, allowed: frozenset[str]) -> tuple[int, int]:
        """How many documents the variant's model learned from (those of the knowledge-base version its data was
        built from, else the current version's) and how many of them a reader allowed ``allowed`` may not see now:
        the current version's labels count, so access rules added after training warn too."""
        from ragtune.access import hidden_now

        trained, head = self.trained_on(variant), self.kb.head()
        key = (variant, trained, head, allowed)
        if key in self._learned:
            return self._learned[key]
        current = self.kb.manifest(head) if head is not None else None
        learned = self.kb.manifest(trained) if trained is not None else None
        gone = learned is None and trained is not None  # that version was dropped (`ingest --rebuild`)
        learned = learned or current
        counts = ((len(learned.documents), hidden_now(learned, current, self.project.config.access, allowed))
                  if learned is not None else (0, 0))
        if not gone:
            self._learned[key] = counts
        return counts
