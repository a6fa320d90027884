"""`ragtune compare`: bring the variants up, answer the held-out questions with each, measure, write the run.

Stages: sync the knowledge base; build the training data and train the ft/hybrid models when missing; check the
test split against the training data; answer the test questions with every arm in batches; time single
questions; optionally judge; optionally apply the document update and re-ask (freshness); statistics, costs,
the recommendation; results.json, samples.jsonl and report.html in runs/<id>/.
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
from typing import Any

from ragtune import progress
from ragtune import variants as registry
from ragtune.answer import Answerer
from ragtune.config import ArmConfig
from ragtune.data.build import read_build_report, trained_questions
from ragtune.errors import InputError
from ragtune.evaluate import aggregate, freshness, probe, questions, score
from ragtune.evaluate.runs import new_run_folder, write_run
from ragtune.evaluate.stats import interval
from ragtune.hardware import package_versions
from ragtune.project import Project
from ragtune.training.artifact import model_status, read_manifest


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
    results: dict[str, Any]


def plan_arms(project: Project, variants: list[str] | None, extra: list[ArmConfig] | None,
              overrides: list[str] | None = None) -> list[ArmConfig]:
    """The arms to compare: the variants (default evaluation.variants) and the extra arms, names unique."""
    ev = project.config.evaluation
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
        if arm.set:
            Project.load(project.root, [*(overrides or []), *arm_overrides(arm)])
    return arms


def arm_overrides(arm: ArmConfig) -> list[str]:
    """An arm's config changes as --set strings."""
    return [f"{k}={json.dumps(v)}" for k, v in sorted(arm.set.items())]


def _ensure_models(project: Project, needed: set[str], train_missing: bool, stages: Stages) -> None:
    from ragtune.data.build import build_data
    from ragtune.training.trainer import data_file_for, train_variant

    missing = [v for v in registry.trained() if v in needed and read_manifest(project.model_dir(v)) is None]
    if not missing:
        return
    if not train_missing:
        raise InputError(f"no trained model for {', '.join(missing)}: run `ragtune train {project.root}` or leave "
                         "evaluation.train_missing on")
    method = project.config.training.method
    if any(not project.path(data_file_for(v, method)).is_file() for v in missing):
        with stages("build training data"):
            build_data(project)
    for variant in missing:
        with stages(f"train {variant}"):
            train_variant(project, variant, method=method)


def _document_texts(kb: Any, head: dict[str, Any] | None) -> Callable[[str | None], str | None]:
    """A reader of a knowledge-base document's text (its chunks joined), reading each document once."""
    documents = (head or {}).get("documents", {})
    cache: dict[str, str | None] = {}

    def text(source: str | None) -> str | None:
        if source is None:
            return None
        if source not in cache:
            entry = documents.get(source)
            cache[source] = "\n".join(c.text for c in kb.store.get(entry["chunks"])) if entry else None
        return cache[source]

    return text


class _Answerers:
    """One Answerer per distinct arm configuration (and per knowledge base: current or updated), reused."""

    def __init__(self, project: Project, overrides: list[str] | None) -> None:
        self.project, self.overrides = project, list(overrides or [])
        self._made: dict[tuple[Any, ...], Answerer] = {}

    def __call__(self, arm: ArmConfig, updated: Project | None = None) -> Answerer:
        extra = arm_overrides(arm)
        key = (updated is not None, *extra)
        if key not in self._made:
            project = Project.load(self.project.root, [*self.overrides, *extra]) if extra else self.project
            if updated is not None:
                project = Project(project.root, project.config.model_copy(
                    update={"documents": updated.config.documents, "store": updated.config.store}))
            self._made[key] = Answerer(project)
        return self._made[key]


def _trained_models(project: Project, plan: list[ArmConfig], kb: Any) -> tuple[dict[str, Any], list[Path]]:
    """The trained variants' manifests as results report them, and the data files they learned from."""
    models, data_files = {}, []
    for variant in sorted({a.variant for a in plan} & set(registry.trained())):
        status = model_status(project, variant, kb=kb)
        manifest = status.manifest or {}
        models[variant] = {"method": manifest.get("method"), "base_model": manifest.get("base_model"),
                           "trained": manifest.get("created"), "stale": status.stale,
                           "training_s": (manifest.get("result") or {}).get("seconds")}
        data = project.path((manifest.get("data") or {}).get("file", ""))
        if data.is_file() and data not in data_files:
            data_files.append(data)
    return models, data_files


