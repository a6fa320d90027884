"""Run folders: runs/<id>/ with results.json, samples.jsonl and report.html (the files: ``ragtune.results``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ragtune.errors import InputError
from ragtune.evaluate.report import render_report, write_report
from ragtune.project import Project
from ragtune.results import RunResults, Sample, save_results, save_samples


def new_run_folder(project: Project) -> Path:
    """A new, empty runs/<YYYYMMDD-HHMMSS> folder (suffixed when two runs start in the same second)."""
    base = project.run_dir(datetime.now().strftime("%Y%m%d-%H%M%S"))
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    return folder


def write_run(folder: Path, results: RunResults, samples: list[Sample]) -> Path:
    """Write samples.jsonl, results.json and report.html; returns the report's path."""
    save_samples(folder, samples)
    return write_results(folder, results, samples)


def write_results(folder: Path, results: RunResults, samples: list[Sample] | None = None) -> Path:
    """Write results.json and report.html; returns the report's path. The report is rendered from ``results``
    and ``samples`` when the samples are given, else from the folder (its samples.jsonl)."""
    save_results(folder, results)
    return render_report(folder) if samples is None else write_report(folder, results, samples)


def latest_run(project: Project) -> Path:
    """The newest run folder of a project that has a results.json."""
    runs = sorted(p for p in project.runs_dir.glob("*") if (p / "results.json").is_file())
    if not runs:
        raise InputError(f"no comparison runs in {project.runs_dir}: run `ragtune compare {project.root}` first")
    return runs[-1]
