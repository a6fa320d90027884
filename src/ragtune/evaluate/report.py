"""The self-contained HTML report of a comparison run, rendered from its results.json and samples.jsonl.

One file that works offline: inline CSS, inline SVG charts, a small inline script for filtering (the page reads
fine without it). Every string that comes from the run is escaped. Missing or null pieces are shown as absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from ragtune.errors import InputError
from ragtune.evaluate import plots
from ragtune.evaluate.plots import PALETTE, finite, fmt_number
from ragtune.evaluate.summary import arm_names

NONE = "–"
SOURCE_CHARS = 600
PHASES = {
    "test": "Test questions",
    "fresh_before": "Freshness: before the update",
    "fresh_after": "Freshness: after the update",
}
OUTCOMES = ("new", "old", "idk", "other")

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
BAR_METRICS = ("accuracy", "f1", "hallucination", "faithfulness", "citation_accuracy", "recall")

CSS = """
:root{--ink:#1f2328;--muted:#5f6670;--line:#d8dde3;--soft:#f5f7f9;--ok:#0a7d55;--bad:#b3410e;--accent:#0072B2}
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);
 margin:0 auto;padding:1.5rem 1.25rem 4rem;max-width:1180px;background:#fff}
h1{font-size:1.7rem;margin:.2rem 0 .6rem}h2{font-size:1.3rem;margin:2.4rem 0 .7rem;padding-bottom:.25rem;
 border-bottom:2px solid var(--line)}h3{font-size:1.05rem;margin:1.4rem 0 .5rem}
