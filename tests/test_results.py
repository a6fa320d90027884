"""The run models (ragtune.results): every run fixture round-trips, junk reads as missing, the layout version is
checked, and docs/results.md carries the reference generated from the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_recommend import arm, cmp, results
from test_report import full_results, full_samples, minimal_results, write_fixture_run

from ragtune.cli import main
from ragtune.errors import InputError
from ragtune.results import SCHEMA, RunResults, Sample, load_results, load_samples, parse_results, save_results
from ragtune.results.reference import BEGIN, END, reference

DOCS = Path(__file__).resolve().parents[1] / "docs" / "results.md"

RECOMMEND_FIXTURE = results(
    arm("base", (0.30, 0.20, 0.40)),
    arm("rag", (0.70, 0.60, 0.80), citation=(0.85, 0.75, 0.93), fresh=(0.55, 0.40, 0.70)),
    arm("ft", (0.45, 0.35, 0.55), fresh=(0.05, 0.00, 0.12)),
    comparisons=[cmp("rag", "ft", 0.25, 0.1, 0.4, 0.001)],
)


@pytest.mark.parametrize("fixture", [full_results(), minimal_results(), RECOMMEND_FIXTURE],
                         ids=["report-full", "report-minimal", "recommend"])
def test_every_run_fixture_round_trips_through_the_models(tmp_path, fixture):
    run = write_fixture_run(tmp_path, fixture, full_samples())
    loaded = load_results(run)
    assert isinstance(loaded, RunResults)
    assert loaded.to_json() == json.loads(json.dumps(fixture))
    save_results(tmp_path, loaded)
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == json.loads(json.dumps(fixture))
    assert [s.to_json() for s in load_samples(run)] == json.loads(json.dumps(full_samples()))


def test_typed_access_reads_the_figures():
    run = parse_results(full_results())
    assert run.arm_names()[:2] == ["base", "rag"]
    assert run.metric("rag", "accuracy").n is not None and run.metric("nobody", "accuracy").mean is None
    assert run.variant_of("rag") == "rag" and run.variant_of("unlisted") == "unlisted"
    assert run.total_seconds() == pytest.approx(sum(s["seconds"] for s in full_results()["stages"]))


@pytest.mark.parametrize("junk", [None, "x", [], 7, {"rag": None, "zz": "q"}, float("nan"), True])
def test_a_malformed_value_reads_as_missing_and_keeps_the_rest(junk):
    for key in full_results():
        data = full_results()
        data[key] = junk
        run = parse_results(data)
        if key != "metrics":
            assert run.metric("rag", "accuracy").mean is not None, key
    data = full_results()
    data["metrics"]["rag"]["accuracy"] = {"mean": "0.5", "low": True, "high": float("inf"), "n": 2.5}
    iv = parse_results(data).metric("rag", "accuracy")
    assert (iv.mean, iv.low, iv.high, iv.n) == (None, None, None, None)
    data["arms"] = ["base", {"variant": "rag"}, 7, {"name": "ft", "variant": "ft"}]  # bare names, nameless, junk
    assert [a.name for a in parse_results(data).arms] == ["base", "ft"]
    sample = Sample.model_validate({"arm": "rag", "metrics": {"correct": "yes", "f1": 0.5}, "cited": [1, "x"]})
    assert sample.metrics == {"correct": None, "f1": 0.5} and sample.cited == [1]


def test_the_layout_version_is_checked(tmp_path):
    data = {**minimal_results(), "schema": SCHEMA + 1, "new_section": {"kept": True}}
    run = write_fixture_run(tmp_path, data, None)
    loaded = load_results(run)
    assert loaded.schema_version == SCHEMA + 1
    assert any("newer" in note and "upgrade ragtune" in note for note in loaded.notes)
    assert loaded.warnings == minimal_results().get("warnings", [])  # the note is not written back
    assert loaded.to_json()["new_section"] == {"kept": True}
    assert main(["report", str(run)]) == 0
    assert "upgrade ragtune" in (run / "report.html").read_text(encoding="utf-8")
    (run / "results.json").write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="does not hold an object"):
        load_results(run)


def test_docs_carry_the_generated_reference(capsys):
    text = DOCS.read_text(encoding="utf-8")
    generated = text[text.index(BEGIN): text.index(END) + len(END)]
    assert generated == reference(), "docs/results.md is stale: run `python -m ragtune.results.reference`"
    for name in ("RunResults", "Sample", "Interval", "Comparison", "Freshness", "Recommendation"):
        assert f"### {name}" in generated
    assert main(["results-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "schema" in schema["results.json"]["properties"] and "phase" in schema["samples.jsonl row"]["properties"]
