"""The recommendation engine: each rule decides on synthetic results and its reasons cite the deciding evidence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ragtune.config import ConstraintsConfig
from ragtune.recommendation import Recommendation, ask_constraints, recommend


def arm(
    name: str,
    acc: tuple[float, float, float] | None,
    *,
    variant: str | None = None,
    n: int = 60,
    hallucination: float | None = 0.2,
    citation: tuple[float, float, float] | None = None,
    p50: float | None = 1.0,
    p95: float | None = 2.0,
    per_1k: float | None = 0.02,
    update_s: float = 10.0,
    update_usd: float = 0.001,
    fresh: tuple[float, float, float] | None = None,
) -> dict[str, Any]:
    """One arm's figures: accuracy (mean, low, high), optional citation accuracy and freshness share."""
    return {
        "name": name,
        "variant": variant or name,
        "acc": acc,
        "n": n,
        "hallucination": hallucination,
        "citation": citation,
        "p50": p50,
        "p95": p95,
        "per_1k": per_1k,
        "update_s": update_s,
        "update_usd": update_usd,
        "fresh": fresh,
    }


def cmp(a: str, b: str, diff: float, low: float, high: float, p: float, metric: str = "accuracy") -> dict[str, Any]:
    """A paired comparison of a - b, significant when p < 0.05."""
    return {
        "metric": metric,
        "a": a,
        "b": b,
        "diff": diff,
        "low": low,
        "high": high,
        "p": p,
        "significant": p < 0.05,
        "n": 60,
    }


def iv(mean: float, low: float, high: float, n: int) -> dict[str, Any]:
    return {"mean": mean, "low": low, "high": high, "n": n}


def results(
    *arms: dict[str, Any], comparisons: list[dict[str, Any]] = (), freshness: bool = True, **extra: Any
) -> dict[str, Any]:
    """A results.json mapping with the documented shape, from arm() rows."""
    out: dict[str, Any] = {
        "schema": 1,
        "arms": [{"name": a["name"], "variant": a["variant"], "set": {}} for a in arms],
        "metrics": {},
        "comparisons": list(comparisons),
        "performance": {},
        "cost": {"hourly_usd": 0.1, "arms": {}},
        "freshness": None,
        "warnings": [],
        "models": {},
    }
    for a in arms:
        retrieving = a["variant"] in ("rag", "hybrid")
        out["metrics"][a["name"]] = {
            "accuracy": iv(*a["acc"], a["n"]) if a["acc"] else None,
            "hallucination": iv(a["hallucination"], a["hallucination"] - 0.05, a["hallucination"] + 0.05, a["n"])
            if a["hallucination"] is not None
            else None,
            "citation_accuracy": iv(*a["citation"], a["n"]) if a["citation"] else None,
            "recall": iv(0.9, 0.8, 0.95, a["n"]) if retrieving else None,
        }
        out["performance"][a["name"]] = {"latency_p50_s": a["p50"], "latency_p95_s": a["p95"]}
        out["cost"]["arms"][a["name"]] = {
            "per_1k_queries_usd": a["per_1k"],
            "training_usd": 0.0,
            "update_s": a["update_s"],
            "update_usd": a["update_usd"],
            "update_how": "re-index" if retrieving else "retrain",
        }
    fresh = {a["name"]: {"updated": iv(*a["fresh"], 40)} for a in arms if a["fresh"]}
    if freshness and fresh:
        out["freshness"] = {"update": "update_v2", "questions": 40, "arms": fresh}
    out.update(extra)
    return out


def text(rec: Recommendation) -> str:
    return "\n".join(rec.reasons)


# ---------------------------------------------------------------- the four winners


