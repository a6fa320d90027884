"""Evaluating a task with every arm: each arm answers the test rows in batches (with few-shot examples or
retrieved chunks as its variant asks; a local model scores multiple choice by log-likelihood), every output is
scored, and the rows become intervals, paired tests and the kind's summary (``TaskResult``)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ragtune import variants
from ragtune.evaluate.aggregate import pairwise
from ragtune.evaluate.stats import interval
from ragtune.results import Sample, TaskArm, TaskResult
from ragtune.tasks import classify, prompt, shots
from ragtune.tasks.choice import LETTERS, chance, pick
from ragtune.tasks.load import Task
from ragtune.tasks.rows import TaskRow
from ragtune.tasks.score import COMPARED, PRIMARY, score_choice, score_output

if TYPE_CHECKING:
    from ragtune.config import EvaluationConfig
    from ragtune.evaluate.engines import AnswerEngine
    from ragtune.runtime import Runtime


@dataclass
class ArmAnswers:
    """An arm's answers to the rows: the samples, what scoring each one found beside its metrics (the predicted
    label, the field scores, the rule results: what the kind's summary is built from), how choice rows were
    scored, and the wall seconds it took."""

    samples: list[Sample]
    details: list[dict[str, Any]]
    scoring: str
    seconds: float


@dataclass
class TaskArmPlan:
    """An arm as the task runner needs it: its name, its variant, the runtime of its settings, and where its
    answers are generated (``ragtune.evaluate.engines``; None: in this process)."""

    name: str
    variant: str
    runtime: Runtime
    engine: AnswerEngine | None = None


def test_rows(task: Task, seed: int) -> list[TaskRow]:
    """The test rows used: all, or a seeded sample of ``limit`` in their file order."""
    limit = task.config.limit
    if limit is None or limit >= len(task.test):
        return list(task.test)
    chosen = set(random.Random(f"{seed}:task:{task.name}").sample(range(len(task.test)), limit))
    return [row for i, row in enumerate(task.test) if i in chosen]


def _shots(task: Task, arm: TaskArmPlan, rows: list[TaskRow]) -> list[list[TaskRow]]:
    if variants.get(arm.variant).prompt != "few-shot" or not task.train:
        return [[] for _ in rows]
    k, inputs = task.config.shots, [r.input for r in rows]
    if task.config.shot_selection == "fixed":
        return shots.fixed(task.train, k, inputs)
    with arm.runtime.embedding_lock:
        return shots.similar(task.train, [r.input for r in task.train], k, inputs, arm.runtime.kb.embedder)


def answer_rows(task: Task, arm: TaskArmPlan, rows: list[TaskRow], phase: str = "task") -> ArmAnswers:
    """The arm's answers to ``rows``, each scored once (the samples of ``phase``: ``task``, or ``choice`` for the
    test questions that carry choices)."""
    from ragtune.evaluate.engines import LocalAnswering

    spec = variants.get(arm.variant)
    engine = arm.engine or LocalAnswering()
    started = time.perf_counter()
    hits = arm.runtime.search_many([r.input for r in rows]) if spec.retrieves else [[] for _ in rows]
    cloze = task.kind == "choice" and engine.scores_options(arm.runtime, arm.variant)  # options by log-likelihood
    chats = [prompt.messages(task, row, few, found, cloze)
             for row, few, found in zip(rows, _shots(task, arm, rows), hits)]
    base = {"phase": phase, "task": task.name if phase == "task" else None, "arm": arm.name, "variant": arm.variant}
    samples, details = [], []
    if cloze:
        scores = engine.option_logliks(arm.runtime, arm.variant,
                                       [(chat, list(row.choices or [])) for chat, row in zip(chats, rows)])
        for row, logliks in zip(rows, scores):
            raw, norm = pick(logliks, row.choices or [])
            metrics, detail = score_choice(row, raw, norm)
            details.append(detail)
            samples.append(Sample(**base, id=row.id, question=row.input, gold=row.expected_text(),
                                  answer=f"{LETTERS[raw]}. {(row.choices or [])[raw]}", metrics=metrics))
        return ArmAnswers(samples, details, "log-likelihood", time.perf_counter() - started)
    generations = engine.chat_batch(arm.runtime, arm.variant, chats, {"max_new_tokens": task.config.max_new_tokens})
    for row, gen in zip(rows, generations):
        metrics, detail = score_output(task, row, gen.text, task.validator)
        details.append(detail)
        samples.append(Sample(**base, id=row.id, question=row.input, gold=row.expected_text(), answer=gen.text,
                              metrics=metrics, latency_s=round(gen.latency_s, 4), prompt_tokens=gen.prompt_tokens,
                              completion_tokens=gen.completion_tokens))
    return ArmAnswers(samples, details, "written answer", time.perf_counter() - started)


def summarize(task: Task, rows: list[TaskRow], answers: dict[str, ArmAnswers], ev: EvaluationConfig) -> TaskResult:
    """Intervals per metric and arm, the kind's summary, and paired tests of the compared metrics."""
    arms: dict[str, TaskArm] = {}
    for name, answered in answers.items():
        samples = answered.samples
        keys = list(dict.fromkeys(k for s in samples for k in s.metrics))
        metrics = {k: interval([s.metrics.get(k) for s in samples], resamples=ev.bootstrap,
                               confidence=ev.confidence, seed=ev.seed) for k in keys}
        arms[name] = TaskArm(metrics=metrics, scoring=answered.scoring if task.kind == "choice" else None,
                             seconds=round(answered.seconds, 2), **_kind_summary(task, rows, answered.details))
    indexed = {name: {str(s.id): s for s in answered.samples} for name, answered in answers.items()}
    comparisons = [test for key in COMPARED[task.kind]
                   for test in pairwise(indexed, list(answers), key, key, ev)]
    return TaskResult(kind=task.kind, primary=PRIMARY[task.kind], rows=len(rows), train_rows=len(task.train),
                      chance=round(chance([len(r.choices or []) for r in rows]), 4) if task.kind == "choice"
                      else None, arms=arms, comparisons=comparisons)


