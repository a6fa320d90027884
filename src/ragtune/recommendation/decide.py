"""The recommendation: which measured arm a team should deploy, and the evidence for it.

Explainable rules over a results.json mapping (docs/results.md) and the team's ``ConstraintsConfig``:

1. hard constraints (closed environment, traceability, latency target, monthly budget) exclude arms;
2. how often the content changes weighs freshness: arms that do not retrieve go stale between retrainings;
3. the remaining arms are ranked by accuracy, and the simplest arm that is not significantly worse than the
   leader (paired test) wins; a specialized use case prefers a fine-tuned arm on the same terms;
4. the winner's measured figures and the comparisons behind the choice become the reasons, with caveats.

Every reason cites a measured number (with its interval or p-value) or a stated constraint.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ragtune.config import ConstraintsConfig

SIMPLICITY = {"base": 0, "rag": 1, "ft": 2, "hybrid": 3}
RETRIEVING = frozenset({"rag", "hybrid"})
TUNED = frozenset({"ft", "hybrid"})
UPDATES_PER_MONTH = {
    "never": 0.0,
    "yearly": 1 / 12,
    "quarterly": 1 / 3,
    "monthly": 1.0,
    "weekly": 52 / 12,
    "daily": 30.0,
}
FREQUENT_CHANGES = frozenset({"monthly", "weekly", "daily"})
RARE_CHANGES = frozenset({"never", "yearly", "quarterly"})
ALPHA = 0.05
MIN_QUESTIONS = 30
MIN_TRAINING_QUESTIONS = 50
CLEAR_GAP = 0.25  # a gap in updated-answer shares that counts as clear when no intervals were measured


@dataclass
class Recommendation:
    """The chosen arm (None when nothing qualifies) with its reasons, exclusions, ranking and caveats."""

    choice: str | None
    variant: str | None = None
    reasons: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    ranking: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    constraints: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready "recommendation" object of results.json."""
        return {
            "choice": self.choice,
            "variant": self.variant,
            "reasons": list(self.reasons),
            "excluded": dict(self.excluded),
            "ranking": list(self.ranking),
            "caveats": list(self.caveats),
            "constraints": dict(self.constraints),
        }

    def lines(self) -> list[str]:
        """A human summary for the terminal."""
        if self.choice is None:
            head = "Recommendation: none (no arm qualifies)"
        elif self.variant and self.variant != self.choice:
            head = f"Recommendation: {self.choice} (variant {self.variant})"
        else:
            head = f"Recommendation: {self.choice}"
        out = [head, *(f"  - {reason}" for reason in self.reasons)]
        if self.ranking:
            out.append("Ranking: " + " > ".join(self.ranking))
        if self.excluded:
            out.append("Excluded:")
            out += [f"  - {arm}: {why}" for arm, why in self.excluded.items()]
        if self.caveats:
            out.append("Caveats:")
            out += [f"  - {caveat}" for caveat in self.caveats]
        return out


# ---------------------------------------------------------------- formatting


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _fmt_interval(iv: dict[str, Any]) -> str:
    text = f"{iv['mean']:.2f}"
    low, high = _num(iv.get("low")), _num(iv.get("high"))
    if low is not None and high is not None:
        text += f" [{low:.2f}, {high:.2f}]"
    n = iv.get("n")
    if isinstance(n, int) and n > 0:
        text += f" (n={n})"
    return text


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "p not reported"
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def _fmt_diff(cmp: dict[str, Any] | None) -> str:
    if not cmp:
        return "no paired comparison"
    text = f"diff {cmp['diff']:+.2f}"
    if cmp["low"] is not None and cmp["high"] is not None:
        text += f" [{cmp['low']:+.2f}, {cmp['high']:+.2f}]"
    return f"{text}, {_fmt_p(cmp['p'])}"


def _fmt_usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:.2f}"
    decimals = max(2, 1 - math.floor(math.log10(value)))  # two significant digits, at least cents
    return f"${value:.{decimals}f}"


def _fmt_s(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.3g} s"


def _names(arms: list[str]) -> str:
    return ", ".join(arms)


def _are(arms: list[str]) -> str:
    return "is" if len(arms) == 1 else "are"


# ---------------------------------------------------------------- reading results.json