def test_rag_wins_when_content_changes_weekly_and_answers_must_be_traceable():
    res = results(
        arm("base", (0.30, 0.20, 0.40)),
        arm("rag", (0.70, 0.60, 0.80), citation=(0.85, 0.75, 0.93), fresh=(0.55, 0.40, 0.70)),
        arm("ft", (0.45, 0.35, 0.55), fresh=(0.05, 0.00, 0.12)),
        arm("hybrid", (0.66, 0.55, 0.76), citation=(0.80, 0.70, 0.88), fresh=(0.50, 0.35, 0.65)),
        comparisons=[cmp("rag", "hybrid", 0.04, -0.03, 0.11, 0.30)],
    )
    rec = recommend(res, ConstraintsConfig(content_changes="weekly", traceable=True))
    assert (rec.choice, rec.variant) == ("rag", "rag")
    reasons = text(rec)
    assert "traceable" in reasons and "citation accuracy" in reasons and "0.85 [0.75, 0.93]" in reasons
    assert "0.70 [0.60, 0.80]" in reasons  # the winner's accuracy interval
    assert "weekly" in reasons and "0.05 [0.00, 0.12]" in reasons and "0.55 [0.40, 0.70]" in reasons
    assert set(rec.excluded) == {"base", "ft"}
    assert "traceable" in rec.excluded["ft"] and "weekly" in rec.excluded["ft"]
    assert rec.ranking == ["rag", "hybrid"]


def test_frequent_changes_exclude_the_stale_fine_tuned_arm_even_when_it_is_more_accurate():
    res = results(
        arm("rag", (0.60, 0.50, 0.70), fresh=(0.55, 0.40, 0.70)),
        arm("ft", (0.75, 0.65, 0.85), fresh=(0.10, 0.02, 0.20), update_s=160.0, update_usd=0.0045),
        comparisons=[cmp("ft", "rag", 0.15, 0.05, 0.25, 0.003)],
    )
    weekly = recommend(res, ConstraintsConfig(content_changes="weekly"))
    assert weekly.choice == "rag"
    assert "0.10 [0.02, 0.20]" in weekly.excluded["ft"] and "0.55 [0.40, 0.70]" in weekly.excluded["ft"]
    # the same numbers with content that changes yearly: fine-tuning's lead stands, and its update cost is cited
    yearly = recommend(res, ConstraintsConfig(content_changes="yearly"))
    assert yearly.choice == "ft"
    assert "yearly" in text(yearly) and "$0.0045" in text(yearly) and "160 s" in text(yearly)
    # without freshness numbers the stale arm stays, with a caveat giving its retraining cost
    unmeasured = recommend(
        results(*[a for a in (arm("rag", (0.60, 0.50, 0.70)), arm("ft", (0.75, 0.65, 0.85), update_usd=0.0045))]),
        ConstraintsConfig(content_changes="daily"),
    )
    assert unmeasured.choice == "ft"
    assert any("daily" in c and "not measured" in c and "$0.0045" in c for c in unmeasured.caveats)


def test_overlapping_freshness_intervals_exclude_only_with_a_significant_paired_test():
    res = results(
        arm("rag", (0.60, 0.50, 0.70), fresh=(0.55, 0.40, 0.70)),
        arm("ft", (0.75, 0.65, 0.85), fresh=(0.35, 0.20, 0.50)),
        comparisons=[cmp("ft", "rag", 0.15, 0.05, 0.25, 0.003)],
    )
    weekly = ConstraintsConfig(content_changes="weekly")
    kept = recommend(res, weekly)
    assert kept.choice == "ft"  # intervals overlap and no paired freshness test: a caveat, not an exclusion
    assert any("not clearly below" in c and "0.35 [0.20, 0.50]" in c for c in kept.caveats)
    res["comparisons"].append(cmp("rag", "ft", 0.20, 0.08, 0.32, 0.004, metric="freshness"))
    out = recommend(res, weekly)
    assert out.choice == "rag"
    assert "paired diff -0.20 [-0.32, -0.08], p=0.004" in out.excluded["ft"]
    # shares without intervals ("after" only) count when the gap is clear
    del res["comparisons"][-1]
    for name, new in (("rag", 0.6), ("ft", 0.2)):
        res["freshness"]["arms"][name] = {"after": {"new": new, "old": 1 - new, "idk": 0.0, "other": 0.0}}
    assert recommend(res, weekly).choice == "rag"
    # with no retrieving arm left to compare with, the fine-tuned arm stays, with the caveat
    closed = recommend(res, ConstraintsConfig(content_changes="weekly", closed_environment=True))
    assert closed.choice == "ft" and any("no remaining retrieving arm" in c for c in closed.caveats)


