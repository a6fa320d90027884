"""The model side of the server: one shared Answerer and embedder per app, models named ``<project>:<variant>``.

Nothing here knows HTTP. Each request gets a light view of the shared Answerer whose generator carries the
request's options (max_tokens, temperature, stop) and records why generation finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtune.access import Reader
from ragtune.answer import Answer, Answerer
from ragtune.project import Project
from ragtune.server.errors import INVALID, ApiError
from ragtune.training.artifact import TRAINED_VARIANTS, is_trained
from ragtune.variants import untrained

ALWAYS = untrained()  # base, rag: the configured generator answers them, no training needed


class _BoundGenerator:
    """A generator with one request's options bound; remembers the finish reason of what it generated."""

    def __init__(self, generator: Any, options: dict[str, Any]) -> None:
        self._generator, self._options = generator, options
        self._generation: Any = None
        self._stream: Any = None

    def _merged(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**self._options, **{k: v for k, v in kwargs.items() if v is not None}}

    def chat(self, messages, **kwargs):
        self._generation = self._generator.chat(messages, **self._merged(kwargs))
        return self._generation

    def stream(self, messages, **kwargs):
        self._stream = self._generator.stream(messages, **self._merged(kwargs))
        return self._stream

    def chat_batch(self, batch, **kwargs):
        return self._generator.chat_batch(batch, **self._merged(kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._generator, name)

    def close(self) -> None:
        """Stop a stream that was left unfinished (its consumer raised), so the model is free again at once."""
        close = getattr(self._stream, "close", None)
        if close is not None and getattr(self._stream, "generation", None) is None:
            close()

    @property
    def finish_reason(self) -> str:
        """"stop" or "length" for the last chat or exhausted stream ("stop" when unknown)."""
        done = self._generation or getattr(self._stream, "generation", None)
        return getattr(done, "finish_reason", None) or "stop"


class _Serialized:
    """A retriever whose searches take the embedder lock (a fast tokenizer must not be used by two threads)."""

    def __init__(self, retriever: Any, lock: threading.RLock) -> None:
        self._retriever, self._lock = retriever, lock

    def search_many(self, *args, **kwargs):
        with self._lock:
            return self._retriever.search_many(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._retriever, name)


class _RequestAnswerer(Answerer):
    """The shared Answerer's knowledge base, retriever and models, with one request's generation options.

    It does not call ``Answerer.__init__``: everything loaded is borrowed from the shared instance (loading happens
    there, under a lock, once).
    """

    def __init__(self, shared: Answerer, lock: threading.Lock, embed_lock: threading.RLock,
                 options: dict[str, Any]) -> None:
        self.project, self.kb = shared.project, shared.kb
        self._trained_on, self._learned = shared._trained_on, shared._learned  # caches shared across requests
        self._shared, self._lock, self._embed_lock, self._options = shared, lock, embed_lock, options
        self.bound: _BoundGenerator | None = None

    @property
    def retriever(self):
        with self._lock:
            return _Serialized(self._shared.retriever, self._embed_lock)

    def generator_for(self, variant: str):
        with self._lock:
            generator, warnings = self._shared.generator_for(variant)
        self.bound = _BoundGenerator(generator, self._options)
        return self.bound, warnings


@dataclass
class Reply:
    """A finished answer and why generation stopped."""

    answer: Answer
    finish_reason: str


class Service:
    """A project's models, loaded once and shared by all requests (safe to call from many threads)."""

    def __init__(self, project_root: str | Path, overrides: list[str] | None = None) -> None:
        self.project = Project.load(project_root, overrides)
        self.name = self.project.config.name
        self.answerer = Answerer(self.project)
        self._lock = threading.Lock()  # loading models
        self._embed_lock = threading.RLock()  # using the embedder

    # ------------------------------------------------------------------ models

    def model_id(self, variant: str) -> str:
        """The API name of a variant, e.g. ``demo:rag``."""
        return f"{self.name}:{variant}"

    def variants(self) -> list[str]:
        """The variants that can answer now: base and rag always, ft and hybrid once trained."""
        trained = [v for v in TRAINED_VARIANTS if is_trained(self.project, v)]
        return [*ALWAYS, *trained]

    def models(self) -> list[str]:
        """The model ids of the available variants."""
        return [self.model_id(v) for v in self.variants()]

    def variant_of(self, model: str) -> str:
        """The variant a chat model id names; a 404 ApiError listing the known ids otherwise."""
        for variant in self.variants():
            if model == self.model_id(variant):
                return variant
        raise ApiError(404, f"the model {model!r} does not exist: choose one of {', '.join(self.models())}",
                       INVALID, param="model", code="model_not_found")

    def check_embedding_model(self, model: str) -> None:
        """Embeddings accept any of the project's model ids or the embedder's name; a 404 ApiError otherwise."""
        known = [*self.models(), self.project.config.embedding.model]
        if model not in known:
            raise ApiError(404, f"the model {model!r} does not exist: for embeddings choose one of {', '.join(known)}",
                           INVALID, param="model", code="model_not_found")

    def warm(self) -> None:
        """Load the embedder and the base generator now rather than on the first request."""
        with self._embed_lock:
            _ = self.embedder.dim
        with self._lock:
            _ = self.answerer.generator

    # ------------------------------------------------------------------ answering

    def answer(self, question: str, variant: str, options: dict[str, Any], k: int | None = None,
               filters: dict[str, Any] | None = None, on_token: Callable[[str], None] | None = None,
               reader: Reader = None) -> Reply:
        """Answer ``question`` with ``variant``; ``options`` are the generator's keyword arguments; retrieval sees
        only what ``reader`` may read (None: everything)."""
        view = _RequestAnswerer(self.answerer, self._lock, self._embed_lock, options)
        try:
            answer = view.ask(question, variant, k=k, filters=filters, on_token=on_token, reader=reader)
        finally:
            if view.bound is not None:
                view.bound.close()
        return Reply(answer, view.bound.finish_reason if view.bound is not None else "stop")

    # ------------------------------------------------------------------ embeddings

    @property
    def embedder(self):
        """The project's embedder (the one its knowledge base was built with)."""
        return self.answerer.kb.embedder

    def embed(self, texts: list[str]) -> tuple[Any, int]:
        """Unit-length float32 vectors for ``texts`` (the query side, as retrieval embeds questions) and the number
        of tokens the embedder read."""
        embedder = self.embedder
        with self._embed_lock:
            vectors = embedder.embed_queries(texts)
            counts = embedder.tokenizer(texts, add_special_tokens=True)["input_ids"]
        return vectors, sum(min(len(ids), embedder.max_tokens) for ids in counts)
