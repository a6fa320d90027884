"""Fine-tuning with the real model: data build, LoRA/full/CPT runs, kill-and-resume, RAFT rows, staleness, export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, read_jsonl, set_config

from ragtune import InputError, Project, RagtuneError, ask, build_data, export, ingest, init_project, model_status
from ragtune.data.leakage import normalize
from ragtune.data.questions import QAPair
from ragtune.data.raft import POOL, contains_answer
from ragtune.index.kb import KnowledgeBase
from ragtune.index.retrieve import Retriever
from ragtune.training import train_variant
from ragtune.training.artifact import work_dir

pytestmark = pytest.mark.slow

SMALL = 12  # training questions in the test project (with 4 paraphrases each): seconds per run, not minutes
FAST = ["training.batch_size=8", "training.eval_every=4"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The example with its first SMALL training questions, a planted test question, ingested and built."""
    root = tmp_path_factory.mktemp("train") / "aldermoor"
    init_project(root, example=EXAMPLE)
    train = read_jsonl(root / "questions" / "train.jsonl")[:SMALL]
    test = read_jsonl(root / "questions" / "test.jsonl")
    planted = dict(test[0], id="planted-exact")  # a test question copied into training data: must be removed
    near = dict(test[1], id="planted-near", question=test[1]["question"].upper().rstrip("?") + " ?")
    rows = [*train, planted, near]
    (root / "questions" / "small.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    set_config(root, "data:\n  train: questions/small.jsonl\n  paraphrases: 4\n  dev_share: 0.25\ntasks: {}\n")
    ingest(root)
    build_data(root)
    return root


def test_build_writes_inspectable_rows_and_removes_planted_test_questions(project):
    built = json.loads((project / "data" / "build.json").read_text())
    removed = {r["id"] for r in built["removed"]}
    assert {"planted-exact", "planted-near"} <= removed
    sft = read_jsonl(project / "data" / "sft.jsonl")
    test_questions = {normalize(q["question"]) for q in read_jsonl(project / "questions" / "test.jsonl")}
    trained = {normalize(r["messages"][1]["content"]) for r in sft}
    assert not trained & test_questions
    originals = [r for r in sft if r["origin"] == "question_set"]
    assert len(originals) == SMALL
    assert len(sft) == SMALL * 5  # each question and its 4 paraphrases
    assert {r["split"] for r in sft} == {"train", "dev"}
    assert all(r["split"] == "train" for r in originals)  # dev = held-out paraphrases of trained facts
    first = originals[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert first[2]["content"] == read_jsonl(project / "questions" / "small.jsonl")[0]["answer"]
    cpt = read_jsonl(project / "data" / "cpt.jsonl")
    assert len(cpt) == KnowledgeBase(Project.load(project)).store.count()


def test_raft_rows_hold_the_gold_chunk_and_retrieved_distractors(project):
    loaded = Project.load(project)
    kb = KnowledgeBase(loaded)
    retriever = Retriever(kb.store, kb.embedder, loaded.config.retrieval)
    distractors = loaded.config.data.raft_distractors
    questions = {q["id"]: q for q in read_jsonl(project / "questions" / "small.jsonl")}
    rows = read_jsonl(project / "data" / "raft.jsonl")
    assert len(rows) >= SMALL
    with_gold = 0
    for row in rows:
        original = questions[row["id"].split("-p")[0]]
        pair = QAPair(row["id"], "", original["answer"], original.get("aliases", []), answerable=original["answerable"])
        texts = {c.id: c.text for c in kb.store.get(row["chunks"])}
        question = row["messages"][1]["content"].rsplit("Question: ", 1)[1]
        retrieved = {h.chunk.id for h in retriever.search(question, k=POOL)}
        assert len(row["chunks"]) == distractors + 1
        others = [c for i, c in enumerate(row["chunks"], start=1) if i != row["gold"]]
        assert set(others) <= retrieved  # distractors come from real retrieval
        assert not any(contains_answer(texts[c], pair) for c in others if pair.answerable)
        if row["gold"] is not None:
            with_gold += 1
            gold_id = row["chunks"][row["gold"] - 1]
            assert gold_id == row["gold_id"] and contains_answer(texts[gold_id], pair)
            assert f"[{row['gold']}]" in row["messages"][2]["content"]
    assert 0.5 < with_gold / len(rows) < 1.0  # about raft_gold_share (0.8) keep the gold chunk


@pytest.fixture(scope="module")
def lora_report(project):
    return train_variant(Project.load(project, [*FAST, "training.max_steps=16"]), "ft", method="lora")


def test_lora_lowers_the_loss_on_held_out_paraphrases(lora_report, project):
    r = lora_report.result
    assert r.steps == 16 and lora_report.rows_dev > 0
    assert r.best_dev_loss < 0.7 * r.initial_dev_loss
    manifest = json.loads((project / "models" / "ft" / "manifest.json").read_text())
    assert manifest["method"] == "lora" and manifest["data"]["file"] == "data/sft.jsonl"
    assert manifest["kb"]["version"] == 1 and manifest["hyperparameters"]["lora"]["rank"] == 16
    assert (project / "models" / "ft" / "adapter_model.safetensors").is_file()
    log = read_jsonl(project / "models" / "ft" / "log.jsonl")
    assert [row["step"] for row in log] == list(range(1, 17)) and all(row["tokens_per_s"] > 0 for row in log)


def test_ft_variant_answers_and_export_merges_the_same_model(lora_report, project, tmp_path):
    question = read_jsonl(project / "questions" / "small.jsonl")[0]["question"]
    tuned = ask(project, question, variant="ft")
    assert tuned.text and not tuned.sources and not tuned.warnings
    out = export(project, tmp_path / "merged", variant="ft", merge=True)
    assert (out / "model.safetensors").is_file() and (out / "ragtune-manifest.json").is_file()
    merged = ask(project, question, variant="base", overrides=[f"generation.model={out}"])
    assert merged.text == tuned.text  # the merged weights are the adapter folded in: same greedy answer
    with pytest.raises(InputError, match="not empty"):
        export(project, out, variant="ft")


def _train_cli(project: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "ragtune.cli", "--no-progress", "train", str(project), "--variant", "ft",
            *[a for s in [*FAST, "training.max_steps=9", "training.save_every=3"] for a in ("--set", s)], *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RAGTUNE_PROGRESS": "0"})


def test_kill_and_resume_ends_like_an_uninterrupted_run(lora_report, project):
    straight = train_variant(Project.load(project, [*FAST, "training.max_steps=9", "training.save_every=3"]), "ft")
    expected = {row["step"]: row["loss"] for row in straight.result.curve}
    checkpoints = work_dir(Project.load(project), "ft") / "checkpoints"
    proc = _train_cli(project)
    deadline = time.time() + 240
    while not list(checkpoints.glob("step-00000[36]/state.json")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (project / "models" / ".tmp-ft").exists()
    resumed = _train_cli(project, "--resume")
    output, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, output
    assert "resumed from step" in output
    log = read_jsonl(project / "models" / "ft" / "log.jsonl")
    assert [row["step"] for row in log] == list(range(1, 10))
    assert log[-1]["loss"] == pytest.approx(expected[9], rel=0.02)
    assert all(row["loss"] == pytest.approx(expected[row["step"]], rel=0.02) for row in log)


def test_resume_refuses_checkpoints_of_other_settings(project):
    loaded = Project.load(project, [*FAST, "training.max_steps=4", "training.save_every=2", "training.patience=0"])
    work = work_dir(loaded, "ft")
    (work / "checkpoints" / "step-000002").mkdir(parents=True, exist_ok=True)
    (work / "checkpoints" / "step-000002" / "state.json").write_text("{}")
    (work / "run.json").write_text(json.dumps({"variant": "ft", "data_sha256": "other"}))
    with pytest.raises(RagtuneError, match="cannot resume"):
        train_variant(loaded, "ft", resume=True)


@pytest.mark.parametrize("method", ["full", "cpt"])
def test_full_and_continued_pretraining_save_loadable_models(project, method):
    loaded = Project.load(project, [*FAST, "training.max_steps=2", "training.max_seq_len=256"])
    report = train_variant(loaded, "ft", method=method)
    assert report.result.steps == 2 and report.result.final_loss > 0
    folder = project / "models" / "ft"
    assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["method"] == method and manifest["hyperparameters"]["learning_rate"] == 5e-5
    assert report.data_file == ("data/cpt.jsonl" if method == "cpt" else "data/sft.jsonl")
    answer = ask(project, "What is the X200?", variant="ft")
    assert answer.text
    # the answering model is the one just saved, not one cached from an earlier run in this process
    from safetensors import safe_open

    from ragtune.generate.models import load_causal_lm

    model, _ = load_causal_lm(str(folder), "float32")
    with safe_open(str(folder / "model.safetensors"), "pt") as saved:
        name = next(n for n in saved.keys() if n.endswith("norm.weight"))  # noqa: SIM118 (not iterable)
        assert saved.get_tensor(name).float().equal(model.state_dict()[name].float())


def test_hybrid_cannot_be_trained_by_continued_pretraining(project):
    with pytest.raises(InputError, match="hybrid"):
        train_variant(Project.load(project), "hybrid", method="cpt")


def test_a_knowledge_base_change_marks_the_model_stale(project):
    train_variant(Project.load(project, [*FAST, "training.max_steps=1"]), "ft", method="lora")
    assert model_status(project, "ft").stale == []
    doc = project / "documents" / "products" / "x200-data-logger.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("38 months", "40 months"), encoding="utf-8")
    ingest(project)
    stale = model_status(project, "ft").stale
    assert stale and "knowledge base changed" in stale[0]
    answer = ask(project, "How long is the X200 warranty?", variant="ft")
    assert answer.warnings and "stale" in answer.warnings[0]
    rebuilt_late = train_variant(Project.load(project, [*FAST, "training.max_steps=1"]), "ft")
    assert rebuilt_late.warnings and "ragtune data build" in rebuilt_late.warnings[0]
    build_data(project)
    fresh = train_variant(Project.load(project, [*FAST, "training.max_steps=1"]), "ft")
    assert not fresh.warnings and model_status(project, "ft").stale == []