def _evaluate_arm(arm: ArmConfig, answerer: Answerer, used: list[Any],
                  document_text: Callable[[str | None], str | None], stages: Stages,
                  probes: int, generated: dict[tuple[str, ...], tuple[str, list[Any], float]],
                  ) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """Answer the questions in batches, then a few alone: the samples, the performance figures, the warnings.

    Arms that differ only in answer.grounding share one generation: the policy is applied to the first such arm's
    answers (``generated``: arm key -> that arm's name, answers and batch seconds)."""
    from ragtune.grounding import with_policy

    k = answerer.project.config.retrieval.k
    retrieves = registry.get(arm.variant).retrieves
    same = (arm.variant, *(o for o in arm_overrides(arm) if not o.startswith("answer.grounding=")))
    with probe.PeakMemory() as memory:
        if same in generated:
            first, answers, elapsed = generated[same]
            with stages(f"answer {arm.name} (the generations of {first}, {answerer.project.config.answer.grounding} "
                        "policy)"):
                answers = [with_policy(a, answerer.project.config.answer.grounding) for a in answers]
        else:
            with stages(f"answer {arm.name} ({len(used)} questions)"):
                started = time.perf_counter()
                answers = answerer.ask_many([p.question for p in used], arm.variant)
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
        with stages(f"latency {arm.name} ({min(probes, len(used))} single questions)"):
            perf.update(probe.latency(answerer, arm.variant, [p.question for p in used[:probes]]))
    perf.update(weights_mb=probe.weights_mb(answerer.generator_for(arm.variant)[0]),
                index_mb=round(answerer.kb.store.size_bytes() / 2**20, 2) if retrieves else None,
                peak_rss_mb=memory.peak_mb)
    return samples, perf, answers[0].warnings if answers else []


def _judge(cfg: Any, samples: list[dict[str, Any]], stages: Stages) -> dict[str, Any]:
    """Add the judge's verdict to every test sample; returns how the report names the judge."""
    from ragtune.evaluate.judge import Judge

    with stages("judge"):
        judge = Judge(cfg)
        verdicts = judge.grade([(s["question"], s["gold"] or None, s["answer"]) for s in samples])
        for sample, verdict in zip(samples, verdicts):
            sample["metrics"]["judge"] = verdict
    return judge.describe()


def compare(root: str | Path, variants: list[str] | None = None, arms: list[ArmConfig] | None = None,
            with_freshness: bool = False, limit: int | None = None, train_missing: bool | None = None,
            overrides: list[str] | None = None, log: Callable[[str], None] | None = None) -> CompareRun:
    """Measure the arms side by side on the held-out questions; returns the run (folder and results)."""
    from ragtune.index.kb import KnowledgeBase

    project = Project.load(root, overrides)
    ev = project.config.evaluation
    stages = Stages(log or (lambda line: print(line, file=sys.stderr, flush=True)))
    plan = plan_arms(project, variants, arms, overrides)
    path, pairs = questions.load_test_split(project)
    used = questions.sample(pairs, limit or ev.limit, ev.seed)
    update = freshness.load_update(project) if with_freshness else None
    with stages("sync knowledge base"):
        KnowledgeBase(project).sync()
    _ensure_models(project, {a.variant for a in plan}, ev.train_missing if train_missing is None else train_missing,
                   stages)
    folder = new_run_folder(project)
    try:
        return _measure(project, plan, path, pairs, used, update, folder, overrides, limit, stages)
    except BaseException:  # an interrupted or failed run leaves no half-written run folder behind
        if not (folder / "results.json").is_file():
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _measure(project: Project, plan: list[ArmConfig], path: Path, pairs: list[Any], used: list[Any],
             update: freshness.Update | None, folder: Path, overrides: list[str] | None, limit: int | None,
             stages: Stages) -> CompareRun:
    """Everything after the models are ready: answer, probe, judge, freshness, statistics, write the run."""
    from ragtune.index.kb import content_fingerprint

    ev = project.config.evaluation
    answerer_for = _Answerers(project, overrides)
    kb = answerer_for(plan[0]).kb
    head = kb.manifest()
    models, data_files = _trained_models(project, plan, kb)
    with stages("check test split against training data"):
        leakage = questions.check_leakage(project, pairs, data_files)

    samples: list[dict[str, Any]] = []
    performance: dict[str, Any] = {}
    warnings: list[str] = []
    document_text = _document_texts(kb, head)
    generated: dict[tuple[str, ...], tuple[str, list[Any], float]] = {}
    for arm in plan:
        arm_samples, performance[arm.name], arm_warnings = _evaluate_arm(arm, answerer_for(arm), used, document_text,
                                                                         stages, ev.latency_probes, generated)
        samples += arm_samples
        warnings += [w for w in arm_warnings if w not in warnings]
    judge = _judge(ev.judge, samples, stages) if ev.judge is not None else None
    fresh_summary = _freshness(project, update, plan, answerer_for, samples, folder, stages) if update else None

    names = [a.name for a in plan]
    with stages("statistics"):
        metrics = aggregate.metric_intervals(samples, names, ev)
        paired = aggregate.comparisons(samples, names, ev)
    build = read_build_report(project)
    cost = aggregate.costs([a.model_dump() for a in plan], performance,
                           {v: m["training_s"] for v, m in models.items() if m["training_s"] is not None},
                           build.get("seconds"), fresh_summary["reindex_s"] if fresh_summary else None,
                           ev.hourly_usd)
    results: dict[str, Any] = {
        "schema": 1, "run_id": folder.name, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "project": project.config.name, "arms": [a.model_dump() for a in plan],
        "questions": {"file": str(path.relative_to(project.root)) if path.is_relative_to(project.root) else str(path),
                      "total": len(pairs), "used": len(used), "answerable": sum(p.answerable for p in used),
                      "unanswerable": sum(not p.answerable for p in used), "limit": limit or ev.limit,
                      "leakage": leakage},
        "retrieval_k": project.config.retrieval.k,
        "kb": {"version": head["version"], "fingerprint": content_fingerprint(head),
               "documents": len(head["documents"]),
               "chunks": sum(len(d["chunks"]) for d in head["documents"].values())} if head else None,
        "models": models, "metrics": metrics, "comparisons": paired, "performance": performance, "cost": cost,
        "freshness": fresh_summary, "judge": judge, "stages": stages.done, "warnings": warnings,
        "config": project.config.model_dump(mode="json"), "versions": _versions(),
    }
    from ragtune.recommendation import recommend

    decision = recommend(results, project.config.constraints, training_questions=trained_questions(build))
    results["recommendation"] = decision.to_dict()
    with stages("write results and report"):
        write_run(folder, results, samples)
    return CompareRun(folder, results)


