"""Tolerant field types for run files: a malformed value reads as missing instead of failing the whole file.

A run folder may come from an older ragtune, a crash or a hand edit; the report, the summary and the
recommendation still read what they can. So every field of the run models is one of these: a number that is
not a finite number reads as None, a nested object that does not validate reads as None, a mapping or list
that is not one reads as empty, and a bad entry inside one is dropped.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError, ValidatorFunctionWrapHandler, WrapValidator


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number, else None (bools and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _number(value: object) -> int | float | None:
    """A finite number as given (an int stays an int, so files round-trip), else None."""
    return value if finite(value) is not None else None  # type: ignore[return-value]


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    """A string as given; a number as its text (an id or a version written as a number); else None."""
    if isinstance(value, str):
        return value
    return str(value) if finite(value) is not None else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _or(default: Any) -> WrapValidator:
    """Validate normally; on failure use ``default`` (a factory when callable)."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            return default() if callable(default) else default

    return WrapValidator(validate)


def _mapping(value: object) -> dict[Any, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


Number = Annotated[int | float | None, BeforeValidator(_number)]
Count = Annotated[int | None, BeforeValidator(_count)]
Text = Annotated[str | None, BeforeValidator(_text)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]
Mapping = Annotated[dict[str, Any], BeforeValidator(_mapping)]


def maybe(kind: Any) -> Any:
    """``kind`` or None: a value that does not validate as ``kind`` reads as None."""
    return Annotated[kind | None, _or(None)]


def table(kind: Any) -> Any:
    """A mapping name -> ``kind``; not a mapping reads as empty, a bad entry as None."""
    return Annotated[dict[str, maybe(kind)], BeforeValidator(_mapping)]


def entries(kind: Any) -> Any:
    """A list of ``kind``; not a list reads as empty, bad entries are dropped."""

    def keep(values: list[Any]) -> list[Any]:
        return [v for v in values if v is not None]

    return Annotated[list[maybe(kind)], BeforeValidator(_items), AfterValidator(keep)]


Texts = entries(str)
