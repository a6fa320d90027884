"""Progress of long work: a bar on a terminal, else a log line every so often with done/total, rate and ETA.

Bars are drawn when stderr is a terminal; ``--no-progress`` (``set_progress(False)``) or ``RAGTUNE_PROGRESS=0``
switches them off. Wherever no bar is drawn (off, or stderr not a terminal), work of more than a few seconds is
reported as lines on the ``ragtune.progress`` logger at INFO: an estimate of the time left after the first update,
then a line every ``RAGTUNE_PROGRESS_INTERVAL`` seconds (default 20) and one when it ends; short work stays silent.
When the application configured no logging at all, the lines go to stderr. ``RAGTUNE_PROGRESS=quiet`` (or
``set_progress_lines(False)``) silences the lines too.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("ragtune.progress")

DEFAULT_INTERVAL_S = 20.0
MIN_ETA_S = 5.0  # an estimate is announced only for work expected to take at least this long
_OFF = {"0", "false", "no", "off"}
_QUIET = {"quiet", "silent", "none"}

_enabled: bool | None = None
_lines: bool | None = None
_interval: float | None = None
_label: ContextVar[str] = ContextVar("ragtune_progress_label", default="")


def set_progress(enabled: bool | None) -> None:
    """Force progress bars on or off; None restores the automatic choice."""
    global _enabled
    _enabled = enabled


def set_progress_lines(enabled: bool | None, interval_s: float | None = None) -> None:
    """Force the log lines on or off (None: automatic) and set their interval (None: the environment's)."""
    global _lines, _interval
    _lines, _interval = enabled, interval_s


def _env() -> str:
    return os.environ.get("RAGTUNE_PROGRESS", "").strip().lower()


def progress_enabled() -> bool:
    """True when bars should be drawn: not disabled and stderr is a terminal."""
    if _enabled is not None:
        return _enabled
    if _env() in _OFF | _QUIET:
        return False
    return sys.stderr.isatty()


def lines_enabled() -> bool:
    """True when work without a bar is reported as log lines (not silenced by RAGTUNE_PROGRESS=quiet)."""
    return _lines if _lines is not None else _env() not in _QUIET


def interval_s() -> float:
    """Seconds between two progress lines (``RAGTUNE_PROGRESS_INTERVAL``, default 20)."""
    if _interval is not None:
        return _interval
    try:
        return max(0.0, float(os.environ.get("RAGTUNE_PROGRESS_INTERVAL", DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


@contextmanager
def label(text: str) -> Iterator[None]:
    """Name the work the bars and lines inside belong to ("synthetic QA: generating …")."""
    outer = _label.get()
    token = _label.set(f"{outer}: {text}" if outer else text)
    try:
        yield
    finally:
        _label.reset(token)


def _described(desc: str) -> str:
    outer = _label.get()
    return f"{outer}: {desc}" if outer else desc


def note(message: str) -> None:
    """One progress line (an announcement such as what is about to take long), unless lines are silenced."""
    if lines_enabled():
        _emit(message)


def _emit(message: str) -> None:
    if log.hasHandlers():
        log.info(message)
    else:  # no logging configured (the CLI): stderr, like logging's last-resort handler but at INFO
        print(f"ragtune: {message}", file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """A short human duration: "40 s", "3 min 20 s", "2 h 05 min"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def track(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate over ``items`` with a bar (or progress lines, see the module docstring)."""
    if progress_enabled():
        from tqdm.auto import tqdm

        yield from tqdm(items, desc=_described(desc), total=total, unit=unit, leave=False)
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    progress = bar(total or 0, desc, unit)
    try:
        for item in items:
            yield item
            progress.update(1)
    finally:
        progress.close()


def bar(total: int, desc: str, unit: str = "it") -> Any:
    """A manual bar (``update(n)``, ``set_postfix``, ``close()``): tqdm on a terminal, else progress lines."""
    desc = _described(desc)
    if progress_enabled():
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, leave=False)
    if lines_enabled():
        return LogBar(total, desc, unit, interval_s())
    return _NullBar()


class LogBar:
    """Progress as log lines: an estimate after the first update, then one line per interval, and the end."""

    def __init__(self, total: int, desc: str, unit: str = "it", interval: float = DEFAULT_INTERVAL_S,
                 clock: Any = time.monotonic) -> None:
        self.total, self.desc, self.unit, self.interval, self.clock = total, desc, unit, interval, clock
        self.done = 0
        self.started = self.last = clock()
        self.spoke = self.closed = False
        self.postfix = ""

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done; speak when it is time to."""
        first = self.done == 0
        self.done += n
        now = self.clock()
        elapsed = now - self.started
        if self.done >= self.total > 0:
            return  # the closing line says it
        if (first and self._eta(elapsed) >= MIN_ETA_S) or now - self.last >= self.interval:
            estimate = not self.spoke
            self.last, self.spoke = now, True
            _emit(self.line(elapsed, estimate=estimate))

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        """Shown at the end of the next line (as tqdm shows its postfix)."""
        parts = [str(a) for a in args if isinstance(a, str)] + [f"{k}={_short(v)}" for k, v in kwargs.items()
                                                               if k != "refresh"]
        self.postfix = ", ".join(parts)

    def close(self) -> None:
        """The closing line, when any line was said before (short work stays silent)."""
        if self.closed:
            return
        self.closed = True
        elapsed = self.clock() - self.started
        if self.spoke or elapsed >= self.interval:
            rate = self.done / elapsed if elapsed > 0 else 0.0
            _emit(f"{self.desc}: {self.done}/{self.total} {self._units(self.total)} done in {duration(elapsed)} "
                  f"({_rate(rate)} {self._units(2)}/s)")

    def _eta(self, elapsed: float) -> float:
        if self.done <= 0 or self.total <= 0:
            return 0.0
        return elapsed / self.done * max(0, self.total - self.done)

    def _units(self, n: int) -> str:
        return self.unit if n == 1 or self.unit.endswith("s") else f"{self.unit}s"

    def line(self, elapsed: float, estimate: bool = False) -> str:
        """"desc: done/total units (pct), rate units/s, about ETA left[, postfix]"."""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.done}/{self.total or '?'} {self._units(self.total)}"
                 + (f" ({100 * self.done / self.total:.0f}%)" if self.total else ""),
                 f"{_rate(rate)} {self._units(2)}/s"]
        if self.total and rate > 0:
            parts.append(f"about {duration(self._eta(elapsed))} left"
                         + (f" (estimated from the first {self.done})" if estimate else ""))
        if self.postfix:
            parts.append(self.postfix)
        return f"{self.desc}: " + ", ".join(parts)

    def __enter__(self) -> LogBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _rate(rate: float) -> str:
    return f"{rate:.2f}" if rate < 10 else f"{rate:.0f}"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


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