class _Run:
    """Tolerant accessors over a results.json mapping: anything missing reads as None."""

    def __init__(self, results: dict[str, Any] | None) -> None:
        self.raw: dict[str, Any] = results if isinstance(results, dict) else {}
        self.arms: dict[str, str] = {}
        for entry in self.raw.get("arms") or []:
            if isinstance(entry, dict) and entry.get("name"):
                self.arms[str(entry["name"])] = str(entry.get("variant") or entry["name"])
            elif isinstance(entry, str):
                self.arms[entry] = entry
        if not self.arms:  # older or partial files: the arms that have metrics
            for name in self.section("metrics"):
                self.arms[str(name)] = str(name)

    def section(self, *keys: str) -> dict[str, Any]:
        node: Any = self.raw
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def variant(self, arm: str) -> str:
        return self.arms.get(arm, arm)

    def simplicity(self, arm: str) -> int:
        return SIMPLICITY.get(self.variant(arm), len(SIMPLICITY))

    def retrieves(self, arm: str) -> bool:
        return self.variant(arm) in RETRIEVING

    def tuned(self, arm: str) -> bool:
        return self.variant(arm) in TUNED

    def metric(self, arm: str, name: str) -> dict[str, Any] | None:
        iv = self.section("metrics", arm).get(name)
        if not isinstance(iv, dict) or _num(iv.get("mean")) is None:
            return None
        return iv

    def mean(self, arm: str, name: str) -> float | None:
        iv = self.metric(arm, name)
        return None if iv is None else float(iv["mean"])

    def perf(self, arm: str, key: str) -> float | None:
        return _num(self.section("performance", arm).get(key))

    def cost(self, arm: str, key: str) -> Any:
        return self.section("cost", "arms", arm).get(key)

    def comparison(self, metric: str, a: str, b: str) -> dict[str, Any] | None:
        """The paired test of a against b on metric, oriented as a - b; None when absent or unreadable."""
        for entry in self.raw.get("comparisons") or []:
            if not isinstance(entry, dict) or entry.get("metric") != metric:
                continue
            pair = (entry.get("a"), entry.get("b"))
            if pair not in ((a, b), (b, a)):
                continue
            diff, low, high, p = (_num(entry.get(k)) for k in ("diff", "low", "high", "p"))
            if diff is None:
                continue
            if pair == (b, a):
                diff, low, high = -diff, (None if high is None else -high), (None if low is None else -low)
            significant = entry.get("significant")
            if not isinstance(significant, bool):
                if p is not None:
                    significant = p < ALPHA
                elif low is not None and high is not None:
                    significant = low > 0 or high < 0
                else:
                    continue
            return {"diff": diff, "low": low, "high": high, "p": p, "significant": significant, "n": entry.get("n")}
        return None

    def freshness(self, arm: str) -> dict[str, Any] | None:
        """The share of updated questions the arm answered with the new answer (an interval when measured)."""
        entry = self.section("freshness", "arms", arm)
        updated = entry.get("updated")
        if isinstance(updated, dict) and _num(updated.get("mean")) is not None:
            return updated
        after = entry.get("after")
        new = _num(after.get("new")) if isinstance(after, dict) else None
        return None if new is None else {"mean": new}

    def update_text(self, arm: str) -> str:
        seconds, usd = _num(self.cost(arm, "update_s")), _num(self.cost(arm, "update_usd"))
        how = self.cost(arm, "update_how")
        parts = []
        if seconds is not None:
            parts.append(_fmt_s(seconds))
        if usd is not None:
            parts.append(_fmt_usd(usd))
        if not parts:
            return f"{arm}'s update cost was not measured"
        text = f"each update of {arm} takes {' and '.join(parts)}"
        return text + (f" ({how})" if isinstance(how, str) and how else "")


# ---------------------------------------------------------------- rules


@dataclass
class _Step:
    """One hard constraint: the arms it excludes (with why), a summary reason, and what relaxing it means."""

    key: str
    hits: dict[str, str]
    summary: Callable[[list[str]], str]
    relax: Callable[[list[str]], str]


def _monthly_cost(run: _Run, arm: str, constraints: ConstraintsConfig) -> tuple[float, str] | None:
    """The arm's monthly cost (serving + updates) and how it was computed; None without a measured price."""
    per_1k = _num(run.cost(arm, "per_1k_queries_usd"))
    if per_1k is None:
        return None
    serving = constraints.queries_per_month / 1000 * per_1k
    updates = UPDATES_PER_MONTH.get(constraints.content_changes, 0.0)
    update_usd = _num(run.cost(arm, "update_usd")) or 0.0
    total = serving + updates * update_usd
    how = f"{constraints.queries_per_month:,} queries x {_fmt_usd(per_1k)}/1k"
    if updates and update_usd:
        how += f" + {updates:.3g} updates x {_fmt_usd(update_usd)}"
    return total, how


