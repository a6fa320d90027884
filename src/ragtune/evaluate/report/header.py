"""The top of the report: the run's facts and warnings, then the recommendation box."""

from __future__ import annotations

from ragtune.evaluate.formatting import NONE, fmt_number
from ragtune.evaluate.report.markup import e, facts, section, text, ul
from ragtune.evaluate.report.run import RunView
from ragtune.results import KnowledgeBaseInfo, Leakage, Questions, TrainedModel
from ragtune.results.models import Record


def header(view: RunView) -> str:
    """The page title, the facts of the run (knowledge base, questions, models, judge) and its warnings."""
    r = view.run
    judge = " ".join(v for v in (r.judge.backend, r.judge.model) if v) if r.judge else ""
    body = facts(
        [
            ("run", e(r.run_id or "")),
            ("created", e(r.created or "")),
            ("knowledge base", e(_kb_text(r.kb))),
            ("questions", e(_questions_text(r.questions))),
            ("leakage check", e(_leakage_text(r.questions.leakage if r.questions else None))),
            ("retrieval k", e(r.retrieval_k if r.retrieval_k is not None else "")),
            ("arms", ", ".join(view.swatch(a) for a in view.arms)),
            ("trained models", "<br>".join(e(_model_text(name, m)) for name, m in r.models.items())),
            ("judge", e(judge or "none")),
        ]
    )
    warnings = [w for w in [*r.warnings, *r.notes] if w]
    warn = ""
    if warnings:
        warn = f'<div class="box warn" id="warnings"><h3>Warnings</h3>{ul(e(w) for w in warnings)}</div>'
    title = f"ragtune comparison — {r.project or 'project'}"
    return f"<header><h1>{e(title)}</h1>{body}{warn}</header>"


def _counts(record: Record, keys: tuple[str, ...]) -> str:
    """``5 answerable, 1 unanswerable``: the counts under ``keys`` that are present."""
    return ", ".join(f"{text(getattr(record, k))} {k}" for k in keys if getattr(record, k) is not None)


def _questions_text(q: Questions | None) -> str:
    if q is None or (q.used is None and q.total is None):
        return ""
    out = f"{text(q.used)} used of {text(q.total)}" if q.total is not None else f"{text(q.used)}"
    split = _counts(q, ("answerable", "unanswerable"))
    if split:
        out += f" ({split})"
    if q.file:
        out += f" from {q.file}"
    return out


def _leakage_text(leak: Leakage | None) -> str:
    if leak is None:
        return ""
    return (
        f"{text(leak.checked)} training rows checked against the test questions: none too close "
        f"(closest similarity {text(leak.max_similarity)}, threshold {text(leak.threshold)})"
    )


def _kb_text(kb: KnowledgeBaseInfo | None) -> str:
    if kb is None:
        return ""
    parts = [f"version {text(kb.version)}", _counts(kb, ("documents", "chunks"))]
    if kb.fingerprint:
        parts.append(f"fingerprint {kb.fingerprint}")
    return " · ".join(p for p in parts if p)


def _model_text(name: str, m: TrainedModel | None) -> str:
    m = m or TrainedModel()
    bits = [m.method] if m.method else []
    if m.base_model:
        bits.append(f"on {m.base_model}")
    if m.trained:
        bits.append(f"trained {m.trained}")
    if m.training_s is not None:
        bits.append(f"in {fmt_number(m.training_s, 's')}")
    if m.learned_from:
        rows = ", ".join(f"{n} {origin.removeprefix('task:')}" for origin, n in m.learned_from.items())
        bits.append(f"— learned from {m.data or 'its data'} ({sum(m.learned_from.values())} rows: {rows})")
    if m.epochs is not None:
        cut = f", {m.steps} of {m.planned_steps} planned steps: time budget" if m.planned_steps else ""
        bits.append(f"for {fmt_number(m.epochs)} epochs{cut}")
    return f"{name}: {' '.join(bits) or NONE}" + (f" — stale: {'; '.join(m.stale)}" if m.stale else "")


def recommendation(view: RunView) -> str:
    """The recommended arm with its reasons, exclusions, ranking, caveats and the constraints it weighed."""
    rec = view.run.recommendation
    if rec is None:
        return section("recommendation", "Recommendation", '<p class="muted">This run has no recommendation.</p>')
    parts = [
        '<div class="box rec">',
        '<div class="muted small">Recommended</div>',
        f'<div class="choice">{e(rec.choice or NONE)}</div>',
    ]
    reasons = [x for x in rec.reasons if x]
    if reasons:
        parts.append(f"<h3>Why</h3>{ul(e(x) for x in reasons)}")
    ex_items = [f"<strong>{e(k)}</strong>: {e(text(v))}" for k, v in rec.excluded.items()]
    if ex_items:
        parts.append(f"<h3>Excluded</h3>{ul(ex_items)}")
    if rec.ranking:
        parts.append(f"<p><strong>Ranking:</strong> {e(' > '.join(rec.ranking))}</p>")
    if rec.workloads:
        per_task = ", ".join(f"{task} → {arm}" for task, arm in rec.workloads.items())
        together = f"; together: <strong>{e(rec.combination)}</strong>" if rec.combination else ""
        parts.append(f"<p><strong>Per task:</strong> {e(per_task)}{together}</p>")
    caveats = [x for x in rec.caveats if x]
    if caveats:
        parts.append(f"<h3>Caveats</h3>{ul(e(x) for x in caveats)}")
    cons = {k: v for k, v in rec.constraints.items() if v is not None}
    if cons:
        parts.append("<h3>Constraints used</h3>" + facts((str(k), e(text(v))) for k, v in cons.items()))
    else:
        parts.append('<p class="muted small">No constraints were set.</p>')
    parts.append("</div>")
    return section("recommendation", "Recommendation", "".join(parts))