def test_a_specialized_use_case_prefers_fine_tuning_only_within_non_significance():
    res = results(
        arm("rag", (0.70, 0.60, 0.80)),
        arm("ft", (0.66, 0.56, 0.76)),
        comparisons=[cmp("rag", "ft", 0.04, -0.05, 0.13, 0.4)],
    )
    assert recommend(res, ConstraintsConfig()).choice == "rag"  # rag is the simpler
    rec = recommend(res, ConstraintsConfig(specialized=True))
    assert rec.choice == "ft"
    assert "rag's lead over ft (diff +0.04 [-0.05, +0.13], p=0.4) is not significant, so the fine-tuned ft" in text(rec)
    assert "specialized=true" in text(rec)
    res["comparisons"] = [cmp("rag", "ft", 0.14, 0.05, 0.23, 0.004)]
    rec = recommend(res, ConstraintsConfig(specialized=True))
    assert rec.choice == "rag"
    assert "ft is significantly less accurate than rag (diff -0.14 [-0.23, -0.05], p=0.004)" in text(rec)


def test_ft_wins_in_a_closed_environment_when_significantly_better_than_base():
    res = results(
        arm("base", (0.30, 0.20, 0.40)),
        arm("rag", (0.80, 0.70, 0.90)),
        arm("ft", (0.55, 0.45, 0.65)),
        arm("hybrid", (0.85, 0.76, 0.93)),
        comparisons=[cmp("ft", "base", 0.25, 0.12, 0.38, 0.001)],
    )
    rec = recommend(res, ConstraintsConfig(closed_environment=True))
    assert rec.choice == "ft"
    assert set(rec.excluded) == {"rag", "hybrid"}
    assert all("no retrieval store can run in the deployment" in why for why in rec.excluded.values())
    reasons = text(rec)
    assert "closed_environment" in reasons
    assert "ft vs base on accuracy: diff +0.25 [+0.12, +0.38], p=0.001 (significant)" in reasons


def test_ft_wins_when_content_never_changes_and_retrieving_arms_miss_the_latency_target():
    res = results(
        arm("base", (0.30, 0.20, 0.40), p95=0.9),
        arm("rag", (0.70, 0.60, 0.80), p95=3.0),
        arm("ft", (0.60, 0.50, 0.70), p95=1.0, update_s=160.0, update_usd=0.0045),
        arm("hybrid", (0.72, 0.62, 0.82), p95=3.5),
        comparisons=[cmp("base", "ft", -0.30, -0.42, -0.18, 0.0004)],
    )
    rec = recommend(res, ConstraintsConfig(content_changes="never", traceable=False, latency_p95_s=1.5))
    assert rec.choice == "ft"
    assert set(rec.excluded) == {"rag", "hybrid"}
    assert "3 s" in rec.excluded["rag"] and "1.5 s" in rec.excluded["rag"]
    reasons = text(rec)
    assert "latency_p95_s=1.5 s" in reasons and "rag (p95 3 s)" in reasons
    assert "never" in reasons and "$0.0045" in reasons  # staleness costs nothing, retraining cost cited
    assert "ft vs base on accuracy: diff +0.30 [+0.18, +0.42], p<0.001" in reasons  # reversed pair re-oriented


def test_hybrid_wins_when_significantly_better_than_rag_and_answers_must_be_traceable():
    res = results(
        arm("base", (0.35, 0.25, 0.45)),
        arm("rag", (0.60, 0.50, 0.70), citation=(0.70, 0.60, 0.80)),
        arm("ft", (0.50, 0.40, 0.60)),
        arm("hybrid", (0.80, 0.70, 0.90), citation=(0.88, 0.80, 0.95)),
        comparisons=[cmp("hybrid", "rag", 0.20, 0.10, 0.30, 0.002)],
    )
    rec = recommend(res, ConstraintsConfig(traceable=True))
    assert rec.choice == "hybrid"
    reasons = text(rec)
    assert "hybrid vs rag on accuracy: diff +0.20 [+0.10, +0.30], p=0.002 (significant)" in reasons
    assert "citation accuracy 0.88 [0.80, 0.95]" in reasons and "0.80 [0.70, 0.90]" in reasons