def _hard_steps(run: _Run, c: ConstraintsConfig, caveats: list[str]) -> list[_Step]:
    arms = list(run.arms)
    steps: list[_Step] = []
    if c.closed_environment is True:
        hits = {
            a: "no retrieval store can run in the deployment (closed_environment)" for a in arms if run.retrieves(a)
        }
        steps.append(
            _Step(
                "closed_environment",
                hits,
                lambda out: (
                    f"closed_environment=true: no retrieval store can run in the deployment, so "
                    f"{_names(out)} (retrieving) {_are(out)} out"
                ),
                lambda out: (
                    "closed_environment (allow a retrieval store in the deployment)"
                    + (" or traceable (only retrieving arms cite sources)" if c.traceable else "")
                ),
            )
        )
    if c.traceable is True:
        cites = [
            f"{a} {_fmt_interval(iv)}"
            for a in arms
            if run.retrieves(a) and (iv := run.metric(a, "citation_accuracy")) is not None
        ]
        evidence = f"; citation accuracy of the retrieving arms: {', '.join(cites)}" if cites else ""
        hits = {
            a: f"answers must cite their sources (traceable) and {a} does not retrieve{evidence}"
            for a in arms
            if not run.retrieves(a)
        }
        steps.append(
            _Step(
                "traceable",
                hits,
                lambda out: (
                    f"traceable=true: answers must cite their sources, so {_names(out)} (no retrieval) "
                    f"{_are(out)} out{evidence}"
                ),
                lambda out: (
                    "traceable (no arm that can run here cites sources)"
                    + (" or closed_environment" if c.closed_environment else "")
                ),
            )
        )
    if c.latency_p95_s is not None:
        target = c.latency_p95_s
        p95 = {a: run.perf(a, "latency_p95_s") for a in arms}
        hits = {
            a: f"measured p95 latency {_fmt_s(v)} exceeds the target {_fmt_s(target)} (latency_p95_s)"
            for a, v in p95.items()
            if v is not None and v > target
        }
        unmeasured = [a for a, v in p95.items() if v is None]
        if unmeasured:
            caveats.append(
                f"no p95 latency measured for {_names(unmeasured)}: the latency target was not checked for them"
            )
        steps.append(
            _Step(
                "latency_p95_s",
                hits,
                lambda out: (
                    f"latency_p95_s={target:g} s: "
                    + ", ".join(f"{a} (p95 {_fmt_s(p95[a] or 0)})" for a in out)
                    + (" misses" if len(out) == 1 else " miss")
                    + " the target"
                ),
                lambda out: f"latency_p95_s to at least {_fmt_s(min(p95[a] or 0 for a in out))} (the fastest of them)",
            )
        )
    if c.budget_usd_month is not None:
        budget = c.budget_usd_month
        costs = {a: _monthly_cost(run, a, c) for a in arms}
        hits = {
            a: f"costs {_fmt_usd(v[0])}/month ({v[1]}), over the budget of {_fmt_usd(budget)}/month (budget_usd_month)"
            for a, v in costs.items()
            if v is not None and v[0] > budget
        }
        unmeasured = [a for a, v in costs.items() if v is None]
        if unmeasured:
            caveats.append(f"no cost per query measured for {_names(unmeasured)}: the budget was not checked for them")
        if c.content_changes == "unknown":
            caveats.append("content_changes is unknown, so the monthly costs count no updates")

        def _cost(a: str) -> float:
            return (costs[a] or (0.0, ""))[0]

        steps.append(
            _Step(
                "budget_usd_month",
                hits,
                lambda out: (
                    f"budget_usd_month={_fmt_usd(budget)}: "
                    + ", ".join(f"{a} ({_fmt_usd(_cost(a))}/month)" for a in out)
                    + " over budget"
                ),
                lambda out: (
                    f"budget_usd_month to at least {_fmt_usd(min(_cost(a) for a in out))}/month (the cheapest "
                    f"of them), or lower queries_per_month ({c.queries_per_month:,})"
                ),
            )
        )
    return steps


