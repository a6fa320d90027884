"""From samples to the numbers of results.json: intervals per arm, paired comparisons, costs."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ragtune import variants
from ragtune.config import EvaluationConfig
from ragtune.evaluate.metrics import AGGREGATES
from ragtune.evaluate.stats import interval, paired
from ragtune.results import Sample
from ragtune.results.models import COMPARED


def _by_arm(samples: list[Sample], phase: str) -> dict[str, dict[str, Sample]]:
    """arm -> question id -> sample, for one phase."""
    out: dict[str, dict[str, Sample]] = {}
    for s in samples:
        if s.phase == phase:
            out.setdefault(str(s.arm), {})[str(s.id)] = s
    return out


def _column(rows: dict[str, Sample], ids: list[str], key: str) -> list[float | None]:
    return [rows[i].metrics.get(key) if i in rows else None for i in ids]


def metric_intervals(samples: list[Sample], arms: list[str], ev: EvaluationConfig) -> dict[str, Any]:
    """arm -> aggregate metric -> {mean, low, high, n} over the test phase."""
    rows = _by_arm(samples, "test")
    out: dict[str, Any] = {}
    for arm in arms:
        ids = list(rows.get(arm, {}))
        out[arm] = {name: interval(_column(rows[arm], ids, key), resamples=ev.bootstrap, confidence=ev.confidence,
                                   seed=ev.seed)
                    for key, name in AGGREGATES.items()} if ids else {}
    return out


def comparisons(samples: list[Sample], arms: list[str], ev: EvaluationConfig) -> list[dict[str, Any]]:
    """Paired tests between every two arms on the same questions, for the key metrics and freshness."""
    names = {name: key for key, name in AGGREGATES.items()}
    plans = [("test", names[metric], metric) for metric in COMPARED] + [("fresh_after", "updated", "freshness")]
    by_phase = {phase: _by_arm(samples, phase) for phase in {phase for phase, _, _ in plans}}  # each built once
    return [test for phase, key, metric in plans for test in pairwise(by_phase[phase], arms, key, metric, ev)]


def pairwise(rows: dict[str, dict[str, Sample]], arms: list[str], key: str, metric: str,
             ev: EvaluationConfig) -> list[dict[str, Any]]:
    """The paired test of per-row metric ``key`` (reported as ``metric``) between every two arms, on the rows both
    were scored on (arm -> row id -> sample)."""
    out = []
    for a, b in combinations([arm for arm in arms if arm in rows], 2):
        ids = [i for i in rows[a] if i in rows[b]]
        test = paired(_column(rows[a], ids, key), _column(rows[b], ids, key), resamples=ev.bootstrap,
                      confidence=ev.confidence, seed=ev.seed)
        if test["n"]:
            out.append({"metric": metric, "a": a, "b": b, **test})
    return out


def costs(arms: list[dict[str, Any]], performance: dict[str, Any], training: dict[str, float],
          data_s: float | None, reindex_s: float | None, hourly_usd: float) -> dict[str, Any]:
    """$ per 1,000 queries at the measured batched speed, the training bill, and the cost of one knowledge update
    (re-index for retrieval, rebuild the data and retrain for tuned models; base cannot be updated)."""
    per_s = hourly_usd / 3600

    def usd(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds * per_s, 6)

    out: dict[str, Any] = {"hourly_usd": hourly_usd, "arms": {}}
    for arm in arms:
        name, variant = arm["name"], arm["variant"]
        perf = performance.get(name, {})
        train_s = training.get(variant)
        retrain = None if train_s is None else train_s + (data_s or 0.0)
        spec = variants.get(variant)
        steps = [*([retrain] if spec.trained else []), *([reindex_s] if spec.retrieves else [])]
        update_s = None if not steps or None in steps else sum(steps)  # None: cannot be updated, or not measured
        per_query = perf.get("batch_s_per_question")
        out["arms"][name] = {
            "per_1k_queries_usd": None if per_query is None else round(1000 * per_query * per_s, 6),
            "training_s": train_s, "training_usd": usd(train_s) if train_s is not None else 0.0,
            "update_s": None if update_s is None else round(update_s, 2), "update_usd": usd(update_s),
            "update_how": spec.update_how,
        }
    return out