# ---------------------------------------------------------------- ties and simplicity


def _tie(**base_kwargs: Any) -> dict[str, Any]:
    return results(
        arm("base", (0.30, 0.20, 0.40), **base_kwargs),
        arm("rag", (0.62, 0.52, 0.72)),
        arm("hybrid", (0.66, 0.56, 0.76)),
        comparisons=[
            cmp("rag", "hybrid", -0.04, -0.11, 0.03, 0.27),  # given as rag - hybrid
            cmp("hybrid", "base", 0.36, 0.24, 0.48, 0.0001),
        ],
    )


def test_a_lead_that_is_not_significant_goes_to_the_simpler_arm():
    rec = recommend(_tie(), ConstraintsConfig())
    assert rec.choice == "rag"
    assert "hybrid's lead over rag (diff +0.04 [-0.03, +0.11], p=0.27) is not significant, so the simpler rag" in text(
        rec
    )
    assert rec.ranking == ["rag", "hybrid", "base"]


def test_a_specialized_use_case_keeps_the_fine_tuned_arm_within_non_significance():
    rec = recommend(_tie(), ConstraintsConfig(specialized=True))
    assert rec.choice == "hybrid"
    reasons = text(rec)
    assert "specialized" in reasons and "p=0.27" in reasons


def test_base_is_chosen_only_when_it_is_not_significantly_worse():
    res = _tie()
    assert recommend(res, ConstraintsConfig()).choice != "base"  # simpler, but significantly worse
    res["comparisons"][1] = cmp("hybrid", "base", 0.05, -0.02, 0.12, 0.2)
    res["comparisons"].append(cmp("rag", "base", 0.03, -0.04, 0.10, 0.4))
    res["metrics"]["base"]["accuracy"] = iv(0.61, 0.51, 0.71, 60)
    rec = recommend(res, ConstraintsConfig())
    assert rec.choice == "base"
    assert "hybrid's lead over base (diff +0.05 [-0.02, +0.12], p=0.2) is not significant" in text(rec)


def test_a_simpler_arm_significantly_worse_than_the_runner_up_is_not_chosen():
    res = _tie()
    res["comparisons"][1] = cmp("hybrid", "base", 0.10, -0.01, 0.21, 0.08)  # not significant against the leader
    res["comparisons"].append(cmp("rag", "base", 0.12, 0.04, 0.20, 0.01))  # but significant against rag
    assert recommend(res, ConstraintsConfig()).choice == "rag"


# ---------------------------------------------------------------- constraints that remove everything


def test_a_budget_that_excludes_every_arm_gives_no_choice_and_names_the_budget():
    res = results(
        arm("base", (0.3, 0.2, 0.4), per_1k=0.01),
        arm("rag", (0.7, 0.6, 0.8), per_1k=0.03),
        arm("ft", (0.5, 0.4, 0.6), per_1k=0.02),
    )
    rec = recommend(res, ConstraintsConfig(budget_usd_month=0.5, queries_per_month=100_000))
    assert rec.choice is None and rec.variant is None and rec.ranking == []
    assert set(rec.excluded) == {"base", "rag", "ft"}
    assert "$1.00/month" in rec.excluded["base"] and "budget_usd_month" in rec.excluded["base"]
    last = rec.reasons[-1]
    assert "budget_usd_month removed the last arms" in last and "at least $1.00/month" in last
    assert rec.lines()[0] == "Recommendation: none (no arm qualifies)"


