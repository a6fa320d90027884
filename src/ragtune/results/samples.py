"""The typed rows of a run's samples.jsonl: one answer to one question by one arm in one phase, with its
per-question metrics. Tolerant like the results models: a malformed value reads as missing."""

from __future__ import annotations

from pydantic import Field

from ragtune.results.fields import Count, Flag, Number, Text, Texts, entries, maybe, table
from ragtune.results.models import Record


class SourceRef(Record):
    """A chunk the answer was given, numbered as the answer cites it."""

    n: Count = Field(None, description="its citation number")
    id: Text = Field(None, description="the chunk id")
    document: Text = Field(None, description="the document it comes from")
    title: Text = Field(None, description="the document title")
    section: Text = Field(None, description="the section heading")
    page: Count = Field(None, description="the page (PDF)")
    score: Number = Field(None, description="the retrieval score")
    text: Text = Field(None, description="the chunk text")


class GroundingCheck(Record):
    """The answer-time grounding check of a retrieving arm's answer."""

    supported: Flag = Field(None, description="whether every checked claim is in the sources")
    reasons: Texts = Field(default_factory=list, description="what was not supported")
    claims: Count = Field(None, description="claims checked")
    policy: Text = Field(None, description="answer.grounding in force")
    action: Text = Field(None, description="what the policy did: kept, flagged, replaced")
    notes: Texts = Field(default_factory=list, description="notes of the check")
    original: Text = Field(None, description="the model's text when the policy replaced it")


class Sample(Record):
    """One samples.jsonl row."""

    phase: Text = Field(None, description="test, fresh_before, fresh_after, task or choice (a test question's "
                                          "options)")
    task: Text = Field(None, description="the task (phase task)")
    arm: Text = Field(None, description="the arm that answered")
    variant: Text = Field(None, description="its variant")
    id: Text = Field(None, description="the question id")
    question: Text = Field(None, description="the question")
    gold: Text = Field(None, description="the right answer (empty: unanswerable)")
    aliases: Texts = Field(default_factory=list, description="other accepted forms of it")
    answerable: Flag = Field(None, description="whether the documents answer it")
    kind: Text = Field(None, description="how the question was made, or the update kind")
    source: Texts = Field(default_factory=list, description="the gold source documents")
    answer: Text = Field(None, description="the arm's answer")
    abstained: Flag = Field(None, description="the answer says it does not know")
    cited: entries(int) = Field(default_factory=list, description="the source numbers it cites")
    citations_inferred: Flag = Field(None, description="citations were added by attribution")
    sources: entries(SourceRef) = Field(default_factory=list, description="the chunks it was given")
    metrics: table(Number) = Field(default_factory=dict, description="per-question metrics (docs/results.md)")
    latency_s: Number = Field(None, description="retrieval plus generation seconds (batched)")
    prompt_tokens: Count = Field(None, description="prompt length")
    completion_tokens: Count = Field(None, description="answer length")
    grounding: maybe(GroundingCheck) = Field(None, description="the grounding check (null: not checked)")
    old_answer: Text = Field(None, description="freshness: the fact before the update")
    new_answer: Text = Field(None, description="freshness: the fact after the update")
    outcome: Text = Field(None, description="freshness: new, old, idk or other")
