"""The self-contained HTML report of a comparison run, rendered from its results.json and samples.jsonl.

One file that works offline (see ``page``). Every string that comes from the run is escaped; missing or null
pieces are shown as absent. The sections: ``header`` (run facts, recommendation), ``tables`` (summary),
``significance``, ``charts`` (drawn by ``svg*``), ``freshness``, ``drilldown`` (questions); ``page`` puts them
together.
"""

from __future__ import annotations

from pathlib import Path

from ragtune import atomic
from ragtune.evaluate.report.page import build_html
from ragtune.evaluate.report.run import load_run
from ragtune.results import RunResults, Sample


def write_report(run_dir: str | Path, results: RunResults | dict, samples: list[Sample] | list[dict]) -> Path:
    """Write ``run_dir/report.html`` (atomically) for the given results and samples; return its path."""
    out = Path(run_dir) / "report.html"
    atomic.write_text(out, build_html(results, samples))
    return out


def render_report(run_dir: str | Path) -> Path:
    """Render ``run_dir/report.html`` from the run's results.json and samples.jsonl; return its path."""
    results, samples = load_run(run_dir)
    return write_report(run_dir, results, samples)


__all__ = ["build_html", "load_run", "render_report", "write_report"]
