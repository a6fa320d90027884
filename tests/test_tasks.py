"""Tasks with the real model: every kind answered and scored by the runner (the per-row metrics recomputed from
the written outputs), the few-shot arm's prompt, multiple choice by log-likelihood against a direct computation,
the example's tasks in compare's results, the report and the recommendation, and task rows in the training data."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE

from ragtune.project import Project, init_project
from ragtune.runtime import Runtime
from ragtune.tasks import classify, extract, prompt
from ragtune.tasks.load import load_task
from ragtune.tasks.rules import check
from ragtune.tasks.run import TaskArmPlan, answer_rows, evaluate_task, summarize

FAST = ["generation.max_new_tokens=24", "evaluation.bootstrap=100", "tasks.reply_style.max_new_tokens=40",
        "tasks.rma_extract.max_new_tokens=48"]


@pytest.fixture(scope="module")
def runtime(example_project):
    """The ingested example (with its four tasks) and one runtime for every test here."""
    return Runtime.load(example_project, FAST)


def test_init_with_the_example_copies_its_tasks(tmp_path):
    init_project(tmp_path / "p", example=EXAMPLE)
    project = Project.load(tmp_path / "p")
    assert list(project.config.tasks) == ["route_ticket", "rma_extract", "reply_style", "policy_quiz"]
    assert (tmp_path / "p" / "tasks" / "rma_extract" / "schema.json").is_file()


@pytest.mark.slow
def test_every_kind_is_answered_and_scored_from_what_the_model_wrote(runtime):
    for name in ("route_ticket", "rma_extract", "reply_style"):
        task = load_task(runtime.project, name)
        rows = task.test[:3]
        answered = answer_rows(task, TaskArmPlan("few-shot", "few-shot", runtime), rows)
        samples = answered.samples
        assert answered.scoring == "written answer" and answered.seconds > 0
        assert [s.id for s in samples] == [r.id for r in rows] and len(answered.details) == len(rows)
        for row, s in zip(rows, samples):
            assert s.phase == "task" and s.task == name and s.answer is not None and s.completion_tokens
            if task.kind == "classify":
                label = classify.match_label(s.answer, task.config.labels)
                assert s.metrics == {"correct": float(label == row.expected), "outside": float(label is None)}
            elif task.kind == "extract":
                value = extract.parse_json(s.answer)
                assert s.metrics["parsed"] == float(value is not None)
                scores = extract.field_scores(value, row.expected)
                assert s.metrics["fields_exact"] == pytest.approx(sum(e for e, _ in scores.values()) / 4)
            else:
                result = check(s.answer, task.config.rules.merged(row.rules))
                assert s.metrics["strict"] == float(result["strict"]) and s.metrics["similarity"] is not None
        summary = summarize(task, rows, {"few-shot": answered}, runtime.project.config.evaluation).arms["few-shot"]
        answers = [s.answer for s in samples]  # the kind's summary matches one computed from the written answers
        if task.kind == "classify":
            predicted = [classify.match_label(a, task.config.labels) for a in answers]
            assert summary.confusion == classify.report([r.expected for r in rows], predicted,
                                                        task.config.labels).confusion
        elif task.kind == "extract":
            fields = [extract.field_scores(extract.parse_json(a), r.expected) for a, r in zip(answers, rows)]
            assert summary.fields == {k: {"exact": round(sum(f[k][0] for f in fields) / 3, 4),
                                          "f1": round(sum(f[k][1] for f in fields) / 3, 4)} for k in fields[0]}
        else:
            held = [check(a, task.config.rules.merged(r.rules))["rules"] for a, r in zip(answers, rows)]
            strict = {k.split(":", 1)[0]: [] for h in held for k in h}
            for h in held:
                for k, (ok, _) in h.items():
                    strict[k.split(":", 1)[0]].append(ok)
            assert {k: v["strict"] for k, v in summary.rules.items()} == {
                k: round(sum(v) / len(v), 4) for k, v in strict.items()}


@pytest.mark.slow
def test_few_shot_puts_the_closest_train_rows_before_the_input(runtime):
    task = load_task(runtime.project, "route_ticket")
    row = task.test[0]
    from ragtune.tasks.run import _shots

    (shots,) = _shots(task, TaskArmPlan("few-shot", "few-shot", runtime), [row])
    assert len(shots) == task.config.shots and all(s in task.train for s in shots)
    chat = prompt.messages(task, row, shots)
    assert [m["role"] for m in chat] == ["system", *["user", "assistant"] * 3, "user"]
    assert chat[2]["content"] == shots[0].expected and chat[-1]["content"] == row.input
    assert "Answer with exactly one of: billing, repairs" in chat[0]["content"]
    (none,) = _shots(task, TaskArmPlan("base", "base", runtime), [row])
    assert none == []


@pytest.mark.slow
def test_choice_options_are_scored_by_their_log_likelihood(runtime):
    import torch

    from ragtune.generate.loglik import option_logliks

    task = load_task(runtime.project, "policy_quiz")
    rows = task.test[:2]
    generator = runtime.generator
    chats = [prompt.messages(task, r, cloze=True) for r in rows]
    long_chat = [{"role": "system", "content": "Reference: the AQ7 probe has six sensor ports. " * 30},
                 {"role": "user", "content": "How many sensor ports does the AQ7 have?"}]
    items = [*((c, r.choices) for c, r in zip(chats, rows)),
             (long_chat, ["six", "it has six sensor ports in all, one per measured quantity", "4"]),
             (chats[0], ["yes", "no"])]
    lengths = {len(generator.tokenize(o)) for _, options in items for o in options}
    assert min(lengths) == 1 and max(lengths) > 8  # options of one token and of many
    processed = []  # tokens each forward pass runs
    hook = generator.model.register_forward_pre_hook(
        lambda _, args, kwargs: processed.append(kwargs["input_ids"].numel()), with_kwargs=True)
    try:
        scores = option_logliks(generator, items, batch_size=3)
    finally:
        hook.remove()
    prompts = [generator.encode(chat) for chat, _ in items]
    total = sum(len(o) for _, o in items)
    assert sum(processed) <= len(prompts) * max(map(len, prompts)) + total * max(lengths)  # each prompt once
    assert sum(processed) < sum(len(p) * len(o) for p, (_, o) in zip(prompts, items)) / 2  # not once per option
    for (_, options), ids, got in zip(items, prompts, scores):
        assert len(got) == len(options)
        for option, value in zip(options, got):
            cont = generator.tokenizer(option, add_special_tokens=False)["input_ids"]
            with torch.inference_mode():
                logits = generator.model(input_ids=torch.tensor([ids + cont])).logits[0].float()
            direct = sum(float(logits[len(ids) + i - 1].log_softmax(-1)[t]) for i, t in enumerate(cont))
            assert value == pytest.approx(direct, abs=1e-3 * max(1.0, abs(direct)))
    answered = answer_rows(task, TaskArmPlan("base", "base", runtime), rows)
    assert answered.scoring == "log-likelihood"
    for row, s, got in zip(rows, answered.samples, scores):
        assert s.metrics["correct"] == float(max(range(4), key=lambda i: got[i]) == row.answer)


@pytest.mark.slow
def test_a_task_result_has_intervals_comparisons_and_the_kind_summary(runtime):
    limited = runtime.with_overrides(["tasks.route_ticket.limit=6"])
    task = load_task(limited.project, "route_ticket")
    arms = [TaskArmPlan(v, v, runtime) for v in ("base", "few-shot")]
    result, samples = evaluate_task(task, arms, runtime.project.config.evaluation)
    assert result.kind == "classify" and result.rows == 6 and set(result.arms) == {"base", "few-shot"}
    for name, arm in result.arms.items():
        assert arm.metrics["correct"].n == 6 and arm.macro_f1 is not None
        assert sum(sum(row.values()) for row in arm.confusion.values()) == 6
        mine = [s for s in samples if s.arm == name]
        assert arm.metrics["correct"].mean == pytest.approx(sum(s.metrics["correct"] for s in mine) / 6, abs=1e-3)
    assert [(c.metric, c.a, c.b) for c in result.comparisons] == [("correct", "base", "few-shot")]
    json.dumps(result.to_json())


def test_task_rows_train_on_the_expected_output_and_keep_test_inputs_out(example_project):
    from ragtune.data.leakage import LeakageGuard
    from ragtune.tasks.load import load_tasks
    from ragtune.tasks.training import task_rows, test_inputs

    tasks = load_tasks(Project.load(example_project))
    route = tasks[0]
    route.train.append(route.test[0])  # a test input planted in the train rows
    guard = LeakageGuard(test_inputs(tasks), 0.65)
    made = task_rows(tasks, guard, dev_share=0.1, seed=0)
    assert [r["id"] for r in made.removed] == [f"route_ticket:{route.test[0].id}"]
    assert made.counts["route_ticket"] == len(route.train) - 1
    rows = [r for r in made.rows if r["origin"] == "task:route_ticket"]
    assert 0 < sum(r["split"] == "dev" for r in rows) < len(rows) / 5
    first = next(r for r in rows if r["id"] == f"route_ticket:{route.train[0].id}")
    assert first["messages"][-1] == {"role": "assistant", "content": route.train[0].expected}
    assert first["messages"][-2]["content"] == route.train[0].input
    quiz = next(r for r in made.rows if r["origin"] == "task:policy_quiz")
    row = tasks[3].train[0]
    assert quiz["messages"][-1]["content"] == row.choices[row.answer]  # cloze: the option's text, as scored
    capped = task_rows(tasks, guard, dev_share=0.1, seed=0, limit=5)
    assert set(capped.counts.values()) == {5} and len(capped.rows) == 20
    assert capped.with_sources == []  # no retrieval asked for


def test_hybrid_task_rows_carry_the_chunks_the_hybrid_arm_reads(example_project):
    """RAFT-style task rows: the same rows, splits and answers as ft's, with the system prompt the hybrid arm is
    evaluated with (retrieval on the input)."""
    from ragtune.data.leakage import LeakageGuard
    from ragtune.runtime import Runtime
    from ragtune.tasks import prompt
    from ragtune.tasks.load import load_tasks
    from ragtune.tasks.training import task_rows, test_inputs

    runtime = Runtime.load(example_project)
    tasks = load_tasks(runtime.project)
    guard = LeakageGuard(test_inputs(tasks), 0.65)
    made = task_rows(tasks, guard, dev_share=0.1, seed=0, limit=3, search=runtime.search_many)
    assert len(made.with_sources) == len(made.rows) == 12
    for plain, sourced in zip(made.rows, made.with_sources):
        assert {k: v for k, v in plain.items() if k != "messages"} == {k: v for k, v in sourced.items()
                                                                        if k != "messages"}
        assert plain["messages"][1:] == sourced["messages"][1:]  # the same turns and answer
    route = tasks[0]
    row = next(r for r in route.train if f"route_ticket:{r.id}" == made.with_sources[0]["id"])
    hits = runtime.search_many([row.input])[0]
    assert made.with_sources[0]["messages"][:-1] == prompt.messages(route, row, hits=hits)
    assert hits[0].chunk.text[:60] in made.with_sources[0]["messages"][0]["content"]
