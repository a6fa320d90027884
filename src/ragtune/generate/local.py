"""LocalGenerator: chat, streaming and batched generation with a transformers model on this machine.

Generation runs on the model's batcher (``ragtune.generate.batching``): concurrent chats and streams on one model
are generated together, and ``chat_batch`` sends its length-sorted chunks one after another, each alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
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
    length_batches,
)
from ragtune.generate.batching import Batcher, Row, batcher_for
from ragtune.generate.models import (
    attach_adapter,
    generation_lock,
    load_causal_lm,
    load_merged_lm,
    use_adapter,
)
from ragtune.generate.numbers import AllowedNumbers, number_guard
from ragtune.progress import bar

GREEDY_BELOW = 1e-5  # temperatures under this decode greedily (dividing logits by them overflows to inf/nan)
MAX_BATCH = 16  # concurrent chats and streams generated together on one model, by default
TOP_K = 50  # transformers' default top-k for sampling when the model's generation config sets none


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


class ModelUse:
    """The lock of a generator's model as a context: held, direct calls of ``model`` run with the generator's
    adapter (or the base weights alone); the batcher takes the same lock for each of its forward passes."""

    def __init__(self, model: Any, adapter: str | None) -> None:
        self._model, self._adapter, self._lock = model, adapter, generation_lock(model)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock and select the adapter; False when it could not be taken in time."""
        if not self._lock.acquire(blocking, timeout):
            return False
        try:
            use_adapter(self._model, self._adapter)
        except BaseException:
            self._lock.release()
            raise
        return True

    def release(self) -> None:
        """Give the lock back."""
        self._lock.release()

    def __enter__(self) -> ModelUse:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LocalGenerator:
    """A transformers causal LM behind the Generator protocol.

    The model is shared per (model, dtype, device) through ``load_causal_lm``, and a fine-tuned ``adapter`` folder
    is attached to it (``attach_adapter``: its base weights are not copied). All generators on one model share its
    batcher, so one generator (or several on the same model) can be used from many threads: concurrent ``chat``
    and ``stream`` calls are generated together, at most ``max_batch`` rows at a time (1: one after another).
    """

    def __init__(self, cfg: GenerationConfig, adapter: str | None = None, share_base: bool = False) -> None:
        """``adapter``: a LoRA folder of ``cfg.model``, attached to the shared base model with ``share_base`` (a
        server: one copy of the weights for every variant), else merged into its own copy (fastest for batches)."""
        self.cfg = cfg
        self.name = cfg.model
        if adapter and not share_base:
            base, self.tokenizer = load_merged_lm(cfg.model, adapter, cfg.dtype, cfg.device)
            adapter = None
        else:
            base, self.tokenizer = load_causal_lm(cfg.model, cfg.dtype, cfg.device)
        self.model, self.adapter = attach_adapter(base, adapter) if adapter else (base, None)
        self.device = base.device
        self.max_context = _context_window(base, self.tokenizer)
        self.max_batch = MAX_BATCH
        self._generation_config = base.generation_config
        self._lock = ModelUse(base, self.adapter)
        self._tokenizer_lock = generation_lock(self.tokenizer)  # fast tokenizers dislike concurrent calls
        eos = base.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self._eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self._pad_id = self.tokenizer.pad_token_id
        self._batcher = batcher_for(base, self.tokenizer, self._tokenizer_lock, self._eos_ids, self._pad_id)

    @property
    def lock(self) -> ModelUse:
        """The model's lock, selecting this generator's adapter: hold it while running ``model`` directly (e.g. for
        log-likelihood scoring)."""
        return self._lock

    @property
    def batcher(self) -> Batcher:
        """The batcher of this generator's model (shared with the other generators on it)."""
        return self._batcher

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

    def _row(self, prompt: list[int], opts: _Options, numbers: AllowedNumbers | None, limit: int) -> Row:
        """The batcher's row for one prompt (``limit``: the most rows it may share a batch with)."""
        return Row(prompt, self._budget(len(prompt), opts), opts.stop, self._processors(opts, numbers, len(prompt)),
                   opts.temperature > 0, self.adapter, limit)

    def _processors(self, opts: _Options, numbers: AllowedNumbers | None, start: int) -> Any:
        """What a row's scores go through before its token is chosen, in transformers' order (the model's
        repetition penalty, the numbers guard, then for sampling the temperature and the model's top-k / top-p);
        None when greedy decoding needs nothing."""
        from transformers import (
            LogitsProcessorList,
            RepetitionPenaltyLogitsProcessor,
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
        )

        config = self._generation_config
        found: list[Any] = []
        if config.repetition_penalty not in (None, 1.0):
            found.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty))
        if numbers is not None:
            found.append(number_guard(self.tokenizer, self._tokenizer_lock, start, [numbers]))
        if opts.temperature > 0:
            found.append(TemperatureLogitsWarper(opts.temperature))
            top_k = TOP_K if config.top_k is None else config.top_k
            if top_k:
                found.append(TopKLogitsWarper(top_k))
            if config.top_p not in (None, 1.0):
                found.append(TopPLogitsWarper(config.top_p))
        return LogitsProcessorList(found) if found else None

    def _generation(self, row: Row, opts: _Options, latency_s: float | None = None,
                    first_token_s: float | None = None) -> Generation:
        """The Generation of a finished row (times: the row's own unless given)."""
        with self._tokenizer_lock:
            text = self.tokenizer.decode(row.ids, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, opts.stop)
        reason = "stop" if stopped else row.reason or "stop"
        return Generation(text, len(row.prompt), len(row.ids), row.latency_s if latency_s is None else latency_s,
                          row.first_token_s if first_token_s is None else first_token_s, reason)

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
        """Answer one conversation (``numbers``: the only numbers it may write); generated together with the
        other chats and streams on this model."""
        opts = self._options(max_new_tokens, temperature, stop)
        row = self._row(self.encode(messages), opts, numbers, self.max_batch)
        self._batcher.submit([row])
        return self._generation(row.wait(), opts)

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
        (``numbers``: one per conversation, the only numbers it may write; None: free). Each chunk is generated
        alone, shaped as transformers' ``generate`` shapes a batch, so the answers are ``generate``'s.

        Each Generation's ``latency_s``/``first_token_s`` is its batch's wall time / time to first token
        divided by the batch's size (so latencies add up to the total time).
        """
        opts = self._options(max_new_tokens, temperature, stop)
        prompts = [self.encode(messages) for messages in batch]
        results: list[Generation | None] = [None] * len(prompts)
        size = self.cfg.batch_size
        progress = bar(len(prompts), desc="generating", unit="answer") if len(prompts) > size else None
        try:
            for chunk in length_batches([len(p) for p in prompts], size):
                rows = [self._row(prompts[i], opts, None if numbers is None else numbers[i], len(chunk))
                        for i in chunk]
                self._batcher.submit(rows, alone=True)
                for row in rows:
                    row.wait()
                share = len(rows)
                elapsed = max(row.latency_s for row in rows) / share
                firsts = [row.first_token_s for row in rows if row.first_token_s is not None]
                first = min(firsts) / share if firsts else None
                for index, row in zip(chunk, rows):
                    results[index] = self._generation(row, opts, elapsed, first)
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
        """Answer one conversation as text deltas, generated with the other chats and streams on this model
        (``numbers`` as in chat).

        Stop strings are honoured (text that might start one is held back until it is clear); closing the
        stream early cancels this answer's generation only. ``.generation`` is set once the stream is exhausted.
        """
        opts = self._options(max_new_tokens, temperature, stop)
        row = self._row(self.encode(messages), opts, numbers, self.max_batch)
        self._batcher.submit([row])
        stream: TextStream

        def deltas() -> Iterator[str]:
            filt, pieces = StopFilter(opts.stop), _TextPieces(self.tokenizer, self._tokenizer_lock)
            try:
                for token in row.tokens():
                    out = filt.feed(pieces.add(token))
                    if out:
                        yield out
                    if filt.stopped:
                        row.cancel.set()  # the batcher sees the stop string too; this spares it a step
                        break
                tail = filt.feed(pieces.end()) + filt.flush()
                if tail:
                    yield tail
                stream.generation = self._generation(row.wait(), opts)
            finally:
                row.cancel.set()  # closed early: the row leaves the batch at its next step
                row.join()  # at most one more step: the row costs nothing once the stream is closed

        stream = TextStream(deltas(), on_close=row.cancel.set)
        return stream


class _TextPieces:
    """Token ids in, text out as soon as whole words are formed (transformers' TextStreamer rules), decoded under
    the tokenizer's lock."""

    def __init__(self, tokenizer: Any, lock: threading.Lock) -> None:
        from transformers import TextStreamer

        pieces: list[str] = []

        class Collect(TextStreamer):
            def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
                pieces.append(text)

        self._streamer, self._pieces, self._lock = Collect(tokenizer, skip_special_tokens=True), pieces, lock

    def _take(self) -> str:
        text = "".join(self._pieces)
        self._pieces.clear()
        return text

    def add(self, token: int) -> str:
        """The text that token ``token`` completes (often "")."""
        import torch

        with self._lock:
            self._streamer.put(torch.tensor([token]))
        return self._take()

    def end(self) -> str:
        """The text still held back, at the end."""
        with self._lock:
            self._streamer.end()
        return self._take()
