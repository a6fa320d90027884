"""The report's Questions section: one collapsible entry per question with every arm's answer, its retrieved
sources and per-question metrics, plus the small inline script that filters the entries (the page reads fine
without it)."""

from __future__ import annotations

from ragtune.evaluate.formatting import NONE, fmt_number, score
from ragtune.evaluate.report.markup import e, text
from ragtune.evaluate.report.run import RunView
from ragtune.results import Sample, SourceRef

SOURCE_CHARS = 600
PHASES = {
    "test": "Test questions",
    "fresh_before": "Freshness: before the update",
    "fresh_after": "Freshness: after the update",
    "choice": "Test questions as multiple choice",
}

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


def questions(view: RunView) -> str:
    """The Questions section: the filter box, then the questions of each phase."""
    by_phase: dict[str, dict[str, list[Sample]]] = {}
    for s in view.samples:
        phase = f"task:{s.task}" if s.phase == "task" else s.phase or "test"  # a task's rows: a group of their own
        by_phase.setdefault(phase, {}).setdefault(s.id if s.id is not None else "?", []).append(s)
    parts = ['<section id="questions"><h2>Questions</h2>']
    if not by_phase:
        parts.append(
            '<p class="muted">No per-question samples in this run (samples.jsonl is missing or empty).</p></section>'
        )
        return "".join(parts)
    parts.append(
        '<p class="small muted">One entry per question; open one to see each arm\'s retrieved sources '
        "and per-question metrics. ✓ correct, ✗ wrong, · not scored.</p>"
    )
    checks = "".join(
        f'<label><input type="checkbox" class="f-wrong" value="{i}"> only wrong for {e(a)}</label>'
        for i, a in enumerate(view.arms)
    )
    parts.append(
        '<div id="filters" class="box" hidden><input type="search" id="f-text" placeholder="filter questions…"'
        ' aria-label="filter questions"><label><input type="checkbox" id="f-disagree"> only where arms disagree'
        f'</label>{checks}<span id="f-count" class="muted small"></span></div>'
    )
    order = [p for p in PHASES if p in by_phase] + [p for p in by_phase if p not in PHASES]
    for phase in order:
        groups = by_phase[phase]
        title = PHASES.get(phase, f"Task {phase[5:]}" if phase.startswith("task:") else f"Phase {phase}")
        pid = "q-" + "".join(ch if ch.isalnum() else "-" for ch in phase)
        parts.append(
            f'<section id="{e(pid)}"><h3>{e(title)} <span class="muted small">({len(groups)} questions)</span></h3>'
        )
        parts.extend(_question(view, qid, rows) for qid, rows in groups.items())
        parts.append("</section>")
    parts.append("</section>")
    return "".join(parts)


def _question(view: RunView, qid: str, rows: list[Sample]) -> str:
    """One question: its text, gold answer and each arm's answer in the summary line, the details inside."""
    first = rows[0]
    rank = {a: i for i, a in enumerate(view.arms)}
    rows = sorted(rows, key=lambda s: rank.get(str(s.arm), len(rank)))
    correct = {str(s.arm): s.metrics.get("correct") for s in rows}
    known = {a: v for a, v in correct.items() if v is not None}
    outcomes = {str(s.arm): s.outcome for s in rows if s.outcome}
    disagree = len(set(known.values())) > 1 or (not known and len(set(outcomes.values())) > 1)
    wrong = " ".join(str(rank[a]) for a, v in known.items() if v == 0 and a in rank)
    head = [
        f'<span class="qhead"><span class="qid">{e(qid)}</span>'
        f'<span class="qtext">{e(text(first.question))}</span>'
    ]
    if first.kind:
        head.append(f'<span class="tag">{e(first.kind)}</span>')
    head.append("</span>")
    gold = _gold_line(first)
    if gold:
        head.append(f'<span class="gold">{e(gold)}</span>')
    head.append('<span class="answers">')
    for s in rows:
        arm = s.arm or "?"
        head.append(f'<span class="arm">{view.swatch(arm)}</span><span>{_badge(correct.get(arm))}{e(text(s.answer))}')
        if s.abstained is True:
            head.append('<span class="tag">abstained</span>')
        if s.outcome:
            head.append(f'<span class="tag">{e(s.outcome)}</span>')
        head.append("</span>")
    head.append("</span>")
    body = "".join(_arm_detail(view, s) for s in rows)
    gold_docs = text(first.source) if first.source else ""
    if gold_docs:
        body = f'<p class="small muted">gold source: {e(gold_docs)}</p>{body}'
    return (
        f'<details class="q" data-disagree="{"1" if disagree else "0"}" data-wrong="{e(wrong)}">'
        f'<summary>{"".join(head)}</summary><div class="detail">{body}</div></details>'
    )


