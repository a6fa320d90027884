"""The model side of the server: one shared Runtime per app, models named ``<project>:<variant>``.

Nothing here knows HTTP. Every request answers with the app's runtime (which loads the knowledge base, retriever
and models once, under its locks) and the request's generation options (max_tokens, temperature, stop); the
answer says why generation finished. Concurrent requests on one local model are generated together (the model's
batcher), at most ``max_batch`` at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.access import Reader
from ragtune.answer import Answer, ask
from ragtune.generate.base import GenerationOptions
from ragtune.runtime import Runtime
from ragtune.server.errors import INVALID, ApiError
from ragtune.training.artifact import TRAINED_VARIANTS, is_trained
from ragtune.variants import untrained

if TYPE_CHECKING:
    from ragtune.index.embed import Embedder

ALWAYS = untrained()  # base, few-shot, rag: the configured generator answers them, no training needed


class Service:
    """A project's models, loaded once and shared by all requests (safe to call from many threads)."""

    def __init__(self, project_root: str | Path, overrides: list[str] | None = None,
                 max_batch: int | None = None) -> None:
        """``max_batch``: the most requests generated together on one local model (None: the generator's default)."""
        self.runtime = Runtime.load(project_root, overrides, max_batch=max_batch, serving=True)
        self.project = self.runtime.project
        self.name = self.project.config.name

    # ------------------------------------------------------------------ models

    def model_id(self, variant: str) -> str:
        """The API name of a variant, e.g. ``demo:rag``."""
        return f"{self.name}:{variant}"

    def variants(self) -> list[str]:
        """The variants that can answer now: the untrained ones always, ft and hybrid once trained."""
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
        embedder = self.embedder
        with self.runtime.embedding_lock:
            _ = embedder.dim
        _ = self.runtime.generator

    # ------------------------------------------------------------------ answering

    def answer(self, question: str, variant: str, options: GenerationOptions, k: int | None = None,
               filters: dict[str, Any] | None = None, on_token: Callable[[str], None] | None = None,
               reader: Reader = None) -> Answer:
        """Answer ``question`` with ``variant`` and the request's ``options``; retrieval sees only what ``reader``
        may read (None: everything). ``Answer.finish_reason`` says why generation stopped."""
        return ask(self.runtime, question, variant, k=k, filters=filters, on_token=on_token, reader=reader,
                   options=options)

    # ------------------------------------------------------------------ embeddings

    @property
    def embedder(self) -> Embedder:
        """The project's embedder (the one its knowledge base was built with)."""
        return self.runtime.kb.embedder

    def embed(self, texts: list[str]) -> tuple[Any, int]:
        """Unit-length float32 vectors for ``texts`` (the query side, as retrieval embeds questions) and the number
        of tokens the embedder read."""
        embedder = self.embedder
        with self.runtime.embedding_lock:
            vectors = embedder.embed_queries(texts)
            counts = embedder.tokenizer(texts, add_special_tokens=True)["input_ids"]
        return vectors, sum(min(len(ids), embedder.max_tokens) for ids in counts)
