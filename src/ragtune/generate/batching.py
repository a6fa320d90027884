"""Continuous batching for a local causal LM: the requests on one model are generated together, one row each.

One ``Batcher`` per loaded model (``batcher_for``), shared by every generator on it (the base model and the
adapters attached to it, see ``ragtune.generate.models.attach_adapter``). Callers submit groups of rows (``Row``:
prompt ids, token budget, stop strings, logits processors, adapter, cancel event); a worker thread, started when
work arrives and gone after ``IDLE_S`` without any, runs the loop:

1. admit the oldest waiting group if the batch has room for it: it is prefilled on its own (left padded when it
   has several rows) and its key/value cache joined to the running batch's (left padded to one length); one group
   per step, so the running rows wait for one prefill at a time, not for every arrival's;
2. one decoding step for every running row (each row's own positions and attention mask);
3. each row takes its next token (greedy, or sampled after its processors), which goes to its consumer at once;
   a row that wrote an end-of-sequence token or a stop string, ran out of budget or was cancelled leaves the batch
   (its cache rows are dropped), and the others go on.

So a request that arrives while others are generating joins them at the next step, and a finished or cancelled
row costs nothing more. A row's ``limit`` is the most rows it shares a batch with (1: it runs alone, as a
serialized server did). A group submitted ``alone`` (``chat_batch``'s chunks) waits for an empty batch, nothing
joins it, and its finished rows stay in it, writing padding, until all are done: the shapes transformers'
``generate`` gives a batch, so its answers are ``generate``'s bit for bit in any dtype (in bfloat16 the rounding
depends on the batch's shape). Caches other than transformers' plain ``DynamicLayer`` ones (sliding windows...)
cannot be joined: on such models a group waits until the batch is empty. The model's lock (``generation_lock``) is held
for each forward pass only, so others that run the model directly (log-likelihood scoring) take turns with it.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ragtune.generate.base import FinishReason
from ragtune.generate.models import generation_lock, peft_model, run_with_adapters

_END = object()  # a row's queue: no more tokens
IDLE_S = 30.0  # a worker with nothing to do waits this long for work before it ends


@dataclass(eq=False)
class Row:
    """One prompt to generate for, and (once done) what was generated.

    ``processors``: None, or a callable (ids of the row so far as a 1-row tensor, its 1-row scores) -> scores
    applied before the token is chosen (transformers' LogitsProcessorList fits); ``sample``: draw from the
    softmax of the processed scores instead of taking the best token.
    """

    prompt: list[int]
    budget: int
    stop: list[str] = field(default_factory=list)
    processors: Callable[[Any, Any], Any] | None = None
    sample: bool = False
    adapter: str | None = None
    limit: int = 1
    cancel: threading.Event = field(default_factory=threading.Event)
    ids: list[int] = field(default_factory=list)
    reason: FinishReason | None = None
    error: BaseException | None = None
    submitted: float = 0.0
    first_token_s: float | None = None  # seconds from submission to the first new token
    latency_s: float = 0.0  # seconds from submission to the end
    _queue: queue.SimpleQueue = field(default_factory=queue.SimpleQueue, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def tokens(self) -> Iterator[int]:
        """The new token ids as they are generated; raises the generation's error, if any, at the end."""
        while True:
            item = self._queue.get()
            if item is _END:
                if self.error is not None:
                    raise self.error
                return
            yield item

    def wait(self) -> Row:
        """Block until the row is done (raises the generation's error); returns the row."""
        self.join()
        if self.error is not None:
            raise self.error
        return self

    def join(self) -> None:
        """Block until the row is done and out of the running batch (cancelled: at most one more step)."""
        self._done.wait()

    def _push(self, token: int) -> None:
        if not self.ids:
            self.first_token_s = time.perf_counter() - self.submitted
        self.ids.append(token)
        self._queue.put(token)

    def _end(self, reason: FinishReason, error: BaseException | None = None) -> None:
        self.reason, self.error = reason, error
        self.latency_s = time.perf_counter() - self.submitted
        self._queue.put(_END)
        self._done.set()


class Batcher:
    """The rows being generated on one model and those waiting; see the module's docstring."""

    def __init__(self, model: Any, tokenizer: Any, tokenizer_lock: threading.Lock, eos_ids: set[int],
                 pad_id: int) -> None:
        self._model = weakref.ref(model)  # the model's entry in _BATCHERS must not keep it alive
        self.tokenizer, self._tokenizer_lock = tokenizer, tokenizer_lock
        self.eos_ids, self.pad_id = eos_ids, pad_id
        self.device = model.device
        self._model_lock = generation_lock(model)
        self._cond = threading.Condition()
        self._waiting: deque[tuple[list[Row], bool]] = deque()
        self._worker: threading.Thread | None = None
        self._closing = False
        self._mergeable: bool | None = None  # whether caches can be joined (known after the first prefill)
        # the running batch (only the worker touches it): its rows, key/value cache, attention mask [rows, positions]
        self._rows: list[Row] = []
        self._cache: Any = None
        self._mask: Any = None
        self._alone = False  # the running batch is an ``alone`` group
        self.largest = 0  # the most rows generated together so far (a caller may reset it to watch a period)

    @property
    def running(self) -> int:
        """Rows in the running batch."""
        return len(self._rows)

    def submit(self, rows: list[Row], alone: bool = False) -> None:
        """Queue a group of rows (prefilled together, left padded); they start when the batch has room for all
        (``alone``: when it is empty; then nothing joins them, see the module's docstring)."""
        now = time.perf_counter()
        for row in rows:
            row.submitted = now
        with self._cond:
            self._waiting.append((rows, alone))
            self._cond.notify()
            if self._worker is None or not self._worker.is_alive():  # not alive: lost to a fork
                self._worker = threading.Thread(target=self._work, name="ragtune-batcher", daemon=True)
                self._worker.start()

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        import torch

        with torch.inference_mode():
            while True:
                with self._cond:
                    admitted = None if self._closing else self._admit()
                    if admitted is None and not self._rows and not self._closing:
                        self._cond.wait(IDLE_S)
                        admitted = None if self._closing else self._admit()
                    if self._closing or (admitted is None and not self._rows):
                        self._worker = None
                        break
                try:
                    if admitted is not None:
                        self._prefill(*admitted)
                    if self._rows:
                        self._step()
                except BaseException as exc:  # noqa: BLE001 - handed to each row's consumer
                    self._fail(admitted[0] if admitted is not None else [], exc)
        if self._closing:
            with self._cond:
                waiting, self._waiting = list(self._waiting), deque()
            self._fail([row for group, _ in waiting for row in group], RuntimeError("the process is exiting"))

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the worker after its current step (rows still running or waiting end with an error) and wait for
        it: a thread still running torch code while the interpreter exits can abort the process."""
        with self._cond:
            self._closing = True
            self._cond.notify()
            worker = self._worker
        if worker is not None:
            worker.join(timeout_s)

    def _admit(self) -> tuple[list[Row], bool] | None:
        """The oldest waiting group (and whether it runs alone) if it fits the running batch, taken off the line
        (under the condition's lock); groups whose rows were all cancelled are dropped wherever they wait."""
        if any(all(row.cancel.is_set() for row in group) for group, _ in self._waiting):
            kept: deque[tuple[list[Row], bool]] = deque()
            for group, alone in self._waiting:
                if all(row.cancel.is_set() for row in group):
                    for row in group:
                        row._end("stop")
                else:
                    kept.append((group, alone))
            self._waiting = kept
        if self._waiting:
            group, alone = self._waiting[0]
            if self._rows:
                if alone or self._alone or not self._mergeable:
                    return None
                if len(self._rows) + len(group) > min(row.limit for row in [*self._rows, *group]):
                    return None
            return self._waiting.popleft()
        return None

    def _fail(self, admitted: list[Row], exc: BaseException) -> None:
        """End the running rows and those just admitted with ``exc`` (the batch's state is unknown now)."""
        for row in [*admitted, *self._rows]:
            if row.reason is None:
                row._end("stop", exc)
        self._clear()

    def _clear(self) -> None:
        """Forget the running batch."""
        self._rows, self._cache, self._mask, self._alone = [], None, None, False

    def _forward(self, rows: list[Row], **inputs: Any) -> Any:
        """One forward pass under the model's lock; through the shared adapters (each row its own) if any."""
        model = self._model()
        with self._model_lock:
            peft = peft_model(model)
            if peft is None:
                return model(**inputs, use_cache=True, logits_to_keep=1)
            run_with_adapters(model)
            names = [row.adapter or "__base__" for row in rows]
            return peft(**inputs, use_cache=True, logits_to_keep=1, adapter_names=names)

    def _prefill(self, group: list[Row], alone: bool) -> None:
        """Prefill a group (left padded), choose its first tokens and join it to the running batch."""
        import torch
        from transformers import DynamicCache

        longest = max(len(row.prompt) for row in group)
        ids = torch.full((len(group), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(group), longest), dtype=torch.long)
        for i, row in enumerate(group):
            ids[i, longest - len(row.prompt):] = torch.tensor(row.prompt, dtype=torch.long)
            mask[i, longest - len(row.prompt):] = 1
        positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        cache = DynamicCache(config=self._model().config)
        mask = mask.to(self.device)
        try:
            out = self._forward(group, input_ids=ids.to(self.device), attention_mask=mask,
                                position_ids=positions.to(self.device), past_key_values=cache)
        except Exception as exc:  # noqa: BLE001 - only this group failed; the running batch is untouched
            for row in group:
                row._end("stop", exc)
            return
        if self._mergeable is None:
            self._mergeable = _mergeable(cache)
        self._join(group, cache, mask)
        self._alone = alone
        self._advance(group, out.logits[:, -1, :])

    def _step(self) -> None:
        """One decoding step for every running row (a finished row of an ``alone`` group writes padding)."""
        import torch

        self._retire([row for row in self._rows if row.reason is None and row.cancel.is_set()], "stop")
        if not self._rows:
            return
        last = torch.tensor([[self.pad_id if row.reason else row.ids[-1]] for row in self._rows], dtype=torch.long,
                            device=self.device)
        self._mask = torch.cat([self._mask, self._mask.new_ones((len(self._rows), 1))], dim=1)
        positions = self._mask.sum(-1, keepdim=True) - 1
        out = self._forward(self._rows, input_ids=last, attention_mask=self._mask, position_ids=positions,
                            past_key_values=self._cache)
        self._advance(self._rows, out.logits[:, -1, :])

    def _advance(self, rows: list[Row], logits: Any) -> None:
        """Give each of ``rows`` that is not done its next token (``logits``: one row each) and retire the rows
        that are done now."""
        live = [i for i, row in enumerate(rows) if row.reason is None]
        if len(live) < len(rows):
            rows, logits = [rows[i] for i in live], logits[live]
        tokens = self._choose(rows, logits)
        stopped = self._stopped(rows, tokens)
        done: dict[FinishReason, list[Row]] = {"stop": [], "length": []}
        for row, token, stop in zip(rows, tokens, stopped):
            row._push(token)
            if token in self.eos_ids or stop:
                done["stop"].append(row)
            elif len(row.ids) >= row.budget:
                done["length"].append(row)
        for reason, finished in done.items():
            self._retire(finished, reason)

    @staticmethod
    def _choose(rows: list[Row], logits: Any) -> list[int]:
        """Each row's next token: the best one, or, for a row with processors or sampling, its own pick."""
        import torch

        logits = logits.float()
        tokens = logits.argmax(-1).tolist()
        for i, row in enumerate(rows):
            if row.processors is None and not row.sample:
                continue
            scores = logits[i : i + 1]
            if row.processors is not None:
                ids = torch.tensor([row.prompt + row.ids], dtype=torch.long, device=logits.device)
                scores = row.processors(ids, scores)
            tokens[i] = int(torch.multinomial(scores.softmax(-1), 1)) if row.sample else int(scores.argmax(-1))
        return tokens

    def _stopped(self, rows: list[Row], tokens: list[int]) -> list[bool]:
        """Whether each row's text, with its next token, now holds one of its stop strings.

        Decodes only the last few tokens of each row (as many as its longest stop string has UTF-8 bytes, plus a
        character's worth), so the check costs the same however long the stops or the answer are.
        """
        checked = [i for i, row in enumerate(rows) if row.stop]
        if not checked:
            return [False] * len(tokens)
        tails = []
        for i in checked:
            row = rows[i]
            window = max(len(stop.encode("utf-8")) for stop in row.stop) + 4
            tails.append([*row.ids, tokens[i]][-window:])
        with self._tokenizer_lock:
            texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        stopped = [False] * len(tokens)
        for i, text in zip(checked, texts):
            stopped[i] = any(stop in text for stop in rows[i].stop)
        return stopped

    # ------------------------------------------------------------------ the running batch's cache

    def _join(self, group: list[Row], cache: Any, mask: Any) -> None:
        """Add a prefilled group to the running batch: both caches left padded to one length, then stacked."""
        import torch
        import torch.nn.functional as F

        if not self._rows:
            self._rows, self._cache, self._mask = list(group), cache, mask
            self.largest = max(self.largest, len(self._rows))
            return
        length = max(self._mask.shape[1], mask.shape[1])

        def pad(tensor: Any, dim: int) -> Any:
            missing = length - tensor.shape[dim]
            if not missing:
                return tensor
            return F.pad(tensor, (missing, 0) if dim == 1 else (0, 0, missing, 0))

        for mine, theirs in zip(self._cache.layers, cache.layers):
            mine.keys = torch.cat([pad(mine.keys, 2), pad(theirs.keys, 2)])
            mine.values = torch.cat([pad(mine.values, 2), pad(theirs.values, 2)])
        self._mask = torch.cat([pad(self._mask, 1), pad(mask, 1)])
        self._rows += group
        self.largest = max(self.largest, len(self._rows))

    def _retire(self, rows: list[Row], reason: FinishReason) -> None:
        """End ``rows`` and drop them from the running batch (and the positions no remaining row uses); an
        ``alone`` group's rows stay until all are done."""
        if not rows:
            return
        for row in rows:
            row._end(reason)
        keep = [i for i, row in enumerate(self._rows) if row.reason is None]
        if not keep:
            self._clear()
            return
        if self._alone:
            return
        import torch

        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        self._cache.batch_select_indices(index)
        self._rows = [self._rows[i] for i in keep]
        self._mask = self._mask[index]
        unused = int(self._mask.any(0).int().argmax())  # leading positions that are padding in every row
        if unused and self._mergeable:
            for layer in self._cache.layers:
                layer.keys, layer.values = layer.keys[:, :, unused:], layer.values[:, :, unused:]
            self._mask = self._mask[:, unused:]


def _mergeable(cache: Any) -> bool:
    """Whether a cache's layers are plain key/value tensors that can be padded, stacked and cut."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer and layer.is_initialized for layer in cache.layers)


_BATCHERS: weakref.WeakKeyDictionary[Any, Batcher] = weakref.WeakKeyDictionary()
_BATCHERS_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    with _BATCHERS_LOCK:
        batchers = list(_BATCHERS.values())
    for batcher in batchers:
        batcher.close()


def batcher_for(model: Any, tokenizer: Any, tokenizer_lock: threading.Lock, eos_ids: set[int],
                pad_id: int) -> Batcher:
    """The Batcher of a loaded (base) model, made on first use; every generator on the model shares it."""
    with _BATCHERS_LOCK:
        batcher = _BATCHERS.get(model)
        if batcher is None:
            batcher = _BATCHERS[model] = Batcher(model, tokenizer, tokenizer_lock, eos_ids, pad_id)
        return batcher