def test_the_monthly_cost_counts_updates_at_the_stated_frequency():
    res = results(
        arm("rag", (0.6, 0.5, 0.7), per_1k=0.02, update_usd=0.001),
        arm("ft", (0.7, 0.6, 0.8), per_1k=0.02, update_usd=1.0),
        comparisons=[cmp("ft", "rag", 0.1, 0.02, 0.18, 0.01)],
    )
    # 10k queries: $0.20 serving; daily updates: ft + 30 x $1.00 = $30.20, rag + 30 x $0.001 = $0.23
    rec = recommend(res, ConstraintsConfig(content_changes="daily", budget_usd_month=5.0))
    assert rec.choice == "rag"
    assert "$30.20/month" in rec.excluded["ft"]
    assert recommend(res, ConstraintsConfig(content_changes="yearly", budget_usd_month=5.0)).choice == "ft"


def test_closed_environment_and_traceability_together_exclude_everything():
    res = results(arm("rag", (0.7, 0.6, 0.8)), arm("ft", (0.5, 0.4, 0.6)))
    rec = recommend(res, ConstraintsConfig(closed_environment=True, traceable=True))
    assert rec.choice is None
    assert "traceable removed the last arms (ft)" in rec.reasons[-1]
    assert "closed_environment" in rec.reasons[-1]


# ---------------------------------------------------------------- robustness and caveats


def test_missing_freshness_comparisons_and_null_metrics_do_not_crash():
    res = results(
        arm("base", None, hallucination=None, p50=None, p95=None, per_1k=None),
        arm("rag", (0.6, 0.5, 0.7), hallucination=None),
        arm("ft", (0.5, 0.4, 0.6)),
        freshness=False,
    )
    del res["comparisons"]
    del res["performance"]["ft"]
    res["freshness"] = None
    rec = recommend(
        res,
        ConstraintsConfig(
            content_changes="weekly",
            traceable=False,
            closed_environment=False,
            specialized=True,
            budget_usd_month=100.0,
            latency_p95_s=5.0,
        ),
    )
    assert rec.choice == "rag"
    assert rec.excluded["base"] == "no accuracy measured"
    assert any("no paired accuracy comparison" in c for c in rec.caveats)
    assert any("no p95 latency measured for base, ft" in c for c in rec.caveats)
    json.dumps(rec.to_json())
    assert recommend({}, ConstraintsConfig()).choice is None
    assert (
        recommend({"arms": [{"name": "rag", "variant": "rag"}], "metrics": {"rag": None}}, ConstraintsConfig()).choice
        is None
    )


def test_caveats_name_few_questions_little_training_data_stale_models_and_unknown_constraints():
    res = results(
        arm("rag", (0.6, 0.4, 0.8), n=12),
        arm("ft", (0.5, 0.3, 0.7), n=12),
        comparisons=[cmp("rag", "ft", 0.1, -0.1, 0.3, 0.3)],
        models={"ft": {"method": "lora", "stale": ["documents changed"]}},
    )
    rec = recommend(res, ConstraintsConfig(), training_questions=20)
    caveats = "\n".join(rec.caveats)
    assert "n=12" in caveats
    assert "fine-tuning had only 20 training questions" in caveats
    assert "ft model is stale (documents changed)" in caveats
    assert "not stated" in caveats and "content_changes" in caveats and "latency_p95_s" in caveats
    quiet = recommend(
        results(
            arm("rag", (0.6, 0.5, 0.7)),
            arm("ft", (0.5, 0.4, 0.6)),
            comparisons=[cmp("rag", "ft", 0.1, 0.02, 0.18, 0.01)],
        ),
        ConstraintsConfig(
            content_changes="never",
            traceable=False,
            closed_environment=False,
            specialized=False,
            budget_usd_month=10.0,
            latency_p95_s=5.0,
        ),
        training_questions=200,
    )
    assert quiet.caveats == []


def test_to_json_and_lines_carry_the_recommendation():
    rec = recommend(_tie(), ConstraintsConfig(traceable=True))
    data = json.loads(json.dumps(rec.to_json()))
    assert set(data) == {"choice", "variant", "reasons", "excluded", "ranking", "caveats", "constraints", "workloads",
                         "combination"}
    assert data["choice"] == "rag" and data["constraints"]["traceable"] is True
    lines = rec.lines()
    assert lines[0] == "Recommendation: rag"
    assert f"  - {rec.reasons[0]}" in lines and "Excluded:" in lines and "  - base: " in "\n".join(lines)


