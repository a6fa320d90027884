"""Task scoring by hand-computed examples: classification metrics, JSON extraction, format rules, reference
similarity, multiple-choice picking and reading; and task files checked before any model loads."""

from __future__ import annotations

import json

import pytest
from conftest import new_project, write_file

from ragtune.errors import ConfigError, InputError
from ragtune.project import Project
from ragtune.tasks import choice, classify, extract, similarity
from ragtune.tasks.load import load_task, load_tasks
from ragtune.tasks.rules import Rules, check


def test_labels_are_matched_in_the_answer_and_outside_answers_counted():
    labels = ["billing", "hardware", "field service"]
    assert classify.match_label("Billing.", labels) == "billing"
    assert classify.match_label("This goes to field service, not billing", labels) == "field service"
    assert classify.match_label("I am not sure", labels) is None
    assert classify.match_label("hardwareteam", labels) is None  # on word boundaries only


def test_classification_report_by_hand():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", None, "a"]
    r = classify.report(gold, pred, ["a", "b", "c"])
    assert r.accuracy == pytest.approx(3 / 6, abs=1e-4)
    # a: tp 2, predicted 3, support 3 -> p 2/3, r 2/3, f1 2/3; b: tp 1, predicted 2, support 2 -> 0.5, 0.5, 0.5
    # c: tp 0, predicted 0, support 1 -> 0; macro over a, b, c = (2/3 + 1/2 + 0) / 3
    assert r.classes["a"].f1 == pytest.approx(2 / 3, abs=1e-4) and r.classes["b"].precision == 0.5
    assert r.classes["c"].recall == 0.0 and r.classes["c"].support == 1
    assert r.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0) / 3, abs=1e-4)
    assert r.outside == 1
    assert r.confusion == {"a": {"a": 2, "b": 1}, "b": {"b": 1, classify.OUTSIDE: 1}, "c": {"a": 1}}


