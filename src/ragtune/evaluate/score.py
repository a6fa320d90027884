"""Turn answers into samples (samples.jsonl rows, ``ragtune.results.Sample``) with their per-question metrics."""

from __future__ import annotations

from typing import Any

from ragtune import variants
from ragtune.answer import Answer
from ragtune.data.questions import QAPair
from ragtune.evaluate import freshness as fresh
from ragtune.evaluate.metrics import freshness_outcome, score_answer
from ragtune.results import Sample


def golds(pair: QAPair) -> list[str]:
    """The accepted forms of a pair's answer (none for an unanswerable question)."""
    return [f for f in [pair.answer, *pair.aliases] if f.strip()] if pair.answerable else []


def _answer_fields(answer: Answer) -> dict[str, Any]:
    view = answer.to_dict()
    return {
        "answer": answer.text, "abstained": answer.abstained, "cited": answer.cited,
        "citations_inferred": answer.citations_inferred, "sources": view["sources"],
        "latency_s": round(answer.retrieval_s + answer.generation_s, 4), "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "grounding": answer.grounding.to_dict() if answer.grounding is not None else None,
    }


def score_test_answer(arm: str, variant: str, pair: QAPair, answer: Answer, k: int,
                      gold_text: str | None) -> Sample:
    """A test-phase sample: the question, the gold answer, the answer and its metrics."""
    forms = golds(pair)
    metrics = score_answer(
        answer=answer.text, abstained=answer.abstained, golds=forms, answerable=pair.answerable,
        retrieving=variants.get(variant).retrieves, sources=[h.chunk.text for h in answer.sources],
        source_docs=[h.chunk.source for h in answer.sources], cited=answer.cited,
        gold_docs=[pair.source] if pair.source else [], gold_text=gold_text, k=k,
        unsupported=None if answer.grounding is None else not answer.grounding.supported,
    )
    return Sample(phase="test", arm=arm, variant=variant, id=pair.id, question=pair.question,
                  gold=pair.answer if pair.answerable else "", aliases=pair.aliases, answerable=pair.answerable,
                  kind=pair.kind, source=[pair.source] if pair.source else [], **_answer_fields(answer),
                  metrics=metrics)


def score_fresh_answer(phase: str, arm: str, variant: str, question: fresh.UpdateQuestion,
                       answer: Answer) -> Sample:
    """A freshness sample (phase fresh_before or fresh_after): which fact the answer gave, and whether that is
    right for the phase."""
    outcome = freshness_outcome(answer=answer.text, abstained=answer.abstained, old=question.old, new=question.new)
    right = fresh.updated_score(question, outcome, phase)
    expected = question.new if phase == "fresh_after" else question.old
    return Sample(phase=phase, arm=arm, variant=variant, id=question.id, question=question.question,
                  gold=expected[0] if expected else "", aliases=expected[1:], answerable=bool(expected),
                  kind=question.kind, source=[question.source] if question.source else [], **_answer_fields(answer),
                  old_answer=question.old[0] if question.old else "",
                  new_answer=question.new[0] if question.new else "",
                  outcome=outcome, metrics={"correct": right, "updated": right if phase == "fresh_after" else None})
