"""Answer generation: a local transformers model or an OpenAI-compatible endpoint behind one protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragtune.generate.base import Generation, Generator, TextStream
from ragtune.generate.models import load_causal_lm, resolve_model_path

if TYPE_CHECKING:
    from ragtune.config import GenerationConfig

__all__ = [
    "Generation",
    "Generator",
    "TextStream",
    "load_causal_lm",
    "load_generator",
    "resolve_model_path",
]


def load_generator(cfg: GenerationConfig) -> Generator:
    """The Generator for a GenerationConfig: ``backend: local`` loads the model now, ``openai`` connects lazily."""
    if cfg.backend == "openai":
        from ragtune.generate.openai_compat import OpenAIGenerator

        return OpenAIGenerator(cfg)
    from ragtune.generate.local import LocalGenerator

    return LocalGenerator(cfg)
