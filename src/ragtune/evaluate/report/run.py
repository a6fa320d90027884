"""The run a report is rendered from: reading its folder, and the view the sections share (arm order, colours).

results.json is read by ``ragtune.evaluate.runs.read_results``; samples.jsonl is optional and read tolerantly
(unreadable lines are skipped), so a page renders from whatever a run left behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragtune.evaluate.formatting import arm_names, as_list, as_map, finite
from ragtune.evaluate.report.markup import e, text
from ragtune.evaluate.report.svg import PALETTE
from ragtune.evaluate.runs import read_results


def load_run(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """results.json (required, an object) and samples.jsonl (optional; unreadable lines skipped) of a run folder."""
    run = Path(run_dir)
    return read_results(run), _read_samples(run / "samples.jsonl")


def _read_samples(path: Path) -> list[dict]:
    samples: list[dict] = []
    if not path.is_file():
        return samples
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            samples.append(row)
    return samples


class RunView:
    """A run's results and samples as the sections read them: every arm in order, each with its colour."""

    def __init__(self, results: dict, samples: list[dict]):
        self.results = results
        self.samples = samples
        names = arm_names(results)
        for s in samples:
            arm = s.get("arm")
            if isinstance(arm, str) and arm and arm not in names:
                names.append(arm)
        self.arms = names
        self.colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(names)}
        self.metrics = as_map(results.get("metrics"))
        self.perf = as_map(results.get("performance"))
        self.cost = as_map(as_map(results.get("cost")).get("arms"))
        fresh = results.get("freshness")
        self.freshness = fresh if isinstance(fresh, Mapping) else None
        self.arm_info = {a.get("name"): a for a in as_list(results.get("arms")) if isinstance(a, Mapping)}

    def metric(self, arm: str, key: str) -> Any:
        """The interval mapping of one aggregate metric of an arm (empty when missing)."""
        return as_map(as_map(self.metrics.get(arm)).get(key))

    def figure(self, src: str, key: str, arm: str) -> float | None:
        """One number from the performance table (``src`` "performance") or the cost table (any other ``src``)."""
        table = self.perf if src == "performance" else self.cost
        return finite(as_map(table.get(arm)).get(key))

    def swatch(self, arm: str) -> str:
        """The arm's name after a square of its colour."""
        return f'<span class="swatch" style="background:{self.colors.get(arm, "#888")}"></span>{e(arm)}'

    def arm_cell(self, arm: str) -> str:
        """A row header for the arm: its swatch, then its variant and overrides when they say more than its name."""
        info = as_map(self.arm_info.get(arm))
        extra = []
        if info.get("variant") and info.get("variant") != arm:
            extra.append(f"variant {info['variant']}")
        overrides = as_map(info.get("set"))
        if overrides:
            extra.append(", ".join(f"{k}={text(v)}" for k, v in overrides.items()))
        sub = f'<br><span class="muted small">{e("; ".join(extra))}</span>' if extra else ""
        return f'<th scope="row">{self.swatch(arm)}{sub}</th>'
