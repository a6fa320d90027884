"""Load causal language models for generation (and their tokenizers), once per process; where a spec points
(bundled GGUF files converted once, local folders, Hub ids) and which dtype "auto" means live in ragtune.models.

Fine-tuned LoRA adapters share their base model's weights: ``attach_adapter`` loads each adapter folder, by name,
into one PeftModel over the loaded base model, and who runs the model says which adapter each row uses (the
batcher: ``run_with_adapters`` and peft's per-row ``adapter_names``; a direct caller: ``use_adapter``).
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

from ragtune.errors import ConfigError, RagtuneError
from ragtune.generate.layout import lay_out_for_decoding
from ragtune.models.cache import folder_stamp, loaded
from ragtune.models.dtype import pick_dtype  # ragtune.models.dtype keeps the measurements behind each choice
from ragtune.models.gguf import cached_conversion, is_complete, models_dir
from ragtune.models.resolve import BUNDLED_GENERATORS as BUNDLED
from ragtune.models.resolve import GENERATION, bundled_file, hub_unavailable, resolve_model_path
from ragtune.progress import quiet_transformers

__all__ = [  # loading lives here; the helpers from ragtune.models.{resolve,gguf,dtype} that callers import from here
    "BUNDLED",
    "attach_adapter",
    "bundled_gguf",
    "cached_conversion",
    "generation_lock",
    "is_complete",
    "load_causal_lm",
    "load_model_files",
    "load_merged_lm",
    "merge_adapter",
    "models_dir",
    "peft_model",
    "pick_dtype",
    "quiet_peft",
    "resolve_model_path",
    "run_with_adapters",
    "use_adapter",
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


def _resolved(spec: str, dtype: str, device: str) -> tuple[str, str, Any]:
    """(model path, dtype name, torch dtype) of a model spec on a device; errors name the key to fix."""
    import torch

    _check_device(device)
    path = resolve_model_path(spec)
    dtype = pick_dtype(dtype, device)  # warns once when bf16 is forced on a CPU that emulates it
    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype):
        raise ConfigError(f"generation.dtype {dtype!r} is not a torch dtype (use auto, float32, bfloat16, float16)")
    return path, dtype, torch_dtype


def load_causal_lm(spec: str, dtype: str = "auto", device: str = "cpu") -> tuple[Any, Any]:
    """Load (model, tokenizer) once per (resolved path, dtype, device) and share it across callers.

    The model is in eval mode, its weights laid out for decoding (``ragtune.generate.layout``); the tokenizer pads
    on the left (for batched generation) and has a pad token.
    Thread-safe: concurrent callers of the same key wait for a single load. Adapters: ``attach_adapter``.
    """
    path, dtype, torch_dtype = _resolved(spec, dtype, device)
    # a retrained model is swapped into the same folder: the folder's change time tells the versions apart
    key = ("generator", path, dtype, device, folder_stamp(path))
    return loaded(key, lambda: _for_decoding(load_model_files(path, spec, torch_dtype, device), device))


def _for_decoding(loaded_files: tuple[Any, Any], device: str) -> tuple[Any, Any]:
    model, tokenizer = loaded_files
    return lay_out_for_decoding(model, device), tokenizer


def load_merged_lm(spec: str, adapter: str, dtype: str = "auto", device: str = "cpu") -> tuple[Any, Any]:
    """(model, tokenizer) with a LoRA adapter merged into its own copy of the weights, once per adapter version.

    Batch work (``compare``, ``ask``) runs fastest this way: no adapter arithmetic in any forward pass. A server
    attaches adapters to the shared base model instead (``attach_adapter``), so one copy of the weights serves all.
    """
    path, dtype, torch_dtype = _resolved(spec, dtype, device)
    key = ("merged", path, dtype, device, folder_stamp(path), str(Path(adapter).resolve()), folder_stamp(adapter))

    def load() -> tuple[Any, Any]:
        model, tokenizer = load_model_files(path, spec, torch_dtype, device)
        _check_adapter_files(adapter)
        return lay_out_for_decoding(merge_adapter(model, adapter), device), tokenizer

    return loaded(key, load)


ADAPTER_ERRORS = (OSError, ValueError, KeyError, RuntimeError)  # what peft raises for a broken adapter folder


def _adapter_error(adapter: str, exc: Exception) -> RagtuneError:
    return RagtuneError(f"could not apply the adapter in {adapter}: {exc}; retrain it with `ragtune train`")


class _Adapters:
    """The adapters attached to one base model: the PeftModel over it, their names, and what direct calls use.

    Kept on the base model itself (``_ATTACHED``): the PeftModel holds the base model, so a cache keyed by the
    base model would never let it go.
    """

    def __init__(self, peft: Any, active: str) -> None:
        self.peft = peft
        self.names: dict[tuple[str, int], str] = {}  # (folder, change time) -> adapter name
        self.enabled, self.active = True, active


_ATTACHED = "_ragtune_adapters"
_attach_lock = threading.Lock()


def peft_model(model: Any) -> Any | None:
    """The PeftModel holding ``model``'s attached adapters, or None when none is attached."""
    attached = getattr(model, _ATTACHED, None)
    return attached.peft if attached is not None else None


