"""Scoring multiple choice: a local model picks the option it gives the highest log-likelihood (raw, and
normalised by the option's length in bytes, as lm-evaluation-harness's acc and acc_norm do); an endpoint model's
answer is read as a letter or an option's text. Chance level is the mean of 1 / options."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from ragtune.claims import normalize

LETTERS = string.ascii_uppercase


def pick(logliks: Sequence[float], options: Sequence[str]) -> tuple[int, int]:
    """(index of the most likely option, index of the most likely per byte of option text)."""
    raw = max(range(len(logliks)), key=lambda i: logliks[i])
    norm = max(range(len(logliks)), key=lambda i: logliks[i] / max(len(options[i].encode("utf-8")), 1))
    return raw, norm


def parse_answer(answer: str, options: Sequence[str]) -> int | None:
    """The option a written answer names: a leading letter ("B", "(B)", "B." or "Answer: B"), else the one option
    whose normalized text it contains; None when it names none or several."""
    letters = LETTERS[: len(options)]
    head = re.match(rf"\s*(?:answer\s*[:\-]?\s*)?\(?([{letters}])\)?(?:[.):\s]|$)", answer, re.I)
    if head:
        return letters.index(head.group(1).upper())
    norm = normalize(answer)
    named = [i for i, option in enumerate(options) if normalize(option) and normalize(option) in norm]
    return named[0] if len(named) == 1 else None


def lettered(question: str, options: Sequence[str]) -> str:
    """The question with its options as ``A. ...`` lines, for prompting."""
    return question.rstrip() + "\n" + "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))


def chance(option_counts: Sequence[int]) -> float:
    """The accuracy of guessing: the mean of 1 / options over the rows."""
    return sum(1 / n for n in option_counts) / len(option_counts) if option_counts else 0.0
