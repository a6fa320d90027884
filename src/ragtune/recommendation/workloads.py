"""The tasks (and a question set's multiple-choice rows) as workloads of their own: for each measured task, the
simplest arm that is not significantly worse than the task's best on its primary metric (the "specialized format
or task" question answered by a measurement),
and the combination a team would deploy when facts and behaviour favour different arms ("fine-tune for behaviour,
retrieve for facts": hybrid). Every line cites the measured numbers."""

from __future__ import annotations

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import fmt_diff, fmt_interval, names
from ragtune.recommendation.results import Run, oriented
from ragtune.results import Interval, Recommendation, TaskResult

MULTIPLE_CHOICE = "questions (multiple choice)"  # the workload name of a question set's rows with choices
LABELS = {"correct": "accuracy", "schema_valid": "JSON schema validity", "strict": "rule compliance (strict)"}


def _primary(task: TaskResult, arm: str) -> Interval | None:
    result = task.arms.get(arm)
    iv = result.metrics.get(task.primary or "") if result is not None else None
    return iv if iv is not None and iv.mean is not None else None


def _winner(run: Run, task: TaskResult, arms: list[str]) -> tuple[str, list[str]] | None:
    """The simplest arm not significantly worse than the task's best, and the arms ranked best first."""
    scored = [a for a in arms if _primary(task, a) is not None]
    if not scored:
        return None
    ranked = sorted(scored, key=lambda a: (-_primary(task, a).mean, run.simplicity(a)))  # type: ignore[union-attr]
    best = ranked[0]

    def worse(arm: str) -> bool:
        cmp = oriented(task.comparisons, task.primary or "", arm, best)
        return cmp is None or bool(cmp.significant and cmp.diff < 0)  # no test: cannot call it as good

    tied = [a for a in ranked if a == best or not worse(a)]
    return min(tied, key=lambda a: (run.simplicity(a), ranked.index(a))), ranked


def weigh_tasks(run: Run, c: ConstraintsConfig, rec: Recommendation) -> None:
    """Add each measured task's arm to ``rec.workloads`` with its reason, and the combination to deploy when the
    questions and the tasks favour different arms."""
    measured = dict(run.results.tasks)
    if run.results.multiple_choice is not None:  # the question set's rows with choices: an exam-style workload
        measured[MULTIPLE_CHOICE] = run.results.multiple_choice
    for name, task in measured.items():
        if task is None:
            continue
        allowed = [a for a in task.arms if not (c.closed_environment and run.retrieves(a))]
        found = _winner(run, task, allowed)
        if found is None:
            continue
        pick, ranked = found
        label = LABELS.get(task.primary or "", task.primary or "?")
        others = [f"{a} {_primary(task, a).mean:.2f}" for a in ranked if a != pick]  # type: ignore[union-attr]
        what = name if name == MULTIPLE_CHOICE else f"task {name} ({task.kind})"
        line = f"{what}: {pick} has {label} {fmt_interval(_primary(task, pick))}"  # type: ignore
        if others:
            line += f" vs {', '.join(others)}"
        best = ranked[0]
        if pick != best:
            line += f"; as good as {best} ({fmt_diff(oriented(task.comparisons, task.primary or '', pick, best))}) "
            line += "and simpler"
        elif len(ranked) > 1:
            runner = ranked[1]
            line += f" ({runner}: {fmt_diff(oriented(task.comparisons, task.primary or '', pick, runner))})"
        if task.chance is not None:
            line += f"; chance is {task.chance:.2f}"
        rec.workloads[name] = pick
        rec.reasons.append(line)
    _combination(run, rec)


def _combination(run: Run, rec: Recommendation) -> None:
    """When the questions go to a retrieving arm and some task to a fine-tuned one, say what serves both."""
    if rec.choice is None or not rec.workloads:
        return
    tuned_tasks = [t for t, arm in rec.workloads.items() if run.tuned(arm)]
    if not tuned_tasks or not run.retrieves(rec.choice) or run.tuned(rec.choice):
        return
    hybrid = next((a for a in run.arms if run.retrieves(a) and run.tuned(a)), None)
    both = f"{hybrid} (fine-tuned and retrieving)" if hybrid else "a fine-tuned model served with retrieval"
    rec.combination = hybrid
    rec.reasons.append(f"fine-tune for behaviour, retrieve for facts: the questions favour {rec.choice} while "
                       f"{names(tuned_tasks)} favour{'s' if len(tuned_tasks) == 1 else ''} a fine-tuned arm; "
                       f"{both} serves both workloads")
