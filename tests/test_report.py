"""The HTML report and the terminal summary, rendered from hand-written run folders that follow docs/results.md."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ragtune.errors import InputError
from ragtune.evaluate.report import render_report
from ragtune.evaluate.report.svg import nice_ticks
from ragtune.evaluate.report.svg_bars import bars_svg, ci_bars_svg, stacked_shares_svg
from ragtune.evaluate.report.svg_scatter import scatter_svg
from ragtune.evaluate.summary import summary_lines

ARMS = ["base", "rag", "ft", "hybrid"]
EVIL = "<script>alert(1)</script>"
QUESTIONS = [
    # id, question, gold, aliases, answerable, kind
    ("q1", "How long is the warranty on the X200?", "38 months", ["3 years and 2 months"], True, "paraphrase"),
    ("q2", EVIL, "nothing", [], True, "adversarial"),
    ("q3", "Who founded Aldermoor?", "Ada Moor", [], True, "fact"),
    ("q4", "What voltage does the X200 need?", "12 V", ["12 volts"], True, "numeric"),
    ("q5", "What is the CEO's shoe size?", None, [], False, "unanswerable"),
    ("q6", "Where is the head office?", "Leeds", [], True, "fact"),
]
# arm -> which questions it gets right (q5 right = abstained)
RIGHT = {"base": {"q3"}, "rag": {"q1", "q3", "q4", "q5"}, "ft": {"q1", "q3"}, "hybrid": {"q1", "q3", "q4", "q5", "q6"}}


def iv(mean, low=None, high=None, n=6):
    return {
        "mean": mean,
        "low": low if low is not None else max(mean - 0.1, 0),
        "high": high or min(mean + 0.1, 1),
        "n": n,
    }


def full_results() -> dict:
    retrieving = {"rag", "hybrid"}
    metrics = {}
    for i, arm in enumerate(ARMS):
        acc = len(RIGHT[arm]) / 6
        metrics[arm] = {
            "accuracy": iv(acc),
            "exact_match": iv(acc / 2),
            "f1": iv(0.2 + 0.1 * i),
            "contains": iv(acc),
            "hallucination": iv(1 - acc),
            "abstention": iv(0.1),
            "abstention_accuracy": iv(1.0 if arm in retrieving else 0.0),
            "faithfulness": iv(0.5 + 0.05 * i),
            "citation_rate": iv(0.9) if arm in retrieving else None,
            "citation_accuracy": iv(0.7) if arm in retrieving else None,
            "recall": iv(0.8) if arm in retrieving else None,
            "mrr": iv(0.6) if arm in retrieving else None,
            "ndcg": iv(0.65) if arm in retrieving else None,
            "judge": None,
        }
    return {
        "schema": 1,
        "run_id": "20261121-153000",
        "created": "2026-11-21T15:30:00+00:00",
        "project": "demo",
        "arms": [{"name": a, "variant": a, "set": {}} for a in ARMS],
        "questions": {
            "file": "questions/test.jsonl",
            "total": 161,
            "used": 6,
            "answerable": 5,
            "unanswerable": 1,
            "limit": 6,
            "leakage": {"checked": 526, "max_similarity": 0.583, "threshold": 0.65},
        },
        "retrieval_k": 4,
        "kb": {"version": 1, "fingerprint": "0a1b2c3d4e5f6071", "documents": 30, "chunks": 237},
        "models": {
            "ft": {
                "method": "lora",
                "base_model": "smollm2-135m-instruct",
                "trained": "2026-11-21T15:10:00+00:00",
                "training_s": 161.2,
                "stale": [],
            }
        },
        "metrics": metrics,
        "comparisons": [
            {
                "metric": "accuracy",
                "a": "rag",
                "b": "ft",
                "diff": 0.33,
                "low": 0.08,
                "high": 0.5,
                "p": 0.004,
                "significant": True,
                "n": 6,
            },
            {
                "metric": "accuracy",
                "a": "hybrid",
                "b": "rag",
                "diff": 0.17,
                "low": -0.1,
                "high": 0.4,
                "p": 0.31,
                "significant": False,
                "n": 6,
            },
        ],
        "performance": {
            a: {
                "latency_p50_s": 1.0 + i,
                "latency_p95_s": 2.0 + i,
                "ttft_p50_s": 0.3,
                "decode_tokens_per_s": 14.0,
                "probes": 8,
                "batch_s_per_question": 0.85,
                "throughput_qps": 1.18 - 0.1 * i,
                "generated_tokens_per_s": 37.0,
                "prompt_tokens_mean": 780,
                "completion_tokens_mean": 33,
                "weights_mb": 540.0,
                "index_mb": 3.1,
                "peak_rss_mb": 2150.0 + i,
            }
            for i, a in enumerate(ARMS)
        },
        "cost": {
            "hourly_usd": 0.1,
            "arms": {
                a: {
                    "per_1k_queries_usd": 0.01 * (i + 1),
                    "training_usd": 0.0 if a in {"base", "rag"} else 0.005,
                    "update_s": 4.2 if a in retrieving else 160.0,
                    "update_usd": 0.0001 if a in retrieving else 0.0045,
                    "update_how": "re-index the changed documents" if a in retrieving else "retrain the model",
                }
                for i, a in enumerate(ARMS)
            },
        },
        "freshness": {
            "update": "update_v2",
            "kb_before": 1,
            "kb_after": 2,
            "reindex_s": 4.2,
            "documents": {"added": 1, "changed": 9, "removed": 1},
            "questions": 2,
            "by_kind": {"changed": 2},
            "arms": {
                a: {
                    "before": {"new": 0.0, "old": 0.5, "idk": 0.1, "other": 0.4},
                    "after": (
                        {"new": 0.5, "old": 0.1, "idk": 0.1, "other": 0.3}
                        if a in retrieving
                        else {"new": 0.0, "old": 0.5, "idk": 0.1, "other": 0.4}
                    ),
                    "updated": iv(0.5 if a in retrieving else 0.0, n=2),
                    "reused_answers": a not in retrieving,
                }
                for a in ARMS
            },
        },
        "judge": None,
        "stages": [
            {"name": "ingest", "seconds": 14.1},
            {"name": "evaluate rag", "seconds": 52.3},
            {"name": "evaluate ft", "seconds": 40.0},
        ],
        "warnings": ["the ft model is stale: documents changed since training"],
        "recommendation": {
            "choice": "hybrid",
            "reasons": ["highest accuracy", "updates by re-indexing"],
            "excluded": {"base": "accuracy far below the others"},
            "ranking": ["hybrid", "rag", "ft", "base"],
            "caveats": ["only 6 questions"],
            "constraints": {"content_changes": "weekly", "max_latency_s": None},
        },
        "config": {"project": "demo", "evaluation": {"confidence": 0.95, "bootstrap": 1000}, "retrieval": {"k": 4}},
        "versions": {"ragtune": "0.1.0", "python": "3.12.3"},
    }


def full_samples() -> list[dict]:
    rows = []
    for arm in ARMS:
        retrieving = arm in {"rag", "hybrid"}
        for qid, question, gold, aliases, answerable, kind in QUESTIONS:
            right = qid in RIGHT[arm]
            abstained = not answerable and right
            answer = "I don't know." if abstained else (gold if right else f"{arm} guess {EVIL}")
            sources = [
                {
                    "n": 1,
                    "document": "products/x200.md",
                    "section": "Warranty",
                    "page": None,
                    "score": 0.93,
                    "text": "The X200 warranty is 38 months. " * 40,
                },
                {"n": 2, "document": "about.md", "section": None, "page": 3, "score": 0.5, "text": EVIL},
            ]
            rows.append(
                {
                    "phase": "test",
                    "arm": arm,
                    "variant": arm,
                    "id": qid,
                    "question": question,
                    "gold": gold,
                    "aliases": aliases,
                    "answerable": answerable,
                    "kind": kind,
                    "source": ["products/x200.md"],
                    "answer": answer,
                    "abstained": abstained,
                    "cited": [1] if retrieving else [],
                    "citations_inferred": False,
                    "sources": sources if retrieving else [],
                    "metrics": {
                        "correct": int(right),
                        "exact_match": int(right),
                        "f1": 1.0 if right else 0.1,
                        "contains": int(right),
                        "recall": 1 if retrieving else None,
                    },
                    "latency_s": 0.85,
                    "prompt_tokens": 812,
                    "completion_tokens": 12,
                }
            )
        for phase in ("fresh_before", "fresh_after"):
            new = phase == "fresh_after" and retrieving
            rows.append(
                {
                    "phase": phase,
                    "arm": arm,
                    "variant": arm,
                    "id": "u1",
                    "question": "How long is the X200 warranty now?",
                    "gold": "48 months",
                    "aliases": [],
                    "answerable": True,
                    "kind": "changed",
                    "source": ["products/x200.md"],
                    "answer": "48 months" if new else "38 months",
                    "abstained": False,
                    "cited": [],
                    "sources": [],
                    "metrics": {"correct": int(new)},
                    "old_answer": "38 months",
                    "new_answer": "48 months",
                    "outcome": "new" if new else "old",
                }
            )
    return rows


def minimal_results() -> dict:
    return {
        "schema": 1,
        "run_id": "20261122-090000",
        "created": None,
        "project": "tiny",
        "arms": [{"name": "base", "variant": "base", "set": {}}],
        "questions": {"total": 3, "used": 3, "answerable": None, "unanswerable": None},
        "metrics": {"base": {"accuracy": {"mean": None, "low": None, "high": None, "n": 0}, "f1": None}},
        "comparisons": [],
        "performance": {"base": {"latency_p50_s": None}},
        "cost": None,
        "freshness": None,
        "judge": None,
        "stages": [],
        "warnings": [],
        "recommendation": None,
        "config": {},
        "versions": {},
    }


def write_fixture_run(root: Path, results: dict, samples: list[dict] | None) -> Path:
    run = root / "runs" / str(results.get("run_id", "run"))
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(results), encoding="utf-8")
    if samples is not None:
        (run / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    return run


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# every element the report opens and closes explicitly (the checker needs no implied end tags)
PAGE_TAGS = {"html", "head", "body", "main", "section", "header", "nav", "footer", "div", "pre", "p", "span", "strong"}
LIST_TAGS = {"ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "label", "figure", "figcaption"}
TABLE_TAGS = {"table", "thead", "tbody", "tr", "td", "th", "details", "summary", "script", "style"}
SVG_TAGS = {"svg", "text", "title", "rect", "circle", "line"}
CHECKED = PAGE_TAGS | LIST_TAGS | TABLE_TAGS | SVG_TAGS
CELLS = {"td", "th"}


class Checker(HTMLParser):
    """Records tags, attributes and nesting errors of the main tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag in CELLS and self.stack and self.stack[-1] != "tr":
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>")
        if tag in VOID:
            return
        if tag in CHECKED:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))  # <line .../>, <rect .../>: self-closed, nothing left open

    def handle_endtag(self, tag):
        if tag not in CHECKED:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    return checker


