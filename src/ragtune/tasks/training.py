"""Training rows from a project's tasks: each train row as a chat whose answer is its expected output (the loss is
taken on that answer only), with the prompt the task is evaluated with: without sources for ft, and for hybrid
(RAFT-style, as it is evaluated) with the chunks that retrieval finds for the row's input. Rows that are a test
question or task test input, or a near-copy of one, are left out (the leakage guard), and a seeded share is held
out for the dev loss."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ragtune.data.leakage import LeakageGuard
from ragtune.index.store.base import Hit
from ragtune.tasks.load import Task
from ragtune.tasks.prompt import training_messages


@dataclass
class TaskRows:
    """The chat rows of every task (``rows`` without sources, ``with_sources`` with the retrieved chunks), how many
    each task gave, and the rows the leakage guard removed."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    with_sources: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)


def test_inputs(tasks: list[Task]) -> list[str]:
    """Every task's test inputs: what no training row may copy."""
    return [row.input for task in tasks for row in task.test]


def task_rows(tasks: list[Task], guard: LeakageGuard, dev_share: float, seed: int, limit: int | None = None,
              search: Callable[[list[str]], list[list[Hit]]] | None = None) -> TaskRows:
    """The training rows of ``tasks`` (split ``train`` or ``dev``) that ``guard`` (built from every test question
    and task test input) lets through; ``limit``: at most this many rows of each task (a seeded sample, in file
    order); ``search``: the retrieval whose hits for each input the ``with_sources`` rows carry."""
    out = TaskRows()
    for task in tasks:
        kept = []
        for row in task.train:
            found = guard.match(row.input)
            if found is None:
                kept.append(row)
            else:
                out.removed.append({"id": f"{task.name}:{row.id}", "question": row.input, "test_question": found[0],
                                    "similarity": round(found[1], 4)})
        if limit is not None and len(kept) > limit:
            chosen = set(random.Random(f"{seed}:task-rows:{task.name}").sample(range(len(kept)), limit))
            kept = [row for i, row in enumerate(kept) if i in chosen]
        rng = random.Random(f"{seed}:task-dev:{task.name}")
        dev = {r.id for r in rng.sample(kept, int(len(kept) * dev_share))} if len(kept) > 1 else set()
        found = search([r.input for r in kept]) if search is not None and kept else [[] for _ in kept]
        for r, hits in zip(kept, found):
            row = {"id": f"{task.name}:{r.id}", "split": "dev" if r.id in dev else "train",
                   "origin": f"task:{task.name}", "fact": f"{task.name}:{r.id}"}
            out.rows.append({**row, "messages": training_messages(task, r)})
            if search is not None:
                out.with_sources.append({**row, "messages": training_messages(task, r, hits)})
        out.counts[task.name] = len(kept)
    return out
