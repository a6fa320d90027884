"""Scoring multiple choice: a local model picks the option it gives the highest log-likelihood (raw, and
normalised by the option's length in bytes, as lm-evaluation-harness's acc and acc_norm do); an endpoint model's
answer is read as a letter or an option's text. Chance level is the mean of 1 / options. ``read_choices`` reads a
row's options and its right one (task rows and question-set rows alike)."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Any

from ragtune.claims import normalize
from ragtune.errors import InputError

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


def read_choices(options: Any, answer: Any, where: str, key: str = "answer") -> tuple[list[str], int]:
    """A row's options (a list, or in CSV a "|"-separated string) and the index of the right one, which
    ``answer`` (the row's ``key`` value) gives as an index, a letter or the option's text; an InputError naming
    ``where`` and the key otherwise."""
    if isinstance(options, str):  # CSV: options separated by "|"
        options = [o.strip() for o in options.split("|")]
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, (str, int, float)) for o in options):
        raise InputError(f'{where}: "choices" must list two or more options (in CSV: separated by "|")')
    options = [str(o).strip() for o in options]
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise InputError(f'{where}: no "{key}" value: a row with "choices" names the right one by its index '
                         f"(0-{len(options) - 1}), its letter or its text")
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(options):
        return options, answer
    text = str(answer).strip()
    if text in options:
        return options, options.index(text)
    if len(text) == 1 and text.upper() in LETTERS[: len(options)]:
        return options, LETTERS.index(text.upper())
    if text.isdigit() and int(text) < len(options):  # an index written as text (CSV)
        return options, int(text)
    raise InputError(f'{where}: "{key}" {answer!r} names none of the {len(options)} choices: give the right one\'s '
                     f"index (0-{len(options) - 1}), its letter or its text")