@pytest.fixture
def full_run(tmp_path) -> Path:
    return write_fixture_run(tmp_path, full_results(), full_samples())


@pytest.fixture
def full_page(full_run) -> str:
    return render_report(full_run).read_text(encoding="utf-8")


def test_report_is_written_and_well_formed(full_run):
    out = render_report(full_run)
    assert out == full_run / "report.html"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    checker = parse(page)
    assert checker.errors == []
    assert checker.stack == []
    tags = [t for t, _ in checker.starts]
    for tag in ("html", "head", "body", "main", "style", "table", "details"):
        assert tag in tags
    assert len(page) < 400_000


def test_report_sections_in_order(full_page):
    ids = ["recommendation", "summary", "significance", "plots", "freshness", "questions", "config"]
    positions = [full_page.index(f'<section id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert full_page.index('id="warnings"') < positions[0]
    assert "the ft model is stale" in full_page


def test_report_has_an_svg_per_plot(full_page):
    plots_html = full_page[full_page.index('<section id="plots"') : full_page.index('<section id="freshness"')]
    # scatter + 6 metric bars (citation_accuracy and recall exist for the retrieving arms) + freshness + update + stages
    assert plots_html.count("<svg") == 10
    assert plots_html.count("</svg>") == 10
    for title in ("Accuracy vs latency", "Freshness: answers before and after", "Update cost", "Time per stage"):
        assert title in plots_html


def test_report_names_every_arm_and_question(full_page):
    text = "".join(parse(full_page).text)
    for arm in ARMS:
        assert f">{arm}<" in full_page
    for qid, *_ in QUESTIONS:
        assert f'<span class="qid">{qid}</span>' in full_page
    assert full_page.count('<span class="qid">u1</span>') == 2  # the update question, before and after
    assert "Freshness: after the update" in text


def test_malicious_strings_are_escaped(full_page):
    assert "<script>alert" not in full_page  # so EVIL, which starts with it, is not there either
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full_page
    # our one inline script, and nothing else that is a script
    checker = parse(full_page)
    scripts = [a for t, a in checker.starts if t == "script"]
    assert len(scripts) == 1 and scripts[0] == {}


def test_report_is_offline(full_page):
    checker = parse(full_page)
    for tag, attrs in checker.starts:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
        assert not (tag == "link" and "stylesheet" in (attrs.get("rel") or ""))
        assert not (tag == "script" and "src" in attrs)
    assert "@import" not in full_page


def test_not_significant_is_said_in_words(full_page):
    sig = full_page[full_page.index('<section id="significance"') : full_page.index('<section id="plots"')]
    row = sig[sig.index("<td>hybrid vs rag</td>") :]
    assert "not significant" in row[: row.index("</tr>")]
    row = sig[sig.index("<td>rag vs ft</td>") :]
    assert ">significant<" in row[: row.index("</tr>")]
    assert "the difference between hybrid and rag" in sig
    assert "rag is higher than ft" in sig


def significance_html(tmp_path, comparisons: list[dict]) -> str:
    results = full_results()
    results["comparisons"] = comparisons
    page = render_report(write_fixture_run(tmp_path, results, full_samples())).read_text(encoding="utf-8")
    return page[page.index('<section id="significance"') : page.index('<section id="plots"')]


def comparison(metric, a, b, diff, low, high, p):
    """A paired comparison like the ones in full_results(), significant when p < 0.05."""
    base = full_results()["comparisons"][0]
    return dict(base, metric=metric, a=a, b=b, diff=diff, low=low, high=high, p=p, significant=p < 0.05)


def test_significance_in_words_says_p_plainly_and_orients_the_interval(tmp_path):
    sig = significance_html(
        tmp_path,
        [
            comparison("accuracy", "rag", "hybrid", -0.35, -0.53, -0.17, 0.0004),
            comparison("accuracy", "rag", "ft", 0.22, 0.08, 0.35, 0.004),
            comparison("freshness", "ft", "rag", -0.1, -0.3, 0.1, 0.123),
        ],
    )
    words = sig[sig.index("<h3>In words</h3>") :]
    # b is the higher one: the interval is b − a as well, so it is positive like the difference
    assert "accuracy: hybrid is higher than rag by 0.35 (0.17 to 0.53), p &lt; 0.001: significant." in words
    assert "accuracy: rag is higher than ft by 0.22 (0.08 to 0.35), p = 0.004: significant." in words
    assert "the difference between ft and rag (-0.10, interval -0.30 to +0.10, p = 0.123) is not significant" in words
    assert "p = &lt;" not in sig
    assert '<td class="num">&lt; 0.001</td>' in sig  # the table's p column keeps the bare form


def test_significance_keeps_other_metrics_in_a_collapsed_table_without_words(tmp_path):
    sig = significance_html(
        tmp_path,
        [
            comparison("accuracy", "rag", "ft", 0.33, 0.08, 0.5, 0.004),
            comparison("f1", "rag", "ft", 0.2, 0.1, 0.3, 0.01),
            comparison("hallucination", "rag", "ft", -0.2, -0.3, -0.1, 0.01),
            comparison("freshness", "rag", "ft", 0.5, 0.3, 0.7, 0.001),
        ],
    )
    main = sig[: sig.index("<details")]
    other = sig[sig.index("<details") : sig.index("</details>")]
    words = sig[sig.index("<h3>In words</h3>") :]
    assert "<td>accuracy</td>" in main and "<td>freshness</td>" in main
    assert "<td>f1</td>" not in main and "<td>hallucination</td>" not in main
    assert "<details open" not in sig and "Other metrics" in other
    assert "<td>f1</td>" in other and "<td>hallucination</td>" in other and "<td>accuracy</td>" not in other
    assert "accuracy: rag is higher" in words and "freshness: rag is higher" in words
    assert "f1" not in words and "hallucination" not in words


def test_best_value_highlighted_and_legend(full_page):
    # hybrid has the highest accuracy: its cell is the highlighted one in the accuracy column
    assert '<td class="num best" title="n = 6">0.83 (0.73–0.93)</td>' in full_page
    assert "95% percentile bootstrap" in full_page


def test_freshness_section_only_when_present(full_run, tmp_path):
    page = render_report(full_run).read_text(encoding="utf-8")
    assert '<section id="freshness"' in page
    assert "update_v2" in page
    assert "base, ft do not retrieve" in page
    results = full_results()
    results["freshness"] = None
    results["run_id"] = "no-fresh"
    samples = [s for s in full_samples() if s["phase"] == "test"]
    page = render_report(write_fixture_run(tmp_path, results, samples)).read_text(encoding="utf-8")
    assert '<section id="freshness"' not in page
    assert "Freshness: answers before" not in page
    assert "Freshness: after the update" not in page


def test_drilldown_sources_truncated_and_cited(full_page):
    assert 'class="cited"' in full_page
    assert "— cited" in full_page
    assert ("The X200 warranty is 38 months. " * 40).strip() not in full_page  # 1,280 chars cut to ~600
    assert 'data-disagree="1"' in full_page
    assert 'data-wrong="' in full_page
    assert '<div id="filters" class="box" hidden>' in full_page  # no JS: the filter box stays hidden


def test_config_dumped_as_yaml(full_page):
    cfg = full_page[full_page.index('<section id="config"') :]
    assert "evaluation:\n  confidence: 0.95" in cfg
    assert "ragtune" in cfg and "0.1.0" in cfg


def test_minimal_run_renders(tmp_path):
    run = write_fixture_run(tmp_path, minimal_results(), [])
    page = render_report(run).read_text(encoding="utf-8")
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert "This run has no recommendation" in page
    assert '<section id="freshness"' not in page
    assert "No paired comparisons" in page
    assert "base" in page


def test_run_without_samples_file_renders(tmp_path):
    run = write_fixture_run(tmp_path, {"run_id": "bare", "arms": [{"name": "rag"}], "metrics": {"rag": {}}}, None)
    page = render_report(run).read_text(encoding="utf-8")
    assert "samples.jsonl is missing or empty" in page


def test_missing_or_broken_results_raise(tmp_path):
    with pytest.raises(InputError, match="not a ragtune run folder"):
        render_report(tmp_path)
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="ragtune compare"):
        render_report(tmp_path)
    (tmp_path / "results.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="does not hold an object"):
        render_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_summary_lines_full():
    lines = summary_lines(full_results())
    assert all(len(line) <= 120 for line in lines)
    rows = [line for line in lines if line.split(" ", 1)[0] in ARMS]
    assert [r.split()[0] for r in rows] == ARMS
    base = rows[0]
    assert "0.17 [0.07–0.27]" in base
    assert "–" in base  # no recall / citation accuracy for base
    assert "0.50 [0.40–0.60]" in rows[1]  # the freshness "updated" share
    assert any("hybrid vs rag" in line and "not significant" in line for line in lines)
    assert any("rag vs ft" in line and line.rstrip().endswith(" significant") for line in lines)
    assert any(line.strip().startswith("total") and "106.4 s" in line for line in lines)
    header = lines[0]
    assert header.split()[0] == "arm" and "updated" in header
    # columns line up: each row's accuracy cell ends where the header's accuracy column ends
    end = header.index("accuracy [CI]") + len("accuracy [CI]")
    assert all(r[end - 1] == "]" for r in rows)


def test_summary_lines_minimal_and_long_names():
    lines = summary_lines(minimal_results())
    rows = [line for line in lines if line.startswith("base")]
    assert len(rows) == 1
    assert rows[0].split()[1:] == ["–"] * 9
    assert not any("updated" in line for line in lines)
    results = full_results()
    long = "a-very-long-arm-name-" * 8
    results["arms"].append({"name": long, "variant": "rag", "set": {"retrieval.k": 2}})
    results["stages"].append({"name": "evaluate " + long, "seconds": None})
    results["comparisons"].append({"metric": "accuracy", "a": long, "b": long, "diff": None, "significant": None})
    lines = summary_lines(results)
    assert all(len(line) <= 120 for line in lines)
    assert len([line for line in lines if line.startswith("a-very")]) == 1
    assert summary_lines({}) == ["no arms in this run"]


def test_plot_functions_escape_and_scale():
    svg = scatter_svg(
        [(EVIL, 1.0, 0.5, 0.02), ("rag", 2.0, 0.7, None)], title="t <b>", x_title="x", y_title="y", size_title="$"
    )
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and EVIL not in svg and "&lt;b&gt;" in svg
    assert 'fill="none"' in svg  # unknown size: hollow bubble
    bars = ci_bars_svg([("a", 0.4, 0.3, 0.5), ("b", None, None, None)], title="acc")
    assert bars.count("<rect") == 1
    assert ci_bars_svg([("a", None, None, None)], title="acc").count("no data") == 1
    stacked = stacked_shares_svg([("rag", {"new": 0.5, "old": 0.5}, {"new": 1.0})], title="f")
    assert "50%" in stacked and "100%" in stacked
    assert bars_svg([("ingest", 3.0)], title="s", unit="s").count("3.00 s") >= 1
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("junk", [None, "x", [], {}, 7, {"rag": None, "zz": "q"}])
def test_any_piece_missing_or_malformed_still_renders(tmp_path, junk):
    for i, key in enumerate(full_results()):
        results = full_results()
        results[key] = junk
        if key == "run_id":
            results[key] = f"r{i}"  # the helper names the folder after it
        page = render_report(write_fixture_run(tmp_path / key, results, full_samples())).read_text(encoding="utf-8")
        checker = parse(page)
        assert checker.errors == [] and checker.stack == [], key
        assert all(len(line) <= 120 for line in summary_lines(results)), key
    samples = full_samples()
    for row in samples:
        row["sources"], row["metrics"], row["cited"] = junk, junk, junk
    run = write_fixture_run(tmp_path / "samples", full_results(), samples)
    with (run / "samples.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("not json\n[1, 2]\n")
    assert parse(render_report(run).read_text(encoding="utf-8")).errors == []
