"""What every generator returns and promises: the Generation record, the Generator protocol, stream helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from ragtune.errors import InputError

FinishReason = Literal["stop", "length"]
Messages = list[dict[str, Any]]


@dataclass
class Generation:
    """One answer and what it cost.

    ``prompt_tokens``/``completion_tokens`` are the backend's counts (0 when an endpoint reports none);
    ``latency_s`` is wall time and ``first_token_s`` the time until the first new token (None when unknown).
    In a local ``chat_batch`` both times are the batch's times divided by its size (so latencies add up to the
    total wall time); an endpoint's ``chat_batch`` times each concurrent request on its own.
    ``finish_reason`` is "length" when ``max_new_tokens`` ran out, otherwise "stop" (end of answer or a stop
    string).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    first_token_s: float | None
    finish_reason: FinishReason


@dataclass(frozen=True)
class GenerationOptions:
    """One call's generation settings, passed to a Generator's chat, stream and chat_batch; None leaves the
    GenerationConfig's value (the server sets them per request)."""

    max_new_tokens: int | None = None
    temperature: float | None = None
    stop: list[str] | None = None

    def kwargs(self) -> dict[str, Any]:
        """The settings that are set, as the generator's keyword arguments."""
        given = {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature, "stop": self.stop}
        return {name: value for name, value in given.items() if value is not None}


@runtime_checkable
class Generator(Protocol):
    """A chat model. Keyword arguments left as None fall back to the GenerationConfig's values."""

    name: str

    def chat(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Generation:
        """Answer one conversation."""
        ...

    def stream(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Answer one conversation as text deltas; the returned TextStream has ``.generation`` once exhausted."""
        ...

    def chat_batch(
        self,
        batch: list[Messages],
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> list[Generation]:
        """Answer many conversations at once; results keep the input order."""
        ...


class TextStream(Iterator[str]):
    """An iterator of text deltas that records the finished Generation in ``.generation`` when exhausted.

    ``close()`` (also called when the consumer stops early and the stream is garbage collected) runs ``on_close``
    so a backend can cancel the work in flight.
    """

    def __init__(self, deltas: Iterator[str], on_close: Callable[[], None] | None = None) -> None:
        self._deltas = deltas
        self._on_close = on_close
        self.generation: Generation | None = None

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._deltas)

    def close(self) -> None:
        """Stop early and release the backend's resources."""
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finalizer
            self.close()


def length_batches(lengths: list[int], size: int) -> list[list[int]]:
    """Prompt indices batch by batch as a local model generates them (``LocalGenerator.chat_batch``): longest
    prompt first, equal lengths in input order, ``size`` at a time. The same batches give the same answers."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    return [order[start : start + size] for start in range(0, len(order), size)]


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Cut ``text`` before the stop string that is completed first; returns (text, whether one was found).

    "Completed first" (smallest end position) is what a streaming decoder sees, so batch and stream agree.
    """
    hits = [(i + len(s), i) for s in (stop or []) if s for i in [text.find(s)] if i >= 0]
    if not hits:
        return text, False
    return text[: min(hits)[1]], True


class StopFilter:
    """Applies stop strings to a stream of deltas, holding back text that could be the start of a stop string."""

    def __init__(self, stop: list[str] | None) -> None:
        self.stop = [s for s in (stop or []) if s]
        self._hold = max((len(s) for s in self.stop), default=1) - 1
        self._buffer = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        """Add a delta; return the text that is now safe to emit (cut before a stop string once one appears)."""
        if self.stopped:
            return ""
        if not self.stop:
            return delta
        self._buffer += delta
        text, found = cut_at_stop(self._buffer, self.stop)
        if found:
            self.stopped = True
            self._buffer = ""
            return text
        safe = len(self._buffer) - self._hold
        if safe <= 0:
            return ""
        out, self._buffer = self._buffer[:safe], self._buffer[safe:]
        return out

    def flush(self) -> str:
        """The held-back text at the end of the stream."""
        out, self._buffer = ("" if self.stopped else self._buffer), ""
        return out


def check_messages(messages: Any) -> Messages:
    """Validate a chat: a non-empty list of {"role": str, "content": str} mappings."""
    if not isinstance(messages, list) or not messages:
        raise InputError("messages must be a non-empty list of {'role': ..., 'content': ...} mappings")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InputError(f"messages[{i}] must be a mapping with a string 'role' (system, user or assistant)")
        if not isinstance(message.get("content"), str):
            raise InputError(f"messages[{i}]['content'] must be a string")
    return messages
