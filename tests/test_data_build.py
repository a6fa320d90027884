"""`ragtune data build` end to end on small real projects: progress lines, the dev split, the trained count."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SERVE_DOCS, read_jsonl

from ragtune import build_data, ingest
from ragtune.data.build import BuildReport
from ragtune.data.questions import QAPair
from ragtune.data.raft import contains_answer
from ragtune.progress import set_progress, set_progress_lines

NO_QUESTIONS = "data:\n  synthetic: template\n  paraphrases: {k}\n"


@pytest.fixture
def lines_every_update():
    """Bars off and a progress line at every update (as on a non-terminal stderr with a tiny interval)."""
    set_progress(False)
    set_progress_lines(True, 0.0)
    yield
    set_progress(None)
    set_progress_lines(None)


def built(root: Path) -> dict:
    return json.loads((root / "data" / "build.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_synthetic_qa_by_the_model_logs_progress_with_rate_and_eta(make_project, caplog, lines_every_update):
    root = make_project(SERVE_DOCS, "data:\n  synthetic: model\n  synthetic_per_chunk: 1\n  paraphrases: 1\n"
                                    "generation:\n  batch_size: 1\n")
    ingest(root)
    with caplog.at_level(logging.INFO, logger="ragtune.progress"):
        report = build_data(root)
    lines = [r.getMessage() for r in caplog.records if r.name == "ragtune.progress"]
    print(*lines, sep="\n")
    assert report.cpt >= 3
    assert any(line.startswith("synthetic QA: the generation model writes questions (1 at most) for each of "
                               f"{report.cpt} chunks") for line in lines)  # said up front
    periodic = [line for line in lines if line.startswith("synthetic QA: generating: ")]
    assert len(periodic) >= 2, lines
    assert "(estimated from the first 1)" in periodic[0]  # an estimate after the first item
    assert all("answers/s" in line for line in periodic)
    assert any(f"/{report.cpt} answers" in line and "left" in line for line in periodic)
    assert periodic[-1].startswith(f"synthetic QA: generating: {report.cpt}/{report.cpt} answers done in ")
    assert not [s for s in report.skipped if "contains the answer" in s]  # RAFT finds every model answer


def test_progress_lines_reach_a_non_terminal_stderr_without_logging_configured(tmp_path):
    script = ("import time\nfrom ragtune.progress import track\n"
              "for _ in track(range(4), 'embedding', unit='chunk'):\n    time.sleep(0.05)\n")
    env = {k: v for k, v in os.environ.items() if k != "RAGTUNE_PROGRESS"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env={**env, "RAGTUNE_PROGRESS_INTERVAL": "0.01"})
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith("ragtune: embedding: 1/4 chunks (25%), ") and "chunks/s, about" in lines[0]
    assert "left (estimated from the first 1)" in lines[0]
    assert lines[-1].startswith("ragtune: embedding: 4/4 chunks done in ")
    quiet = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                           env={**env, "RAGTUNE_PROGRESS_INTERVAL": "0.01", "RAGTUNE_PROGRESS": "quiet"})
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_progress_lines_keep_to_their_interval_and_short_work_stays_silent(caplog):
    from ragtune.progress import LogBar

    now = [0.0]

    def run(total: int, step_s: float) -> list[str]:
        caplog.clear()
        with (caplog.at_level(logging.INFO, logger="ragtune.progress"),
              LogBar(total, "embedding", "chunk", interval=20.0, clock=lambda: now[0]) as progress):
            for _ in range(total):
                now[0] += step_s
                progress.update(1)
        return [r.getMessage() for r in caplog.records]

    lines = run(100, 1.0)
    assert lines[0] == "embedding: 1/100 chunks (1%), 1.00 chunks/s, about 1 min 39 s left (estimated from the first 1)"
    assert lines[1] == "embedding: 21/100 chunks (21%), 1.00 chunks/s, about 1 min 19 s left"
    assert len(lines) == 6 and lines[-1] == "embedding: 100/100 chunks done in 1 min 40 s (1.00 chunks/s)"
    assert run(3, 0.1) == []


def test_one_paraphrase_per_question_still_gives_a_dev_split(make_project):
    root = make_project(SERVE_DOCS, NO_QUESTIONS.format(k=1))
    ingest(root)
    report = build_data(root)
    sft = read_jsonl(root / "data" / "sft.jsonl")
    dev = [r for r in sft if r["split"] == "dev"]
    assert report.sft_dev == len(dev) >= 1
    trained = {r["fact"] for r in sft if r["split"] == "train"}
    assert all(r["origin"] == "paraphrase" and r["fact"] in trained for r in dev)  # its fact is still trained
    assert not any("dev split" in w for w in report.warnings)


def test_no_dev_split_is_said_and_names_the_setting(make_project):
    root = make_project(SERVE_DOCS, NO_QUESTIONS.format(k=0))
    ingest(root)
    report = build_data(root)
    assert report.sft_dev == 0
    warning = " ".join(report.warnings)
    assert "no dev split" in warning and "data.paraphrases" in warning
    assert "no dev split" in "\n".join(report.lines())


def test_trained_count_holds_the_synthetic_questions(make_project):
    from ragtune import recommend

    root = make_project(SERVE_DOCS, NO_QUESTIONS.format(k=2))
    ingest(root)
    report = build_data(root)
    assert report.questions == 0 and report.synthetic >= 3
    assert BuildReport.from_dict(built(root), root).trained_questions == report.trained_questions == report.synthetic
    run = root / "runs" / "by-hand"
    run.mkdir(parents=True)
    accuracy = {"mean": 0.5, "low": 0.4, "high": 0.6, "n": 60}
    (run / "results.json").write_text(json.dumps({
        "schema": 1, "arms": [{"name": "rag", "variant": "rag"}, {"name": "ft", "variant": "ft"}],
        "metrics": {"rag": {"accuracy": accuracy}, "ft": {"accuracy": accuracy}}}), encoding="utf-8")
    caveats = "\n".join(recommend(root, run, save=False).caveats)  # the count compare and recommend pass on
    assert f"fine-tuning had only {report.synthetic} training questions (ft; " in caveats
    assert "paraphrases not counted" in caveats
    assert BuildReport.from_dict({"questions": 5, "synthetic": 7}, root).trained_questions == 12  # written before
    assert BuildReport.from_dict({}, root).trained_questions is None


def test_every_template_answer_is_found_in_its_chunk_by_rafts_matcher(example_project):
    from ragtune import Project
    from ragtune.data.synthetic import template_qa
    from ragtune.index.kb import KnowledgeBase

    kb = KnowledgeBase(Project.load(example_project))
    chunks = kb.store.get(sorted(kb.store.ids()))
    pairs = 0
    for chunk in chunks:
        for pair in template_qa([chunk], 5):
            pairs += 1
            assert contains_answer(chunk.text, pair), (pair.answer, chunk.text)
    assert pairs > 500
    assert contains_answer("Up to 4 loggers share one hub.", QAPair("x", "?", "4"))
