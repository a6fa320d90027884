"""`ragtune compare`: bring the variants up, answer the held-out questions with each, measure, write the run.

Stages: sync the knowledge base; build the training data and train the ft/hybrid models when missing; check the
test split against the training data; answer the test questions with every arm in batches (in this process, or
on Ray actors: ``evaluation.engine``, see ``ragtune.evaluate.engines``); time single questions; optionally
judge; score the test questions that carry choices as multiple choice with every arm; optionally apply the
document update and re-ask (freshness); the tasks; statistics, costs, the recommendation; results.json,
samples.jsonl and report.html in runs/<id>/.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune import progress
from ragtune import variants as registry
from ragtune.config import ArmConfig
from ragtune.data.build import read_build_report
from ragtune.data.questions import QAPair
from ragtune.errors import InputError
from ragtune.evaluate import aggregate, freshness, questions, score
from ragtune.evaluate.engines import AnswerEngine, make_answering
from ragtune.evaluate.runs import new_run_folder, write_run
from ragtune.evaluate.stats import interval
from ragtune.hardware import package_versions
from ragtune.project import Project
from ragtune.results import SCHEMA, FreshArm, Freshness, JudgeInfo, RunResults, Sample
from ragtune.runtime import Runtime
from ragtune.tasks.load import Task
from ragtune.tasks.run import TaskArmPlan, evaluate_task
from ragtune.training.artifact import read_manifest
from ragtune.training.manifest import ModelManifest

if TYPE_CHECKING:
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.manifest import KBVersion


@dataclass
class Stages:
    """Wall time per stage, announced as each one ends."""

    log: Callable[[str], None]
    done: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self.log(f"[compare] {name} …")
        with progress.label(f"[compare] {name}"):  # progress lines inside name the stage
            yield
        seconds = round(time.perf_counter() - started, 2)
        self.done.append({"name": name, "seconds": seconds})
        self.log(f"[compare] {name}: {seconds:.1f} s")


@dataclass
class CompareRun:
    """A finished comparison: its folder and its results."""

    folder: Path
    results: RunResults


def plan_arms(runtime: Runtime, variants: list[str] | None, extra: list[ArmConfig] | None) -> list[ArmConfig]:
    """The arms to compare: the variants (default evaluation.variants) and the extra arms, names unique."""
    ev = runtime.project.config.evaluation
    known = registry.names()
    unknown = [v for v in variants or [] if v not in known]
    if unknown:
        raise InputError(f"unknown variant {', '.join(map(repr, unknown))}: choose from {', '.join(known)}")
    arms = [ArmConfig(name=v, variant=v) for v in (variants or ev.variants)] + list(extra or ev.arms)
    names = [a.name for a in arms]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"arm names must be unique: {', '.join(repeated)} is used twice")
    if not arms:
        raise InputError(f"nothing to compare: name at least one variant ({', '.join(known)})")
    for arm in arms:  # a bad key in an arm fails now, naming the key, not after the first arms ran
        runtime.with_overrides(arm_overrides(arm))  # (reads the arm's config, which the arm's answers reuse)
    return arms


def arm_overrides(arm: ArmConfig) -> list[str]:
    """An arm's config changes as --set strings."""
    return [f"{k}={json.dumps(v)}" for k, v in sorted(arm.set.items())]


def _ensure_models(runtime: Runtime, needed: set[str], train_missing: bool, stages: Stages) -> None:
    from ragtune.data.build import build_data
    from ragtune.training.trainer import data_file_for, train_variant

    project = runtime.project
    missing = [v for v in registry.trained() if v in needed and read_manifest(project.model_dir(v)) is None]
    if not missing:
        return
    if not train_missing:
        raise InputError(f"no trained model for {', '.join(missing)}: run `ragtune train {project.root}` or leave "
                         "evaluation.train_missing on")
    method = project.config.training.method
    if any(not project.path(data_file_for(v, method)).is_file() for v in missing):
        with stages("build training data"):
            build_data(project, kb=runtime.kb)
    for variant in missing:
        with stages(f"train {variant}"):
            train_variant(project, variant, method=method, kb=runtime.kb)


def _document_texts(kb: KnowledgeBase, head: KBVersion | None) -> Callable[[str | None], str | None]:
    """A reader of a knowledge-base document's text (its chunks joined), reading each document once."""
    documents = head.documents if head else {}
    cache: dict[str, str | None] = {}

    def text(source: str | None) -> str | None:
        if source is None:
            return None
        if source not in cache:
            entry = documents.get(source)
            cache[source] = "\n".join(c.text for c in kb.store.get(entry.chunks)) if entry else None
        return cache[source]

    return text