def test_extra_arms_take_their_variants_place():
    res = results(
        arm("rag", (0.60, 0.50, 0.70)),
        arm("rag-k2", (0.63, 0.53, 0.73), variant="rag"),
        arm("hybrid", (0.65, 0.55, 0.75)),
        comparisons=[cmp("hybrid", "rag", 0.05, -0.02, 0.12, 0.2), cmp("hybrid", "rag-k2", 0.02, -0.05, 0.09, 0.6)],
    )
    rec = recommend(res, ConstraintsConfig())
    assert (rec.choice, rec.variant) == ("rag-k2", "rag")  # simplest variant; the more accurate of the two
    assert rec.lines()[0] == "Recommendation: rag-k2 (variant rag)"
    assert recommend(res, ConstraintsConfig(closed_environment=True)).choice is None


# ---------------------------------------------------------------- the interview


class Script:
    """A fake terminal: answers in order, and records the prompts and messages."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.said: list[str] = []

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)

    def say(self, message: str) -> None:
        self.said.append(message)


def test_ask_constraints_asks_only_the_unknown_ones_and_types_the_answers():
    known = ConstraintsConfig(content_changes="weekly", closed_environment=False, budget_usd_month=50.0)
    script = Script("yes", "n", "2.5s")
    out = ask_constraints(known, ask=script.ask, say=script.say)
    assert len(script.prompts) == 3
    assert "cite their sources" in script.prompts[0] and "specialized" in script.prompts[1]
    assert "Latency" in script.prompts[2]
    assert out.traceable is True and out.specialized is False and out.latency_p95_s == 2.5
    assert (out.content_changes, out.closed_environment, out.budget_usd_month) == ("weekly", False, 50.0)
    assert known.traceable is None  # a new config


def test_ask_constraints_reasks_on_invalid_answers_naming_the_allowed_values():
    script = Script("sometimes", "Monthly", "maybe", "no", "", "y", "lots", "-3", "$200", "")
    out = ask_constraints(ConstraintsConfig(), ask=script.ask, say=script.say)
    assert len(script.prompts) == 10
    assert script.prompts[0] == script.prompts[1]  # asked again
    assert "never, yearly, quarterly, monthly, weekly, daily" in script.said[0]
    assert "yes or no" in script.said[1]
    assert "number" in script.said[2] and "number" in script.said[3]
    assert out.content_changes == "monthly" and out.traceable is False and out.closed_environment is None
    assert out.specialized is True and out.budget_usd_month == 200.0 and out.latency_p95_s is None
    assert ConstraintsConfig.model_validate(out.model_dump()) == out


@pytest.mark.parametrize("answer", ["0", "fast"])
def test_ask_constraints_rejects_a_zero_or_non_numeric_latency(answer):
    script = Script(answer, "1.2")
    out = ask_constraints(
        ConstraintsConfig(
            content_changes="never", traceable=False, closed_environment=False, specialized=False, budget_usd_month=1.0
        ),
        ask=script.ask,
        say=script.say,
    )
    assert out.latency_p95_s == 1.2 and len(script.said) == 1 and "above 0" in script.said[0]


def test_a_simpler_arm_that_hallucinates_significantly_more_is_not_preferred():
    # the example's closed-environment case: ft's accuracy lead over base is not significant, its hallucination
    # advantage is; base must not win on simplicity alone
    res = results(
        arm("base", (0.00, 0.00, 0.00), hallucination=1.0),
        arm("ft", (0.07, 0.02, 0.13), hallucination=0.87),
        comparisons=[cmp("base", "ft", -0.07, -0.13, -0.02, 0.12),
                     cmp("base", "ft", 0.13, 0.05, 0.22, 0.0085, metric="hallucination")],
    )
    rec = recommend(res, ConstraintsConfig(closed_environment=True))
    assert rec.choice == "ft"
    assert "significantly worse on hallucination" in text(rec) and "p=0.0085" in text(rec)
    # the same run with a hallucination gap that is not significant: base wins on simplicity
    res["comparisons"][1] = cmp("base", "ft", 0.13, -0.01, 0.22, 0.09, metric="hallucination")
    assert recommend(res, ConstraintsConfig(closed_environment=True)).choice == "base"


# ---------------------------------------------------------------- tasks as workloads


def _task(primary: str, means: dict[str, float], comparisons: list[dict[str, Any]], kind: str = "classify",
          chance: float | None = None) -> dict[str, Any]:
    return {"kind": kind, "primary": primary, "rows": 60, "chance": chance,
            "arms": {a: {"metrics": {primary: iv(m, m - 0.1, m + 0.1, 60)}} for a, m in means.items()},
            "comparisons": comparisons}


def test_tasks_get_their_own_arm_and_the_combination_is_named():
    route = _task("correct", {"base": 0.20, "few-shot": 0.50, "rag": 0.25, "ft": 0.90, "hybrid": 0.88},
                  [cmp("ft", "few-shot", 0.40, 0.25, 0.55, 0.001, "correct"),
                   cmp("hybrid", "ft", -0.02, -0.08, 0.04, 0.6, "correct"),
                   cmp("ft", "base", 0.70, 0.55, 0.85, 0.001, "correct")])
    quiz = _task("correct", {"base": 0.26, "few-shot": 0.27, "rag": 0.70}, [cmp("rag", "few-shot", 0.43, 0.3, 0.55,
                 0.001, "correct")], kind="choice", chance=0.25)
    res = results(arm("base", (0.30, 0.20, 0.40)), arm("rag", (0.70, 0.60, 0.80)), arm("ft", (0.45, 0.35, 0.55)),
                  arm("hybrid", (0.66, 0.55, 0.76)), comparisons=[cmp("rag", "hybrid", 0.04, -0.03, 0.11, 0.30)],
                  tasks={"route": route, "quiz": quiz})
    rec = recommend(res, ConstraintsConfig(content_changes="weekly"))
    assert rec.choice == "rag"
    assert rec.workloads == {"route": "ft", "quiz": "rag"}  # hybrid ties ft on route but ft is simpler
    line = next(r for r in rec.reasons if r.startswith("task route"))
    assert "ft has accuracy 0.90 [0.80, 1.00] (n=60)" in line and "few-shot 0.50" in line
    assert "chance is 0.25" in next(r for r in rec.reasons if r.startswith("task quiz"))
    assert rec.combination == "hybrid" and any("fine-tune for behaviour, retrieve for facts" in r for r in rec.reasons)
    assert "Per task: route -> ft, quiz -> rag; together: hybrid" in rec.lines()
    closed = recommend(res, ConstraintsConfig(closed_environment=True))
    assert closed.workloads["quiz"] == "few-shot" and closed.combination is None  # no retrieval allowed


def test_a_question_sets_multiple_choice_rows_are_a_workload_with_their_chance_level():
    exam = _task("correct", {"base": 0.30, "rag": 0.75, "ft": 0.35},
                 [cmp("rag", "base", 0.45, 0.30, 0.60, 0.001, "correct"),
                  cmp("rag", "ft", 0.40, 0.25, 0.55, 0.001, "correct")], kind="choice", chance=0.25)
    res = results(arm("base", (0.30, 0.20, 0.40)), arm("rag", (0.70, 0.60, 0.80)), arm("ft", (0.45, 0.35, 0.55)),
                  comparisons=[cmp("rag", "ft", 0.25, 0.1, 0.4, 0.001)], multiple_choice=exam)
    rec = recommend(res, ConstraintsConfig())
    assert rec.workloads == {"questions (multiple choice)": "rag"}
    line = next(r for r in rec.reasons if r.startswith("questions (multiple choice)"))
    assert "rag has accuracy 0.75" in line and "chance is 0.25" in line and "base 0.30" in line
