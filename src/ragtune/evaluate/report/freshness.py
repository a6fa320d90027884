"""The report's Freshness section (only for runs with ``--freshness``): the knowledge update that was applied,
and per arm the share of update questions answered with the new fact, the old one, "I don't know" or neither."""

from __future__ import annotations

from ragtune.evaluate.formatting import NONE, OUTCOMES, fmt_number, interval_text
from ragtune.evaluate.report.markup import e, facts, section, table, text
from ragtune.evaluate.report.run import RunView
from ragtune.results import FreshArm, Freshness

LEGEND = (
    '<p class="small muted">Outcomes: <strong>new</strong> = answers with the updated fact, '
    "<strong>old</strong> = the outdated fact, <strong>idk</strong> = says it does not know, "
    "<strong>other</strong> = neither. <em>updated</em> is the share of update questions answered in "
    "line with the updated knowledge base, with its confidence interval.</p>"
)


def freshness(view: RunView) -> str:
    """The Freshness section, or nothing when the run measured no freshness."""
    f = view.freshness
    if f is None:
        return ""
    parts = [_update_facts(f), LEGEND]
    fa = {a: arm for a, arm in f.arms.items() if arm is not None}
    arms = [a for a in view.arms if a in fa] + [a for a in fa if a not in view.arms]
    if arms:
        parts.append(_outcome_table(view, arms, fa))
    reused = [a for a in arms if fa[a].reused_answers is True]
    if reused:
        verb = "does" if len(reused) == 1 else "do"
        parts.append(
            f"<p>{e(', '.join(reused))} {verb} not retrieve, so {'its' if len(reused) == 1 else 'their'} "
            "answers after the update were reused from before it: only retraining would change them.</p>"
        )
    return section("freshness", "Freshness", "".join(parts))


def _update_facts(f: Freshness) -> str:
    docs = f.documents
    doc_text = ", ".join(f"{text(docs[k])} {k}" for k in ("added", "changed", "removed") if k in docs)
    q_text = text(f.questions)
    if f.by_kind:
        q_text += " (" + ", ".join(f"{text(v)} {k}" for k, v in f.by_kind.items()) + ")"
    kb_text = ""
    if f.kb_before is not None or f.kb_after is not None:
        kb_text = f"version {text(f.kb_before)} → {text(f.kb_after)}"
    reindex = fmt_number(f.reindex_s, "s") if f.reindex_s is not None else ""
    return facts(
        [
            ("update applied", e(f.update or "")),
            ("knowledge base", e(kb_text)),
            ("documents", e(doc_text)),
            ("re-index time", e(reindex)),
            ("questions", e(q_text if f.questions is not None else "")),
        ]
    )


def _pct(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:.0f}%"


def _outcome_table(view: RunView, arms: list[str], fa: dict[str, FreshArm]) -> str:
    head = (
        ["arm"]
        + [f'<th class="num">before: {o}</th>' for o in OUTCOMES]
        + [f'<th class="num">after: {o}</th>' for o in OUTCOMES]
        + ['<th class="num">updated</th>', "answers"]
    )
    rows = []
    for a in arms:
        d = fa[a]
        before, after = d.before, d.after
        rows.append(
            [view.arm_cell(a)]
            + [f'<td class="num">{e(_pct(before.get(o)))}</td>' for o in OUTCOMES]
            + [f'<td class="num">{e(_pct(after.get(o)))}</td>' for o in OUTCOMES]
            + [
                f'<td class="num">{e(interval_text(d.updated))}</td>',
                "reused" if d.reused_answers is True else "re-asked",
            ]
        )
    return table(head, rows)
