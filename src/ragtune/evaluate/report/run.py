"""The run a report is rendered from: reading its folder, and the view the sections share (arm order, colours).

Both files are read through ``ragtune.results`` (results.json required, samples.jsonl optional), so a page
renders from whatever a run left behind.
"""

from __future__ import annotations

from pathlib import Path

from ragtune.evaluate.report.markup import e, text
from ragtune.evaluate.report.svg import PALETTE
from ragtune.results import Arm, Interval, RunResults, Sample, load_results, load_samples, parse_results


def load_run(run_dir: str | Path) -> tuple[RunResults, list[Sample]]:
    """results.json (required, an object) and samples.jsonl (optional; unreadable lines skipped) of a run folder."""
    return load_results(run_dir), load_samples(run_dir)


class RunView:
    """A run's results and samples as the sections read them: every arm in order, each with its colour."""

    def __init__(self, results: RunResults | dict, samples: list[Sample] | list[dict]):
        self.run = parse_results(results)
        self.samples = [s if isinstance(s, Sample) else Sample.model_validate(s) for s in samples
                        if isinstance(s, (Sample, dict))]
        names = self.run.arm_names()
        names += [s.arm for s in self.samples if s.arm and s.arm not in names]
        self.arms = list(dict.fromkeys(names))
        self.colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(self.arms)}
        self.freshness = self.run.freshness
        self.arm_info: dict[str, Arm] = {a.name: a for a in self.run.arms}

    def metric(self, arm: str, key: str) -> Interval:
        """The interval of one aggregate metric of an arm (empty when missing)."""
        return self.run.metric(arm, key)

    def figure(self, src: str, key: str, arm: str) -> float | None:
        """One number from the performance table (``src`` "performance") or the cost table (any other ``src``)."""
        return getattr(self.run.perf(arm) if src == "performance" else self.run.arm_cost(arm), key, None)

    def swatch(self, arm: str) -> str:
        """The arm's name after a square of its colour."""
        return f'<span class="swatch" style="background:{self.colors.get(arm, "#888")}"></span>{e(arm)}'

    def arm_cell(self, arm: str) -> str:
        """A row header for the arm: its swatch, then its variant and overrides when they say more than its name."""
        info = self.arm_info.get(arm)
        extra = []
        if info is not None and info.variant and info.variant != arm:
            extra.append(f"variant {info.variant}")
        if info is not None and info.set:
            extra.append(", ".join(f"{k}={text(v)}" for k, v in info.set.items()))
        sub = f'<br><span class="muted small">{e("; ".join(extra))}</span>' if extra else ""
        return f'<th scope="row">{self.swatch(arm)}{sub}</th>'