def _trained_models(project: Project, variants: set[str], runtime: Runtime) -> tuple[dict[str, Any], list[Path]]:
    """The trained variants' manifests as results report them, and the data files they learned from."""
    models, data_files = {}, []
    for variant in sorted(variants & set(registry.trained())):
        status = runtime.model_status(variant)
        manifest = status.manifest or ModelManifest()
        data = project.path(manifest.data.file if manifest.data else "")
        result = manifest.result
        models[variant] = {"method": manifest.method, "base_model": manifest.base_model,
                           "trained": manifest.created, "stale": status.stale,
                           "training_s": manifest.training_seconds,
                           "data": manifest.data.file if manifest.data else None,
                           "learned_from": _train_rows_by_origin(data) if data.is_file() else {},
                           "epochs": result.get("epochs"), "steps": result.get("steps"),
                           "planned_steps": result.get("planned_steps")}
        if data.is_file() and data not in data_files:
            data_files.append(data)
    return models, data_files


def _train_rows_by_origin(path: Path) -> dict[str, int]:
    """How many train-split rows of a training data file came from each origin (questions, paraphrases, tasks)."""
    from ragtune.training.rows import read_rows

    counts: dict[str, int] = {}
    for row in read_rows(path):
        if row.get("split", "train") == "train":
            origin = str(row.get("origin") or "unknown")
            counts[origin] = counts.get(origin, 0) + 1
    return counts


def _evaluate_arm(arm: ArmConfig, runtime: Runtime, used: list[Any],
                  document_text: Callable[[str | None], str | None], stages: Stages,
                  probes: int, generated: dict[tuple[str, ...], tuple[str, list[Any], float]],
                  engine: AnswerEngine) -> tuple[list[Sample], dict[str, Any], list[str]]:
    """Answer the questions in batches, then a few alone: the samples, the performance figures, the warnings.

    Arms that differ only in answer.grounding share one generation: the policy is applied to the first such arm's
    answers (``generated``: arm key -> that arm's name, answers and batch seconds). ``engine``: where the answers
    are generated (``ragtune.evaluate.engines``: on Ray, the throughput is the cluster's and the probes one
    worker's); scoring runs here."""
    from ragtune.grounding import with_policy

    k = runtime.project.config.retrieval.k
    policy = runtime.project.config.answer.grounding
    retrieves = registry.get(arm.variant).retrieves
    same = (arm.variant, *(o for o in arm_overrides(arm) if not o.startswith("answer.grounding=")))
    with engine.memory() as memory:
        if same in generated:
            first, answers, elapsed = generated[same]
            with stages(f"answer {arm.name} (the generations of {first}, {policy} policy)"):
                answers = [with_policy(a, policy) for a in answers]
        else:
            with stages(f"answer {arm.name} ({len(used)} questions{engine.label})"):
                started = time.perf_counter()
                answers = engine.ask_many(runtime, [p.question for p in used], arm.variant)
                elapsed = time.perf_counter() - started
            generated[same] = (arm.name, answers, elapsed)
    samples = [score.score_test_answer(arm.name, arm.variant, pair, answer, k,
                                       None if retrieves else document_text(pair.source))
               for pair, answer in zip(used, answers)]
    completion = sum(a.completion_tokens for a in answers)
    perf = {"batch_s_per_question": round(elapsed / len(used), 4), "throughput_qps": round(len(used) / elapsed, 3),
            "generated_tokens_per_s": round(completion / elapsed, 1),
            "prompt_tokens_mean": round(sum(a.prompt_tokens for a in answers) / len(used), 1),
            "completion_tokens_mean": round(completion / len(used), 1)}
    if probes:
        with stages(f"latency {arm.name} ({min(probes, len(used))} single questions{engine.probe_label})"):
            perf.update(engine.latency(runtime, arm.variant, [p.question for p in used[:probes]]))
    perf.update(weights_mb=engine.weights_mb(runtime, arm.variant),
                index_mb=round(runtime.kb.store.size_bytes() / 2**20, 2) if retrieves else None,
                peak_rss_mb=memory.peak_mb, **engine.describe())
    return samples, perf, answers[0].warnings if answers else []


def _judge(cfg: Any, samples: list[Sample], stages: Stages) -> JudgeInfo:
    """Add the judge's verdict to every test sample; returns how the report names the judge."""
    from ragtune.evaluate.judge import Judge

    with stages("judge"):
        judge = Judge(cfg)
        verdicts = judge.grade([(str(s.question), s.gold or None, str(s.answer)) for s in samples])
        for sample, verdict in zip(samples, verdicts):
            sample.metrics["judge"] = verdict
    return JudgeInfo(**judge.describe())


