"""The registry of variants (base, few-shot, rag, ft, hybrid) and training methods (lora, full, cpt).

Config validation, CLI choices, answering, training, costs, the recommendation and the server read these names
and properties from here. Adding a variant is one ``Variant`` in ``_REGISTERED`` (plus its prompt kind in
answer.PROMPTS if it needs a new one). Imports nothing of ragtune's but errors, so config.py can import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from ragtune.errors import InputError


@dataclass(frozen=True)
class Variant:
    """One way of answering: a model (base or trained), with or without retrieval."""

    name: str
    summary: str  # a few words for help texts, e.g. "retrieval"
    retrieves: bool  # retrieves sources and answers from them (cited, grounding-checked)
    data: str | None  # the training data it learns from (a trainer.DATA_FILES key); None: the base model, untrained
    prompt: Literal["base", "rag", "few-shot"]  # the prompt it answers with: the question alone, with numbered
    # sources, or after train examples (answer.PROMPTS)
    simplicity: int  # 0 = simplest: the recommendation prefers the simpler of two equally good arms
    update_how: str  # how a knowledge update reaches it (results.json cost.arms.*.update_how)
    compared: bool = True  # in evaluation.variants by default (the QA comparison); tasks compare every variant

    @property
    def trained(self) -> bool:
        """Whether it answers with a model fine-tuned by ``ragtune train``."""
        return self.data is not None


_REGISTERED = (
    Variant("base", "model alone", retrieves=False, data=None, prompt="base", simplicity=0,
            update_how="cannot learn new documents (its knowledge is fixed)"),
    Variant("few-shot", "train examples in the prompt", retrieves=False, data=None, prompt="few-shot", simplicity=1,
            update_how="edit the train examples (no index, no retraining)", compared=False),
    Variant("rag", "retrieval", retrieves=True, data=None, prompt="rag", simplicity=2,
            update_how="re-index the changed documents"),
    Variant("ft", "fine-tuned", retrieves=False, data="sft", prompt="base", simplicity=3,
            update_how="rebuild the training data and retrain"),
    Variant("hybrid", "RAFT-tuned + retrieval", retrieves=True, data="raft", prompt="rag", simplicity=4,
            update_how="re-index, rebuild the RAFT data and retrain"),
)

VARIANTS: Mapping[str, Variant] = MappingProxyType({v.name: v for v in _REGISTERED})
DEFAULT_ASK = "rag"  # the variant `ask` answers with when none is named
DEFAULT_TRAINED = "ft"  # the trained variant `export` (and train_variant) use when none is named

METHODS: Mapping[str, str] = MappingProxyType({  # training methods, with what each trains
    "lora": "adapter",
    "full": "all weights",
    "cpt": "continued pretraining on the chunks' text",
})


def names() -> tuple[str, ...]:
    """All variant names, in the registry's order (base, few-shot, rag, ft, hybrid)."""
    return tuple(VARIANTS)


def compared() -> tuple[str, ...]:
    """The variants the QA comparison runs by default (evaluation.variants): base, rag, ft, hybrid."""
    return tuple(v.name for v in VARIANTS.values() if v.compared)


def retrieving() -> tuple[str, ...]:
    """The variants that answer from retrieved sources."""
    return tuple(v.name for v in VARIANTS.values() if v.retrieves)


def trained() -> tuple[str, ...]:
    """The variants that answer with a model of their own (``ragtune train``)."""
    return tuple(v.name for v in VARIANTS.values() if v.trained)


def untrained() -> tuple[str, ...]:
    """The variants that answer with the configured generator as it is (available without training)."""
    return tuple(v.name for v in VARIANTS.values() if not v.trained)


def get(name: str) -> Variant:
    """The registered variant ``name``; an InputError naming the known ones otherwise."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise InputError(f"unknown variant {name!r}: choose one of {', '.join(VARIANTS)}") from None


def described(keys: Mapping[str, str]) -> str:
    """``name (description), ...`` for help texts, e.g. of METHODS."""
    return ", ".join(f"{name} ({text})" for name, text in keys.items())


VariantName = Literal[names()]  # type: ignore[valid-type]  # the registered names, for pydantic (schema enum)
MethodName = Literal[tuple(METHODS)]  # type: ignore[valid-type]