def _kind_summary(task: Task, rows: list[TaskRow], details: list[dict[str, Any]]) -> dict[str, Any]:
    """classify: macro-F1, per-class scores and the confusion matrix; extract: per-field means; generate:
    per-rule pass shares; all from what scoring each row found (``details``)."""
    if task.kind == "classify":
        labels = task.config.labels
        report = classify.report([r.expected for r in rows], [d["predicted"] for d in details], labels)
        return {"macro_f1": report.macro_f1, "confusion": report.confusion,
                "classes": {k: vars(v) for k, v in report.classes.items()}}
    if task.kind == "extract":
        per_field: dict[str, list[tuple[float, float]]] = {}
        for detail in details:
            for key, value in detail["fields"].items():
                per_field.setdefault(key, []).append(value)
        return {"fields": {k: {"exact": round(sum(e for e, _ in v) / len(v), 4),
                               "f1": round(sum(f for _, f in v) / len(v), 4)} for k, v in per_field.items()}}
    if task.kind == "generate":
        per_rule: dict[str, list[tuple[bool, bool]]] = {}
        for detail in details:
            for rule, result in detail["rules"].items():
                per_rule.setdefault(rule.split(":", 1)[0], []).append(result)
        return {"rules": {k: {"strict": round(sum(a for a, _ in v) / len(v), 4),
                              "loose": round(sum(b for _, b in v) / len(v), 4)} for k, v in per_rule.items()}}
    return {}


def evaluate_task(task: Task, arms: Sequence[TaskArmPlan], ev: EvaluationConfig,
                  phase: str = "task") -> tuple[TaskResult, list[Sample]]:
    """Every arm on the task's test rows: the task's results and the samples (of ``phase``)."""
    rows = test_rows(task, ev.seed)
    answers = {arm.name: answer_rows(task, arm, rows, phase) for arm in arms}
    result = summarize(task, rows, answers, ev)
    return result, [s for answered in answers.values() for s in answered.samples]
