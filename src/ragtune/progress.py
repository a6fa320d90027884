"""Progress bars that can be switched off (flag, RAGTUNE_PROGRESS=0, or a non-TTY stderr)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_enabled: bool | None = None


def set_progress(enabled: bool | None) -> None:
    """Force progress bars on or off; None restores the automatic choice."""
    global _enabled
    _enabled = enabled


def progress_enabled() -> bool:
    """True when bars should be drawn: not disabled and stderr is a terminal."""
    if _enabled is not None:
        return _enabled
    if os.environ.get("RAGTUNE_PROGRESS", "").lower() in {"0", "false", "no", "off"}:
        return False
    return sys.stderr.isatty()


def track(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate over ``items`` with a tqdm bar when progress is enabled."""
    if not progress_enabled():
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False)


def bar(total: int, desc: str, unit: str = "it"):
    """A manual bar (``update(n)``, ``close()``); a no-op object when progress is off."""
    if not progress_enabled():
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)


class _NullBar:
    def update(self, n: int = 1) -> None:  # noqa: D102
        pass

    def set_postfix(self, *args, **kwargs) -> None:  # noqa: D102
        pass

    def close(self) -> None:  # noqa: D102
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' own progress bars (e.g. "Loading weights") while ragtune's progress is off."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    if not progress_enabled():
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
