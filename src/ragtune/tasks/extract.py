"""Scoring an extraction task: the answer parsed as JSON, checked against the task's JSON Schema, and compared
field by field with the expected object (exact match and token F1; entity-level F1 for list fields)."""

from __future__ import annotations

import json
import re
from typing import Any

from ragtune.claims import normalize
from ragtune.errors import InputError
from ragtune.evaluate.metrics import exact_match, token_f1

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def parse_json(text: str) -> Any | None:
    """The JSON value an answer holds: the whole text, a fenced ```json block, or the outermost {...} span;
    None when none parses."""
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            continue
    return None


def validator(schema: dict[str, Any], where: str) -> Any:
    """A JSON Schema validator for ``schema``; an InputError naming ``where`` when the schema itself is invalid."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "/".join(map(str, exc.path)) or "(top)"
        raise InputError(f"{where}: not a valid JSON Schema at {path}: {exc.message}") from None
    return cls(schema)


def schema_valid(value: Any, check: Any) -> bool:
    """Whether ``value`` satisfies the schema of ``check`` (a validator from ``validator``)."""
    return value is not None and check.is_valid(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _entities(value: Any) -> set[str]:
    items = value if isinstance(value, list) else [] if value is None else [value]
    return {normalize(_text(item)) for item in items} - {""}


def entity_f1(predicted: Any, expected: Any) -> float:
    """F1 of the normalized items of two lists (1.0 when both are empty)."""
    pred, gold = _entities(predicted), _entities(expected)
    if not pred and not gold:
        return 1.0
    same = len(pred & gold)
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def field_scores(predicted: Any, expected: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Per expected field: (exact match, F1). Text and numbers compare normalized; a list field scores its
    items as a set (exact: the same set; F1: entity-level); a missing or unparsed field scores 0."""
    got = predicted if isinstance(predicted, dict) else {}
    scores = {}
    for key, want in expected.items():
        have = got.get(key)
        if isinstance(want, list):
            f1 = entity_f1(have, want) if key in got else 0.0
            scores[key] = (float(key in got and _entities(have) == _entities(want)), f1)
        elif want is None:
            scores[key] = (float(key in got and have is None), float(key in got and have is None))
        elif key not in got or have is None:
            scores[key] = (0.0, 0.0)
        else:
            scores[key] = (exact_match(_text(have), [_text(want)]), token_f1(_text(have), [_text(want)]))
    return scores