def attach_adapter(model: Any, adapter: str) -> tuple[Any, str]:
    """Load a PEFT adapter folder (a LoRA fine-tune of ``model``) next to the others on ``model``, once per folder
    version, without copying the base weights; returns (the shared PeftModel, the adapter's name).

    The adapter is not merged: each forward pass adds it to the rows that ask for it (see the module's docstring).
    """
    from peft import PeftModel

    quiet_peft()
    key = (str(Path(adapter).resolve()), folder_stamp(adapter))
    with _attach_lock, generation_lock(model):  # the model is changed: nobody may run it meanwhile
        attached: _Adapters | None = getattr(model, _ATTACHED, None)
        if attached is not None and key in attached.names:
            return attached.peft, attached.names[key]
        name = f"adapter{len(attached.names) + 1 if attached else 1}"
        _check_adapter_files(adapter)  # before peft changes the shared model: a broken folder leaves it as it was
        try:
            if attached is None:
                peft = PeftModel.from_pretrained(model, adapter, adapter_name=name).eval()
                attached = _Adapters(peft, name)
                model.__dict__[_ATTACHED] = attached  # not a submodule: no cycle in the module tree
            else:
                attached.peft.load_adapter(adapter, adapter_name=name)
        except ADAPTER_ERRORS as exc:
            raise _adapter_error(adapter, exc) from exc
        attached.names[key] = name
        return attached.peft, name


def _check_adapter_files(adapter: str) -> None:
    """Read an adapter folder's config and weights' header, raising what ``retrain`` fixes if either is broken."""
    import json

    from safetensors import SafetensorError, safe_open

    folder = Path(adapter)
    try:
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
        if not isinstance(config, dict) or "peft_type" not in config:
            raise ValueError("adapter_config.json names no peft_type")
        with safe_open(str(folder / "adapter_model.safetensors"), framework="pt") as weights:
            if not list(weights.keys()):
                raise ValueError("adapter_model.safetensors holds no tensors")
    except (OSError, ValueError, SafetensorError) as exc:
        raise _adapter_error(adapter, exc) from exc


def use_adapter(model: Any, name: str | None) -> None:
    """Make direct calls of ``model`` (and of its PeftModel) run with adapter ``name`` (None: the base weights
    alone). Hold the model's ``generation_lock`` from this call until the model has run."""
    attached: _Adapters | None = getattr(model, _ATTACHED, None)
    if attached is None:
        if name is not None:
            raise RagtuneError(f"no adapter {name!r} is attached to this model")
        return
    if name is None:
        if attached.enabled:
            attached.peft.base_model.disable_adapter_layers()
            attached.enabled = False
        return
    run_with_adapters(model)
    if attached.active != name:
        attached.peft.set_adapter(name, inference_mode=True)
        attached.active = name


def run_with_adapters(model: Any) -> None:
    """Let the adapters act (each row picks its own through peft's ``adapter_names``), under the model's lock."""
    attached: _Adapters | None = getattr(model, _ATTACHED, None)
    if attached is not None and not attached.enabled:
        attached.peft.base_model.enable_adapter_layers()
        attached.enabled = True


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
    except ADAPTER_ERRORS as exc:
        raise _adapter_error(adapter, exc) from exc
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
