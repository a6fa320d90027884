"""A training time budget: time the steps after a warm-up, plan the steps that fit, and plan again as the run goes.

The first step is not timed (it builds kernels and fills allocator caches, often several times slower than the rest).
The next ``PROBE_STEPS`` give the first plan; the run is planned again when a quarter, half and three quarters of the
planned steps are done, each time from the steps timed since the previous plan, so a slow start or a machine that
gets busier (or quieter) moves the plan. Plans happen at steps fixed by the first plan, so every rank of a launch
plans at the same step.
"""

from __future__ import annotations

import math

WARMUP_STEPS = 1  # steps run before any is timed
PROBE_STEPS = 3  # timed steps before the first plan
REPLAN_AT = (0.25, 0.5, 0.75)  # shares of the first plan's remaining steps after which the run is planned again


def steps_within(costs: list[float], seconds: float) -> int:
    """How many of the steps whose ``costs`` (seconds each, in order) are listed fit in ``seconds``."""
    spent, count = 0.0, 0
    for cost in costs:
        spent += cost
        if spent > seconds:
            break
        count += 1
    return count


class BudgetClock:
    """Times a run's steps (padded tokens and seconds) and says after which steps to plan the rest."""

    def __init__(self, first_step: int):
        self.timed_from = first_step + WARMUP_STEPS
        self.plan_steps = {self.timed_from + PROBE_STEPS}
        self.planned_once = False
        self.seconds, self.padded = 0.0, 0

    def record(self, index: int, seconds: float, padded: int) -> None:
        """Count step ``index`` (0-based), which took ``seconds`` over ``padded`` positions, unless it is warm-up."""
        if index >= self.timed_from:
            self.seconds += seconds
            self.padded += padded

    def due(self, done: int) -> bool:
        """Whether to plan after ``done`` steps."""
        return done in self.plan_steps

    def rate(self) -> float:
        """Padded tokens per second since the previous plan; the next plan starts a new window."""
        rate = self.padded / self.seconds if self.seconds > 0 else math.inf
        self.seconds, self.padded = 0.0, 0
        return rate

    def planned(self, done: int, total: int) -> None:
        """After the first plan (``total`` steps, ``done`` run), fix the steps at which to plan again."""
        if not self.planned_once:
            self.planned_once = True
            self.plan_steps |= {done + math.ceil((total - done) * share) for share in REPLAN_AT}
            self.plan_steps = {s for s in self.plan_steps if done < s < total}
