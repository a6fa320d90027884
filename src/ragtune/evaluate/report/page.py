"""The report page: the document shell (head, inline CSS, navigation, footer) around the sections, and the config.

One file that works offline: inline CSS, inline SVG charts, a small inline script for filtering (the page reads
fine without it).
"""

from __future__ import annotations

import json

from ragtune.evaluate.formatting import NONE
from ragtune.evaluate.report.charts import plots
from ragtune.evaluate.report.drilldown import SCRIPT, questions
from ragtune.evaluate.report.freshness import freshness
from ragtune.evaluate.report.header import header, recommendation
from ragtune.evaluate.report.markup import e, section, table, text
from ragtune.evaluate.report.run import RunView
from ragtune.evaluate.report.significance import significance
from ragtune.evaluate.report.tables import summary
from ragtune.evaluate.report.tasks import multiple_choice, tasks
from ragtune.results import RunResults, Sample

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


def build_html(results: RunResults | dict, samples: list[Sample] | list[dict]) -> str:
    """The report page for a run's results and its samples (the models, or results.json / samples.jsonl rows)."""
    view = RunView(results, samples)
    r = view.run
    title = f"ragtune report — {r.project or 'project'} {r.run_id or ''}".strip()
    version = r.versions.get("ragtune")
    body = "".join(
        [
            header(view),
            _nav(view),
            "<main>",
            recommendation(view),
            summary(view),
            significance(view),
            multiple_choice(view),
            plots(view),
            freshness(view),
            tasks(view),
            questions(view),
            _config(view),
            "</main>",
        ]
    )
    foot = f"<footer>Rendered by ragtune{e(f' {version}' if version else '')} from results.json and samples.jsonl."
    foot += "</footer>"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>{body}{foot}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _nav(view: RunView) -> str:
    links = [
        ("recommendation", "Recommendation"),
        ("summary", "Summary"),
        ("significance", "Significance"),
    ]
    if view.run.multiple_choice is not None:
        links.append(("multiple-choice", "Multiple choice"))
    links.append(("plots", "Plots"))
    if view.freshness is not None:
        links.append(("freshness", "Freshness"))
    if any(t is not None for t in view.run.tasks.values()):
        links.append(("tasks", "Tasks"))
    links += [("questions", "Questions"), ("config", "Config")]
    return "<nav>" + "".join(f'<a href="#{k}">{e(v)}</a>' for k, v in links) + "</nav>"


def _config(view: RunView) -> str:
    """The configuration the run used, as YAML (JSON when it does not dump), and the package versions."""
    import yaml

    cfg = view.run.config
    dumped = ""
    if cfg:
        try:
            dumped = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, default_flow_style=False)
        except yaml.YAMLError:
            dumped = json.dumps(cfg, indent=2, ensure_ascii=False, default=str)
    cfg_html = f"<pre>{e(dumped)}</pre>" if dumped else '<p class="muted">No configuration recorded.</p>'
    versions = {k: v for k, v in view.run.versions.items() if v is not None}
    ver_html = table(["package", "version"], [[e(k), e(text(v))] for k, v in versions.items()]) if versions else ""
    return section("config", "Config", f"{cfg_html}<h3>Versions</h3>{ver_html or NONE}")
