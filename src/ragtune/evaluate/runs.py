"""Run folders: runs/<id>/ with results.json, samples.jsonl and report.html."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ragtune import atomic
from ragtune.errors import InputError
from ragtune.project import Project


def new_run_folder(project: Project) -> Path:
    """A new, empty runs/<YYYYMMDD-HHMMSS> folder (suffixed when two runs start in the same second)."""
    base = project.run_dir(datetime.now().strftime("%Y%m%d-%H%M%S"))
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    return folder


def write_run(folder: Path, results: dict[str, Any], samples: list[dict[str, Any]]) -> Path:
    """Write samples.jsonl, results.json and report.html; returns the report's path."""
    (folder / "samples.jsonl").write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples),
                                          encoding="utf-8")
    return write_results(folder, results, samples)


def write_results(folder: Path, results: dict[str, Any], samples: list[dict[str, Any]] | None = None) -> Path:
    """Write results.json (atomically) and report.html; returns the report's path. The report is rendered from
    ``results`` and ``samples`` when the samples are given, else from the folder (its samples.jsonl)."""
    from ragtune.evaluate.report import render_report, write_report

    atomic.write_json(Path(folder) / "results.json", results, indent=2, ensure_ascii=False)
    return render_report(folder) if samples is None else write_report(folder, results, samples)


def read_results(folder: Path) -> dict[str, Any]:
    """A run's results.json (an object); a clear error when the folder is not a run."""
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise InputError(f"{folder} is not a ragtune run folder (no results.json): run `ragtune compare` first")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: re-run `ragtune compare`") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}): re-run `ragtune compare`") from None
    if not isinstance(results, dict):
        raise InputError(f"{Path(folder)} is not a ragtune run folder: run `ragtune compare` first "
                         "(results.json does not hold an object)")
    return results


def latest_run(project: Project) -> Path:
    """The newest run folder of a project that has a results.json."""
    runs = sorted(p for p in project.runs_dir.glob("*") if (p / "results.json").is_file())
    if not runs:
        raise InputError(f"no comparison runs in {project.runs_dir}: run `ragtune compare {project.root}` first")
    return runs[-1]
