"""Reading and writing a run's results.json and samples.jsonl through the models, with the layout version checked.

results.json must exist and hold a JSON object (a clear error says what to do otherwise); inside it, anything
malformed reads as missing. A file from a newer ragtune still loads, with a warning that figures may be missing.
samples.jsonl is optional and read tolerantly: unreadable lines are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ragtune import atomic
from ragtune.errors import InputError
from ragtune.results.models import SCHEMA, RunResults
from ragtune.results.samples import Sample

RESULTS = "results.json"
SAMPLES = "samples.jsonl"


def parse_results(data: RunResults | dict[str, Any] | Any) -> RunResults:
    """A results.json mapping as the model (a model is returned as is; anything else reads as an empty run)."""
    if isinstance(data, RunResults):
        return data
    run = RunResults.model_validate(data if isinstance(data, dict) else {})
    if run.schema_version is not None and run.schema_version > SCHEMA:
        run.notes.append(f"this results.json has layout {run.schema_version}, newer than the {SCHEMA} this "
                         "ragtune reads: upgrade ragtune to see every figure")
    return run


def load_results(folder: str | Path) -> RunResults:
    """A run folder's results.json; a clear error when the folder is not a run or the file is not a JSON object."""
    path = Path(folder) / RESULTS
    if not path.is_file():
        raise InputError(f"{folder} is not a ragtune run folder (no {RESULTS}): run `ragtune compare` first")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: re-run `ragtune compare`") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}): re-run `ragtune compare`") from None
    if not isinstance(data, dict):
        raise InputError(f"{Path(folder)} is not a ragtune run folder: run `ragtune compare` first "
                         f"({RESULTS} does not hold an object)")
    return parse_results(data)


def load_samples(folder: str | Path) -> list[Sample]:
    """A run folder's samples.jsonl rows (none when the file is missing; lines that are not objects skipped)."""
    path = Path(folder) / SAMPLES
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(Sample.model_validate(row))
    return rows


def save_results(folder: str | Path, results: RunResults) -> Path:
    """Write results.json atomically; returns its path."""
    path = Path(folder) / RESULTS
    atomic.write_json(path, results.to_json(), indent=2, ensure_ascii=False)
    return path


def save_samples(folder: str | Path, samples: list[Sample]) -> Path:
    """Write samples.jsonl atomically, one row a line; returns its path."""
    path = Path(folder) / SAMPLES
    atomic.write_jsonl(path, [s.to_json() for s in samples], ensure_ascii=False)
    return path