def _gold_line(first: Sample) -> str:
    """What the right answer is (gold and aliases, or abstain), and the old/new answers of an update question."""
    aliases = [x for x in first.aliases if x]
    gold = ""
    if first.answerable is False:
        gold = "unanswerable: the right answer is to abstain"
    elif first.gold:
        gold = f"gold: {text(first.gold)}" + (f" (also: {'; '.join(aliases)})" if aliases else "")
    extra = [f"{label}: {text(value)}" for value, label in ((first.old_answer, "old"), (first.new_answer, "new"))
             if value]
    return " · ".join([x for x in [gold, *extra] if x])


def _badge(correct: float | None) -> str:
    if correct is None:
        return '<span class="badge b-na" title="not scored">·</span>'
    if correct > 0:
        return '<span class="badge b-ok" title="correct">✓</span>'
    return '<span class="badge b-bad" title="wrong">✗</span>'


def _metric_value(value: float | None) -> str:
    """A per-question metric: integers (0/1 flags) as they are, fractions with two decimals."""
    return str(value) if isinstance(value, int) else score(value)


def _arm_detail(view: RunView, s: Sample) -> str:
    """One arm's answer in detail: timing and tokens, per-question metrics, the retrieved sources."""
    parts = [f"<h4>{view.swatch(s.arm or '?')}</h4>"]
    facts = []
    if s.latency_s is not None:
        facts.append(f"latency {fmt_number(s.latency_s, 's')}")
    for key, value in (("prompt tokens", s.prompt_tokens), ("completion tokens", s.completion_tokens)):
        if value is not None:
            facts.append(f"{key} {text(value)}")
    if s.citations_inferred is True:
        facts.append("citations inferred")
    if facts:
        parts.append(f'<p class="small muted">{e(" · ".join(facts))}</p>')
    metrics = s.metrics
    if metrics:
        cells = "".join(f"<th>{e(k)}</th>" for k in metrics)
        vals = "".join(f'<td class="num">{e(_metric_value(v))}</td>' for v in metrics.values())
        parts.append(f'<div class="scroll"><table class="small"><tr>{cells}</tr><tr>{vals}</tr></table></div>')
    if s.sources:
        items = "".join(_source(i, src, set(s.cited)) for i, src in enumerate(s.sources, start=1))
        parts.append(f'<ol class="sources">{items}</ol>')
    elif "sources" in s.model_fields_set:
        parts.append('<p class="small muted">No sources retrieved.</p>')
    return "".join(parts)


def _source(i: int, src: SourceRef, cited: set[int]) -> str:
    """One retrieved source: where it is from, its score, whether it was cited, and its text (cut short)."""
    n = src.n if src.n is not None else i
    where = " › ".join(x for x in (src.document, src.section) if x)
    if src.page is not None:
        where += f", p. {src.page}"
    sc = src.score
    mark = "<strong> — cited</strong>" if n in cited else ""
    body = src.text or ""
    if len(body) > SOURCE_CHARS:
        body = body[:SOURCE_CHARS].rstrip() + " …"
    cls = ' class="cited"' if n in cited else ""
    return (
        f'<li{cls} value="{n}"><strong>[{n}]</strong> {e(where or NONE)}'
        f"{e(f' · score {sc:.3f}' if sc is not None else '')}{mark}"
        + (f'<span class="src-text">{e(body)}</span>' if body else "")
        + "</li>"
    )
