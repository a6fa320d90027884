"""Ask the team, one question each, for the constraints ragtune.yaml leaves unknown.

Only unknown constraints are asked (content_changes "unknown", a boolean or a limit that is null); an empty
answer leaves one unknown, and an invalid answer is asked again with the allowed values named.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import UPDATES_PER_MONTH

CHANGES = tuple(UPDATES_PER_MONTH)  # never ... daily: the stated frequencies ("unknown" is an empty answer)
YES = frozenset({"y", "yes", "true", "1"})
NO = frozenset({"n", "no", "false", "0"})
MAX_TRIES = 5


class _Invalid(ValueError):
    """An answer that does not parse; its message names what is allowed."""


def _changes(text: str) -> str:
    value = text.lower()
    if value not in CHANGES:
        raise _Invalid(f"please answer one of: {', '.join(CHANGES)}")
    return value


def _yes_no(text: str) -> bool:
    value = text.lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise _Invalid("please answer yes or no (y/n)")


def _number(text: str, what: str, *, strictly_positive: bool, strip: tuple[str, ...]) -> float:
    value = text.lower().replace(",", "").replace("$", "").strip()
    for suffix in strip:
        value = value.removesuffix(suffix).strip()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or (strictly_positive and number == 0):
        bound = "above 0" if strictly_positive else "0 or more"
        raise _Invalid(f"please answer {what}: a number {bound}")
    return number


def _budget(text: str) -> float:
    return _number(
        text, "US dollars per month, e.g. 200", strictly_positive=False, strip=("per month", "/month", "a month", "usd")
    )


def _latency(text: str) -> float:
    return _number(text, "seconds, e.g. 2.5", strictly_positive=True, strip=("seconds", "second", "sec", "s"))


@dataclass(frozen=True)
class _Question:
    key: str
    text: str
    parse: Callable[[str], Any]
    hint: str


def _questions(c: ConstraintsConfig) -> list[_Question]:
    return [
        _Question("content_changes", "How often do the documents change?", _changes, "/".join(CHANGES)),
        _Question("traceable", "Must answers cite their sources?", _yes_no, "y/n"),
        _Question(
            "closed_environment",
            "Is the deployment unable to run a retrieval store (closed environment)?",
            _yes_no,
            "y/n",
        ),
        _Question(
            "specialized",
            "Is the use case specialized (strict format, house style, jargon, a fixed task)?",
            _yes_no,
            "y/n",
        ),
        _Question(
            "budget_usd_month",
            f"Monthly budget in US dollars for serving and updates (at {c.queries_per_month:,} queries/month)?",
            _budget,
            "dollars",
        ),
        _Question("latency_p95_s", "Latency target: 95th-percentile seconds per answer?", _latency, "seconds"),
    ]


def _unknown(c: ConstraintsConfig, key: str) -> bool:
    value = getattr(c, key)
    return value == "unknown" if key == "content_changes" else value is None


def ask_constraints(
    constraints: ConstraintsConfig, *, ask: Callable[[str], str] = input, say: Callable[[str], None] = print
) -> ConstraintsConfig:
    """Ask for each unknown constraint (empty answer: leave it unknown) and return an updated copy."""
    updates: dict[str, Any] = {}
    for question in _questions(constraints):
        if not _unknown(constraints, question.key):
            continue
        prompt = f"{question.text} [{question.hint}, empty: leave unknown] "
        for _ in range(MAX_TRIES):
            answer = (ask(prompt) or "").strip()
            if not answer or (question.key == "content_changes" and answer.lower() == "unknown"):
                break
            try:
                updates[question.key] = question.parse(answer)
                break
            except _Invalid as exc:
                say(f"  {answer!r}: {exc}, or leave it empty to leave {question.key} unknown")
        else:
            say(f"  leaving {question.key} unknown after {MAX_TRIES} invalid answers")
    return constraints.model_copy(update=updates)
