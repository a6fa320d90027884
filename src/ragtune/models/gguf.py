"""GGUF models turned into transformers folders: dequantized once into ragtune's cache (``<cache>/models``), under a
file lock and renamed into place when complete, so concurrent processes convert once and never read half a folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ragtune import atomic
from ragtune.errors import RagtuneError
from ragtune.progress import bar, progress_enabled, quiet_transformers

log = logging.getLogger(__name__)

COMPLETE_MARKER = ".ragtune-complete"


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
            atomic.swap_folder(tmp, target)  # replaces an incomplete leftover (or a foreign folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


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
