"""One process-wide cache of loaded models (generators, embedders): each key loads once, shared by all callers."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_loaded: dict[Hashable, Any] = {}
_key_locks: dict[Hashable, threading.Lock] = {}
_lock = threading.Lock()


def loaded(key: Hashable, load: Callable[[], T]) -> T:
    """The object cached under ``key``, made by ``load()`` on first use.

    Thread-safe: concurrent callers of the same key wait for a single load; other keys load in parallel. A load
    that raises caches nothing.
    """
    with _lock:
        if key in _loaded:
            return _loaded[key]
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        if key in _loaded:  # loaded by the caller we waited for
            return _loaded[key]
        value = load()
        with _lock:
            _loaded[key] = value
        return value


def folder_stamp(path: str | Path | None) -> int:
    """The change time of a local model or adapter folder (0 for none or a hub id), for cache keys: a retrained
    model swapped into the same folder gets a new key and is loaded again."""
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return 0


def clear_loaded() -> None:
    """Forget every loaded model, generators and embedders (tests, or to free memory)."""
    with _lock:
        _loaded.clear()
        _key_locks.clear()