@dataclass
class _Inputs:
    """What one compare measures: the QA arms, the test split and the questions used (those that carry choices
    also as a choice task), the document update, the tasks (with the variants compared on them)."""

    arms: list[ArmConfig]
    test_file: Path
    pairs: list[QAPair]
    used: list[QAPair]
    limit: int | None
    update: freshness.Update | None = None
    tasks: list[Task] = field(default_factory=list)
    task_variants: list[str] = field(default_factory=list)
    choice: Task | None = None

    def variants(self) -> set[str]:
        """Every variant the run answers with."""
        return {a.variant for a in self.arms} | (set(self.task_variants) if self.tasks else set())


def compare(root: str | Path, variants: list[str] | None = None, arms: list[ArmConfig] | None = None,
            with_freshness: bool = False, limit: int | None = None, train_missing: bool | None = None,
            overrides: list[str] | None = None, log: Callable[[str], None] | None = None,
            tasks: list[str] | None = None) -> CompareRun:
    """Measure the arms side by side on the held-out questions, and the variants on the project's tasks
    (``tasks``: their names; None: every configured task, []: none); returns the run (folder and results)."""
    from ragtune.tasks.load import load_task

    runtime = Runtime.load(root, overrides)  # everything the arms load, shared: one knowledge base per store
    project = runtime.project
    ev = project.config.evaluation
    stages = Stages(log or (lambda line: print(line, file=sys.stderr, flush=True)))
    plan = plan_arms(runtime, variants, arms)
    path, pairs = questions.load_test_split(project)
    inputs = _Inputs(plan, path, pairs, questions.sample(pairs, limit or ev.limit, ev.seed), limit,
                     freshness.sample_update(freshness.load_update(project), ev.freshness.limit, ev.seed)
                     if with_freshness else None,
                     [load_task(project, name) for name in (project.config.tasks if tasks is None else tasks)],
                     list(ev.task_variants))  # every input is read and checked before a model loads
    inputs.choice = questions.choice_task(path, inputs.used)
    engine = make_answering(runtime)  # a missing extra or an unreachable Ray cluster fails before any work
    try:
        with stages("sync knowledge base"):
            runtime.kb.sync()
        _ensure_models(runtime, inputs.variants(), ev.train_missing if train_missing is None else train_missing,
                       stages)
        folder = new_run_folder(project)
        try:
            return _measure(runtime, inputs, folder, stages, engine)
        except BaseException:  # an interrupted or failed run leaves no half-written run folder behind
            if not (folder / "results.json").is_file():
                shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        engine.close()


def _measure(runtime: Runtime, inputs: _Inputs, folder: Path, stages: Stages, engine: AnswerEngine) -> CompareRun:
    """Everything after the models are ready: answer, probe, judge, freshness, tasks, statistics, write the run."""
    project = runtime.project
    ev = project.config.evaluation
    plan, pairs, used, path, update = inputs.arms, inputs.pairs, inputs.used, inputs.test_file, inputs.update
    kb = runtime.kb
    head = kb.manifest()
    models, data_files = _trained_models(project, inputs.variants(), runtime)
    with stages("check test split against training data"):
        leakage = questions.check_leakage(project, pairs, data_files,
                                          [row.input for task in inputs.tasks for row in task.test])

    samples: list[Sample] = []
    performance: dict[str, Any] = {}
    warnings: list[str] = []
    document_text = _document_texts(kb, head)
    generated: dict[tuple[str, ...], tuple[str, list[Any], float]] = {}
    for arm in plan:
        arm_samples, performance[arm.name], arm_warnings = _evaluate_arm(
            arm, runtime.with_overrides(arm_overrides(arm)), used, document_text, stages, ev.latency_probes, generated,
            engine)
        samples += arm_samples
        warnings += [w for w in arm_warnings if w not in warnings]
    judge = _judge(ev.judge, samples, stages) if ev.judge is not None else None
    choice = None
    if inputs.choice is not None:  # the questions with choices: every arm picks an option, as on a choice task
        choice_arms = [TaskArmPlan(arm.name, arm.variant, runtime.with_overrides(arm_overrides(arm)), engine)
                       for arm in plan]
        with stages(f"multiple choice ({len(inputs.choice.test)} questions, {len(plan)} arms{engine.label})"):
            choice, choice_samples = evaluate_task(inputs.choice, choice_arms, ev, phase="choice")
        samples += choice_samples
    fresh_summary = _freshness(runtime, update, plan, samples, folder, stages, engine) if update else None
    task_results = {}
    for task in inputs.tasks:
        task_arms = [TaskArmPlan(v, v, runtime, engine) for v in inputs.task_variants]
        with stages(f"task {task.name} ({task.kind}, {len(task_arms)} variants{engine.label})"):
            task_results[task.name], task_samples = evaluate_task(task, task_arms, ev)
        samples += task_samples

    names = [a.name for a in plan]
    with stages("statistics"):
        metrics = aggregate.metric_intervals(samples, names, ev)
        paired = aggregate.comparisons(samples, names, ev)
    build = read_build_report(project)
    cost = aggregate.costs([a.model_dump() for a in plan], performance,
                           {v: m["training_s"] for v, m in models.items() if m["training_s"] is not None},
                           build.seconds if build else None, fresh_summary.reindex_s if fresh_summary else None,
                           ev.hourly_usd)
    results = RunResults(
        schema_version=SCHEMA, run_id=folder.name, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        project=project.config.name, arms=[a.model_dump() for a in plan],
        questions={"file": str(path.relative_to(project.root)) if path.is_relative_to(project.root) else str(path),
                   "total": len(pairs), "used": len(used), "answerable": sum(p.answerable for p in used),
                   "unanswerable": sum(not p.answerable for p in used), "limit": inputs.limit or ev.limit,
                   "leakage": leakage},
        retrieval_k=project.config.retrieval.k,
        kb={"version": head.version, "fingerprint": head.fingerprint(), "documents": len(head.documents),
            "chunks": head.chunk_count} if head else None,
        models=models, metrics=metrics, comparisons=paired, performance=performance, cost=cost,
        freshness=fresh_summary, judge=judge, stages=stages.done, warnings=warnings, tasks=task_results,
        multiple_choice=choice,
        recommendation=None, config=project.config.model_dump(mode="json"), versions=_versions(),
    )
    from ragtune.recommendation import recommend

    results.recommendation = recommend(results, project.config.constraints,
                                       training_questions=build.trained_questions if build else None)
    with stages("write results and report"):
        write_run(folder, results, samples)
    return CompareRun(folder, results)


