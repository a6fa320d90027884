"""The top of the report: the run's facts and warnings, then the recommendation box."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ragtune.evaluate.formatting import NONE, as_list, as_map, finite, fmt_number
from ragtune.evaluate.report.markup import e, facts, section, text, ul
from ragtune.evaluate.report.run import RunView


def header(view: RunView) -> str:
    """The page title, the facts of the run (knowledge base, questions, models, judge) and its warnings."""
    r = view.results
    judge = as_map(r.get("judge"))
    judge_text = " ".join(str(judge[k]) for k in ("backend", "model") if judge.get(k)) if judge else ""
    q = as_map(r.get("questions"))
    body = facts(
        [
            ("run", e(r.get("run_id") or "")),
            ("created", e(r.get("created") or "")),
            ("knowledge base", e(_kb_text(as_map(r.get("kb"))))),
            ("questions", e(_questions_text(q))),
            ("leakage check", e(_leakage_text(as_map(q.get("leakage"))))),
            ("retrieval k", e(r.get("retrieval_k") if r.get("retrieval_k") is not None else "")),
            ("arms", ", ".join(view.swatch(a) for a in view.arms)),
            ("trained models", "<br>".join(e(_model_text(name, m)) for name, m in as_map(r.get("models")).items())),
            ("judge", e(judge_text or "none")),
        ]
    )
    warnings = [str(w) for w in as_list(r.get("warnings")) if w]
    warn = ""
    if warnings:
        warn = f'<div class="box warn" id="warnings"><h3>Warnings</h3>{ul(e(w) for w in warnings)}</div>'
    title = f"ragtune comparison — {r.get('project') or 'project'}"
    return f"<header><h1>{e(title)}</h1>{body}{warn}</header>"


def _counts(m: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """``5 answerable, 1 unanswerable``: the counts under ``keys`` that are present."""
    return ", ".join(f"{text(m[k])} {k}" for k in keys if m.get(k) is not None)


def _questions_text(q: Mapping[str, Any]) -> str:
    used, total = q.get("used"), q.get("total")
    if used is None and total is None:
        return ""
    out = f"{text(used)} used of {text(total)}" if total is not None else f"{text(used)}"
    split = _counts(q, ("answerable", "unanswerable"))
    if split:
        out += f" ({split})"
    if q.get("file"):
        out += f" from {q['file']}"
    return out


def _leakage_text(leak: Mapping[str, Any]) -> str:
    if not leak:
        return ""
    return (
        f"{text(leak.get('checked'))} training rows checked against the test questions: none too close "
        f"(closest similarity {text(leak.get('max_similarity'))}, threshold {text(leak.get('threshold'))})"
    )


def _kb_text(kb: Mapping[str, Any]) -> str:
    if not kb:
        return ""
    parts = [f"version {text(kb.get('version'))}", _counts(kb, ("documents", "chunks"))]
    if kb.get("fingerprint"):
        parts.append(f"fingerprint {kb['fingerprint']}")
    return " · ".join(p for p in parts if p)


def _model_text(name: str, model: Any) -> str:
    m = as_map(model)
    bits = [str(m[k]) for k in ("method",) if m.get(k)]
    if m.get("base_model"):
        bits.append(f"on {m['base_model']}")
    if m.get("trained"):
        bits.append(f"trained {m['trained']}")
    if finite(m.get("training_s")) is not None:
        bits.append(f"in {fmt_number(m['training_s'], 's')}")
    stale = [str(s) for s in as_list(m.get("stale"))]
    return f"{name}: {' '.join(bits) or NONE}" + (f" — stale: {'; '.join(stale)}" if stale else "")


def recommendation(view: RunView) -> str:
    """The recommended arm with its reasons, exclusions, ranking, caveats and the constraints it weighed."""
    rec = as_map(view.results.get("recommendation"))
    if not rec:
        return section("recommendation", "Recommendation", '<p class="muted">This run has no recommendation.</p>')
    parts = [
        '<div class="box rec">',
        '<div class="muted small">Recommended</div>',
        f'<div class="choice">{e(rec.get("choice") or NONE)}</div>',
    ]
    reasons = [str(x) for x in as_list(rec.get("reasons")) if x]
    if reasons:
        parts.append(f"<h3>Why</h3>{ul(e(x) for x in reasons)}")
    excluded = rec.get("excluded")
    ex_items: list[str] = []
    if isinstance(excluded, Mapping):
        ex_items = [f"<strong>{e(k)}</strong>: {e(text(v))}" for k, v in excluded.items()]
    elif isinstance(excluded, list):
        ex_items = [e(text(x)) for x in excluded]
    if ex_items:
        parts.append(f"<h3>Excluded</h3>{ul(ex_items)}")
    ranking = [str(x) for x in as_list(rec.get("ranking"))]
    if ranking:
        parts.append(f"<p><strong>Ranking:</strong> {e(' > '.join(ranking))}</p>")
    caveats = [str(x) for x in as_list(rec.get("caveats")) if x]
    if caveats:
        parts.append(f"<h3>Caveats</h3>{ul(e(x) for x in caveats)}")
    cons = {k: v for k, v in as_map(rec.get("constraints")).items() if v is not None}
    if cons:
        parts.append("<h3>Constraints used</h3>" + facts((str(k), e(text(v))) for k, v in cons.items()))
    else:
        parts.append('<p class="muted small">No constraints were set.</p>')
    parts.append("</div>")
    return section("recommendation", "Recommendation", "".join(parts))
