"""The answer-time grounding check: claims read from answers, checked against real retrieved chunks, the policies
through the real ask path, compare arms and the API field."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import ingested_project

import ragtune
from ragtune import Project
from ragtune.answer import Answer, Answerer
from ragtune.claims import Evidence, extract
from ragtune.generate.prompt import IDK
from ragtune.grounding import best_span, check, ground, with_policy

QUESTION = "How long is the warranty on the Quillfeather Q9 drafting tablet?"
DOCS = {  # the issue's five-document knowledge base
    "products/quillfeather-q9.md": "# Quillfeather Q9 Drafting Tablet\n\n## Warranty\n\nThe Quillfeather Q9 drafting "
                                   "tablet ships with a 41-month limited warranty that covers the pen and the "
                                   "screen.\n\n## Display\n\nThe Q9 has a 13.3-inch screen and weighs 3,5 kg with "
                                   "its stand.\n",
    "products/inkwell-i4.md": "# Inkwell I4 Pen Display\n\n## Durability\n\nThe Inkwell I4 pen display is built for "
                              "studios and is designed to last through daily use. It weighs 1.2 kg.\n",
    "policies/returns.md": "# Returns\n\nUnopened goods may be returned within 30 days of delivery. Refunds are paid "
                           "within 14 days.\n",
    "support/contact.md": "# Support\n\nSupport is open Monday to Friday, 9:00 to 17:00. Write to "
                          "help@quill.example.\n",
    "company/about.md": "# About Quill & Co\n\nQuill & Co was founded in 2011 in Leeds and employs 120 people.\n",
}
Q9 = "products/quillfeather-q9.md"


def claims_of(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in extract(text)]


def supports(source: str, answer: str) -> bool:
    evidence = Evidence.of(source)
    return all(evidence.supports(c) for c in extract(answer))


# ---------------------------------------------------------------------------------------------- claims


def test_claims_read_numbers_with_units_dates_times_and_names():
    assert claims_of("The Quillfeather Q9 is designed to last 4 years. [2]") == [
        ("quantity", "4 years"), ("name", "Quillfeather Q9")]
    assert claims_of("a 41-month limited warranty") == [("quantity", "41-month")]
    assert claims_of("3 years and 2 months") == [("quantity", "3 years and 2 months")]
    assert claims_of("On 12 March 2024 at 9.30 am, v2.3.1 reached IP66.") == [
        ("date", "12 March 2024"), ("literal", "9.30 am"), ("literal", "v2.3.1"), ("name", "IP66")]
    assert claims_of("£42 in the UK") == [("quantity", "£42"), ("name", "UK")]  # "in" is no inch here
    assert claims_of("The one we sell. It is good.") == []  # "one" alone, a sentence's first word: no claims


@pytest.mark.parametrize(("source", "answer"), [
    ("ships with a 41-month limited warranty", "41 months"),
    ("ships with a 41-month limited warranty", "forty-one months"),
    ("a warranty of 48 months", "4 years"),
    ("a warranty of 38 months", "3 years and 2 months"),
    ("weighs 3,5 kg", "3.5 kg"),
    ("weighs 3.5 kg", "3500 g"),
    ("costs £1,290", "1290 pounds"),
    ("| X200 | 1,290 |", "£1,290"),  # a price in a table, the currency in its header
    ("turnaround is 7 business days", "7 days"),
    ("for 2 to 5 years", "2 years"),
    ("kept at 23 ± 1 °C", "23 °C"),
    ("gusts above 15 m/s", "15 metres per second"),
    ("opens at 09:30", "9:30 am"),
    ("released on 12 March 2024", "March 2024"),
    ("sealed to IP66", "IP 66"),
])
def test_a_source_supports_the_same_claim_in_other_words(source, answer):
    assert supports(source, answer)


@pytest.mark.parametrize(("source", "answer"), [
    ("ships with a 41-month limited warranty", "4 years"),  # the issue's answer
    ("ships with a 53-month limited warranty", "5 years"),  # and after the edit
    ("ships with a 41-month limited warranty", "41 years"),
    ("weighs 3,5 kg", "3.5 g"),
    ("released in March 2024", "12 March 2024"),  # more precise than the source
    ("opens at 09:30", "9:30 pm"),
    ("sealed to IP66", "IP67"),
    ("the Quillfeather Q9", "the Quillfeather Q10"),
])
def test_a_source_does_not_support_a_different_claim(source, answer):
    assert not supports(source, answer)


def test_the_faithfulness_metric_reads_through_the_same_module():
    from ragtune.claims import lexically_supported
    from ragtune.evaluate import metrics

    assert metrics.normalize is ragtune.claims.normalize
    context = "The X200 warranty is 38 months."
    assert metrics.supported("It is 38 months.", context) == lexically_supported("It is 38 months.", context) is True
    assert metrics.supported("It is 48 months.", context) is False


# ---------------------------------------------------------------------------------------------- with real chunks


@pytest.fixture(scope="module")
def quill(tmp_path_factory) -> Path:
    """The five-document knowledge base, ingested (with the default answer.grounding: warn)."""
    return ingested_project(tmp_path_factory.mktemp("grounding") / "quill", DOCS)


@pytest.fixture(scope="module")
def retrieved(quill):
    """The real top-4 chunks for the question, and the number of the one holding the warranty."""
    hits = Answerer(Project.load(quill)).retriever.search_many([QUESTION])[0]
    numbers = [n for n, h in enumerate(hits, start=1) if "41-month" in h.chunk.text]
    assert numbers, [h.chunk.text for h in hits]
    return hits, numbers[0]


def answer_with(hits, text: str, cited: list[int] | None = None) -> Answer:
    from ragtune.generate import cite, prompt

    return Answer(question=QUESTION, variant="rag", text=text, sources=list(hits),
                  cited=cite.cited_numbers(text, len(hits)) if cited is None else cited,
                  abstained=prompt.is_abstention(text))


def test_the_issue_answer_is_flagged_with_the_reason(retrieved):
    hits, right = retrieved
    other = next(n for n in range(1, len(hits) + 1) if n != right)
    answer = answer_with(hits, f"The Quillfeather Q9 is designed to last 4 years. [{other}]")
    ground(answer, "warn")
    assert answer.grounding.supported is False
    assert answer.grounding.reasons == [f"4 years is not in any source; [{other}] does not state it"]
    assert answer.text.startswith("The Quillfeather Q9 is designed to last 4 years.")  # warn keeps it
    assert "not supported by its sources: 4 years is not in any source" in answer.shown_warnings()[-1]
    assert answer.to_dict()["grounding"]["supported"] is False


def test_a_correct_cited_answer_is_supported(retrieved):
    hits, right = retrieved
    for text in (f"The Q9 has a warranty of 41 months [{right}].", f"It is a 41-month warranty. [{right}]",
                 "The Quillfeather Q9 comes with 41 months of warranty."):  # uncited: any source will do
        answer = answer_with(hits, text)
        ground(answer, "warn")
        assert answer.grounding.supported, (text, answer.grounding.reasons)
        assert answer.grounding.claims >= 1 and answer.shown_warnings() == []


def test_a_citation_of_a_chunk_without_the_claim_is_flagged(retrieved):
    hits, right = retrieved
    other = next(n for n in range(1, len(hits) + 1) if n != right)
    answer = answer_with(hits, f"The warranty is 41 months [{other}].")
    ground(answer, "warn")
    assert answer.grounding.reasons == [f"citation [{other}] points at a chunk without 41 months (it is in [{right}])"]
    answer = answer_with(hits, f"The warranty is 41 months [{len(hits) + 3}].")
    ground(answer, "warn")
    assert answer.grounding.reasons == [f"citation [{len(hits) + 3}] points at no source (there are {len(hits)})"]


def test_an_abstention_is_not_unsupported(retrieved):
    hits, _ = retrieved
    answer = answer_with(hits, "I don't know.")
    ground(answer, "abstain")
    assert answer.grounding.supported and answer.grounding.action == "kept" and answer.text == "I don't know."


def test_the_policies_on_real_chunks(retrieved):
    hits, right = retrieved
    made_up = f"It is designed to last 4 years [{right}]."
    abstained = answer_with(hits, made_up)
    ground(abstained, "abstain")
    assert abstained.text == f"{IDK} The closest source is [1]: {hits[0].chunk.source} " \
                             f"({hits[0].chunk.title} > {hits[0].chunk.section})."
    assert abstained.abstained and abstained.cited == [1]
    assert abstained.grounding.action == "abstained" and abstained.grounding.original == made_up

    extracted = answer_with(hits, made_up)
    ground(extracted, "extract")
    assert extracted.grounding.action == "extracted" and not extracted.abstained
    assert extracted.text == ("The Quillfeather Q9 drafting tablet ships with a 41-month limited warranty that "
                              f"covers the pen and the screen. [{right}]")
    assert extracted.cited == [right]

    off = answer_with(hits, made_up)
    ground(off, "off")
    assert off.grounding is None and off.text == made_up

    again = with_policy(abstained, "warn")  # compare's arms: another policy on the same generation
    assert again.text == made_up and again.cited == [right] and not again.abstained
    assert again.grounding.policy == "warn" and not again.grounding.supported and abstained.abstained
    assert with_policy(abstained, "extract").text == extracted.text


def test_best_span_needs_a_shared_word():
    sources = ["Refunds are paid within 14 days.", "Support is open Monday to Friday."]
    assert best_span("When is support open?", sources) == (2, "Support is open Monday to Friday.")
    assert best_span("Who painted the ceiling?", sources) is None
    assert check("Refunds take 14 days.", "q", sources).supported


# ---------------------------------------------------------------------------------------------- real ask path


@pytest.mark.slow
def test_each_policy_through_ask(quill):
    """The real model's answer to the question, checked; abstain and extract act on it exactly when it is
    unsupported, and a streamed answer under a replacing policy is held until checked."""
    warned = ragtune.ask(str(quill), QUESTION, overrides=["generation.max_new_tokens=32"])
    assert warned.grounding is not None and warned.grounding.policy == "warn" and warned.grounding.action == "kept"
    hits = warned.sources
    assert any(h.chunk.source == Q9 for h in hits)
    model_text = warned.text
    for policy in ("abstain", "extract"):
        pieces: list[str] = []
        answer = ragtune.ask(str(quill), QUESTION, on_token=pieces.append,
                             overrides=["generation.max_new_tokens=32", f"answer.grounding={policy}"])
        assert answer.grounding.policy == policy
        assert [p for p in pieces if p] == [answer.text]  # held, then the checked text at once
        assert answer.grounding.supported == warned.grounding.supported  # greedy: the same model answer
        if warned.grounding.supported:
            assert answer.text == model_text and answer.grounding.action == "kept"
        elif policy == "abstain":
            assert answer.text.startswith(IDK) and answer.abstained and answer.grounding.original == model_text
        else:
            assert answer.grounding.action == "extracted" and answer.text.endswith(f"[{answer.cited[0]}]")
            assert answer.text[:-4] in hits[answer.cited[0] - 1].chunk.text
    base = ragtune.ask(str(quill), QUESTION, variant="base", overrides=["generation.max_new_tokens=8"])
    assert base.grounding is None  # nothing retrieved to check against


# ---------------------------------------------------------------------------------------------- compare arms


def test_an_arm_may_set_the_grounding_policy():
    from ragtune.cli import _arm
    from ragtune.config import ArmConfig

    arm = _arm("rag-abstain=rag:answer.grounding=abstain")
    assert arm == ArmConfig(name="rag-abstain", variant="rag", set={"answer.grounding": "abstain"})
    with pytest.raises(ValueError, match="retrieval.\\*, generation.\\* and answer.\\* keys only"):
        ArmConfig(name="x", variant="rag", set={"data.seed": 1})


@pytest.mark.slow
def test_compare_measures_each_policy_as_an_arm(quill, tmp_path):
    import shutil

    from ragtune.config import ArmConfig

    root = tmp_path / "quill"
    shutil.copytree(quill, root)
    rows = [{"id": "w", "question": QUESTION, "answer": "41 months", "aliases": ["41-month"], "source": Q9},
            {"id": "f", "question": "When was Quill & Co founded?", "answer": "2011", "source": "company/about.md"},
            {"id": "u", "question": "What colour is the Q9's carry case?", "answer": "", "answerable": False}]
    (root / "questions").mkdir(exist_ok=True)
    (root / "questions" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    arms = [ArmConfig(name=f"rag-{p}", variant="rag", set={"answer.grounding": p}) for p in ("abstain", "extract")]
    run = ragtune.compare(root, variants=["rag"], arms=arms, train_missing=False, log=lambda line: None,
                          overrides=["evaluation.latency_probes=0", "evaluation.bootstrap=200",
                                     "generation.max_new_tokens=24"])
    metrics = run.results.to_json()["metrics"]
    assert set(metrics) == {"rag", "rag-abstain", "rag-extract"}
    samples = [json.loads(line) for line in (run.folder / "samples.jsonl").read_text().splitlines()]
    by = {(s["arm"], s["id"]): s for s in samples}
    for name in metrics:
        for metric in ("accuracy", "hallucination", "abstention", "unsupported"):
            iv = metrics[name][metric]
            assert iv["n"] == 3 and iv["low"] <= iv["mean"] <= iv["high"], (name, metric, iv)
    for qid in ("w", "f", "u"):
        flagged = by[("rag", qid)]["metrics"]["unsupported"]
        assert flagged == (0.0 if by[("rag", qid)]["grounding"]["supported"] else 1.0)
        for name in ("rag-abstain", "rag-extract"):  # the same model answer, flagged the same way
            assert by[(name, qid)]["metrics"]["unsupported"] == flagged
            record = by[(name, qid)]["grounding"]
            assert record["policy"] == name.removeprefix("rag-")
            assert record["action"] == ("kept" if not flagged else
                                        "abstained" if name == "rag-abstain" else record["action"])
    assert metrics["rag-abstain"]["unsupported"]["mean"] == metrics["rag"]["unsupported"]["mean"]


# ---------------------------------------------------------------------------------------------- the API field


@pytest.mark.slow
def test_the_api_field_carries_the_grounding_check(quill):
    from ragtune.server.app import create_app
    from ragtune.server.run import serve_in_thread

    body = {"model": "quill:rag", "max_tokens": 32, "temperature": 0,
            "messages": [{"role": "user", "content": QUESTION}]}
    with serve_in_thread(create_app(quill)) as url:
        extra = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300).json()["ragtune"]
        base = httpx.post(f"{url}/v1/chat/completions", json={**body, "model": "quill:base", "max_tokens": 4},
                          timeout=300).json()["ragtune"]
    grounding = extra["grounding"]
    assert set(grounding) >= {"supported", "reasons", "claims", "policy", "action"} and grounding["policy"] == "warn"
    assert isinstance(grounding["supported"], bool) and isinstance(grounding["reasons"], list)
    flagged = [w for w in extra["warnings"] if w.startswith("the answer is not supported by its sources")]
    assert bool(flagged) == (not grounding["supported"])
    assert all(r in flagged[0] for r in grounding["reasons"]) if flagged else grounding["reasons"] == []
    assert base["grounding"] is None


# ---------------------------------------------------------------------------------------------- the page


@pytest.mark.slow
def test_the_page_shows_an_unsupported_badge_with_the_reasons(page, page_errors, pumps_project):
    """The page renders the API's grounding field (the stream is the server's shape, answered by the browser's
    route so the model's answer is fixed): a badge for an unsupported answer, its reasons as the tooltip."""
    from ragtune.server.app import create_app
    from ragtune.server.run import serve_in_thread

    reasons = ["4 years is not in any source; [2] does not state it"]
    chunks = [{"choices": [{"index": 0, "delta": {"content": "It lasts 4 years. [2]"}}]},
              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
               "ragtune": {"variant": "rag", "sources": [], "cited": [2], "abstained": False,
                           "grounding": {"supported": False, "reasons": reasons, "claims": 1, "policy": "warn",
                                         "action": "kept", "notes": []},
                           "warnings": ["the answer is not supported by its sources: " + reasons[0]]}}]
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    with serve_in_thread(create_app(pumps_project)) as url:
        page.route("**/v1/chat/completions", lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=body))
        page.goto(f"{url}/")
        page.wait_for_selector("#models input[value='pumps:rag']")
        page.uncheck("#models input[value='pumps:base']")
        page.uncheck("#models input[value='pumps:few-shot']")
        page.fill("#question", "How long is the warranty?")
        page.click("#submit")
        card = ".answer[data-model='pumps:rag']"
        page.wait_for_selector(f"{card}[data-state='done']")
        assert page.get_attribute(card, "data-grounding") == "unsupported"
        assert page.inner_text(f"{card} .grounding") == "unsupported"
        assert page.get_attribute(f"{card} .grounding", "title") == reasons[0]
        assert reasons[0] in page.inner_text(f"{card} .warnings")
    assert not page_errors, page_errors
