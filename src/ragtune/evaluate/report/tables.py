"""The report's summary tables: answer quality per arm (with intervals), speed and cost, and what the columns mean.

The best value of each column is highlighted: highest, or lowest where lower is better (hallucination, latency,
size, cost); abstention is not ranked.
"""

from __future__ import annotations

from ragtune.evaluate.formatting import fmt_number, interval_text
from ragtune.evaluate.report.markup import e, section, table
from ragtune.evaluate.report.run import RunView
from ragtune.results.fields import finite

# aggregate metric -> (column label, meaning, direction: 1 higher is better, -1 lower is better, 0 neither)
QUALITY: dict[str, tuple[str, str, int]] = {
    "accuracy": (
        "accuracy",
        "answerable: the gold answer (or an alias) is contained and the model did not abstain; "
        "unanswerable: it abstained",
        1,
    ),
    "exact_match": (
        "exact match",
        "answerable: the normalized answer equals a gold form (lowercase, Unicode NFKC, "
        "no punctuation, articles or [n] markers)",
        1,
    ),
    "f1": ("F1", "answerable: token F1 against the best gold form", 1),
    "contains": ("contains", "answerable: a normalized gold form occurs in the normalized answer", 1),
    "hallucination": ("hallucination", "all: answered (did not abstain) but not correct; lower is better", -1),
    "abstention": ("abstention", "all: the answer says it does not know (neither good nor bad by itself)", 0),
    "abstention_accuracy": ("abstention acc.", "unanswerable questions: the model abstained", 1),
    "faithfulness": (
        "faithfulness",
        "answered: the answer's numbers and most of its content words occur in the "
        "retrieved sources (retrieving arms) or in the gold source document (the others)",
        1,
    ),
    "unsupported": (
        "flagged unsupported",
        "retrieving arms with the grounding check on (answer.grounding): the check found a number, date or name "
        "of the model's answer in none of its cited or retrieved sources, before the policy acted (an abstention "
        "is not flagged)",
        0,
    ),
    "citation_rate": ("citation rate", "answered, retrieving arms: the answer cites at least one source", 1),
    "citation_accuracy": (
        "citation acc.",
        "answered, cited and answerable, retrieving arms: a cited source contains the gold answer",
        1,
    ),
    "recall": ("recall@k", "answerable, retrieving arms: the gold document is among the top k retrieved documents", 1),
    "mrr": ("MRR", "answerable, retrieving arms: 1 / rank of the gold document", 1),
    "ndcg": ("nDCG", "answerable, retrieving arms: nDCG@k over documents, binary relevance", 1),
    "judge": ("judge", "all (with a judge): the judge model's verdict", 1),
}
# (source table, key) -> (column label, unit, direction)
PERFORMANCE: dict[tuple[str, str], tuple[str, str, int]] = {
    ("performance", "latency_p50_s"): ("latency p50", "s", -1),
    ("performance", "latency_p95_s"): ("latency p95", "s", -1),
    ("performance", "ttft_p50_s"): ("TTFT p50", "s", -1),
    ("performance", "decode_tokens_per_s"): ("decode tokens/s", "", 1),
    ("performance", "throughput_qps"): ("throughput q/s", "", 1),
    ("performance", "weights_mb"): ("weights MB", "", -1),
    ("performance", "peak_rss_mb"): ("peak RSS MB", "", -1),
    ("cost", "per_1k_queries_usd"): ("$ / 1k queries", "$", -1),
    ("cost", "training_usd"): ("training $", "$", -1),
    ("cost", "update_s"): ("update time", "s", -1),
    ("cost", "update_usd"): ("update $", "$", -1),
}


def summary(view: RunView) -> str:
    """The Summary section: the quality table, the speed-and-cost table and the legend."""
    if not view.arms:
        return section("summary", "Summary", '<p class="muted">No arms in this run.</p>')
    metric_keys = list(QUALITY)
    for arm in view.arms:  # metrics the document does not list still show, after the known ones
        metric_keys += [k for k in view.run.metrics.get(arm) or {} if k not in metric_keys]
    shown = [k for k in metric_keys if any(view.metric(a, k).mean is not None for a in view.arms)]
    if shown:
        quality = "<h3>Answer quality</h3>" + _quality_table(view, shown)
    else:
        quality = '<p class="muted">No quality metrics in this run.</p>'
    return section("summary", "Summary", quality + _speed_and_cost(view) + _legend(view, shown))