def test_json_is_found_in_an_answer_and_checked_against_the_schema():
    assert extract.parse_json('{"a": 1}') == {"a": 1}
    assert extract.parse_json('Here you go:\n```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert extract.parse_json('Sure! {"a": "x"} Hope that helps') == {"a": "x"}
    assert extract.parse_json("no json here") is None
    schema = {"type": "object", "required": ["product"], "properties": {"product": {"type": "string"}}}
    check_schema = extract.validator(schema, "tasks.t.schema")
    assert extract.schema_valid({"product": "X200"}, check_schema)
    assert not extract.schema_valid({"product": 3}, check_schema) and not extract.schema_valid(None, check_schema)
    with pytest.raises(InputError, match=r"tasks\.t\.schema: not a valid JSON Schema"):
        extract.validator({"type": "objekt"}, "tasks.t.schema")


def test_fields_score_exact_and_f1_and_lists_as_entities():
    expected = {"product": "X200 logger", "serial": "SN-1", "faults": ["no power", "cracked case"], "note": None}
    got = {"product": "x200 logger", "serial": "SN-2", "faults": ["No power", "loose lid"], "note": None}
    scores = extract.field_scores(got, expected)
    assert scores["product"] == (1.0, 1.0)
    assert scores["serial"][0] == 0.0
    assert scores["faults"] == (0.0, pytest.approx(0.5))  # 1 of 2 predicted right, 1 of 2 expected found
    assert scores["note"] == (1.0, 1.0)
    assert extract.field_scores(None, expected)["product"] == (0.0, 0.0)


def test_rules_strict_and_loose():
    rules = Rules(max_words=6, starts_with="Dear", must_include=["ticket"], must_not_include=["refund"],
                  regex=[r"#\d+"], max_sentences=2)
    good = check("Dear Sam, ticket #123 is open.", rules)
    assert good["strict"] and good["loose"]
    wrapped = check("Sure, here it is:\nDear Sam, ticket #123 is open.", rules)
    assert not wrapped["strict"] and wrapped["loose"]  # the first line dropped, as IFEval's loose score does
    bad = check("Dear Sam, we will refund ticket #1.", rules)
    assert bad["rules"]["must_not_include:refund"] == (False, False) and not bad["loose"]
    assert check("anything", Rules())["strict"]
    merged = Rules(must_include=["a"], max_words=5).merged(Rules(must_include=["b"], max_words=9))
    assert merged.must_include == ["a", "b"] and merged.max_words == 9
    assert check('{"a": 1}', Rules(json_valid=True))["strict"]
    assert check("| a | b |\n|---|---|\n| 1 | 2 |", Rules(markdown_table=True))["strict"]


def test_similarity_by_hand():
    assert similarity.chrf("abc", "abc") == pytest.approx(1.0)
    # "ab" vs "abc": n=1 p 1, r 2/3; n=2 p 1, r 1/2; n=3 hyp has none: p 0, r 0 -> P 2/3, R 7/18
    p, r = 2 / 3, (2 / 3 + 1 / 2 + 0) / 3
    assert similarity.chrf("ab", "abc") == pytest.approx(5 * p * r / (4 * p + r))
    # LCS 5 of 6 hypothesis and 5 of 5 reference tokens
    assert similarity.rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(2 * 5 / 6 / (5 / 6 + 1))
    assert similarity.rouge_l("", "x") == 0.0


def test_choice_picks_raw_and_length_normalised_and_reads_letters():
    options = ["yes", "a much longer option"]
    assert choice.pick([-3.0, -5.0], options) == (0, 1)  # per byte: -1.0 vs -0.25
    assert choice.parse_answer("B", options) == 1
    assert choice.parse_answer("(a) yes", options) == 0
    assert choice.parse_answer("Answer: B.", options) == 1
    assert choice.parse_answer("I think a much longer option", options) == 1
    assert choice.parse_answer("no idea", options) is None
    assert choice.chance([4, 4, 2]) == pytest.approx((0.25 + 0.25 + 0.5) / 3)


TASKS = """tasks:
  route:
    kind: classify
    labels: [billing, hardware]
  rma:
    kind: extract
    schema: schema.json
  quiz:
    kind: choice
"""


def _files(**overrides: str) -> dict[str, str]:
    files = {
        "tasks/route/test.jsonl": '{"input": "My invoice is wrong", "expected": "billing"}\n',
        "tasks/route/train.csv": "input,label\nScreen cracked,hardware\n",
        "tasks/rma/schema.json": json.dumps({"type": "object", "required": ["serial"],
                                             "properties": {"serial": {"type": "string"}}}),
        "tasks/rma/test.jsonl": '{"id": "r1", "input": "Serial SN-1 broke", "expected": {"serial": "SN-1"}}\n',
        "tasks/quiz/test.json": json.dumps([{"input": "2+2?", "choices": ["3", "4"], "answer": "B"}]),
    }
    files.update(overrides)
    return files


def _project(root, files: dict[str, str], config: str = TASKS):
    """A project with ``files`` at their paths under its root (not under documents/)."""
    new_project(root, {}, config)
    for path, content in files.items():
        write_file(root / path, content)
    return root


def test_task_sets_load_in_every_format(tmp_path):
    root = _project(tmp_path / "p", _files())
    tasks = {t.name: t for t in load_tasks(Project.load(root))}
    assert tasks["route"].test[0].expected == "billing" and tasks["route"].train[0].expected == "hardware"
    assert tasks["rma"].test[0].expected == {"serial": "SN-1"} and tasks["rma"].schema["required"] == ["serial"]
    quiz = tasks["quiz"].test[0]
    assert quiz.choices == ["3", "4"] and quiz.answer == 1 and quiz.expected == "4" and tasks["quiz"].train == []


@pytest.mark.parametrize(("path", "content", "message"), [
    ("tasks/route/test.jsonl", '{"input": "x", "expected": "sales"}\n',
     r"route/test\.jsonl line 1: \"expected\" 'sales' is not one of the task's labels \(billing, hardware\)"),
    ("tasks/route/test.jsonl", '{"expected": "billing"}\n', r"route/test\.jsonl line 1: no \"input\" value"),
    ("tasks/rma/test.jsonl", '{"input": "x", "expected": {"serial": 5}}\n',
     r"rma/test\.jsonl line 1: \"expected\" does not match the task's schema \(5 is not of type 'string'\)"),
    ("tasks/rma/schema.json", '{"type": "objekt"}', r"tasks\.rma\.schema: not a valid JSON Schema"),
    ("tasks/quiz/test.json", '[{"input": "q", "choices": ["a", "b"], "answer": "C"}]',
     r"quiz/test\.json item 1: \"answer\" 'C' names none of the 2 choices"),
    ("tasks/route/test.jsonl", '{"input": "x", "expected": "billing", "constraints": {"max_wrds": 3}}\n',
     r"route/test\.jsonl line 1: \"constraints\.max_wrds\": Extra inputs are not permitted"),
])
def test_bad_task_rows_name_the_file_line_and_key(tmp_path, path, content, message):
    root = _project(tmp_path / "p", _files(**{path: content}))
    with pytest.raises(InputError, match=message):
        load_tasks(Project.load(root))


def test_bad_task_config_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"tasks\.x\.kind: Input should be 'classify', 'extract', 'generate'"):
        Project.load(_project(tmp_path / "a", {}, "tasks:\n  x:\n    kind: summarize\n"))
    with pytest.raises(ConfigError, match=r"tasks\.x: a classify task lists its labels"):
        Project.load(_project(tmp_path / "b", {}, "tasks:\n  x:\n    kind: classify\n"))
    root = _project(tmp_path / "c", {}, "tasks:\n  x:\n    kind: generate\n")
    with pytest.raises(InputError, match=r"tasks\.x: no folder"):
        load_task(Project.load(root), "x")
    root = _project(tmp_path / "d", {"tasks/x/test.jsonl": '{"input": "a"}\n', "secret.json": "{}"},
                    "tasks:\n  x:\n    kind: extract\n    schema: ../../secret.json\n")
    with pytest.raises(InputError, match=r"tasks\.x\.schema: no file '\.\./\.\./secret\.json'"):
        load_task(Project.load(root), "x")