nav{font-size:.9rem;margin:.4rem 0 1rem}nav a{margin-right:.9rem;color:var(--accent)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.box{border:1px solid var(--line);border-radius:8px;padding:.8rem 1.1rem;margin:1rem 0;background:var(--soft)}
.warn{border-color:#e0a800;background:#fff8e1}.warn h2,.warn h3{margin-top:0;border:0}
.rec{border-left:6px solid var(--accent)}.choice{font-size:2rem;font-weight:700;margin:.1rem 0 .4rem}
.muted{color:var(--muted)}.small{font-size:.85rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.best{background:#dff3e8;font-weight:700}
.verdict-sig{color:var(--ok);font-weight:600}.verdict-ns{color:var(--muted);font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:.5rem;break-inside:avoid}
figcaption{font-size:.85rem;color:var(--muted);margin-top:.3rem}
svg.chart{width:100%;height:auto;display:block}
.swatch{display:inline-block;width:.75em;height:.75em;border-radius:2px;margin-right:.3em;vertical-align:baseline}
details.q{border:1px solid var(--line);border-radius:6px;margin:.45rem 0;background:#fff}
details.q>summary{cursor:pointer;padding:.5rem .75rem;list-style-position:outside;margin-left:1rem}
details.q[open]>summary{background:var(--soft);border-bottom:1px solid var(--line)}
.qhead{display:block}.qid{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--muted);margin-right:.5rem}
.qtext{font-weight:600}.gold{display:block;font-size:.88rem;color:var(--muted)}
.answers{display:grid;grid-template-columns:minmax(80px,max-content) 1fr;gap:.15rem .8rem;margin-top:.35rem;
 font-size:.9rem}
.arm{font-weight:600;white-space:nowrap}
.badge{display:inline-block;min-width:1.4em;text-align:center;border-radius:4px;padding:0 .3em;margin-right:.35em;
 font-weight:700;font-size:.85rem}
.b-ok{background:#d5f0e3;color:#0a5c3f}.b-bad{background:#fbe0d3;color:#8a2f06}.b-na{background:#eceff2;color:#555}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 .45em;font-size:.78rem;
 color:var(--muted);margin-left:.35em;background:#fff}
.detail{padding:.5rem .9rem .8rem}.detail h4{margin:.8rem 0 .3rem;font-size:.95rem}
ol.sources{margin:.2rem 0;padding-left:1.2rem}ol.sources li{margin:.3rem 0}
.src-text{display:block;white-space:pre-wrap;font-size:.85rem;color:#333;background:var(--soft);padding:.3rem .5rem;
 border-radius:4px;margin-top:.15rem}
.cited{border-left:3px solid var(--ok);padding-left:.4rem}
#filters{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;margin:.6rem 0;padding:.5rem .8rem}
#filters input[type=search]{padding:.3rem .5rem;min-width:16rem;font:inherit}
pre{background:var(--soft);padding:.8rem;border-radius:6px;overflow-x:auto;font-size:.85rem}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem}
@media print{body{max-width:none;padding:0;font-size:11pt}nav,#filters{display:none}
 details.q{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}}
"""

SCRIPT = """
(function(){
  var box=document.getElementById('filters');
  if(!box){return;}
  box.hidden=false;
  var text=document.getElementById('f-text'), dis=document.getElementById('f-disagree');
  var count=document.getElementById('f-count');
  var wrong=Array.prototype.slice.call(document.querySelectorAll('input.f-wrong'));
  var items=Array.prototype.slice.call(document.querySelectorAll('details.q'));
  function apply(){
    var t=text.value.trim().toLowerCase(), shown=0;
    var arms=wrong.filter(function(c){return c.checked;}).map(function(c){return c.value;});
    items.forEach(function(el){
      var ok=true, head=el.querySelector('summary');
      if(t && (head ? head.textContent : el.textContent).toLowerCase().indexOf(t)===-1){ok=false;}
      if(ok && dis.checked && el.getAttribute('data-disagree')!=='1'){ok=false;}
      if(ok && arms.length){
        var w=' '+(el.getAttribute('data-wrong')||'')+' ';
        arms.forEach(function(a){if(w.indexOf(' '+a+' ')===-1){ok=false;}});
      }
      el.hidden=!ok;
      if(ok){shown++;}
    });
    count.textContent=shown+' of '+items.length+' questions shown';
  }
  text.addEventListener('input',apply);
  dis.addEventListener('change',apply);
  wrong.forEach(function(c){c.addEventListener('change',apply);});
  apply();
  window.addEventListener('beforeprint',function(){
    Array.prototype.forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});
  });
})();
"""


# --------------------------------------------------------------------------- small helpers


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A data value as display text: ``–`` for null/missing, lists joined."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or NONE
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items()) or NONE
    return str(value)


def _score(value: Any) -> str:
    v = finite(value)
    return NONE if v is None else f"{v:.2f}"


def _interval_text(iv: Any) -> str:
    """``0.41 (0.29–0.53)`` for an interval mapping, ``–`` when its mean is missing."""
    iv = _map(iv)
    mean = finite(iv.get("mean"))
    if mean is None:
        return NONE
    low, high = finite(iv.get("low")), finite(iv.get("high"))
    return f"{mean:.2f}" if low is None or high is None else f"{mean:.2f} ({low:.2f}–{high:.2f})"


def _metric_value(value: Any) -> str:
    """A per-question metric: integers (0/1 flags) as they are, fractions with two decimals."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _score(value) if finite(value) is not None else _text(value)


def _p(value: Any) -> str:
    p = finite(value)
    return NONE if p is None else "< 0.001" if p < 0.001 else f"{p:.3f}"


def _pct(value: Any) -> str:
    v = finite(value)
    return NONE if v is None else f"{v * 100:.0f}%"


def _ul(items: Iterable[str], cls: str = "") -> str:
    lis = "".join(f"<li>{i}</li>" for i in items)
    return f'<ul class="{cls}">{lis}</ul>' if cls else f"<ul>{lis}</ul>"


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, already-escaped html) pairs, skipping empty values."""
    body = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="facts">{body}</dl>' if body else ""


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table from escaped html cells; a cell may be a ``<td ...>`` already."""
    ths = "".join(h if h.startswith("<th") else f"<th>{h}</th>" for h in head)
    trs = "".join(
        "<tr>" + "".join(c if c.startswith(("<td", "<th")) else f"<td>{c}</td>" for c in r) + "</tr>" for r in rows
    )
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{ths}</tr></thead><tbody>{trs}</tbody></table></div>'


def _best(values: dict[str, float | None], direction: int) -> set[str]:
    """The arms holding the best value (ties all), when at least two differ."""
    known = {a: v for a, v in values.items() if v is not None}
    if direction == 0 or len(known) < 2 or len(set(known.values())) < 2:
        return set()
    target = max(known.values()) if direction > 0 else min(known.values())
    return {a for a, v in known.items() if v == target}


# --------------------------------------------------------------------------- loading


def load_run(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """results.json (required) and samples.jsonl (optional; unreadable lines skipped) of a run folder."""
    run = Path(run_dir)
    path = run / "results.json"
    hint = f"{run} is not a ragtune run folder: run `ragtune compare` first"
    if not path.is_file():
        raise InputError(f"{hint} (no results.json)")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{hint} (results.json is not valid JSON: {exc})") from exc
    if not isinstance(results, dict):
        raise InputError(f"{hint} (results.json does not hold an object)")
    samples: list[dict] = []
    spath = run / "samples.jsonl"
    if spath.is_file():
        for line in spath.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                samples.append(row)
    return results, samples


# --------------------------------------------------------------------------- sections


class _Report:
    """Builds the page from a run's results and samples (kept together so sections share arm order and colours)."""

    def __init__(self, results: dict, samples: list[dict]):
        self.r = results
        self.samples = samples
        names = arm_names(results)
        for s in samples:
            arm = s.get("arm")
            if isinstance(arm, str) and arm and arm not in names:
                names.append(arm)
        self.arms = names
        self.colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(names)}
        self.metrics = _map(results.get("metrics"))
        self.perf = _map(results.get("performance"))
        self.cost = _map(_map(results.get("cost")).get("arms"))
        self.freshness = results.get("freshness") if isinstance(results.get("freshness"), Mapping) else None
        self.arm_info = {a.get("name"): a for a in _list(results.get("arms")) if isinstance(a, Mapping)}

    def swatch(self, arm: str) -> str:
        return f'<span class="swatch" style="background:{self.colors.get(arm, "#888")}"></span>{_e(arm)}'

    def arm_cell(self, arm: str) -> str:
        info = _map(self.arm_info.get(arm))
        extra = []
        if info.get("variant") and info.get("variant") != arm:
            extra.append(f"variant {info['variant']}")
        overrides = _map(info.get("set"))
        if overrides:
            extra.append(", ".join(f"{k}={_text(v)}" for k, v in overrides.items()))
        sub = f'<br><span class="muted small">{_e("; ".join(extra))}</span>' if extra else ""
        return f'<th scope="row">{self.swatch(arm)}{sub}</th>'

    # 1 ---------------------------------------------------------------- header
    def header(self) -> str:
        r = self.r
        q = _map(r.get("questions"))
        kb = _map(r.get("kb"))
        judge = _map(r.get("judge"))
        used, total = q.get("used"), q.get("total")
        qtext = ""
        if used is not None or total is not None:
            qtext = f"{_text(used)} used of {_text(total)}" if total is not None else f"{_text(used)}"
            split = [f"{_text(q[k])} {k}" for k in ("answerable", "unanswerable") if q.get(k) is not None]
            if split:
                qtext += f" ({', '.join(split)})"
            if q.get("file"):
                qtext += f" from {q['file']}"
        leak = _map(q.get("leakage"))
        leak_text = ""
        if leak:
            leak_text = (
                f"{_text(leak.get('checked'))} checked against the test questions, "
                f"{_text(leak.get('too_close'))} too close (similarity threshold {_text(leak.get('threshold'))})"
            )
        kb_text = ""
        if kb:
            kb_text = f"version {_text(kb.get('version'))}"
            bits = [f"{_text(kb[k])} {k}" for k in ("documents", "chunks") if kb.get(k) is not None]
            if bits:
                kb_text += f" · {', '.join(bits)}"
            if kb.get("fingerprint"):
                kb_text += f" · fingerprint {kb['fingerprint']}"
        judge_text = " ".join(str(judge[k]) for k in ("backend", "model") if judge.get(k)) if judge else ""
        models = []
        for name, m in _map(r.get("models")).items():
            m = _map(m)
            bits = [str(m[k]) for k in ("method",) if m.get(k)]
            if m.get("base_model"):
                bits.append(f"on {m['base_model']}")
            if m.get("trained"):
                bits.append(f"trained {m['trained']}")
            if finite(m.get("training_s")) is not None:
                bits.append(f"in {fmt_number(m['training_s'], 's')}")
            stale = [str(s) for s in _list(m.get("stale"))]
            text = f"{name}: {' '.join(bits) or NONE}" + (f" — stale: {'; '.join(stale)}" if stale else "")
            models.append(_e(text))
        facts = _facts(
            [
                ("run", _e(r.get("run_id") or "")),
                ("created", _e(r.get("created") or "")),
                ("knowledge base", _e(kb_text)),
                ("questions", _e(qtext)),
                ("leakage check", _e(leak_text)),
                ("retrieval k", _e(r.get("retrieval_k") if r.get("retrieval_k") is not None else "")),
                ("arms", ", ".join(self.swatch(a) for a in self.arms)),
                ("trained models", "<br>".join(models)),
                ("judge", _e(judge_text or "none")),
            ]
        )
        warnings = [str(w) for w in _list(r.get("warnings")) if w]
        warn = ""
        if warnings:
            warn = f'<div class="box warn" id="warnings"><h3>Warnings</h3>{_ul(_e(w) for w in warnings)}</div>'
        title = f"ragtune comparison — {r.get('project') or 'project'}"
        return f"<header><h1>{_e(title)}</h1>{facts}{warn}</header>"

    def nav(self) -> str:
        links = [
            ("recommendation", "Recommendation"),
            ("summary", "Summary"),
            ("significance", "Significance"),
            ("plots", "Plots"),
        ]
        if self.freshness is not None:
            links.append(("freshness", "Freshness"))
        links += [("questions", "Questions"), ("config", "Config")]
        return "<nav>" + "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in links) + "</nav>"

    # 2 ---------------------------------------------------------------- recommendation
    def recommendation(self) -> str:
        rec = _map(self.r.get("recommendation"))
        if not rec:
            return (
                '<section id="recommendation"><h2>Recommendation</h2>'
                '<p class="muted">This run has no recommendation.</p></section>'
            )
        parts = [
            '<div class="box rec">',
            '<div class="muted small">Recommended</div>',
            f'<div class="choice">{_e(rec.get("choice") or NONE)}</div>',
        ]
        reasons = [str(x) for x in _list(rec.get("reasons")) if x]
        if reasons:
            parts.append(f"<h3>Why</h3>{_ul(_e(x) for x in reasons)}")
        excluded = rec.get("excluded")
        ex_items: list[str] = []
        if isinstance(excluded, Mapping):
            ex_items = [f"<strong>{_e(k)}</strong>: {_e(_text(v))}" for k, v in excluded.items()]
        elif isinstance(excluded, list):
            ex_items = [_e(_text(x)) for x in excluded]
        if ex_items:
            parts.append(f"<h3>Excluded</h3>{_ul(ex_items)}")
        ranking = [str(x) for x in _list(rec.get("ranking"))]
        if ranking:
            parts.append(f"<p><strong>Ranking:</strong> {_e(' > '.join(ranking))}</p>")
        caveats = [str(x) for x in _list(rec.get("caveats")) if x]
        if caveats:
            parts.append(f"<h3>Caveats</h3>{_ul(_e(x) for x in caveats)}")
        cons = {k: v for k, v in _map(rec.get("constraints")).items() if v is not None}
        if cons:
            parts.append("<h3>Constraints used</h3>" + _facts((str(k), _e(_text(v))) for k, v in cons.items()))
        else:
            parts.append('<p class="muted small">No constraints were set.</p>')
        parts.append("</div>")
        return '<section id="recommendation"><h2>Recommendation</h2>' + "".join(parts) + "</section>"

    # 3 ---------------------------------------------------------------- summary
    def summary(self) -> str:
        metric_keys = list(QUALITY)
        for arm in self.arms:  # metrics the document does not list still show, after the known ones
            metric_keys += [k for k in _map(self.metrics.get(arm)) if k not in metric_keys]
        shown = [
            k
            for k in metric_keys
            if any(finite(_map(_map(self.metrics.get(a)).get(k)).get("mean")) is not None for a in self.arms)
        ]
        parts = ['<section id="summary"><h2>Summary</h2>']
        if not self.arms:
            parts.append('<p class="muted">No arms in this run.</p></section>')
            return "".join(parts)
        if shown:
            head = ["arm"] + [
                f'<th class="num" title="{_e(QUALITY.get(k, (k, k, 1))[1])}">{_e(QUALITY.get(k, (k, "", 1))[0])}</th>'
                for k in shown
            ]
            best = {
                k: _best(
                    {a: finite(_map(_map(self.metrics.get(a)).get(k)).get("mean")) for a in self.arms},
                    QUALITY.get(k, ("", "", 0))[2],
                )
                for k in shown
            }
            rows = []
            for a in self.arms:
                row = [self.arm_cell(a)]
                for k in shown:
                    iv = _map(_map(self.metrics.get(a)).get(k))
                    cls = "num best" if a in best[k] else "num"
                    n = f' title="n = {_e(iv.get("n"))}"' if iv.get("n") is not None else ""
                    row.append(f'<td class="{cls}"{n}>{_e(_interval_text(iv))}</td>')
                rows.append(row)
            parts.append("<h3>Answer quality</h3>" + _table(head, rows))
        else:
            parts.append('<p class="muted">No quality metrics in this run.</p>')
        perf_cols = [
            (src, key) for (src, key) in PERFORMANCE if any(self._perf(src, key, a) is not None for a in self.arms)
        ]
        if perf_cols:
            head = ["arm"] + [f'<th class="num">{_e(PERFORMANCE[c][0])}</th>' for c in perf_cols]
            best = {c: _best({a: self._perf(*c, a) for a in self.arms}, PERFORMANCE[c][2]) for c in perf_cols}
            rows = []
            for a in self.arms:
                row = [self.arm_cell(a)]
                for c in perf_cols:
                    cls = "num best" if a in best[c] else "num"
                    tip = ""
                    if c == ("cost", "update_s") and _map(self.cost.get(a)).get("update_how"):
                        tip = f' title="{_e(_map(self.cost.get(a))["update_how"])}"'
                    row.append(f'<td class="{cls}"{tip}>{_e(fmt_number(self._perf(*c, a), PERFORMANCE[c][1]))}</td>')
                rows.append(row)
            hourly = finite(_map(self.r.get("cost")).get("hourly_usd"))
            note = (
                f'<p class="small muted">Costs assume {_e(fmt_number(hourly, "$"))} per hour of compute.</p>'
                if (hourly is not None)
                else ""
            )
            parts.append("<h3>Speed and cost</h3>" + _table(head, rows) + note)
            hows = [(a, _map(self.cost.get(a)).get("update_how")) for a in self.arms]
            hows = [(a, h) for a, h in hows if h]
            if hows:
                parts.append(
                    '<p class="small">How each arm takes in a knowledge update: '
                    + "; ".join(f"<strong>{_e(a)}</strong>: {_e(h)}" for a, h in hows)
                    + ".</p>"
                )
        parts.append(self.legend(shown))
        parts.append("</section>")
        return "".join(parts)

    def _perf(self, src: str, key: str, arm: str) -> float | None:
        table = self.perf if src == "performance" else self.cost
        return finite(_map(table.get(arm)).get(key))

    def legend(self, shown: list[str]) -> str:
        evaluation = _map(_map(self.r.get("config")).get("evaluation"))
        conf, boot = finite(evaluation.get("confidence")), evaluation.get("bootstrap")
        level = f"{conf * 100:.0f}% " if conf is not None and conf <= 1 else ""
        resamples = f" ({_e(boot)} resamples)" if boot is not None else ""
        items = "".join(f"<dt>{_e(QUALITY[k][0])}</dt><dd>{_e(QUALITY[k][1])}</dd>" for k in shown if k in QUALITY)
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

    # 4 ---------------------------------------------------------------- significance
    def significance(self) -> str:
        comps = [c for c in _list(self.r.get("comparisons")) if isinstance(c, Mapping)]
        parts = ['<section id="significance"><h2>Significance</h2>']
        if not comps:
            parts.append('<p class="muted">No paired comparisons in this run.</p></section>')
            return "".join(parts)
        parts.append(
            '<p class="small muted">Paired comparisons on the questions both arms were scored on; '
            "diff is a − b with its bootstrap interval. A difference is significant when the interval "
            "leaves out zero (and p is small).</p>"
        )
        rows, sentences = [], []
        for c in comps:
            metric, a, b = str(c.get("metric") or "?"), str(c.get("a") or "?"), str(c.get("b") or "?")
            diff, low, high = finite(c.get("diff")), finite(c.get("low")), finite(c.get("high"))
            dtext = NONE if diff is None else f"{diff:+.2f}"
            itext = f"{low:+.2f} to {high:+.2f}" if low is not None and high is not None else ""
            sig = c.get("significant")
            if sig is True:
                verdict = '<span class="verdict-sig">significant</span>'
                if diff is not None and diff != 0:
                    hi, lo = (a, b) if diff > 0 else (b, a)
                    sentences.append(
                        f"{metric}: {hi} is higher than {lo} by {abs(diff):.2f}"
                        + (f" ({itext})" if itext else "")
                        + f", p = {_p(c.get('p'))}: significant."
                    )
            elif sig is False:
                verdict = '<span class="verdict-ns">not significant</span>'
                sentences.append(
                    f"{metric}: the difference between {a} and {b} ({dtext}"
                    + (f", interval {itext}" if itext else "")
                    + f", p = {_p(c.get('p'))}) is not "
                    "significant — this run does not show that either is better."
                )
            else:
                verdict = '<span class="muted">unknown</span>'
            rows.append(
                [
                    _e(metric),
                    f"{_e(a)} vs {_e(b)}",
                    f'<td class="num">{_e(dtext)}{_e(f" ({itext})" if itext else "")}</td>',
                    f'<td class="num">{_e(_p(c.get("p")))}</td>',
                    f'<td class="num">{_e(_text(c.get("n")))}</td>',
                    verdict,
                ]
            )
        parts.append(
            _table(
                [
                    "metric",
                    "a vs b",
                    '<th class="num">diff (interval)</th>',
                    '<th class="num">p</th>',
                    '<th class="num">n</th>',
                    "verdict",
                ],
                rows,
            )
        )
        if sentences:
            parts.append("<h3>In words</h3>" + _ul(_e(s) for s in sentences))
        parts.append("</section>")
        return "".join(parts)

    # 5 ---------------------------------------------------------------- plots
    def plots(self) -> str:
        figs: list[tuple[str, str]] = []
        points = []
        for a in self.arms:
            acc = finite(_map(_map(self.metrics.get(a)).get("accuracy")).get("mean"))
            lat = self._perf("performance", "latency_p50_s", a)
            points.append((a, lat, acc, self._perf("cost", "per_1k_queries_usd", a)))
        if any(p[1] is not None and p[2] is not None for p in points):
            figs.append(
                (
                    plots.scatter_svg(
                        points,
                        title="Accuracy vs latency",
                        x_title="latency p50 (s)",
                        y_title="accuracy",
                        size_title="$ per 1k queries",
                        colors=self.colors,
                    ),
                    "Up and to the left is better; bubble area grows with the cost per 1,000 queries.",
                )
            )
        for k in BAR_METRICS:
            items = []
            for a in self.arms:
                iv = _map(_map(self.metrics.get(a)).get(k))
                items.append((a, finite(iv.get("mean")), finite(iv.get("low")), finite(iv.get("high"))))
            if any(i[1] is not None for i in items):
                label = QUALITY[k][0]
                figs.append(
                    (
                        plots.ci_bars_svg(items, title=label, colors=self.colors),
                        f"{label} per arm with its confidence interval"
                        + (" (lower is better)" if QUALITY[k][2] < 0 else ""),
                    )
                )
        if self.freshness is not None:
            fa = _map(self.freshness.get("arms"))
            rows = [(a, _map(fa.get(a)).get("before"), _map(fa.get(a)).get("after")) for a in self.arms if a in fa]
            if rows:
                figs.append(
                    (
                        plots.stacked_shares_svg(rows, title="Freshness: answers before and after the update"),
                        "Share of update questions answered with the new fact, the old fact, "
                        "“I don't know”, or something else.",
                    )
                )
        upd = [(a, self._perf("cost", "update_s", a)) for a in self.arms]
        if any(v is not None for _, v in upd):
            notes = []
            for a in self.arms:
                c = _map(self.cost.get(a))
                bits = [fmt_number(c.get("update_usd"), "$")] if finite(c.get("update_usd")) is not None else []
                if c.get("update_how"):
                    bits.append(str(c["update_how"]))
                notes.append(" · ".join(bits))
            figs.append(
                (
                    plots.bars_svg(
                        upd,
                        title="Update cost per arm (seconds)",
                        unit="s",
                        notes=notes,
                        colors=self.colors,
                        single_color=None,
                    ),
                    "Time (and dollars) to take in a knowledge update: re-index for retrieving arms, "
                    "retrain for trained ones.",
                )
            )
        stages = [s for s in _list(self.r.get("stages")) if isinstance(s, Mapping)]
        if stages:
            items = [(str(s.get("name") or "?"), finite(s.get("seconds"))) for s in stages]
            total = sum(v for _, v in items if v is not None)
            figs.append(
                (
                    plots.bars_svg(items, title=f"Time per stage (total {fmt_number(total, 's')})", unit="s"),
                    "Wall-clock seconds per stage of this run.",
                )
            )
        body = "".join(f"<figure>{svg}<figcaption>{_e(cap)}</figcaption></figure>" for svg, cap in figs)
        if not body:
            body = '<p class="muted">Nothing to plot in this run.</p>'
        return f'<section id="plots"><h2>Plots</h2><div class="charts">{body}</div></section>'

    # 6 ---------------------------------------------------------------- freshness
    def freshness_section(self) -> str:
        f = self.freshness
        if f is None:
            return ""
        docs = _map(f.get("documents"))
        kinds = _map(f.get("by_kind"))
        doc_text = ", ".join(f"{_text(docs[k])} {k}" for k in ("added", "changed", "removed") if k in docs)
        q_text = _text(f.get("questions"))
        if kinds:
            q_text += " (" + ", ".join(f"{_text(v)} {k}" for k, v in kinds.items()) + ")"
        kb_text = ""
        if f.get("kb_before") is not None or f.get("kb_after") is not None:
            kb_text = f"version {_text(f.get('kb_before'))} → {_text(f.get('kb_after'))}"
        facts = _facts(
            [
                ("update applied", _e(f.get("update") or "")),
                ("knowledge base", _e(kb_text)),
                ("documents", _e(doc_text)),
                (
                    "re-index time",
                    _e(fmt_number(f.get("reindex_s"), "s") if finite(f.get("reindex_s")) is not None else ""),
                ),
                ("questions", _e(q_text if f.get("questions") is not None else "")),
            ]
        )
        fa = _map(f.get("arms"))
        arms = [a for a in self.arms if a in fa] + [str(a) for a in fa if a not in self.arms]
        head = (
            ["arm"]
            + [f'<th class="num">before: {o}</th>' for o in OUTCOMES]
            + [f'<th class="num">after: {o}</th>' for o in OUTCOMES]
            + ['<th class="num">updated</th>', "answers"]
        )
        rows, reused = [], []
        for a in arms:
            d = _map(fa.get(a))
            before, after = _map(d.get("before")), _map(d.get("after"))
            if d.get("reused_answers") is True:
                reused.append(a)
            rows.append(
                [self.arm_cell(a)]
                + [f'<td class="num">{_e(_pct(before.get(o)))}</td>' for o in OUTCOMES]
                + [f'<td class="num">{_e(_pct(after.get(o)))}</td>' for o in OUTCOMES]
                + [
                    f'<td class="num">{_e(_interval_text(d.get("updated")))}</td>',
                    "reused" if d.get("reused_answers") is True else "re-asked",
                ]
            )
        parts = [
            '<section id="freshness"><h2>Freshness</h2>',
            facts,
            '<p class="small muted">Outcomes: <strong>new</strong> = answers with the updated fact, '
            "<strong>old</strong> = the outdated fact, <strong>idk</strong> = says it does not know, "
            "<strong>other</strong> = neither. <em>updated</em> is the share of update questions answered in "
            "line with the updated knowledge base, with its confidence interval.</p>",
        ]
        if rows:
            parts.append(_table(head, rows))
        if reused:
            verb = "does" if len(reused) == 1 else "do"
            parts.append(
                f"<p>{_e(', '.join(reused))} {verb} not retrieve, so {'its' if len(reused) == 1 else 'their'} "
                "answers after the update were reused from before it: only retraining would change them.</p>"
            )
        parts.append("</section>")
        return "".join(parts)

    # 7 ---------------------------------------------------------------- drill-down
    def questions(self) -> str:
        by_phase: dict[str, dict[str, list[dict]]] = {}
        for s in self.samples:
            phase = str(s.get("phase") or "test")
            qid = str(s.get("id") if s.get("id") is not None else "?")
            by_phase.setdefault(phase, {}).setdefault(qid, []).append(s)
        parts = ['<section id="questions"><h2>Questions</h2>']
        if not by_phase:
            parts.append(
                '<p class="muted">No per-question samples in this run (samples.jsonl is missing or empty).'
                "</p></section>"
            )
            return "".join(parts)
        parts.append(
            '<p class="small muted">One entry per question; open one to see each arm\'s retrieved sources '
            "and per-question metrics. ✓ correct, ✗ wrong, · not scored.</p>"
        )
        checks = "".join(
            f'<label><input type="checkbox" class="f-wrong" value="{i}"> only wrong for {_e(a)}</label>'
            for i, a in enumerate(self.arms)
        )
        parts.append(
            '<div id="filters" class="box" hidden><input type="search" id="f-text" placeholder="filter questions…"'
            ' aria-label="filter questions"><label><input type="checkbox" id="f-disagree"> only where arms disagree'
            f'</label>{checks}<span id="f-count" class="muted small"></span></div>'
        )
        order = [p for p in PHASES if p in by_phase] + [p for p in by_phase if p not in PHASES]
        for phase in order:
            groups = by_phase[phase]
            title = PHASES.get(phase, f"Phase {phase}")
            pid = "q-" + "".join(ch if ch.isalnum() else "-" for ch in phase)
            parts.append(
                f'<section id="{_e(pid)}"><h3>{_e(title)} <span class="muted small">({len(groups)} '
                f"questions)</span></h3>"
            )
            parts.extend(self.question(qid, rows) for qid, rows in groups.items())
            parts.append("</section>")
        parts.append("</section>")
        return "".join(parts)

    def question(self, qid: str, rows: list[dict]) -> str:
        first = rows[0]
        rank = {a: i for i, a in enumerate(self.arms)}
        rows = sorted(rows, key=lambda s: rank.get(str(s.get("arm")), len(rank)))
        aliases = [str(x) for x in _list(first.get("aliases")) if x]
        gold_html = ""
        if first.get("answerable") is False:
            gold_html = "unanswerable: the right answer is to abstain"
        elif first.get("gold") not in (None, ""):
            gold_html = f"gold: {_text(first['gold'])}" + (f" (also: {'; '.join(aliases)})" if aliases else "")
        extra = []
        for key, label in (("old_answer", "old"), ("new_answer", "new")):
            if first.get(key) not in (None, ""):
                extra.append(f"{label}: {_text(first[key])}")
        correct = {str(s.get("arm")): finite(_map(s.get("metrics")).get("correct")) for s in rows}
        known = {a: v for a, v in correct.items() if v is not None}
        outcomes = {str(s.get("arm")): s.get("outcome") for s in rows if s.get("outcome")}
        disagree = len(set(known.values())) > 1 or (not known and len(set(outcomes.values())) > 1)
        wrong = " ".join(str(rank[a]) for a, v in known.items() if v == 0 and a in rank)
        kind = first.get("kind")
        head = [
            f'<span class="qhead"><span class="qid">{_e(qid)}</span>'
            f'<span class="qtext">{_e(_text(first.get("question")))}</span>'
        ]
        if kind:
            head.append(f'<span class="tag">{_e(kind)}</span>')
        head.append("</span>")
        if gold_html or extra:
            head.append(f'<span class="gold">{_e(" · ".join([x for x in [gold_html, *extra] if x]))}</span>')
        head.append('<span class="answers">')
        for s in rows:
            arm = str(s.get("arm") or "?")
            head.append(
                f'<span class="arm">{self.swatch(arm)}</span><span>{self.badge(correct.get(arm))}'
                f"{_e(_text(s.get('answer')))}"
            )
            if s.get("abstained") is True:
                head.append('<span class="tag">abstained</span>')
            if s.get("outcome"):
                head.append(f'<span class="tag">{_e(s["outcome"])}</span>')
            head.append("</span>")
        head.append("</span>")
        body = "".join(self.arm_detail(s) for s in rows)
        gold_docs = _text(first.get("source")) if first.get("source") else ""
        if gold_docs:
            body = f'<p class="small muted">gold source: {_e(gold_docs)}</p>{body}'
        return (
            f'<details class="q" data-disagree="{"1" if disagree else "0"}" data-wrong="{_e(wrong)}">'
            f'<summary>{"".join(head)}</summary><div class="detail">{body}</div></details>'
        )

    @staticmethod
    def badge(correct: float | None) -> str:
        if correct is None:
            return '<span class="badge b-na" title="not scored">·</span>'
        if correct > 0:
            return '<span class="badge b-ok" title="correct">✓</span>'
        return '<span class="badge b-bad" title="wrong">✗</span>'

    def arm_detail(self, s: Mapping[str, Any]) -> str:
        arm = str(s.get("arm") or "?")
        cited = {c for c in _list(s.get("cited")) if isinstance(c, int)}
        parts = [f"<h4>{self.swatch(arm)}</h4>"]
        facts = []
        if finite(s.get("latency_s")) is not None:
            facts.append(f"latency {fmt_number(s['latency_s'], 's')}")
        for key in ("prompt_tokens", "completion_tokens"):
            if s.get(key) is not None:
                facts.append(f"{key.replace('_', ' ')} {_text(s[key])}")
        if s.get("citations_inferred") is True:
            facts.append("citations inferred")
        if facts:
            parts.append(f'<p class="small muted">{_e(" · ".join(facts))}</p>')
        metrics = _map(s.get("metrics"))
        if metrics:
            cells = "".join(f"<th>{_e(k)}</th>" for k in metrics)
            vals = "".join(f'<td class="num">{_e(_metric_value(v))}</td>' for v in metrics.values())
            parts.append(f'<div class="scroll"><table class="small"><tr>{cells}</tr><tr>{vals}</tr></table></div>')
        sources = [x for x in _list(s.get("sources")) if isinstance(x, Mapping)]
        if sources:
            items = []
            for i, src in enumerate(sources, start=1):
                n = src.get("n") if isinstance(src.get("n"), int) else i
                where = " › ".join(str(src[k]) for k in ("document", "section") if src.get(k))
                if src.get("page") is not None:
                    where += f", p. {src['page']}"
                score = finite(src.get("score"))
                mark = "<strong> — cited</strong>" if n in cited else ""
                text = str(src.get("text") or "")
                if len(text) > SOURCE_CHARS:
                    text = text[:SOURCE_CHARS].rstrip() + " …"
                cls = ' class="cited"' if n in cited else ""
                items.append(
                    f'<li{cls} value="{n}"><strong>[{n}]</strong> {_e(where or NONE)}'
                    f"{_e(f' · score {score:.3f}' if score is not None else '')}{mark}"
                    + (f'<span class="src-text">{_e(text)}</span>' if text else "")
                    + "</li>"
                )
            parts.append(f'<ol class="sources">{"".join(items)}</ol>')
        elif "sources" in s:
            parts.append('<p class="small muted">No sources retrieved.</p>')
        return "".join(parts)

    # 8 ---------------------------------------------------------------- config
    def config(self) -> str:
        import yaml

        cfg = self.r.get("config")
        text = ""
        if cfg:
            try:
                text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, default_flow_style=False)
            except yaml.YAMLError:
                text = json.dumps(cfg, indent=2, ensure_ascii=False, default=str)
        cfg_html = f"<pre>{_e(text)}</pre>" if text else '<p class="muted">No configuration recorded.</p>'
        versions = _map(self.r.get("versions"))
        ver_html = (
            _table(["package", "version"], [[_e(k), _e(_text(v))] for k, v in versions.items()]) if versions else ""
        )
        return f'<section id="config"><h2>Config</h2>{cfg_html}<h3>Versions</h3>{ver_html or NONE}</section>'

    def page(self) -> str:
        title = f"ragtune report — {self.r.get('project') or 'project'} {self.r.get('run_id') or ''}".strip()
        version = _map(self.r.get("versions")).get("ragtune")
        body = "".join(
            [
                self.header(),
                self.nav(),
                "<main>",
                self.recommendation(),
                self.summary(),
                self.significance(),
                self.plots(),
                self.freshness_section(),
                self.questions(),
                self.config(),
                "</main>",
            ]
        )
        foot = f"<footer>Rendered by ragtune{_e(f' {version}' if version else '')} from results.json and samples.jsonl."
        foot += "</footer>"
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}{foot}"
            f"<script>{SCRIPT}</script></body></html>\n"
        )


def build_html(results: dict, samples: list[dict]) -> str:
    """The report page for ``results`` (a results.json mapping) and ``samples`` (samples.jsonl rows)."""
    return _Report(results, samples).page()


def render_report(run_dir: str | Path) -> Path:
    """Render ``run_dir/report.html`` from the run's results.json and samples.jsonl; return its path."""
    results, samples = load_run(run_dir)
    out = Path(run_dir) / "report.html"
    out.write_text(build_html(results, samples), encoding="utf-8")
    return out
