"""answer.numbers: sources — a local model may write only the numbers its sources (or the question) state."""

from __future__ import annotations

import re

import pytest
from conftest import ingested_project
from test_grounding import DOCS, QUESTION

from ragtune import Project
from ragtune.answer import Answerer
from ragtune.config import parse_config
from ragtune.errors import ConfigError
from ragtune.generate.numbers import AllowedNumbers
from ragtune.grounding import source_text

QUESTIONS = [QUESTION, "How much does the Q9 weigh?", "When was Quill & Co founded?",
             "Within how many days are refunds paid?", "When does support open?"]


def runs_outside(text: str, allowed: AllowedNumbers) -> list[str]:
    """The digit runs of ``text`` that ``allowed`` does not hold (after "[": citation numbers)."""
    out = []
    for m in re.finditer(r"[0-9]+", text):
        citation = text[:m.start()].endswith("[")
        if not allowed.whole(m.group(), citation):
            out.append(m.group())
    return out


def test_allowed_numbers_and_what_may_follow():
    a = AllowedNumbers.of(["ships with a 41-month limited warranty for $1,200", "the X200"], n_sources=3)
    assert a.numbers == {"41", "1", "200", "1200"} and a.citations == {"1", "2", "3"}
    assert a.fits("", False, " ", "4") and a.fits("4", False, "", "1")  # "4" may open "41"
    assert not a.fits("4", False, "", " years")  # ... but not end as "4"
    assert a.fits("41", False, "", "-month") and a.fits("", False, " ", "1,200") and a.fits("", False, " ", "1200")
    assert not a.fits("", False, " ", "48") and not a.fits("", False, " ", "5")
    assert a.fits("", False, "[", "3") and a.fits("3", True, "", "]")
    assert not a.fits("", False, "[", "4")  # citation numbers: 1..3 only
    assert not a.fits("", False, "[", "41")  # a number of the sources is no citation
    assert runs_outside("41 months [2], 4 years [7]", a) == ["4", "7"]


def test_an_endpoint_cannot_be_constrained():
    with pytest.raises(ConfigError, match="answer.numbers"):
        parse_config({"generation": {"backend": "openai", "base_url": "http://127.0.0.1:9/v1"},
                      "answer": {"numbers": "sources"}})


@pytest.fixture(scope="module")
def quill(tmp_path_factory):
    return ingested_project(tmp_path_factory.mktemp("numbers") / "quill", DOCS)


@pytest.mark.slow
def test_constrained_answers_write_only_their_sources_numbers(quill):
    """Batched, one at a time and streamed: every number a constrained answer writes is in its sources; the same
    model unconstrained writes numbers that are not (so the mask is what keeps them out)."""
    settings = ["generation.max_new_tokens=40"]
    unmasked = Answerer(Project.load(quill, settings))
    free = unmasked.ask_many(QUESTIONS)
    kept = Answerer(Project.load(quill, [*settings, "answer.numbers=sources"]))
    constrained = kept.ask_many(QUESTIONS)
    outside_free = []
    for f, c in zip(free, constrained):
        allowed = AllowedNumbers.of([c.question, *(source_text(h) for h in c.sources)], len(c.sources))
        assert [h.chunk.id for h in f.sources] == [h.chunk.id for h in c.sources]
        assert runs_outside(c.text, allowed) == [], (c.question, c.text)
        outside_free += runs_outside(f.text, allowed)
        if not runs_outside(f.text, allowed):
            assert c.text == f.text  # where the model kept to its sources anyway, the mask changed nothing
    assert outside_free, [f.text for f in free]  # the free model did write numbers no source states
    pieces: list[str] = []
    streamed = kept.ask(QUESTIONS[-1], on_token=pieces.append)
    assert streamed.text == constrained[-1].text and "".join(pieces).strip() == streamed.text  # fp32 greedy
    assert kept.ask(QUESTIONS[-1]).text == constrained[-1].text
    founded = "When was Quill & Co founded?"  # base retrieves nothing, so nothing masks its numbers
    assert kept.ask(founded, variant="base").text == unmasked.ask(founded, variant="base").text
