"""Answer generation: a local transformers model or an OpenAI-compatible endpoint behind one protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragtune.errors import ConfigError
from ragtune.generate.base import Generation, GenerationOptions, Generator, TextStream
from ragtune.generate.models import load_causal_lm, resolve_model_path

if TYPE_CHECKING:
    from ragtune.config import GenerationConfig

__all__ = [
    "Generation",
    "GenerationOptions",
    "Generator",
    "TextStream",
    "load_causal_lm",
    "load_generator",
    "resolve_model_path",
]


def load_generator(cfg: GenerationConfig, adapter: str | None = None, share_base: bool = False) -> Generator:
    """The Generator for a GenerationConfig: ``backend: local`` loads the model now, ``openai`` connects lazily.

    ``adapter``: a PEFT adapter folder of the local model (fine-tuned variants): merged into its own copy of the
    weights, or with ``share_base`` attached to the shared base model (see ``LocalGenerator``).
    """
    if cfg.backend == "openai":
        if adapter:
            raise ConfigError("a fine-tuned adapter runs on the local backend: set generation.backend: local")
        from ragtune.generate.openai_compat import OpenAIGenerator

        return OpenAIGenerator(cfg)
    from ragtune.generate.local import LocalGenerator

    return LocalGenerator(cfg, adapter=adapter, share_base=share_base)
