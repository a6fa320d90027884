"""Constrain the numbers a local model may write to those its sources state (``answer.numbers: sources``).

A logits processor masks, at each decoding step, every token that would write a run of digits no source holds.
A run is the digits between non-digits ("1,200" is "1" and "200"; a source's "1,200" also allows "1200"). While a
run is open only tokens that keep it a prefix of an allowed number may follow, and it may end only where it is a
whole allowed number, so "4" cannot stand where the sources say "41" and "48" unless some source says "4".
Digits right after "[" are citation numbers: 1 to the number of sources. Numbers written as words ("four") are not
constrained: the grounding check (``ragtune.grounding``) reads those.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DIGITS = frozenset("0123456789")
_RUN = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


def _prefixes(numbers: Iterable[str]) -> frozenset[str]:
    return frozenset(n[:i] for n in numbers for i in range(1, len(n) + 1))


@dataclass(frozen=True)
class AllowedNumbers:
    """The digit runs one answer may write: those of its sources (and question), and its citation numbers."""

    numbers: frozenset[str]
    citations: frozenset[str]
    prefixes: frozenset[str] = field(init=False)
    citation_prefixes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", _prefixes(self.numbers))
        object.__setattr__(self, "citation_prefixes", _prefixes(self.citations))

    @classmethod
    def of(cls, texts: Iterable[str], n_sources: int) -> AllowedNumbers:
        """The numbers stated in ``texts`` (sources as the prompt shows them, the question) and citations 1..n."""
        found: set[str] = set()
        for text in texts:
            found.update(_RUN.findall(text))
            found.update(m.group().replace(",", "") for m in _GROUPED.finditer(text))
        return cls(frozenset(found), frozenset(str(n) for n in range(1, n_sources + 1)))

    @property
    def longest(self) -> int:
        """The length of the longest allowed run."""
        return max((len(n) for n in (*self.numbers, *self.citations)), default=0)

    def whole(self, run: str, citation: bool) -> bool:
        """Whether ``run`` may end here."""
        return run in (self.citations if citation else self.numbers)

    def prefix(self, run: str, citation: bool) -> bool:
        """Whether ``run`` may go on (it starts some allowed number)."""
        return run in (self.citation_prefixes if citation else self.prefixes)

    def fits(self, run: str, citation: bool, before: str, piece: str) -> bool:
        """Whether ``piece`` may follow text ending in the open ``run`` (a citation number when ``citation``) or,
        with no open run, in the character ``before``."""
        for ch in piece:
            if ch in DIGITS:
                if not run:
                    citation = before == "["
                run += ch
                continue
            if run and not self.whole(run, citation):
                return False
            run, before = "", ch
        return not run or self.prefix(run, citation)


class _Vocabulary:
    """A tokenizer's tokens as text, split into those holding a digit and the rest."""

    def __init__(self, tokenizer: Any) -> None:
        import torch

        pieces = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
        self.size = len(pieces)
        self.digit_ids = [i for i, p in enumerate(pieces) if DIGITS.intersection(p)]
        self.digit_pieces = [pieces[i] for i in self.digit_ids]
        mask = torch.ones(self.size, dtype=torch.bool)
        mask[self.digit_ids] = False
        self.plain = mask  # True for tokens without a digit


_VOCABULARIES: weakref.WeakKeyDictionary[Any, _Vocabulary] = weakref.WeakKeyDictionary()
_VOCABULARY_LOCK = threading.Lock()


def _vocabulary(tokenizer: Any, tokenizer_lock: threading.Lock) -> _Vocabulary:
    """The tokenizer's table, built once (under its lock: fast tokenizers dislike concurrent calls)."""
    with _VOCABULARY_LOCK:
        if tokenizer not in _VOCABULARIES:
            with tokenizer_lock:
                _VOCABULARIES[tokenizer] = _Vocabulary(tokenizer)
        return _VOCABULARIES[tokenizer]


def number_guard(tokenizer: Any, tokenizer_lock: threading.Lock, start: int,
                 allowed: Sequence[AllowedNumbers | None]) -> Any:
    """A transformers ``LogitsProcessor`` for a batch whose new tokens start at position ``start``: row i may write
    only the numbers of ``allowed[i]`` (None: that row is free)."""
    import torch
    from transformers import LogitsProcessor

    vocab = _vocabulary(tokenizer, tokenizer_lock)
    rows = [i for i, r in enumerate(allowed) if r is not None]
    width = max(allowed[i].longest for i in rows) + 4 if rows else 0  # tokens that hold any open run

    class NumberGuard(LogitsProcessor):
        def __init__(self) -> None:
            self._banned: list[dict[tuple[str, bool, bool], Any]] = [{} for _ in allowed]
            self._size: int | None = None  # the vocabulary the model's head scores (a tokenizer may count more)
            self._device: Any = None

        def _ban(self, row: int, rule: AllowedNumbers, run: str, citation: bool, bracket: bool) -> Any:
            """The mask of tokens row ``row`` may not write next (True: banned)."""
            key = (run, citation, bracket)
            if key not in self._banned[row]:
                before = "[" if bracket else ""
                ok = [rule.fits(run, citation, before, p) for p in vocab.digit_pieces]
                ban = torch.zeros(vocab.size, dtype=torch.bool)
                if run and not rule.whole(run, citation):
                    ban |= vocab.plain  # an open run that is no whole number must go on
                ban[[i for i, fine in zip(vocab.digit_ids, ok) if not fine]] = True
                if bool(ban.all()):  # nothing may follow (cannot happen with single-digit tokens): leave it free
                    ban[:] = False
                self._banned[row][key] = ban[: self._size].to(self._device)
            return self._banned[row][key]

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            if self._size is None:
                self._size, self._device = min(vocab.size, scores.shape[1]), scores.device
            tails = input_ids[rows, max(start, input_ids.shape[1] - width):].tolist()
            with tokenizer_lock:
                texts = tokenizer.batch_decode(tails, skip_special_tokens=True)
            for row, text in zip(rows, texts):
                stripped = text.rstrip("0123456789")
                run = text[len(stripped):]
                bracket = stripped.endswith("[")
                ban = self._ban(row, allowed[row], run, bracket and bool(run), bracket and not run)
                scores[row, : self._size].masked_fill_(ban, float("-inf"))
            return scores

    return NumberGuard()
