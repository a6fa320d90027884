"""The report's Tasks section (only for runs that evaluated tasks): per task its kind, rows and each arm's scores
with intervals, then what the kind adds: macro-F1 and the confusion matrix (classify), per-field exact match and F1
(extract), per-rule pass shares (generate), the chance level and how options were scored (choice); and the paired
tests of the task's metrics in words. The Multiple choice section shows the test questions that carry choices the
same way, as the choice task they were scored as."""

from __future__ import annotations

from ragtune.evaluate.formatting import NONE, interval_text, p_value_text
from ragtune.evaluate.report.markup import e, facts, section, table, text
from ragtune.evaluate.report.run import RunView
from ragtune.results import TaskArm, TaskResult

METRICS = {  # per-row metric -> column label
    "correct": "accuracy", "correct_norm": "accuracy (per byte)", "outside": "outside the labels",
    "parsed": "JSON parsed", "schema_valid": "schema valid", "fields_exact": "fields exact", "fields_f1": "fields F1",
    "all_exact": "all fields exact", "strict": "all rules (strict)", "loose": "all rules (loose)",
    "rules_passed": "rules passed", "similarity": "similarity",
}


def tasks(view: RunView) -> str:
    """The Tasks section, or nothing when the run evaluated none."""
    found = {name: t for name, t in view.run.tasks.items() if t is not None}
    if not found:
        return ""
    parts = ['<p class="small muted">Each task is scored by code, per row: the cells are means over the test rows '
             "with their bootstrap intervals; the paired tests compare arms on the same rows.</p>"]
    parts += [_task(view, name, task) for name, task in found.items()]
    return section("tasks", "Tasks", "".join(parts))


def multiple_choice(view: RunView) -> str:
    """The Multiple choice section, or nothing when no test question carried choices."""
    found = view.run.multiple_choice
    if found is None:
        return ""
    about = ('<p class="small muted">The test questions that carry choices, scored as multiple choice by every arm: '
             "a local model picks the option it gives the highest log-likelihood (accuracy; per byte: the "
             "log-likelihood divided by the option's length in bytes), an endpoint model's letter is read. Set "
             "against the chance level; the cells are means with their bootstrap intervals.</p>")
    name = (view.run.questions.file if view.run.questions else None) or "test questions"
    return section("multiple-choice", "Multiple choice", about + _task(view, name, found))


def _arms(view: RunView, task: TaskResult) -> list[str]:
    return [a for a in view.arms if a in task.arms] + [a for a in task.arms if a not in view.arms]


def _task(view: RunView, name: str, task: TaskResult) -> str:
    arms = _arms(view, task)
    keys = list(dict.fromkeys(k for a in arms if task.arms[a] for k in task.arms[a].metrics))
    head = ["arm", *(f'<th class="num">{e(METRICS.get(k, k))}</th>' for k in keys)]
    rows = [[view.swatch(a) if a in view.colors else e(a),
             *(f'<td class="num">{e(interval_text((task.arms[a] or TaskArm()).metrics.get(k)))}</td>' for k in keys)]
            for a in arms]
    about = facts([("kind", e(task.kind or "")), ("test rows", e(text(task.rows))),
                   ("train rows", e(text(task.train_rows))), ("judged by", e(METRICS.get(task.primary or "", ""))),
                   ("chance", e(f"{task.chance:.2f}" if task.chance is not None else ""))])
    body = [f'<h3 id="task-{e(name)}">{e(name)}</h3>', about, table(head, rows) if keys else "", _detail(arms, task),
            _comparisons(task)]
    return "".join(body)


def _detail(arms: list[str], task: TaskResult) -> str:
    """What the task's kind adds to the table."""
    results = {a: task.arms[a] for a in arms if task.arms[a] is not None}
    if task.kind == "classify":
        macro = table(["arm", '<th class="num">macro-F1</th>'],
                      [[e(a), f'<td class="num">{e(text(r.macro_f1))}</td>'] for a, r in results.items()])
        return macro + "".join(_confusion(a, r) for a, r in results.items() if r.confusion)
    if task.kind == "extract":
        return _grid("per field: exact match / F1", results, "fields", ("exact", "f1"))
    if task.kind == "generate":
        return _grid("per rule: passed strictly / loosely", results, "rules", ("strict", "loose"))
    if task.kind == "choice":
        how = "; ".join(f"{a}: {r.scoring}" for a, r in results.items() if r.scoring)
        return f'<p class="small">Options scored by {e(how or NONE)}.</p>'
    return ""


def _grid(title: str, results: dict[str, TaskArm], attr: str, parts: tuple[str, str]) -> str:
    names = list(dict.fromkeys(k for r in results.values() for k in getattr(r, attr)))
    if not names:
        return ""
    head = ["arm", *(f'<th class="num">{e(n)}</th>' for n in names)]
    rows = []
    for a, r in results.items():
        cells = getattr(r, attr)
        rows.append([e(a), *(f'<td class="num">{e(" / ".join(text((cells.get(n) or {}).get(p)) for p in parts))}'
                              "</td>" for n in names)])
    return f'<p class="small muted">{e(title)}</p>' + table(head, rows)


def _confusion(arm: str, result: TaskArm) -> str:
    answered = list(dict.fromkeys(p for row in result.confusion.values() if row for p in row))
    head = ["gold \\ answered", *(f'<th class="num">{e(p)}</th>' for p in answered)]
    rows = [[e(g), *(f'<td class="num">{e(text((row or {}).get(p) or 0))}</td>' for p in answered)]
            for g, row in result.confusion.items()]
    return f'<details class="box"><summary>Confusion matrix: {e(arm)}</summary>{table(head, rows)}</details>'


def _comparisons(task: TaskResult) -> str:
    rows = [[e(METRICS.get(c.metric or "", c.metric or "?")), f"{e(c.a)} vs {e(c.b)}",
             f'<td class="num">{e(NONE if c.diff is None else f"{c.diff:+.2f}")}</td>',
             f'<td class="num">{e(p_value_text(c.p))}</td>',
             "significant" if c.significant else "not significant" if c.significant is False else NONE]
            for c in task.comparisons]
    if not rows:
        return ""
    head = ["metric", "a vs b", '<th class="num">diff a − b</th>', '<th class="num">p</th>', "verdict"]
    return f'<details class="box"><summary>Paired tests</summary>{table(head, rows)}</details>'