def _freshness(runtime: Runtime, update: freshness.Update, plan: list[ArmConfig], samples: list[Sample],
               folder: Path, stages: Stages, engine: AnswerEngine) -> Freshness:
    """Answer the update's questions before and after applying it (no retraining); the summary for results."""
    project = runtime.project
    ev = project.config.evaluation
    texts = [q.question for q in update.questions]
    before: dict[str, list[Any]] = {}
    for arm in plan:
        with stages(f"freshness: {arm.name} before the update"):
            before[arm.name] = engine.ask_many(runtime.with_overrides(arm_overrides(arm)), texts, arm.variant)
    workspace = folder / "freshness-workspace"
    try:
        with stages("freshness: apply the update (copy + incremental re-index)"):
            updated = runtime.with_documents(freshness.updated_copy(project, update, workspace))
            sync = updated.kb.sync()
        summary_arms = {}
        for arm in plan:
            retrieves = registry.get(arm.variant).retrieves
            if retrieves:
                with stages(f"freshness: {arm.name} after the update"):
                    after = engine.ask_many(updated.with_overrides(arm_overrides(arm)), texts, arm.variant)
            else:
                after = before[arm.name]  # without retrieval nothing the model sees has changed
            rows = {}
            for phase, answers in (("fresh_before", before[arm.name]), ("fresh_after", after)):
                rows[phase] = [score.score_fresh_answer(phase, arm.name, arm.variant, q, a)
                               for q, a in zip(update.questions, answers)]
                samples.extend(rows[phase])
            summary_arms[arm.name] = FreshArm(
                before=freshness.outcome_shares([str(r.outcome) for r in rows["fresh_before"]]),
                after=freshness.outcome_shares([str(r.outcome) for r in rows["fresh_after"]]),
                updated=interval([r.metrics.get("updated") for r in rows["fresh_after"]], resamples=ev.bootstrap,
                                 confidence=ev.confidence, seed=ev.seed),
                reused_answers=not retrieves,
            )
    finally:
        freshness.remove_copy(project, workspace)
    return Freshness(update=project.config.evaluation.freshness.update, kb_before=sync.previous,
                     kb_after=sync.version, reindex_s=round(sync.seconds, 2),
                     documents={"added": len(sync.added), "changed": len(sync.changed), "removed": len(sync.removed)},
                     questions=len(update.questions), by_kind=freshness.summary(update), arms=summary_arms)


def _versions() -> dict[str, str]:
    import platform

    packages = ("ragtune", "torch", "transformers", "peft", "sentence-transformers", "lancedb")
    return {"python": platform.python_version(), **package_versions(packages)}
