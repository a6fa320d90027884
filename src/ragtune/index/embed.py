"""Sentence-transformers embeddings: the bundled all-MiniLM-L6-v2 by default, any model id or path."""

from __future__ import annotations

from typing import Any

import numpy as np

from ragtune.config import EmbeddingConfig
from ragtune.errors import MissingDependencyError, RagtuneError
from ragtune.models.cache import loaded
from ragtune.models.dtype import embedding_dtype
from ragtune.models.resolve import BUNDLED_EMBEDDERS, resolve_embedder_path
from ragtune.progress import progress_enabled, quiet_transformers

__all__ = ["BUNDLED_EMBEDDERS", "Embedder", "embedding_dtype", "resolve_embedder_path", "unit_rows"]


def _load_model(spec: str, device: str, dtype: str) -> Any:
    """The sentence-transformers model for (spec, device, dtype), loaded once per process."""
    return loaded(("embedder", spec, device, dtype), lambda: _load_sentence_transformer(spec, device, dtype))


def _load_sentence_transformer(spec: str, device: str, dtype: str) -> Any:
    path = resolve_embedder_path(spec)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError(
            "sentence-transformers is not installed: run `pip install sentence-transformers`"
        ) from exc
    try:
        import torch

        with quiet_transformers():
            return SentenceTransformer(path, device=device, model_kwargs={"dtype": getattr(torch, dtype)})
    except OSError as exc:
        raise RagtuneError(
            f"cannot load embedding model {spec!r}: {exc}. Offline machines need a local path or a "
            "model already in the Hugging Face cache (embedding.model)."
        ) from None


def unit_rows(vectors) -> np.ndarray:
    """Rows scaled to unit length in float32 (a bf16 model normalizes only to about 0.4%), so that a dot product
    is the cosine every store computes."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class Embedder:
    """Embeds chunks and queries into unit-length float32 vectors (cosine = dot product)."""

    def __init__(self, cfg: EmbeddingConfig):
        self.cfg = cfg
        self._model = None

    @property
    def model(self):
        """The loaded sentence-transformers model (loaded once per process and shared)."""
        if self._model is None:
            self._model = _load_model(self.cfg.model, self.cfg.device,
                                      embedding_dtype(self.cfg.dtype, self.cfg.device))
        return self._model

    @property
    def name(self) -> str:
        """The configured model name, recorded with every knowledge-base version."""
        return self.cfg.model

    @property
    def dim(self) -> int:
        """Vector dimension."""
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def tokenizer(self):
        """The model's tokenizer, used to size chunks in the tokens the model reads."""
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        """The longest input the model reads; longer text is truncated."""
        return int(self.model.max_seq_length)

    def embed_documents(self, texts: list[str], show_progress: bool | None = None) -> np.ndarray:
        """Embed chunk texts in batches."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        show = progress_enabled() if show_progress is None else show_progress
        vectors = self.model.encode(
            texts, batch_size=self.cfg.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show and len(texts) > self.cfg.batch_size,
        )
        return unit_rows(vectors)

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """Embed questions."""
        vectors = self.model.encode(
            queries, batch_size=self.cfg.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return unit_rows(vectors)