def _clearly_below(run: _Run, arm: str, best: str) -> str | None:
    """Evidence that arm's updated-answer share is significantly below best's, or None.

    Significant: disjoint intervals, a significant paired freshness test, or (shares without intervals) a gap
    of at least CLEAR_GAP.
    """
    fresh, top = run.freshness(arm), run.freshness(best)
    if fresh is None or top is None:
        return None
    text = (
        f"{arm} answered {_fmt_interval(fresh)} of the updated questions with the new answer vs "
        f"{best}'s {_fmt_interval(top)}"
    )
    hi, lo = _num(fresh.get("high")), _num(top.get("low"))
    if hi is not None and lo is not None and hi < lo:
        return text
    cmp = run.comparison("freshness", arm, best)
    if cmp is not None and cmp["significant"] and cmp["diff"] < 0:
        return f"{text} (paired {_fmt_diff(cmp)})"
    if (hi is None or lo is None) and top["mean"] - fresh["mean"] >= CLEAR_GAP:
        return text
    return None


def _freshness(
    run: _Run,
    c: ConstraintsConfig,
    remaining: list[str],
    excluded: dict[str, list[str]],
    reasons: list[str],
    caveats: list[str],
) -> list[str]:
    """Apply the content-change rule; returns the arms still in the running."""
    changes = c.content_changes
    shares = {a: f for a in remaining if run.retrieves(a) and (f := run.freshness(a)) is not None}
    best = max(shares, key=lambda a: shares[a]["mean"], default=None)
    best_fresh = shares.get(best) if best else None
    stale_lines: list[str] = []
    for arm in (a for a in run.arms if not run.retrieves(a)):
        fresh = run.freshness(arm)
        evidence = _clearly_below(run, arm, best) if best else None
        below = evidence is not None
        if changes in FREQUENT_CHANGES:
            if below:
                excluded.setdefault(arm, []).append(f"content changes {changes} and {evidence}")
                stale_lines.append(evidence)
                if arm in remaining:
                    remaining = [a for a in remaining if a != arm]
            elif arm in remaining:
                if fresh is None:
                    seen = "freshness was not measured (compare --freshness)"
                elif best and best_fresh:
                    seen = (
                        f"its updated-answer share {_fmt_interval(fresh)} is not clearly below "
                        f"{best}'s {_fmt_interval(best_fresh)}"
                    )
                else:
                    seen = (
                        f"its updated-answer share is {_fmt_interval(fresh)}, with no remaining retrieving arm "
                        "measured to compare it with"
                    )
                caveats.append(
                    f"content changes {changes} and {arm} does not retrieve, so it answers from what it "
                    f"was trained on until retrained; {seen}; {run.update_text(arm)}"
                )
        elif changes == "unknown" and below and arm in remaining:
            caveats.append(f"{evidence}: this matters if the content changes often (content_changes is unknown)")
    if stale_lines:
        reasons.append(f"content changes {changes} (content_changes), so stale arms are out: " + "; ".join(stale_lines))
    if changes in RARE_CHANGES:
        tuned = [a for a in remaining if run.tuned(a)]
        if tuned:
            per_month = UPDATES_PER_MONTH[changes]
            costs = []
            for arm in tuned:
                usd = _num(run.cost(arm, "update_usd"))
                monthly = f" (~{_fmt_usd(usd * per_month)}/month)" if usd is not None and per_month else ""
                costs.append(run.update_text(arm) + monthly)
            what = "does not go stale" if changes == "never" else "goes stale rarely, so its staleness costs little"
            reasons.append(
                f"content changes {changes} (content_changes): a fine-tuned model {what}; " + "; ".join(costs)
            )
    return remaining


def _rank_key(run: _Run, order: list[str]) -> Callable[[str], tuple[float, float, float, int, int]]:
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


def _significantly_worse(run: _Run, arm: str, other: str) -> bool:
    cmp = run.comparison("accuracy", arm, other)
    return bool(cmp and cmp["significant"] and cmp["diff"] < 0)


