"""The held-out questions of an evaluation: loading, a seeded stratified sample, the leakage check, and the
multiple-choice questions as a choice task (scored by the task runner, as published exam comparisons are)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragtune.config import TaskConfig
from ragtune.data.leakage import LeakageGuard
from ragtune.data.questions import QAPair, load_questions
from ragtune.errors import InputError
from ragtune.generate.prompt import question_of
from ragtune.project import Project
from ragtune.tasks.load import Task
from ragtune.tasks.rows import TaskRow
from ragtune.training.rows import read_rows

CHOICE_INSTRUCTION = "Answer the question."


def load_test_split(project: Project) -> tuple[Path, list[QAPair]]:
    """The configured test split (data.test); a clear error when there is none."""
    from ragtune.data.build import question_file

    path = question_file(project, project.config.data.test)
    if path is None:
        raise InputError(f"no test questions at {project.path(project.config.data.test)}(.jsonl/.json/.csv): "
                         "write held-out questions (question, answer, optional source; answerable: false for "
                         "questions the documents do not answer) to evaluate on")
    return path, load_questions(path)


def sample(pairs: list[QAPair], limit: int | None, seed: int) -> list[QAPair]:
    """At most ``limit`` pairs, answerable and unanswerable in proportion, in their original order."""
    if limit is None or limit >= len(pairs):
        return list(pairs)
    rng = random.Random(f"{seed}:evaluation")
    unanswerable = [p for p in pairs if not p.answerable]
    take_unanswerable = round(limit * len(unanswerable) / len(pairs))
    answerable = [p for p in pairs if p.answerable]
    chosen = {p.id for p in rng.sample(unanswerable, take_unanswerable)}
    chosen |= {p.id for p in rng.sample(answerable, min(limit - take_unanswerable, len(answerable)))}
    return [p for p in pairs if p.id in chosen]


def training_questions(path: Path) -> list[tuple[str, str]]:
    """(row id, question text) of every row of a training data file (sft or raft JSONL)."""
    return [(row["id"], question_of(row.get("messages") or [])) for row in read_rows(path)]


def check_leakage(project: Project, test: list[QAPair], data_files: list[Path],
                  task_inputs: Sequence[str] = ()) -> dict[str, Any]:
    """Check that no test question or task test input, or a near-copy of one, is in the training data the models
    learned from. Raises InputError naming the rows when one is; returns what was checked.
    """
    threshold = project.config.data.leakage_threshold
    guard = LeakageGuard([*(p.question for p in test), *task_inputs], threshold)
    checked, leaks, closest = 0, [], 0.0
    for path in data_files:
        for row_id, question in training_questions(path):
            checked += 1
            found = guard.similarity(question)
            if found is None:
                continue
            closest = max(closest, found[1])
            if found[1] >= threshold:
                leaks.append(f"{path.name} row {row_id}: {question!r} ~ test {found[0]!r}")
    if leaks:
        shown = "; ".join(leaks[:3]) + (f"; and {len(leaks) - 3} more" if len(leaks) > 3 else "")
        raise InputError(f"{len(leaks)} training rows are test questions or near-copies of them ({shown}): the "
                         "comparison would reward memorized answers; run `ragtune data build` and `ragtune train` "
                         "again (the build removes them)")
    return {"checked": checked, "max_similarity": round(closest, 4), "threshold": threshold,
            "files": [p.name for p in data_files]}


def choice_task(path: Path, pairs: list[QAPair]) -> Task | None:
    """The pairs that carry ``choices`` as a choice task (its test rows; no train rows, so no few-shot examples):
    every arm then picks among each question's options as it does for a choice task; None when none carry any."""
    rows = [TaskRow(id=p.id, input=p.question, expected=p.answer, choices=p.choices, answer=p.choice)
            for p in pairs if p.choices]
    if not rows:
        return None
    return Task(name=path.stem, config=TaskConfig(kind="choice", instruction=CHOICE_INSTRUCTION),
                folder=path.parent, test=rows)
