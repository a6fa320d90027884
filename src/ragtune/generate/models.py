"""Load causal language models for generation (and their tokenizers), once per process; where a spec points
(bundled GGUF files converted once, local folders, Hub ids) and which dtype "auto" means live in ragtune.models."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

from ragtune.errors import ConfigError, RagtuneError
from ragtune.models.cache import folder_stamp, loaded
from ragtune.models.dtype import pick_dtype  # ragtune.models.dtype keeps the measurements behind each choice
from ragtune.models.gguf import cached_conversion, is_complete, models_dir
from ragtune.models.resolve import BUNDLED_GENERATORS as BUNDLED
from ragtune.models.resolve import GENERATION, bundled_file, hub_unavailable, resolve_model_path
from ragtune.progress import quiet_transformers

__all__ = [  # loading lives here; the helpers from ragtune.models.{resolve,gguf,dtype} that callers import from here
    "BUNDLED",
    "bundled_gguf",
    "cached_conversion",
    "generation_lock",
    "is_complete",
    "load_causal_lm",
    "load_model_files",
    "merge_adapter",
    "models_dir",
    "pick_dtype",
    "quiet_peft",
    "resolve_model_path",
]

_lock_registry = threading.Lock()
_generation_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()


def bundled_gguf(name: str) -> Path:
    """The GGUF file shipped by a bundled generator's package (found without importing the package)."""
    return bundled_file(name, GENERATION)


def _check_device(device: str) -> None:
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError):
        raise ConfigError(
            f"generation.device {device!r} is not a torch device (use cpu, cuda, cuda:1 or mps)"
        ) from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError("generation.device is 'cuda' but torch sees no CUDA GPU: set generation.device=cpu")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("generation.device is 'mps' but MPS is not available: set generation.device=cpu")


def generation_lock(model: Any) -> threading.Lock:
    """The lock that serializes use of a shared object (a model, a tokenizer) across threads."""
    with _lock_registry:
        lock = _generation_locks.get(model)
        if lock is None:
            lock = _generation_locks[model] = threading.Lock()
        return lock


def load_causal_lm(spec: str, dtype: str = "auto", device: str = "cpu", adapter: str | None = None) -> tuple[Any, Any]:
    """Load (model, tokenizer) once per (resolved path, dtype, device, adapter) and share it across callers.

    ``adapter`` is a PEFT adapter folder (a LoRA fine-tune of ``spec``), merged into the weights once at load.
    The model is in eval mode; the tokenizer pads on the left (for batched generation) and has a pad token.
    Thread-safe: concurrent callers of the same key wait for a single load.
    """
    import torch

    _check_device(device)
    path = resolve_model_path(spec)
    dtype = pick_dtype(dtype, device)  # warns once when bf16 is forced on a CPU that emulates it
    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype):
        raise ConfigError(f"generation.dtype {dtype!r} is not a torch dtype (use auto, float32, bfloat16, float16)")

    def load() -> tuple[Any, Any]:
        model, tokenizer = load_model_files(path, spec, torch_dtype, device)
        return (merge_adapter(model, adapter) if adapter else model), tokenizer

    # a retrained model is swapped into the same folder: the folders' change times tell the versions apart
    key = ("generator", path, dtype, device, adapter or "", folder_stamp(path), folder_stamp(adapter))
    return loaded(key, load)


def quiet_peft() -> None:
    """Hide the FutureWarning peft raises by asking transformers 5 for a renamed attribute (not the user's to fix)."""
    import warnings

    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def merge_adapter(model: Any, adapter: str) -> Any:
    """Apply a PEFT adapter folder to a freshly loaded model and fold it into the weights."""
    from peft import PeftModel

    quiet_peft()
    try:
        merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise RagtuneError(f"could not apply the adapter in {adapter}: {exc}; retrain it with `ragtune train`") from exc
    return merged.eval()


def load_model_files(path: str, spec: str, torch_dtype: Any, device: str) -> tuple[Any, Any]:
    """Load a fresh (uncached) model and tokenizer from a resolved path, in eval mode, with a pad token."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
    except OSError as exc:
        if not Path(path).exists():
            text = str(exc)
            if "connect" in text.lower() or "offline" in text.lower():
                raise hub_unavailable(spec, "the Hugging Face Hub cannot be reached") from exc
            raise ConfigError(
                f"generation.model {spec!r} could not be loaded from the Hugging Face Hub: {text}"
            ) from exc
        raise RagtuneError(f"could not load generation.model {spec!r} from {path}: {exc}") from exc
    except ValueError as exc:
        raise ConfigError(
            f"generation.model {spec!r} is not a causal language model transformers can load: {exc}"
        ) from exc
    model.to(device).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    if tokenizer.pad_token is None:
        raise RagtuneError(f"the tokenizer of {spec!r} has no pad, eos or unk token to pad batches with")
    tokenizer.padding_side = "left"
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
