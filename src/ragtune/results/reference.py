"""docs/results.md's field reference, generated from the run models (``python -m ragtune.results.reference``).

One table per model: each key, its type and what it holds. A test checks that the document carries the
current text, so the reference cannot drift from what ``compare`` writes.
"""

from __future__ import annotations

from typing import Any

from ragtune.results.models import SCHEMA, RunResults
from ragtune.results.samples import Sample

BEGIN = "<!-- generated: python -m ragtune.results.reference -->"
END = "<!-- end of generated reference -->"


def json_schema() -> dict[str, Any]:
    """The JSON schema of results.json and of a samples.jsonl row (``ragtune results-schema``)."""
    return {"results.json": RunResults.model_json_schema(by_alias=True),
            "samples.jsonl row": Sample.model_json_schema(by_alias=True)}


def _type(node: dict[str, Any]) -> str:
    """A property's type in words: ``number``, ``list of [Arm](#arm)``, ``name → [Interval](#interval)``."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if options:
        kinds = {_type(o) for o in options}
        return "number" if kinds == {"integer", "number"} else " or ".join(sorted(kinds))
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object":
        values = node.get("additionalProperties")
        return f"name → {_type(values)}" if isinstance(values, dict) else "mapping"
    return str(kind or "any")


def _table(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", "", schema.get("description", "").strip(), "", "| key | type | meaning |",
             "|---|---|---|"]
    for key, node in schema.get("properties", {}).items():
        lines.append(f"| `{key}` | {_type(node)} | {node.get('description', '')} |")
    return [*lines, ""]


def _refs(node: Any) -> list[str]:
    """The models a schema node names, in the order they first appear."""
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    return [r for value in node for r in _refs(value)] if isinstance(node, list) else []


def reference() -> str:
    """The generated part of docs/results.md (between ``BEGIN`` and ``END``): each model after the first one
    that names it."""
    lines = [BEGIN, "", f"results.json layout (`schema`) {SCHEMA}. Every key may be missing or null in a partial "
             "run; readers treat a malformed value as missing.", ""]
    done: set[str] = set()
    for model in (RunResults, Sample):
        schema = model.model_json_schema(by_alias=True)
        parts = {model.__name__: schema, **schema.get("$defs", {})}
        queue = [model.__name__]
        while queue:
            name = queue.pop(0)
            if name in done:
                continue
            done.add(name)
            lines += _table(name, parts[name])
            queue += _refs(parts[name].get("properties", {}))
    return "\n".join([*lines, END])


if __name__ == "__main__":
    print(reference())
