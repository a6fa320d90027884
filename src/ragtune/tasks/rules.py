"""Verifiable format and style rules for generated text, in the spirit of IFEval: each rule is checked by code,
never by a model. A row passes strictly when every rule holds on the text as written, and loosely when every rule
holds on one of its lenient variants (markdown emphasis removed, first or last line dropped), as IFEval's loose
score does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.M)


class Rules(BaseModel):
    """The rules a task's (or a row's) output must follow; unset rules are not checked."""

    model_config = ConfigDict(extra="forbid")

    max_words: int | None = Field(None, ge=1, description="At most this many words.")
    min_words: int | None = Field(None, ge=1, description="At least this many words.")
    max_sentences: int | None = Field(None, ge=1, description="At most this many sentences.")
    starts_with: str | None = Field(None, description="The text starts with this (case-insensitive).")
    ends_with: str | None = Field(None, description="The text ends with this (case-insensitive).")
    must_include: list[str] = Field(default_factory=list, description="Terms that must appear (case-insensitive).")
    must_not_include: list[str] = Field(default_factory=list, description="Terms that must not appear.")
    regex: list[str] = Field(default_factory=list, description="Patterns that must match somewhere.")
    not_regex: list[str] = Field(default_factory=list, description="Patterns that must not match anywhere.")
    json_valid: bool = Field(False, description="The whole text is valid JSON.")
    markdown_table: bool = Field(False, description="The text holds a Markdown table (a header rule line).")
    case: str | None = Field(None, pattern="^(lower|upper)$", description="All letters lower- or uppercase.")

    @field_validator("regex", "not_regex")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return patterns

    def merged(self, extra: Rules | None) -> Rules:
        """These rules with a row's own on top (its set values win, its term lists add)."""
        if extra is None:
            return self
        data = self.model_dump()
        for key, value in extra.model_dump(exclude_defaults=True).items():
            data[key] = [*data[key], *value] if isinstance(value, list) else value
        return Rules(**data)

    def checks(self) -> dict[str, Callable[[str], bool]]:
        """Rule name -> its check, for the rules that are set."""
        out: dict[str, Callable[[str], bool]] = {}
        lower = str.lower
        if self.max_words is not None:
            out["max_words"] = lambda t, n=self.max_words: len(t.split()) <= n
        if self.min_words is not None:
            out["min_words"] = lambda t, n=self.min_words: len(t.split()) >= n
        if self.max_sentences is not None:
            out["max_sentences"] = lambda t, n=self.max_sentences: _sentences(t) <= n
        if self.starts_with:
            out["starts_with"] = lambda t, s=self.starts_with: lower(t.strip()).startswith(lower(s))
        if self.ends_with:
            out["ends_with"] = lambda t, s=self.ends_with: lower(t.strip()).endswith(lower(s))
        for term in self.must_include:
            out[f"must_include:{term}"] = lambda t, s=term: lower(s) in lower(t)
        for term in self.must_not_include:
            out[f"must_not_include:{term}"] = lambda t, s=term: lower(s) not in lower(t)
        for pattern in self.regex:
            out[f"regex:{pattern}"] = lambda t, p=re.compile(pattern): p.search(t) is not None
        for pattern in self.not_regex:
            out[f"not_regex:{pattern}"] = lambda t, p=re.compile(pattern): p.search(t) is None
        if self.json_valid:
            out["json_valid"] = _is_json
        if self.markdown_table:
            out["markdown_table"] = lambda t: _TABLE_RULE.search(t) is not None
        if self.case:
            out["case"] = lambda t, c=self.case: t == (t.lower() if c == "lower" else t.upper())
        return out


def _sentences(text: str) -> int:
    stripped = text.strip()
    if not stripped:
        return 0
    ends = len(_SENTENCE_END.findall(stripped))
    return ends + (0 if _SENTENCE_END.search(stripped[-1] + " ") else 1)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return False
    return True


def _variants(text: str) -> list[str]:
    """The lenient readings of a text IFEval's loose score tries: as is, without ``*`` emphasis, without its
    first line, its last line, or both (empty readings are not tried)."""
    lines = text.split("\n")
    bodies = [text, "\n".join(lines[1:]), "\n".join(lines[:-1]), "\n".join(lines[1:-1])]
    return [v for body in bodies for v in (body, body.replace("*", "")) if v.strip()]


def check(text: str, rules: Rules) -> dict[str, Any]:
    """Each rule's strict and loose result and the row's: ``{"rules": {name: (strict, loose)}, "strict": all
    strict, "loose": all loose}`` (a row without rules passes)."""
    variants = _variants(text) or [text]
    results = {name: (test(text), any(test(v) for v in variants)) for name, test in rules.checks().items()}
    return {"rules": results, "strict": all(s for s, _ in results.values()),
            "loose": all(loose for _, loose in results.values())}