def _winner_figures(run: _Run, arm: str, c: ConstraintsConfig) -> list[str]:
    out = []
    quality = [
        f"{label} {_fmt_interval(iv)}"
        for label, metric in (
            ("hallucination rate", "hallucination"),
            ("faithfulness", "faithfulness"),
            ("citation accuracy", "citation_accuracy"),
        )
        if (iv := run.metric(arm, metric)) is not None
    ]
    if quality:
        out.append(f"{arm}: " + "; ".join(quality))
    serving = []
    p50, p95 = run.perf(arm, "latency_p50_s"), run.perf(arm, "latency_p95_s")
    if p50 is not None:
        serving.append(f"latency p50 {_fmt_s(p50)}" + (f" (p95 {_fmt_s(p95)})" if p95 is not None else ""))
    per_1k = _num(run.cost(arm, "per_1k_queries_usd"))
    if per_1k is not None:
        monthly = _monthly_cost(run, arm, c)
        serving.append(
            f"{_fmt_usd(per_1k)} per 1k queries"
            + (f" (~{_fmt_usd(monthly[0])}/month: {monthly[1]})" if monthly else "")
        )
    if serving:
        out.append(f"{arm} serves at " + ", ".join(serving))
    return out


def _compare_line(run: _Run, arm: str, other: str, metric: str) -> str | None:
    cmp = run.comparison(metric, arm, other)
    if cmp is None:
        return None
    verdict = "significant" if cmp["significant"] else "not significant"
    if metric == "accuracy" and not cmp["significant"] and run.simplicity(arm) < run.simplicity(other):
        verdict += f", and {arm} is the simpler"
    return f"{arm} vs {other} on {metric}: {_fmt_diff(cmp)} ({verdict})"


def _unknown_constraints(c: ConstraintsConfig) -> list[str]:
    unknown = ["content_changes"] if c.content_changes == "unknown" else []
    unknown += [
        k
        for k in ("traceable", "closed_environment", "specialized", "budget_usd_month", "latency_p95_s")
        if getattr(c, k) is None
    ]
    return unknown


def _general_caveats(
    run: _Run, c: ConstraintsConfig, remaining: list[str], training_questions: int | None, caveats: list[str]
) -> None:
    few = [
        f"{a} (n={iv['n']})"
        for a in remaining
        if (iv := run.metric(a, "accuracy")) is not None and isinstance(iv.get("n"), int) and iv["n"] < MIN_QUESTIONS
    ]
    if few:
        caveats.append(
            f"few questions: accuracy rests on fewer than {MIN_QUESTIONS} for {_names(few)}, so the "
            "intervals are wide; add held-out questions"
        )
    tuned = [a for a in run.arms if run.tuned(a)]
    if tuned and training_questions is not None and training_questions < MIN_TRAINING_QUESTIONS:
        caveats.append(
            f"fine-tuning had only {training_questions} training questions ({_names(tuned)}); "
            f"{MIN_TRAINING_QUESTIONS}+ with paraphrases give the tuned arms a fairer chance"
        )
    warnings = [w for w in run.raw.get("warnings") or [] if isinstance(w, str) and "stale" in w.lower()]
    caveats.extend(warnings)
    for name, model in run.section("models").items():
        stale = model.get("stale") if isinstance(model, dict) else None
        if stale and not any(name in w for w in warnings):
            what = ", ".join(map(str, stale)) if isinstance(stale, list) else str(stale)
            caveats.append(f"the {name} model is stale ({what}): retrain it before trusting its numbers")
    unknown = _unknown_constraints(c)
    if unknown:
        caveats.append(f"constraints not stated, so not weighed: {_names(unknown)}")