def _quality_table(view: RunView, shown: list[str]) -> str:
    head = ["arm"] + [
        f'<th class="num" title="{e(QUALITY.get(k, (k, k, 1))[1])}">{e(QUALITY.get(k, (k, "", 1))[0])}</th>'
        for k in shown
    ]
    best = {
        k: _best({a: view.metric(a, k).mean for a in view.arms}, QUALITY.get(k, ("", "", 0))[2])
        for k in shown
    }
    rows = []
    for a in view.arms:
        row = [view.arm_cell(a)]
        for k in shown:
            iv = view.metric(a, k)
            cls = "num best" if a in best[k] else "num"
            n = f' title="n = {e(iv.n)}"' if iv.n is not None else ""
            row.append(f'<td class="{cls}"{n}>{e(interval_text(iv))}</td>')
        rows.append(row)
    return table(head, rows)


def _speed_and_cost(view: RunView) -> str:
    cols = [c for c in PERFORMANCE if any(view.figure(*c, a) is not None for a in view.arms)]
    if not cols:
        return ""
    head = ["arm"] + [f'<th class="num">{e(PERFORMANCE[c][0])}</th>' for c in cols]
    best = {c: _best({a: view.figure(*c, a) for a in view.arms}, PERFORMANCE[c][2]) for c in cols}
    rows = []
    for a in view.arms:
        how = view.run.arm_cost(a).update_how
        row = [view.arm_cell(a)]
        for c in cols:
            cls = "num best" if a in best[c] else "num"
            tip = f' title="{e(how)}"' if c == ("cost", "update_s") and how else ""
            row.append(f'<td class="{cls}"{tip}>{e(fmt_number(view.figure(*c, a), PERFORMANCE[c][1]))}</td>')
        rows.append(row)
    hourly = view.run.cost.hourly_usd if view.run.cost else None
    note = (
        f'<p class="small muted">Costs assume {e(fmt_number(hourly, "$"))} per hour of compute.</p>'
        if hourly is not None
        else ""
    )
    out = "<h3>Speed and cost</h3>" + table(head, rows) + note
    hows = [(a, view.run.arm_cost(a).update_how) for a in view.arms]
    hows = [(a, h) for a, h in hows if h]
    if hows:
        out += (
            '<p class="small">How each arm takes in a knowledge update: '
            + "; ".join(f"<strong>{e(a)}</strong>: {e(h)}" for a, h in hows)
            + ".</p>"
        )
    return out


def _best(values: dict[str, float | None], direction: int) -> set[str]:
    """The arms holding the best value (ties all), when at least two differ."""
    known = {a: v for a, v in values.items() if v is not None}
    if direction == 0 or len(known) < 2 or len(set(known.values())) < 2:
        return set()
    target = max(known.values()) if direction > 0 else min(known.values())
    return {a for a, v in known.items() if v == target}


def _legend(view: RunView, shown: list[str]) -> str:
    evaluation = view.run.config.get("evaluation")
    evaluation = evaluation if isinstance(evaluation, dict) else {}
    conf, boot = finite(evaluation.get("confidence")), evaluation.get("bootstrap")
    level = f"{conf * 100:.0f}% " if conf is not None and conf <= 1 else ""
    resamples = f" ({e(boot)} resamples)" if boot is not None else ""
    items = "".join(f"<dt>{e(QUALITY[k][0])}</dt><dd>{e(QUALITY[k][1])}</dd>" for k in shown if k in QUALITY)
    return (
        '<details class="legend box"><summary><strong>What the columns mean</strong></summary>'
        '<p class="small">Each cell is the mean over the n questions the metric applies to (hover for n), '
        "with its "
        f"{level}percentile bootstrap confidence interval in brackets{resamples}: "
        "0.41 (0.29–0.53) means the mean is 0.41 and the interval runs from 0.29 to 0.53. "
        "A dash means the metric does not apply to that arm. The best value of each column is highlighted "
        "(lowest for hallucination, latency, size and cost; abstention is not ranked).</p>"
        f'<dl class="facts small">{items}'
        "<dt>latency p50 / p95</dt><dd>median / 95th percentile seconds to answer one question</dd>"
        "<dt>TTFT p50</dt><dd>median seconds to the first generated token</dd>"
        "<dt>decode tokens/s</dt><dd>generation speed of one answer</dd>"
        "<dt>throughput q/s</dt><dd>questions answered per second in a batch</dd>"
        "<dt>weights MB / peak RSS MB</dt><dd>model size on disk / peak process memory</dd>"
        "<dt>$ / 1k queries, training $</dt><dd>compute cost at the configured hourly price</dd>"
        "<dt>update time / $</dt><dd>what it takes to bring the arm up to date after a knowledge change "
        "(re-index for retrieving arms, retraining for trained ones)</dd></dl></details>"
    )
