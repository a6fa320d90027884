"""Question sets whose rows carry choices: read and checked like a choice task's rows (bad rows named by file, line
and key before any model loads), and scored in compare as multiple choice with the real model, by the
log-likelihood of each option, for every arm, with the chance level in results.json, the report and the summary."""

from __future__ import annotations

import json

import pytest
from conftest import SERVE_DOCS, write_file

from ragtune.data.questions import load_questions
from ragtune.errors import InputError
from ragtune.evaluate.questions import choice_task

ROWS = [
    {"id": "q1", "question": "How long is the warranty on the Zephyr Z9 pump?",
     "choices": ["12 months", "27 months", "36 months", "6 months"], "answer": 1},
    {"id": "q2", "question": "How many watts does the Z9 draw at full load?",
     "choices": ["140 watts", "90 watts", "300 watts"], "answer": "A"},
    {"id": "q3", "question": "Within how many days may unused goods be returned?",
     "choices": ["14 days", "30 days", "45 days", "60 days"], "answer": "45 days"},
    {"id": "q4", "question": "On which days is support open?",
     "choices": ["Monday to Friday", "every day of the week"], "answer": 0},
    {"id": "q5", "question": "What share of the price is refunded for opened goods?", "answer": "80 percent"},
]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_rows_with_choices_read_as_multiple_choice(tmp_path):
    pairs = load_questions(write_file(tmp_path / "questions" / "test.jsonl", _jsonl(ROWS)))
    assert [(p.answer, p.choice) for p in pairs] == [("27 months", 1), ("140 watts", 0), ("45 days", 2),
                                                     ("Monday to Friday", 0), ("80 percent", None)]
    assert pairs[4].choices is None and pairs[1].choices == ["140 watts", "90 watts", "300 watts"]
    task = choice_task(tmp_path / "questions" / "test.jsonl", pairs)
    assert task is not None and task.kind == "choice" and task.train == []
    assert [(r.id, r.answer, r.expected) for r in task.test] == [("q1", 1, "27 months"), ("q2", 0, "140 watts"),
                                                                 ("q3", 2, "45 days"), ("q4", 0, "Monday to Friday")]
    assert choice_task(tmp_path / "x.jsonl", pairs[4:]) is None
    csv = load_questions(write_file(tmp_path / "q.csv", 'question,choices,gold\nWhich?,"red|green|blue",2\n'
                                                        'Which one?,"red|green",B\n'))
    assert [(p.answer, p.choice) for p in csv] == [("blue", 2), ("green", 1)]


@pytest.mark.parametrize("row, message", [
    ({"question": "Which?", "choices": ["a", "b"]}, r'test\.jsonl line 2: no "answer" value: a row with "choices"'),
    ({"question": "Which?", "choices": ["a", "b"], "answer": "c"},
     r"test\.jsonl line 2: \"answer\" 'c' names none of the 2 choices"),
    ({"question": "Which?", "choices": ["a", "b"], "gold": 5}, r'test\.jsonl line 2: "gold" 5 names none'),
    ({"question": "Which?", "choices": ["a"], "answer": "a"}, r'test\.jsonl line 2: "choices" must list two or more'),
    ({"question": "Which?", "choices": ["a", "b"], "answerable": False},
     r'test\.jsonl line 2: a row with "choices" needs the right one'),
])
def test_bad_choice_rows_name_the_file_line_and_key(tmp_path, row, message):
    path = write_file(tmp_path / "questions" / "test.jsonl", _jsonl([ROWS[0], row]))
    with pytest.raises(InputError, match=message):
        load_questions(path)


def test_compare_stops_on_a_bad_choice_row_before_any_model_loads(make_project):
    from ragtune import compare

    root = make_project(SERVE_DOCS)
    write_file(root / "questions" / "test.jsonl", _jsonl([ROWS[0], {**ROWS[1], "answer": "D"}]))
    with pytest.raises(InputError, match=r"questions/test\.jsonl line 2: \"answer\" 'D' names none"):
        compare(root, variants=["base"], tasks=[])
    assert not (root / "runs").exists() or not any((root / "runs").iterdir())


@pytest.mark.slow
def test_a_multiple_choice_question_set_is_scored_by_log_likelihood_with_chance(make_project):
    from ragtune import compare
    from ragtune.evaluate.report.page import build_html
    from ragtune.evaluate.summary import summary_lines
    from ragtune.generate.loglik import option_logliks
    from ragtune.results import load_results, load_samples
    from ragtune.runtime import Runtime
    from ragtune.tasks import prompt
    from ragtune.tasks.choice import pick

    root = make_project(SERVE_DOCS)
    write_file(root / "questions" / "test.jsonl", _jsonl(ROWS))
    fast = ["generation.max_new_tokens=16", "evaluation.bootstrap=100", "evaluation.latency_probes=0"]
    run = compare(root, variants=["base", "rag"], overrides=fast, tasks=[])
    mc = load_results(run.folder).multiple_choice
    assert mc is not None and mc == run.results.multiple_choice
    assert mc.kind == "choice" and mc.rows == 4 and mc.chance == round((1 / 4 + 1 / 3 + 1 / 4 + 1 / 2) / 4, 4)
    assert set(mc.arms) == {"base", "rag"}
    for arm in mc.arms.values():
        assert arm.scoring == "log-likelihood" and set(arm.metrics) == {"correct", "correct_norm"}
        assert all(iv.n == 4 and iv.low <= iv.mean <= iv.high for iv in arm.metrics.values())
    assert [(c.metric, c.a, c.b, c.n) for c in mc.comparisons] == [("correct", "base", "rag", 4),
                                                                   ("correct_norm", "base", "rag", 4)]
    assert run.results.questions.used == 5 and run.results.metrics["base"]["accuracy"].n == 5  # still answered

    # each arm's pick is the option its prompt (rag: with the retrieved chunks) gives the highest log-likelihood
    samples = [s for s in load_samples(run.folder) if s.phase == "choice"]
    assert len(samples) == 8 and {s.task for s in samples} == {None}
    runtime = Runtime.load(root, fast)
    task = choice_task(root / "questions" / "test.jsonl", load_questions(root / "questions" / "test.jsonl"))
    hits = runtime.search_many([r.input for r in task.test])
    for arm, found in (("base", [[] for _ in task.test]), ("rag", hits)):
        chats = [prompt.messages(task, r, hits=h, cloze=True) for r, h in zip(task.test, found)]
        scores = option_logliks(runtime.generator, [(c, r.choices) for c, r in zip(chats, task.test)])
        mine = {s.id: s for s in samples if s.arm == arm}
        for row, logliks in zip(task.test, scores):
            raw, norm = pick(logliks, row.choices)
            assert mine[row.id].answer.endswith(row.choices[raw])
            assert mine[row.id].metrics == {"correct": float(raw == row.answer),
                                            "correct_norm": float(norm == row.answer)}
        assert mc.arms[arm].metrics["correct"].mean == pytest.approx(
            sum(mine[r.id].metrics["correct"] for r in task.test) / 4, abs=1e-3)

    html = build_html(load_results(run.folder), load_samples(run.folder))
    section = html[html.index('<section id="multiple-choice">') :]
    section = section[: section.index("</section>")]
    assert f"<dt>chance</dt><dd>{mc.chance:.2f}</dd>" in section and "accuracy (per byte)" in section
    assert "log-likelihood" in section and 'href="#multiple-choice"' in html
    assert "Test questions as multiple choice" in html
    assert any(line.startswith(f"multiple choice (4 questions, chance {mc.chance:.2f})")
               for line in summary_lines(run.results))