def recommend(
    results: dict[str, Any], constraints: ConstraintsConfig, *, training_questions: int | None = None
) -> Recommendation:
    """Choose an arm from a results.json mapping under the team's constraints, citing the evidence."""
    run = _Run(results)
    rec = Recommendation(choice=None, constraints=constraints.model_dump())
    reasons, caveats = rec.reasons, rec.caveats
    excluded: dict[str, list[str]] = {}

    def finish(remaining: list[str]) -> Recommendation:
        rec.excluded = {a: "; ".join(why) for a, why in excluded.items()}
        _general_caveats(run, constraints, remaining, training_questions, caveats)
        return rec

    if not run.arms:
        reasons.append("the results list no arms, so there is nothing to recommend")
        return finish([])

    # 1. hard constraints, in order; the step that empties the field is the one to relax
    remaining = list(run.arms)
    emptied: tuple[_Step, list[str]] | None = None
    for step in _hard_steps(run, constraints, caveats):
        for arm, why in step.hits.items():
            excluded.setdefault(arm, []).append(why)
        out = [a for a in remaining if a in step.hits]
        if out:
            reasons.append(step.summary(out))
            remaining = [a for a in remaining if a not in step.hits]
            if not remaining and emptied is None:
                emptied = (step, out)
    if emptied is not None:
        step, out = emptied
        reasons.append(
            f"{step.key} removed the last arms ({_names(out)}): no arm meets every constraint; relax {step.relax(out)}"
        )
        return finish([])

    # 2. freshness
    remaining = _freshness(run, constraints, remaining, excluded, reasons, caveats)

    # arms without a measured accuracy cannot be ranked
    unscored = [a for a in remaining if run.mean(a, "accuracy") is None]
    for arm in unscored:
        excluded.setdefault(arm, []).append("no accuracy measured")
    remaining = [a for a in remaining if a not in unscored]
    if not remaining:
        reasons.append(
            "no remaining arm has a measured accuracy" + (f" ({_names(unscored)} have none)" if unscored else "")
        )
        return finish([])

    # 3. rank, then the simplest arm not significantly worse than the leader
    order = list(run.arms)
    ranked = sorted(remaining, key=_rank_key(run, order))
    leader = ranked[0]
    qualifying = [leader]
    uncompared = []
    for i, arm in enumerate(ranked[1:], start=1):
        cmp = run.comparison("accuracy", leader, arm)
        if cmp is None:
            uncompared.append(arm)
        elif not cmp["significant"] and not any(_significantly_worse(run, arm, h) for h in ranked[:i]):
            qualifying.append(arm)

    def simplest(pool: list[str]) -> str:
        return min(pool, key=lambda a: (run.simplicity(a), ranked.index(a)))

    plain = simplest(qualifying)
    tuned_pool = [a for a in qualifying if run.tuned(a)]
    specialized = constraints.specialized is True
    choice = simplest(tuned_pool) if specialized and tuned_pool else plain
    rec.choice, rec.variant = choice, run.variant(choice)
    rec.ranking = [choice] + [a for a in ranked if a != choice]

    acc = _fmt_interval(run.metric(choice, "accuracy") or {})
    cited: set[str] = set()
    if choice == leader:
        reasons.append(f"{choice} has the highest accuracy of the remaining arms: {acc}")
    else:
        cmp = run.comparison("accuracy", leader, choice)
        reasons.append(
            f"{leader}'s lead over {choice} ({_fmt_diff(cmp)}) is not significant, so the "
            + ("fine-tuned " if choice != plain else "simpler ")
            + f"{choice} (accuracy {acc})"
        )
        cited.add(leader)
    if choice != plain:
        why = f"the use case is specialized (specialized=true), so the fine-tuned {choice} is preferred"
        if choice != leader:
            cmp = run.comparison("accuracy", leader, plain)
            why += f" over {plain}, which is also within non-significance of {leader} ({_fmt_diff(cmp)})"
        else:
            cmp = run.comparison("accuracy", choice, plain)
            why += f" over the simpler {plain}: {choice}'s lead over {plain} ({_fmt_diff(cmp)}) is not significant"
        reasons.append(why)
        cited.add(plain)
    elif specialized and not run.tuned(choice):
        for arm in (a for a in ranked if run.tuned(a)):
            cmp = run.comparison("accuracy", arm, leader)
            if cmp and cmp["significant"] and cmp["diff"] < 0:
                reasons.append(
                    f"specialized=true favours fine-tuning, but {arm} is significantly less accurate "
                    f"than {leader} ({_fmt_diff(cmp)})"
                )
                cited.add(arm)
            break

    # 4. the winner's figures and the comparison with the runner-up
    reasons.extend(_winner_figures(run, choice, constraints))
    runner = next((a for a in ranked if a != choice), None)
    if runner is None:
        reasons.append(f"{choice} is the only arm left")
    else:
        lines = [] if runner in cited else [_compare_line(run, choice, runner, "accuracy")]
        lines.append(_compare_line(run, choice, runner, "hallucination"))
        reasons.extend(line for line in lines if line)
        if run.comparison("accuracy", choice, runner) is None:
            caveats.append(
                f"no paired accuracy comparison between {choice} and {runner}; the ranking rests on their means alone"
            )
    skipped = [
        a
        for a in uncompared
        if not (choice == leader and a == runner)
        and (run.simplicity(a) < run.simplicity(choice) or (specialized and run.tuned(a) and not run.tuned(choice)))
    ]
    if skipped:
        caveats.append(
            f"no paired accuracy comparison between {leader} and {_names(skipped)}, so "
            f"{'it was' if len(skipped) == 1 else 'they were'} not considered as simpler alternatives"
        )
    return finish(remaining)
