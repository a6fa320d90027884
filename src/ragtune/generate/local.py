"""LocalGenerator: chat, streaming and batched generation with a transformers model on this machine."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragtune.config import GenerationConfig
from ragtune.errors import InputError
from ragtune.generate.base import (
    Generation,
    Messages,
    StopFilter,
    TextStream,
    check_messages,
    cut_at_stop,
)
from ragtune.generate.models import generation_lock, load_causal_lm
from ragtune.generate.numbers import AllowedNumbers, number_guard
from ragtune.progress import bar

GREEDY_BELOW = 1e-5  # temperatures under this decode greedily (dividing logits by them overflows to inf/nan)


@dataclass
class _Options:
    max_new_tokens: int
    temperature: float
    stop: list[str]


def _context_window(model: Any, tokenizer: Any) -> int | None:
    """The model's context length in tokens, if it states one."""
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(model.config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 1_000_000 else None


class LocalGenerator:
    """A transformers causal LM behind the Generator protocol.

    The model is shared per (model, dtype, device) through ``load_causal_lm``; calls on it are serialized with a
    per-model lock, so one generator (or several on the same model) can be used from many threads.
    """

    def __init__(self, cfg: GenerationConfig, adapter: str | None = None) -> None:
        self.cfg = cfg
        self.name = cfg.model
        self.model, self.tokenizer = load_causal_lm(cfg.model, cfg.dtype, cfg.device, adapter=adapter)
        self.device = self.model.device
        self.max_context = _context_window(self.model, self.tokenizer)
        self._lock = generation_lock(self.model)
        self._tokenizer_lock = generation_lock(self.tokenizer)  # fast tokenizers dislike concurrent calls
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self._eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self._pad_id = self.tokenizer.pad_token_id

    @property
    def lock(self) -> Any:
        """The per-model lock: hold it while running the model directly (e.g. for log-likelihood scoring)."""
        return self._lock

    @property
    def pad_id(self) -> int:
        """The padding token id."""
        return self._pad_id

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` with no special tokens (safe from many threads)."""
        with self._tokenizer_lock:
            return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    # ------------------------------------------------------------------ prompt handling

    def _options(self, max_new_tokens: int | None, temperature: float | None, stop: list[str] | None) -> _Options:
        max_new = self.cfg.max_new_tokens if max_new_tokens is None else int(max_new_tokens)
        temp = self.cfg.temperature if temperature is None else float(temperature)
        if max_new < 1:
            raise InputError(f"max_new_tokens must be at least 1, got {max_new}")
        if temp < 0:
            raise InputError(f"temperature must be 0 (greedy) or more, got {temp}")
        return _Options(max_new, temp if temp >= GREEDY_BELOW else 0.0, [s for s in (stop or []) if s])

    def render(self, messages: Messages) -> str:
        """The prompt text the model sees (chat template with the assistant turn opened)."""
        messages = check_messages(messages)
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        # Base models without a template: a plain transcript.
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n".join(lines) + "\nAssistant:"

    def encode(self, messages: Messages) -> list[int]:
        """Prompt token ids; raises InputError when the prompt does not fit the context window."""
        text = self.render(messages)
        with self._tokenizer_lock:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if self.max_context is not None and len(ids) >= self.max_context:
            raise InputError(
                f"the prompt has {len(ids)} tokens but {self.name} reads at most {self.max_context}: "
                "pass fewer or smaller chunks (lower retrieval.k or chunking.size) or shorten the question"
            )
        return ids

    def _budget(self, prompt_len: int, opts: _Options) -> int:
        if self.max_context is None:
            return opts.max_new_tokens
        return max(1, min(opts.max_new_tokens, self.max_context - prompt_len))

    def _generate_kwargs(self, max_new: int, opts: _Options, start: int, cancel: threading.Event | None = None,
                         numbers: Sequence[AllowedNumbers | None] | None = None) -> dict[str, Any]:
        """``generate``'s arguments: the generation config, the stopping criteria (stop strings found in the
        text after position ``start`` of the ids, and ``cancel``) and, with ``numbers`` (one per row), the guard
        that keeps each row to its allowed numbers."""
        config = copy.deepcopy(self.model.generation_config)
        config.max_new_tokens = max_new
        config.max_length = None
        config.pad_token_id = self._pad_id
        config.num_beams = 1
        if opts.temperature > 0:
            config.do_sample = True
            config.temperature = opts.temperature
        else:
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = None
        criteria = _stopping_criteria(self.tokenizer, self._tokenizer_lock, start, opts.stop, cancel)
        kwargs = {"generation_config": config, "stopping_criteria": criteria}
        if numbers is not None and any(n is not None for n in numbers):
            from transformers import LogitsProcessorList

            guard = number_guard(self.tokenizer, self._tokenizer_lock, start, numbers)
            kwargs["logits_processor"] = LogitsProcessorList([guard])
        return kwargs

    # ------------------------------------------------------------------ decoding results

    def _finish(self, new_ids: list[int], max_new: int, opts: _Options) -> tuple[str, int, str]:
        """(text, completion token count, finish reason) from one row of generated ids."""
        count, ended = len(new_ids), False
        for i, token in enumerate(new_ids):
            if token in self._eos_ids:
                count, ended = i + 1, True
                break
            if token == self._pad_id:  # padding after a row stopped on a stop string
                count = i
                break
        text = self.tokenizer.decode(new_ids[:count], skip_special_tokens=True)
        text, stopped = cut_at_stop(text, opts.stop)
        reason = "stop" if ended or stopped or count < max_new else "length"
        return text, count, reason

    def _run(self, prompts: list[list[int]], opts: _Options,
             numbers: Sequence[AllowedNumbers | None] | None = None) -> list[Generation]:
        """Generate for prompts of similar length at once (left padding), timing the whole batch."""
        import torch

        longest = max(len(p) for p in prompts)
        max_new = self._budget(longest, opts)
        input_ids = torch.full((len(prompts), longest), self._pad_id, dtype=torch.long)
        attention = torch.zeros((len(prompts), longest), dtype=torch.long)
        for row, ids in enumerate(prompts):
            input_ids[row, longest - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention[row, longest - len(ids) :] = 1
        timer = _first_token_timer()
        kwargs = self._generate_kwargs(max_new, opts, longest, numbers=numbers)
        with self._lock, torch.inference_mode():
            start = time.perf_counter()
            timer.start = start
            output = self.model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention.to(self.device),
                streamer=timer,
                **kwargs,
            )
            elapsed = time.perf_counter() - start
        share = len(prompts)
        first = timer.first / share if timer.first is not None else None
        results = []
        for row, ids in enumerate(prompts):
            text, count, reason = self._finish(output[row, longest:].tolist(), max_new, opts)
            results.append(Generation(text, len(ids), count, elapsed / share, first, reason))
        return results

    # ------------------------------------------------------------------ protocol

    def chat(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        numbers: AllowedNumbers | None = None,
    ) -> Generation:
        """Answer one conversation (``numbers``: the only numbers it may write)."""
        opts = self._options(max_new_tokens, temperature, stop)
        return self._run([self.encode(messages)], opts, [numbers])[0]

    def chat_batch(
        self,
        batch: list[Messages],
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        numbers: Sequence[AllowedNumbers | None] | None = None,
    ) -> list[Generation]:
        """Answer many conversations, ``cfg.batch_size`` at a time, grouped by prompt length; input order kept
        (``numbers``: one per conversation, the only numbers it may write; None: free).

        Each Generation's ``latency_s``/``first_token_s`` is its batch's wall time / time to first token
        divided by the batch's size (so latencies add up to the total time).
        """
        opts = self._options(max_new_tokens, temperature, stop)
        prompts = [self.encode(messages) for messages in batch]
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[Generation | None] = [None] * len(prompts)
        size = self.cfg.batch_size
        progress = bar(len(prompts), desc="generating", unit="answer") if len(prompts) > size else None
        try:
            for start in range(0, len(order), size):
                chunk = order[start : start + size]
                rules = None if numbers is None else [numbers[i] for i in chunk]
                for index, generation in zip(chunk, self._run([prompts[i] for i in chunk], opts, rules)):
                    results[index] = generation
                if progress is not None:
                    progress.update(len(chunk))
        finally:
            if progress is not None:
                progress.close()
        return results  # type: ignore[return-value]

    def stream(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        numbers: AllowedNumbers | None = None,
    ) -> TextStream:
        """Answer one conversation as text deltas, generated on a background thread (``numbers`` as in chat).

        Stop strings are honoured (text that might start one is held back until it is clear); closing the
        stream early cancels generation. ``.generation`` is set once the stream is exhausted.
        """
        import torch

        opts = self._options(max_new_tokens, temperature, stop)
        prompt = self.encode(messages)
        max_new = self._budget(len(prompt), opts)
        cancel = threading.Event()
        streamer = _text_streamer(self.tokenizer)
        kwargs = self._generate_kwargs(max_new, opts, len(prompt), cancel, [numbers])
        outcome: dict[str, Any] = {}
        start = time.perf_counter()
        streamer.start = start

        def work() -> None:
            try:
                with self._lock, torch.inference_mode():
                    outcome["ids"] = self.model.generate(
                        input_ids=torch.tensor([prompt], device=self.device),
                        attention_mask=torch.ones((1, len(prompt)), dtype=torch.long, device=self.device),
                        streamer=streamer,
                        **kwargs,
                    )
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
                outcome["error"] = exc
                streamer.end()

        thread = threading.Thread(target=work, name="ragtune-stream", daemon=True)
        thread.start()
        stream: TextStream

        def deltas():
            filt = StopFilter(opts.stop)
            try:
                for piece in streamer:
                    out = filt.feed(piece)
                    if out:
                        yield out
                    if filt.stopped:
                        cancel.set()
                        break
                tail = filt.flush()
                if tail:
                    yield tail
                thread.join()
                if "error" in outcome:
                    raise outcome["error"]
                text, count, reason = self._finish(outcome["ids"][0, len(prompt) :].tolist(), max_new, opts)
                reason = "stop" if filt.stopped else reason
                stream.generation = Generation(
                    text, len(prompt), count, time.perf_counter() - start, streamer.first, reason
                )
            finally:
                cancel.set()
                thread.join()  # at most one more step: the model is free once the stream is closed

        stream = TextStream(deltas(), on_close=cancel.set)
        return stream


def _stopping_criteria(tokenizer: Any, lock: threading.Lock, start: int, stops: list[str],
                       cancel: threading.Event | None) -> Any:
    """Stopping criteria for ``generate``: a row stops once its text after position ``start`` contains a stop
    string, and every row stops once ``cancel`` is set.

    Each step decodes only the last few tokens of each row (as many as the longest stop string has UTF-8 bytes, plus
    a character's worth), so its cost does not grow with the stops' length beyond that window or with the answer's.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = max((len(stop.encode("utf-8")) for stop in stops), default=0) + 4

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            rows = input_ids.shape[0]
            if cancel is not None and cancel.is_set():
                return torch.ones(rows, dtype=torch.bool, device=input_ids.device)
            if not stops:
                return torch.zeros(rows, dtype=torch.bool, device=input_ids.device)
            tails = input_ids[:, max(start, input_ids.shape[1] - window):].tolist()
            with lock:
                texts = tokenizer.batch_decode(tails, skip_special_tokens=True)
            done = [any(stop in text for stop in stops) for text in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_Stop()])


def _first_token_timer() -> Any:
    """A transformers streamer that only records when the first new token arrived (seconds after ``start``)."""
    from transformers.generation.streamers import BaseStreamer

    class FirstTokenTimer(BaseStreamer):
        def __init__(self) -> None:
            self.start = time.perf_counter()
            self.first: float | None = None
            self._calls = 0

        def put(self, value: Any) -> None:
            self._calls += 1  # the first call carries the prompt
            if self._calls == 2:
                self.first = time.perf_counter() - self.start

        def end(self) -> None:
            pass

    return FirstTokenTimer()


def _text_streamer(tokenizer: Any) -> Any:
    """A TextIteratorStreamer that also records the time to the first new token."""
    from transformers import TextIteratorStreamer

    class TimedStreamer(TextIteratorStreamer):
        start = 0.0
        first: float | None = None
        _calls = 0

        def put(self, value: Any) -> None:
            self._calls += 1
            if self._calls == 2:
                self.first = time.perf_counter() - self.start
            super().put(value)

    return TimedStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
