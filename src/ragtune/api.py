"""The verbs of ragtune as plain functions: the CLI is a thin table over these."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.config import StoreConfig, config_schema
from ragtune.project import Project, init_project
from ragtune.variants import DEFAULT_ASK, DEFAULT_TRAINED

if TYPE_CHECKING:
    from ragtune.serve_options import ServeOptions


def ingest(project: str | Path, overrides: list[str] | None = None, rebuild: bool = False,
           engine: str | None = None, address: str | None = None):
    """Parse, chunk, embed and index the documents folder incrementally; returns a SyncReport.

    ``engine``: local or ray (default: the config's ``ingest.engine``); ``address``: the Ray cluster to join
    (default: ``ingest.ray_address``; None starts a local Ray).
    """
    from ragtune.index.kb import KnowledgeBase

    extra = [f"ingest.engine={engine}"] if engine else []
    extra += [f"ingest.ray_address={json.dumps(address)}"] if address else []
    return KnowledgeBase(Project.load(project, [*(overrides or []), *extra])).sync(rebuild=rebuild)


def ask(project: str | Path, question: str, variant: str = DEFAULT_ASK, overrides: list[str] | None = None,
        k: int | None = None, filters: dict[str, Any] | None = None,
        on_token: Callable[[str], None] | None = None, reader: str | list[str] | None = None):
    """Answer a question with a variant (base | rag | ft | hybrid); returns an Answer with numbered sources.

    ``reader``: a user or group(s) of the project's ``access`` config: retrieval sees only their documents.
    """
    from ragtune.answer import ask as answer
    from ragtune.runtime import Runtime

    return answer(Runtime.load(project, overrides), question, variant, k=k, filters=filters, on_token=on_token,
                  reader=reader)


def build_data(project: str | Path, overrides: list[str] | None = None):
    """Build the training data (sft, raft, cpt JSONL under data/) from the questions and knowledge base."""
    from ragtune.data.build import build_data as build

    return build(Project.load(project, overrides))


def train(project: str | Path, variants: list[str] | None = None, method: str | None = None, resume: bool = False,
          overrides: list[str] | None = None) -> list[Any]:
    """Train the models of the ft and hybrid variants (or those named); returns a TrainReport each.

    ``method``: lora | full | cpt (default: training.method). Continued pretraining trains the ft variant only.
    """
    from ragtune.training.trainer import default_variants, train_variant

    loaded = Project.load(project, overrides)
    method = method or loaded.config.training.method
    return [train_variant(loaded, v, method=method, resume=resume) for v in variants or default_variants(method)]


def export(project: str | Path, out: str | Path, variant: str = DEFAULT_TRAINED, merge: bool = False) -> Path:
    """Write a trained variant's model to ``out`` (merged into standalone safetensors with ``merge``)."""
    from ragtune.training import export_model

    return export_model(Project.load(project), out, variant=variant, merge=merge)


def model_status(project: str | Path, variant: str):
    """A trained variant's status: whether it exists, its manifest, and why it is stale (if it is)."""
    from ragtune.training import model_status as status

    return status(Project.load(project), variant)


def kb_versions(project: str | Path) -> list[dict[str, Any]]:
    """The knowledge-base versions, oldest first, with the current one marked."""
    from ragtune.index.kb import KnowledgeBase

    return KnowledgeBase(Project.load(project)).versions()


def kb_rollback(project: str | Path, version: int) -> int:
    """Make an earlier knowledge-base version current (as a new version); returns the new number."""
    from ragtune.index.kb import KnowledgeBase

    return KnowledgeBase(Project.load(project)).rollback(version)


def migrate(project: str | Path, to: dict[str, Any] | StoreConfig, replace: bool = False, switch: bool = False):
    """Copy the knowledge base to another store, versions, access labels and archive included (nothing is
    re-embedded); ``to``: store settings like ragtune.yaml's ``store:``, e.g. {"backend": "pgvector", "url":
    "env:RAGTUNE_PG_URL"}. A non-empty target is refused unless ``replace``; with ``switch`` ragtune.yaml then names
    the new store. Returns a MigrateReport."""
    from ragtune.index.migrate import migrate_project, target_config

    return migrate_project(Project.load(project), target_config(to), replace=replace, switch=switch)


def compare(project: str | Path, variants: list[str] | None = None, arms: list[Any] | None = None,
            freshness: bool = False, limit: int | None = None, train_missing: bool | None = None,
            overrides: list[str] | None = None, log: Callable[[str], None] | None = None,
            tasks: list[str] | None = None, engine: str | None = None, address: str | None = None,
            workers: int | None = None):
    """Measure the variants (and extra arms) side by side on the held-out questions, with ``freshness`` the
    document update too, and the variants on the project's tasks (``tasks``: names; None: all, []: none); trains
    missing models first; returns a CompareRun (run folder and results).

    ``engine``: local or ray, where the answers are generated (default: ``evaluation.engine``); ``address`` and
    ``workers``: the Ray cluster to join and how many actors answer (default: ``evaluation.ray_address`` and
    ``evaluation.ray_workers``). They are recorded in the run's configuration like the other settings.
    """
    from ragtune.evaluate.compare import compare as run

    extra = [f"evaluation.engine={engine}"] if engine else []
    extra += [f"evaluation.ray_address={json.dumps(address)}"] if address else []
    extra += [f"evaluation.ray_workers={workers}"] if workers is not None else []
    return run(project, variants=variants, arms=arms, with_freshness=freshness, limit=limit,
               train_missing=train_missing, overrides=[*(overrides or []), *extra], log=log, tasks=tasks)


def report(run: str | Path) -> Path:
    """Render a run folder's report.html again from its results.json and samples.jsonl; returns its path."""
    from ragtune.evaluate.report import render_report

    return render_report(run)


def recommend(project: str | Path, run: str | Path | None = None, overrides: list[str] | None = None,
              ask: Callable[[str], str] | None = None, say: Callable[[str], None] = print, save: bool = True):
    """Decide rag / ft / hybrid / base from a run's results (default: the latest) and the configured constraints
    (asking for unknown ones through ``ask`` when given); with ``save`` the decision goes into the run's results
    and report."""
    from ragtune.data.build import read_build_report
    from ragtune.evaluate.runs import latest_run, write_results
    from ragtune.recommendation import ask_constraints
    from ragtune.recommendation import recommend as decide
    from ragtune.results import load_results

    loaded = Project.load(project, overrides)
    folder = Path(run) if run is not None else latest_run(loaded)
    results = load_results(folder)
    constraints = loaded.config.constraints
    if ask is not None:
        constraints = ask_constraints(constraints, ask=ask, say=say)
    build = read_build_report(loaded)
    trained_on = build.trained_questions if build else None
    decision = decide(results, constraints, training_questions=trained_on)
    if save:
        results.recommendation = decision
        write_results(folder, results)
    return decision


def serve(project: str | Path, *, overrides: list[str] | None = None, options: ServeOptions | None = None,
          **settings: Any) -> None:
    """Serve the project's variants as an OpenAI-compatible API (``/v1/models``, ``/v1/chat/completions``,
    ``/v1/embeddings``) until stopped; needs the ``serve`` extra. ``options`` (default: ServeOptions') changed by
    ``settings``, its fields by name: ``host``, ``port``, ``api_key``, ``allow_no_key`` and the limits below.

    ``api_key`` (default: $RAGTUNE_API_KEY) is the owner key, which reads every document; the project's
    ``access.keys`` read as their users or groups. With any key, every /v1 route needs one as a bearer key; without
    one only a loopback host is allowed unless ``allow_no_key``. ``max_concurrency`` model calls run at once and
    ``max_queue`` requests wait (503 beyond); bodies over ``max_body_bytes`` get 413; answers are at most
    ``max_tokens`` tokens (a request asking for more gets 400).
    """
    from ragtune.errors import require
    from ragtune.serve_options import ServeOptions

    options = ServeOptions.of(options, **settings)  # unknown names fail before the extra is needed
    require("fastapi", extra="serve")
    from ragtune.server.run import serve as run

    run(project, overrides=overrides, options=options)


__all__ = ["ask", "build_data", "compare", "config_schema", "export", "ingest", "init_project", "kb_rollback",
           "kb_versions", "migrate", "model_status", "recommend", "report", "serve", "train"]
