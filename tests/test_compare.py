"""compare / report / recommend end to end on a slice of the bundled example, with the real models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, read_jsonl, set_config

from ragtune.errors import InputError
from ragtune.evaluate import questions
from ragtune.evaluate.metrics import AGGREGATES
from ragtune.results import RunResults, load_results, load_samples

RETRIEVAL = ("recall", "mrr", "ndcg")
FAST = ["data.paraphrases=1", "data.raft_paraphrases=0", "data.raft_distractors=1", "data.task_rows=4",
        "training.max_steps=4", "training.batch_tokens=1024", "retrieval.k=2",
        "evaluation.latency_probes=1", "evaluation.bootstrap=200", "generation.max_new_tokens=32",
        "evaluation.freshness.update=update_small", "evaluation.judge={model: smollm2-135m-instruct}"]
# changed facts (refund days, data deletion days, mileage rate, meal allowance, bench recalibration), added, removed
UPDATE_QUESTIONS = ("u011", "u014", "u016", "u017", "u019", "u034", "u037")


def _small_update(root: Path, ids: tuple[str, ...]) -> None:
    """The example's update_v2 as the project's update_small, keeping only the questions ``ids``."""
    update = root / "update_small"
    shutil.copytree(EXAMPLE / "update_v2", update)
    rows = [r for r in read_jsonl(update / "questions.jsonl") if r["id"] in ids]
    (update / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def run(example_project, tmp_path_factory):
    """One compare with freshness of every variant plus an extra arm; ft and hybrid are trained by it."""
    from ragtune import compare

    root = tmp_path_factory.mktemp("compare") / "aldermoor"
    shutil.copytree(example_project, root)
    _small_update(root, UPDATE_QUESTIONS)
    from ragtune.config import ArmConfig

    lines: list[str] = []
    result = compare(root, arms=[ArmConfig(name="rag-k1", variant="rag", set={"retrieval.k": 1})], freshness=True,
                     limit=8, overrides=FAST, log=lines.append, tasks=[])  # tasks: tests/test_tasks.py
    return root, result, lines


@pytest.mark.slow
def test_compare_writes_the_three_artifacts_with_every_arm_and_metric(run):
    root, result, lines = run
    folder = result.folder
    assert folder.parent == root / "runs"
    assert {p.name for p in folder.iterdir()} >= {"results.json", "samples.jsonl", "report.html"}
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    names = [a["name"] for a in results["arms"]]
    assert names == ["base", "rag", "ft", "hybrid", "rag-k1"]
    stages = [s["name"] for s in results["stages"]]
    assert any(s.startswith("train ft") for s in stages) and any(s.startswith("train hybrid") for s in stages)
    assert any("ft" in line and line.endswith(" s") for line in lines)
    assert results["questions"]["used"] == 8 and results["questions"]["leakage"]["checked"] > 0
    for name in names:
        metrics = results["metrics"][name]
        assert set(metrics) == set(AGGREGATES.values())
        assert metrics["accuracy"]["n"] == 8
        assert metrics["accuracy"]["low"] <= metrics["accuracy"]["mean"] <= metrics["accuracy"]["high"]
        retrieves = results["arms"][names.index(name)]["variant"] in ("rag", "hybrid")
        for key in RETRIEVAL:
            assert (metrics[key]["mean"] is not None) == retrieves, (name, key)
        perf = results["performance"][name]
        assert perf["latency_p50_s"] > 0 and perf["throughput_qps"] > 0 and perf["peak_rss_mb"] > 100
        assert results["cost"]["arms"][name]["per_1k_queries_usd"] > 0
    assert results["cost"]["arms"]["ft"]["training_s"] > 0 and results["cost"]["arms"]["ft"]["update_s"] > 0
    assert results["cost"]["arms"]["base"]["update_s"] is None
    ft = results["models"]["ft"]  # what each adapter learned from, as the report says
    assert ft["data"] == "data/sft.jsonl" and ft["learned_from"]["question_set"] > 0 and ft["steps"] > 0
    assert set(results["models"]["hybrid"]["learned_from"]) >= {"question_set"}
    assert ft["data"] in (folder / "report.html").read_text(encoding="utf-8")
    assert results["metrics"]["rag"]["recall"]["mean"] >= 0.5  # hybrid retrieval finds most gold documents
    assert results["performance"]["rag-k1"]["prompt_tokens_mean"] < results["performance"]["rag"]["prompt_tokens_mean"]
    assert {c["metric"] for c in results["comparisons"]} >= {"accuracy", "f1", "hallucination", "freshness"}
    samples = read_jsonl(folder / "samples.jsonl")
    assert sum(s["phase"] == "test" for s in samples) == 8 * len(names)
    assert results["recommendation"]["choice"] in names
    verdicts = [s["metrics"]["judge"] for s in samples if s["phase"] == "test"]
    assert results["judge"]["model"] == "smollm2-135m-instruct"
    assert any(v is not None for v in verdicts) and results["metrics"]["rag"]["judge"]["n"] > 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert all(name in html for name in names) and "<svg" in html
    # the example's run round-trips through the models, and compare returned what it wrote
    assert load_results(folder).to_json() == results == result.results.to_json()
    assert [s.to_json() for s in load_samples(folder)] == samples
    assert set(results) == set(RunResults.model_fields) - {"schema_version"} | {"schema"}


@pytest.mark.slow
def test_freshness_rag_picks_up_the_changed_fact_that_ft_misses(run):
    root, result, _ = run
    fresh = result.results.freshness
    assert fresh.documents == {"added": 1, "changed": 9, "removed": 1}
    assert fresh.kb_after != fresh.kb_before and fresh.reindex_s > 0
    samples = read_jsonl(result.folder / "samples.jsonl")
    after = {(s["arm"], s["id"]): s for s in samples if s["phase"] == "fresh_after"}
    before = {(s["arm"], s["id"]): s for s in samples if s["phase"] == "fresh_before"}
    picked_up = [q for (arm, q), s in after.items() if arm == "rag" and s["kind"] == "changed"
                 and s["outcome"] == "new" and before[(arm, q)]["outcome"] != "new"]
    assert picked_up, "rag answered no changed fact with its new value after the update"
    assert all(after[("ft", q)]["outcome"] != "new" for q in picked_up)
    assert all(s["answer"] == before[key]["answer"] for key, s in after.items() if key[0] == "ft")
    assert fresh.arms["ft"].reused_answers and not fresh.arms["rag"].reused_answers
    assert fresh.arms["rag"].after["new"] > fresh.arms["ft"].after["new"]
    # the project's own documents and knowledge base are untouched
    from ragtune.index.kb import KnowledgeBase
    from ragtune.project import Project

    assert KnowledgeBase(Project.load(root)).head() == fresh.kb_before
    assert (root / "documents" / "products" / "x100-end-of-life-notice.txt").is_file()
    assert not (result.folder / "freshness-workspace").exists()


@pytest.mark.slow
def test_report_and_recommend_rerender_the_run(run):
    from ragtune import recommend
    from ragtune.cli import main

    root, result, _ = run
    report = result.folder / "report.html"
    report.unlink()
    assert main(["report", str(result.folder)]) == 0 and report.is_file()
    decision = recommend(root, overrides=["constraints.closed_environment=true"])
    assert decision.choice in ("base", "ft") and "rag" in decision.excluded
    saved = json.loads((result.folder / "results.json").read_text(encoding="utf-8"))
    assert saved["recommendation"]["choice"] == decision.choice


def test_a_test_question_in_the_training_data_is_refused(example_project, tmp_path):
    from ragtune.data.questions import load_questions
    from ragtune.project import Project

    project = Project.load(example_project)
    test = load_questions(EXAMPLE / "questions" / "test.jsonl")
    data = tmp_path / "sft.jsonl"
    row = {"id": "x1", "messages": [{"role": "user", "content": test[5].question.upper() + " "}]}
    data.write_text(json.dumps({"id": "ok", "messages": [{"role": "user", "content": "Who founded Aldermoor?"}]})
                    + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="1 training rows are test questions"):
        questions.check_leakage(project, test, [data])
    data.write_text(data.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    checked = questions.check_leakage(project, test, [data])
    assert checked["checked"] == 1 and 0 < checked["max_similarity"] < checked["threshold"]


def test_the_sample_keeps_the_share_of_unanswerable_questions():
    from ragtune.data.questions import load_questions

    test = load_questions(EXAMPLE / "questions" / "test.jsonl")
    chosen = questions.sample(test, 40, seed=0)
    assert len(chosen) == 40 and sum(not p.answerable for p in chosen) == round(40 * 27 / 161)
    assert chosen == questions.sample(test, 40, seed=0) != questions.sample(test, 40, seed=1)
    assert [p.id for p in chosen] == sorted(p.id for p in chosen)


def test_judge_verdicts_are_read_from_the_first_verdict_word():
    from ragtune.evaluate.judge import parse_verdict

    assert parse_verdict("CORRECT") == 1.0 and parse_verdict(" incorrect.") == 0.0
    assert parse_verdict("Verdict: INCORRECT, not CORRECT") == 0.0 and parse_verdict("Correct!") == 1.0
    assert parse_verdict("The answer is right") is None and parse_verdict("") is None


def test_compare_errors_name_what_to_fix(make_project):
    from ragtune import compare

    root = make_project({"a.md": "# A\n\nThe widget weighs 5 kg."})
    with pytest.raises(InputError, match="no test questions"):
        compare(root, variants=["base"])
    with pytest.raises(InputError, match="used twice"):
        from ragtune.config import ArmConfig

        compare(root, variants=["rag"], arms=[ArmConfig(name="rag", variant="rag")])


def test_update_folder_errors_name_the_file_and_line(example_project, tmp_path):
    from ragtune.evaluate.freshness import load_update
    from ragtune.project import Project

    project = Project.load(example_project, ["evaluation.freshness.update=" + str(tmp_path / "upd")])
    with pytest.raises(InputError, match="needs an update folder"):
        load_update(project)
    (tmp_path / "upd" / "documents").mkdir(parents=True)
    questions_file = tmp_path / "upd" / "questions.jsonl"
    questions_file.write_text('{"question": "Q1?", "old_answer": "1", "new_answer": "2"}\n{"question": "Q2?"\n',
                              encoding="utf-8")
    with pytest.raises(InputError, match="questions.jsonl line 2: not valid JSON"):
        load_update(project)
    questions_file.write_text('{"question": "Q2?", "old_answer": "", "new_answer": ""}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1: give old_answer and/or new_answer"):
        load_update(project)
    questions_file.write_text('{"question": "Q1?", "old_answer": "1", "new_answer": "2", "aliases": ["two"]}\n'
                              '{"question": "Q3?", "new_answer": "3"}\n', encoding="utf-8")
    update = load_update(project)
    assert [(q.kind, q.old, q.new) for q in update.questions] == [("changed", ["1"], ["2", "two"]),
                                                                  ("added", [], ["3"])]



def test_update_questions_sample_keeps_each_kind_in_proportion(example_project):
    from collections import Counter

    from ragtune.evaluate.freshness import load_update, sample_update
    from ragtune.project import Project

    update = load_update(Project.load(example_project))
    counts = Counter(q.kind for q in update.questions)
    sampled = sample_update(update, 20, seed=0)
    got = Counter(q.kind for q in sampled.questions)
    assert len(sampled.questions) == 20 and set(got) == set(counts)
    assert all(abs(got[k] - 20 * counts[k] / len(update.questions)) < 1 for k in counts)  # largest remainders
    assert [q.id for q in sampled.questions] == [q.id for q in update.questions if q in sampled.questions]  # order
    assert sample_update(update, 20, seed=0) == sampled and sample_update(update, 20, seed=1) != sampled
    assert sample_update(update, None, seed=0) is update and sample_update(update, 999, seed=0) is update

@pytest.mark.slow
def test_compare_with_freshness_runs_on_a_postgresql_store(tmp_path, pg_url, monkeypatch):
    """compare (base + rag) and --freshness on a pgvector project: the update goes to a temporary schema that is
    gone afterwards, the project's own knowledge base is untouched, and the index size is the schema's."""
    import psycopg

    from ragtune import compare, ingest, init_project
    from ragtune.index.kb import KnowledgeBase
    from ragtune.project import Project

    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    root = tmp_path / "pgproject"
    init_project(root, example=EXAMPLE)
    schema = "t_compare_pg"
    set_config(root, f"store:\n  backend: pgvector\n  url: env:RAGTUNE_TEST_PG_URL\n  pg_schema: {schema}\n")
    ingest(root)
    _small_update(root, UPDATE_QUESTIONS[:3])
    head = KnowledgeBase(Project.load(root)).head()
    overrides = [o for o in FAST if not o.startswith("evaluation.judge")]
    result = compare(root, variants=["base", "rag"], freshness=True, limit=4, overrides=overrides, tasks=[])
    fresh = result.results.freshness
    assert fresh.kb_before == head and fresh.kb_after != head and fresh.questions == 3
    assert set(fresh.arms) == {"base", "rag"} and fresh.arms["base"].reused_answers
    assert result.results.perf("rag").index_mb > 0.5  # the schema's tables and indexes
    assert KnowledgeBase(Project.load(root)).head() == head
    with psycopg.connect(pg_url) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{schema}_fresh_%"]).fetchall()
    assert left == []
