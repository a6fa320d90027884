"""The runtime owns what is loaded: one knowledge base per store in a compare, shared generators, per-call options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, read_jsonl

from ragtune.answer import ask, ask_many
from ragtune.generate.base import GenerationOptions
from ragtune.runtime import Runtime

QUESTION = "How long is the warranty on the X200?"


@pytest.fixture(scope="module")
def runtime(example_project) -> Runtime:
    return Runtime.load(example_project, ["generation.max_new_tokens=24"])


def test_overrides_share_what_they_do_not_change(runtime):
    narrow = runtime.with_overrides(["retrieval.k=1"])
    assert narrow is runtime.with_overrides(["retrieval.k=1"])  # one project read per arm
    assert runtime.with_overrides([]) is runtime
    assert narrow.project.config.retrieval.k == 1 and runtime.project.config.retrieval.k != 1
    assert narrow.kb is runtime.kb  # the same store: the same knowledge base
    assert narrow.retriever is not runtime.retriever
    assert narrow.generator is runtime.generator  # the same generation settings: the same generator
    assert runtime.with_overrides(["answer.grounding=abstain"]).retriever is runtime.retriever
    assert runtime.with_overrides(["generation.temperature=0.5"]).generator is not runtime.generator


def test_options_reach_the_generator_and_the_answer_says_why_it_stopped(runtime):
    cut = ask(runtime, QUESTION, "base", options=GenerationOptions(max_new_tokens=2))
    assert cut.finish_reason == "length" and cut.completion_tokens == 2
    streamed = ask(runtime, QUESTION, "base", on_token=lambda _: None, options=GenerationOptions(max_new_tokens=2))
    assert streamed.finish_reason == "length" and streamed.completion_tokens == 2
    batch = ask_many(runtime, [QUESTION, "Who makes the X200?"], "rag", options=GenerationOptions(max_new_tokens=2))
    assert [a.finish_reason for a in batch] == ["length", "length"]
    assert all(a.completion_tokens == 2 for a in batch)


def test_a_stream_whose_consumer_raises_is_closed_at_once(runtime):
    from ragtune.generate.models import generation_lock

    class Gone(Exception):
        pass

    def leave(piece: str) -> None:
        raise Gone()

    with pytest.raises(Gone):
        ask(runtime, QUESTION, "base", on_token=leave, options=GenerationOptions(max_new_tokens=400))
    lock = generation_lock(runtime.generator.model)
    assert lock.acquire(blocking=False)  # the generation stopped: the model is free without waiting
    lock.release()


@pytest.mark.slow
def test_one_compare_opens_the_knowledge_base_once_per_store(example_project, tmp_path, monkeypatch):
    """Several arms, one of them overriding retrieval (same store), and freshness (a second store: the copy)."""
    from ragtune import compare
    from ragtune.config import ArmConfig
    from ragtune.index.kb import KnowledgeBase
    from ragtune.project import Project

    root = tmp_path / "aldermoor"
    shutil.copytree(example_project, root)
    update = root / "update_small"
    shutil.copytree(EXAMPLE / "update_v2", update)
    rows = [r for r in read_jsonl(update / "questions.jsonl") if r["id"] == "u001"]
    (update / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    opened: list[Path] = []
    init = KnowledgeBase.__init__

    def counted(self, project):
        opened.append(project.store_dir)
        init(self, project)

    loaded: list[tuple[str, ...]] = []
    load = Project.load.__func__

    def counted_load(cls, root, overrides=None):
        loaded.append(tuple(overrides or ()))
        return load(cls, root, overrides)

    monkeypatch.setattr(KnowledgeBase, "__init__", counted)
    monkeypatch.setattr(Project, "load", classmethod(counted_load))
    settings = ["evaluation.latency_probes=1", "evaluation.bootstrap=100", "generation.max_new_tokens=8",
                "evaluation.freshness.update=update_small", "evaluation.task_variants=[base, few-shot, rag]",
                "tasks.route_ticket.limit=4"]
    arms = [ArmConfig(name="rag-k1", variant="rag", set={"retrieval.k": 1}),
            ArmConfig(name="rag-abstain", variant="rag", set={"answer.grounding": "abstain"})]
    run = compare(root, variants=["base", "rag"], arms=arms, freshness=True, limit=2, overrides=settings,
                  log=lambda _: None, tasks=["route_ticket"])  # few-shot embeds with the same knowledge base
    results = json.loads((run.folder / "results.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in results["arms"]] == ["base", "rag", "rag-k1", "rag-abstain"]
    assert set(results["tasks"]["route_ticket"]["arms"]) == {"base", "few-shot", "rag"}
    assert '<section id="tasks"' in (run.folder / "report.html").read_text(encoding="utf-8")
    assert len(opened) == len(set(opened)) == 2, opened  # the project's store, and the freshness copy's
    assert opened[0] == root / "kb"
    assert sorted(loaded) == sorted([tuple(settings), (*settings, 'answer.grounding="abstain"'),
                                     (*settings, "retrieval.k=1")]), loaded  # each config read once