def _freshness(project: Project, update: freshness.Update, plan: list[ArmConfig],
               answerer_for: _Answerers, samples: list[dict[str, Any]], folder: Path,
               stages: Stages) -> dict[str, Any]:
    """Answer the update's questions before and after applying it (no retraining); the summary for results."""
    from ragtune.index.kb import KnowledgeBase

    ev = project.config.evaluation
    texts = [q.question for q in update.questions]
    before: dict[str, list[Any]] = {}
    for arm in plan:
        with stages(f"freshness: {arm.name} before the update"):
            before[arm.name] = answerer_for(arm).ask_many(texts, arm.variant)
    workspace = folder / "freshness-workspace"
    try:
        with stages("freshness: apply the update (copy + incremental re-index)"):
            updated = freshness.updated_copy(project, update, workspace)
            sync = KnowledgeBase(updated).sync()
        summary_arms = {}
        for arm in plan:
            retrieves = registry.get(arm.variant).retrieves
            if retrieves:
                with stages(f"freshness: {arm.name} after the update"):
                    after = answerer_for(arm, updated).ask_many(texts, arm.variant)
            else:
                after = before[arm.name]  # without retrieval nothing the model sees has changed
            rows = {}
            for phase, answers in (("fresh_before", before[arm.name]), ("fresh_after", after)):
                rows[phase] = [score.score_fresh_answer(phase, arm.name, arm.variant, q, a)
                               for q, a in zip(update.questions, answers)]
                samples.extend(rows[phase])
            summary_arms[arm.name] = {
                "before": freshness.outcome_shares([r["outcome"] for r in rows["fresh_before"]]),
                "after": freshness.outcome_shares([r["outcome"] for r in rows["fresh_after"]]),
                "updated": interval([r["metrics"]["updated"] for r in rows["fresh_after"]], resamples=ev.bootstrap,
                                    confidence=ev.confidence, seed=ev.seed),
                "reused_answers": not retrieves,
            }
    finally:
        freshness.remove_copy(project, workspace)
    return {"update": project.config.evaluation.freshness.update, "kb_before": sync.previous,
            "kb_after": sync.version, "reindex_s": round(sync.seconds, 2),
            "documents": {"added": len(sync.added), "changed": len(sync.changed), "removed": len(sync.removed)},
            "questions": len(update.questions), "by_kind": freshness.summary(update), "arms": summary_arms}


def _versions() -> dict[str, str]:
    import platform

    packages = ("ragtune", "torch", "transformers", "peft", "sentence-transformers", "lancedb")
    return {"python": platform.python_version(), **package_versions(packages)}
