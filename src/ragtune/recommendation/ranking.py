"""Ranking and the choice: the remaining arms are ranked by accuracy, and the simplest arm that is not
significantly worse than the leader (paired test) wins; a specialized use case prefers a fine-tuned arm on the
same terms. The reasons name the comparisons behind the choice, then the winner's figures and the runner-up."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import compare_line, fmt_diff, fmt_interval, names, winner_figures
from ragtune.recommendation.results import Run
from ragtune.results import Interval


@dataclass
class _Field:
    """The ranked arms and who leads, qualifies and wins among them."""

    ranked: list[str]
    uncompared: list[str]
    plain: str  # the simplest qualifying arm
    choice: str
    specialized: bool
    guarded: dict[str, list[str]]  # simpler arms as accurate as the leader but significantly worse on a guard metric

    @property
    def leader(self) -> str:
        return self.ranked[0]


def choose(run: Run, c: ConstraintsConfig, remaining: list[str], reasons: list[str], caveats: list[str]) -> list[str]:
    """Rank ``remaining`` (arms with a measured accuracy) and add the reasons and caveats of the choice.

    Returns the ranking with the chosen arm first.
    """
    f = _field(run, c, remaining)
    cited = _choice_reasons(run, f, reasons)
    reasons.extend(winner_figures(run, f.choice, c))
    runner = next((a for a in f.ranked if a != f.choice), None)
    if runner is None:
        reasons.append(f"{f.choice} is the only arm left")
    else:
        lines = [] if runner in cited else [compare_line(run, f.choice, runner, "accuracy")]
        lines.append(compare_line(run, f.choice, runner, "hallucination"))
        reasons.extend(line for line in lines if line)
        if run.comparison("accuracy", f.choice, runner) is None:
            caveats.append(
                f"no paired accuracy comparison between {f.choice} and {runner}; the ranking rests on their means alone"
            )
    skipped = [
        a
        for a in f.uncompared
        if not (f.choice == f.leader and a == runner)
        and (
            run.simplicity(a) < run.simplicity(f.choice) or (f.specialized and run.tuned(a) and not run.tuned(f.choice))
        )
    ]
    if skipped:
        caveats.append(
            f"no paired accuracy comparison between {f.leader} and {names(skipped)}, so "
            f"{'it was' if len(skipped) == 1 else 'they were'} not considered as simpler alternatives"
        )
    return [f.choice] + [a for a in f.ranked if a != f.choice]


def _rank_key(run: Run, order: list[str]) -> Callable[[str], tuple[float, float, float, int, int]]:
    """Accuracy first, then lower hallucination, lower latency, simplicity and the run's own order."""

    def key(arm: str) -> tuple[float, float, float, int, int]:
        halluc = run.mean(arm, "hallucination")
        p50 = run.perf(arm, "latency_p50_s")
        return (
            -(run.mean(arm, "accuracy") or 0.0),
            math.inf if halluc is None else halluc,
            math.inf if p50 is None else p50,
            run.simplicity(arm),
            order.index(arm),
        )

    return key


def _field(run: Run, c: ConstraintsConfig, remaining: list[str]) -> _Field:
    ranked = sorted(remaining, key=_rank_key(run, list(run.arms)))
    leader = ranked[0]
    qualifying = [leader]
    uncompared = []
    guarded: dict[str, list[str]] = {}
    for i, arm in enumerate(ranked[1:], start=1):
        cmp = run.comparison("accuracy", leader, arm)
        if cmp is None:
            uncompared.append(arm)
        elif not cmp.significant and not any(run.significantly_worse(arm, h) for h in ranked[:i]):
            worse = run.worse_on_guards(arm, leader)
            if worse:
                guarded[arm] = worse
            else:
                qualifying.append(arm)

    def simplest(pool: list[str]) -> str:
        return min(pool, key=lambda a: (run.simplicity(a), ranked.index(a)))

    plain = simplest(qualifying)
    tuned_pool = [a for a in qualifying if run.tuned(a)]
    specialized = c.specialized is True
    choice = simplest(tuned_pool) if specialized and tuned_pool else plain
    return _Field(ranked, uncompared, plain, choice, specialized, guarded)


def _choice_reasons(run: Run, f: _Field, reasons: list[str]) -> set[str]:
    """Why the choice beat the leader (or is it) and the simpler arm; returns the arms whose comparison was cited."""
    choice, leader, plain = f.choice, f.leader, f.plain
    acc = fmt_interval(run.metric(choice, "accuracy") or Interval())
    cited: set[str] = set()
    if choice == leader:
        reasons.append(f"{choice} has the highest accuracy of the remaining arms: {acc}")
    else:
        cmp = run.comparison("accuracy", leader, choice)
        reasons.append(
            f"{leader}'s lead over {choice} ({fmt_diff(cmp)}) is not significant, so the "
            + ("fine-tuned " if choice != plain else "simpler ")
            + f"{choice} (accuracy {acc})"
        )
        cited.add(leader)
    for arm, metrics in f.guarded.items():
        if run.simplicity(arm) < run.simplicity(choice):
            details = "; ".join(f"{m} {fmt_diff(run.comparison(m, arm, choice))}" for m in metrics)
            reasons.append(f"{arm} is simpler and not significantly less accurate than {choice}, but it is "
                           f"significantly worse on {names(metrics)} ({arm} − {choice}: {details}), so {choice}")
            cited.add(arm)
    if choice != plain:
        why = f"the use case is specialized (specialized=true), so the fine-tuned {choice} is preferred"
        if choice != leader:
            cmp = run.comparison("accuracy", leader, plain)
            why += f" over {plain}, which is also within non-significance of {leader} ({fmt_diff(cmp)})"
        else:
            cmp = run.comparison("accuracy", choice, plain)
            why += f" over the simpler {plain}: {choice}'s lead over {plain} ({fmt_diff(cmp)}) is not significant"
        reasons.append(why)
        cited.add(plain)
    elif f.specialized and not run.tuned(choice):
        tuned = next((a for a in f.ranked if run.tuned(a)), None)  # the best-ranked fine-tuned arm
        if tuned is not None and run.significantly_worse(tuned, leader):
            reasons.append(
                f"specialized=true favours fine-tuning, but {tuned} is significantly less accurate "
                f"than {leader} ({fmt_diff(run.comparison('accuracy', tuned, leader))})"
            )
            cited.add(tuned)
    return cited
