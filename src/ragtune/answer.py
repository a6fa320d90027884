"""Answer questions with a variant of the project.

base: the model alone; few-shot: the model after the closest train questions and their answers; rag: retrieval +
citations; ft: the fine-tuned model alone; hybrid: the RAFT-tuned model with retrieval (ragtune.variants registers
them). ``ask`` and ``ask_many`` answer with what a ``Runtime`` has
loaded and one call's ``GenerationOptions``; the CLI, evaluation and the server call the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ragtune import variants
from ragtune.access import Reader, reader_labels
from ragtune.errors import RagtuneError
from ragtune.generate import cite, prompt
from ragtune.generate.base import FinishReason, Generation, GenerationOptions, Messages
from ragtune.generate.numbers import AllowedNumbers
from ragtune.grounding import REPLACING, Grounding, ground, source_text
from ragtune.index.store.base import Filters, Hit
from ragtune.project import Project
from ragtune.runtime import Runtime
from ragtune.variants import DEFAULT_ASK

if TYPE_CHECKING:
    from ragtune.generate.base import Generator
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.retrieve import Retriever

Shots = list[tuple[str, str]]  # solved examples (question, answer) of the few-shot prompt
PROMPTS: dict[str, Callable[[str, list[Hit], Shots], list[dict[str, str]]]] = {  # Variant.prompt -> messages
    "base": lambda question, hits, shots: prompt.base_messages(question),
    "rag": lambda question, hits, shots: prompt.rag_messages(question, hits),
    "few-shot": lambda question, hits, shots: prompt.few_shot_messages(question, shots),
}


@dataclass
class Answer:
    """An answer with the sources it was given, the ones it cites, and its timings."""

    question: str
    variant: str
    text: str
    sources: list[Hit] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    citations_inferred: bool = False
    abstained: bool = False
    retrieval_s: float = 0.0
    generation_s: float = 0.0
    first_token_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    warnings: list[str] = field(default_factory=list)
    grounding: Grounding | None = None  # the grounding check of a retrieving variant's answer (None: not checked)
    finish_reason: FinishReason = "stop"  # "length" when the token limit cut the answer short

    def shown_warnings(self) -> list[str]:
        """The warnings to show with the answer: the variant's, then the grounding check's if it is unsupported."""
        flagged = self.grounding.warning() if self.grounding is not None else None
        return [*self.warnings, flagged] if flagged else list(self.warnings)

    def to_dict(self) -> dict:
        """A JSON-ready view (sources with their metadata and text)."""
        return {
            "question": self.question, "variant": self.variant, "answer": self.text,
            "abstained": self.abstained, "cited": self.cited, "citations_inferred": self.citations_inferred,
            "sources": [{"n": n, "id": h.chunk.id, "document": h.chunk.source, "title": h.chunk.title,
                         "section": h.chunk.section, "page": h.chunk.page, "score": round(h.score, 4),
                         "text": h.chunk.text} for n, h in enumerate(self.sources, start=1)],
            "timings": {"retrieval_s": round(self.retrieval_s, 4), "generation_s": round(self.generation_s, 4),
                        "first_token_s": self.first_token_s},
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "grounding": self.grounding.to_dict() if self.grounding is not None else None,
            "warnings": self.shown_warnings(),
        }


def ask(runtime: Runtime, question: str, variant: str = DEFAULT_ASK, *, k: int | None = None,
        filters: Filters | None = None, on_token: Callable[[str], None] | None = None, reader: Reader = None,
        options: GenerationOptions | None = None) -> Answer:
    """Answer one question with what ``runtime`` has loaded; ``on_token`` receives text as it is generated.

    ``reader``: a user or group(s) of ``access``; retrieval then sees only the documents they may read. Under
    a grounding policy that may replace the answer (abstain, extract) a retrieving variant's text is held until
    it is checked: ``on_token`` gets an empty string per generated piece (so a consumer can still stop the
    generation), then the final text at once. ``options``: this call's generation settings (the server's
    per-request max_tokens, temperature, stop). A stream whose ``on_token`` raises is closed before the error
    goes on, so the model is free again at once.
    """
    allowed = _allowed(runtime, variant, reader)
    (messages,), (hits,), retrieval_s = _messages(runtime, [question], variant, k, filters, allowed)
    generator, warnings = _generator_and_warnings(runtime, variant, allowed)
    rules = _numbers(runtime, variant, [question], [hits])
    kwargs = {**(options or GenerationOptions()).kwargs(), **({} if rules is None else {"numbers": rules[0]})}
    if on_token is None:
        gen = generator.chat(messages, **kwargs)
        return _finish(runtime, question, variant, hits, retrieval_s, gen.text, gen.latency_s, gen.first_token_s,
                       gen.prompt_tokens, gen.completion_tokens, warnings, gen.finish_reason)
    hold = variants.get(variant).retrieves and runtime.project.config.answer.grounding in REPLACING
    started = time.perf_counter()
    first, pieces = None, []
    stream = generator.stream(messages, **kwargs)
    try:
        for piece in stream:
            if first is None and not hold:
                first = time.perf_counter() - started
            pieces.append(piece)
            on_token("" if hold else piece)
    finally:
        _close_unfinished(stream)
    done = getattr(stream, "generation", None)
    answer = _finish(runtime, question, variant, hits, retrieval_s, "".join(pieces), time.perf_counter() - started,
                     first, done.prompt_tokens if done else 0, done.completion_tokens if done else 0, warnings,
                     done.finish_reason if done else "stop")
    if hold:
        answer.first_token_s = time.perf_counter() - started  # the reader sees the checked text only now
        on_token(answer.text)
    elif answer.citations_inferred:
        on_token(answer.text[len("".join(pieces).strip()):])
    return answer


BatchGenerate = Callable[[Runtime, str, frozenset[str] | None, list[Messages], dict[str, Any]],
                         tuple[list[Generation], list[str]]]
"""Generates a batch of prompts with a variant: (runtime, variant, reader labels, prompts, ``chat_batch``
keyword arguments) -> the generations in order and the variant's warnings."""


def generate_here(runtime: Runtime, variant: str, allowed: frozenset[str] | None, messages: list[Messages],
                  kwargs: dict[str, Any]) -> tuple[list[Generation], list[str]]:
    """``ask_many``'s generation in this process: the variant's generator, one ``chat_batch``."""
    generator, warnings = _generator_and_warnings(runtime, variant, allowed)
    return generator.chat_batch(messages, **kwargs), warnings


def ask_many(runtime: Runtime, questions: list[str], variant: str = DEFAULT_ASK, *, k: int | None = None,
             filters: Filters | None = None, reader: Reader = None,
             options: GenerationOptions | None = None, generate: BatchGenerate = generate_here) -> list[Answer]:
    """Answer many questions with batched retrieval and batched generation (the rest as in ``ask``).

    ``generate``: where the prompts are generated (compare's Ray engine hands them to its actors); retrieval,
    prompts, citations and the grounding check stay in this process."""
    allowed = _allowed(runtime, variant, reader)
    messages, hits, retrieval_s = _messages(runtime, questions, variant, k, filters, allowed)
    rules = _numbers(runtime, variant, questions, hits)
    kwargs = {**(options or GenerationOptions()).kwargs(), **({} if rules is None else {"numbers": rules})}
    generations, warnings = generate(runtime, variant, allowed, messages, kwargs)
    return [_finish(runtime, q, variant, h, retrieval_s, g.text, g.latency_s, g.first_token_s, g.prompt_tokens,
                    g.completion_tokens, warnings, g.finish_reason) for q, h, g in zip(questions, hits, generations)]


class Answerer:
    """``ask`` and ``ask_many`` over one runtime, for scripts and tests: ``Answerer(project).ask(question)``."""

    def __init__(self, project: Project | Runtime):
        self.runtime = project if isinstance(project, Runtime) else Runtime(project)

    @property
    def project(self) -> Project:
        """The runtime's project."""
        return self.runtime.project

    @property
    def kb(self) -> KnowledgeBase:
        """The runtime's knowledge base."""
        return self.runtime.kb

    @property
    def retriever(self) -> Retriever:
        """The runtime's retriever."""
        return self.runtime.retriever

    def ask(self, question: str, variant: str = DEFAULT_ASK, k: int | None = None, filters: Filters | None = None,
            on_token: Callable[[str], None] | None = None, reader: Reader = None,
            options: GenerationOptions | None = None) -> Answer:
        """Answer one question (see ``ask``)."""
        return ask(self.runtime, question, variant, k=k, filters=filters, on_token=on_token, reader=reader,
                   options=options)

    def ask_many(self, questions: list[str], variant: str = DEFAULT_ASK, k: int | None = None,
                 filters: Filters | None = None, reader: Reader = None,
                 options: GenerationOptions | None = None) -> list[Answer]:
        """Answer many questions, batched (see ``ask_many``)."""
        return ask_many(self.runtime, questions, variant, k=k, filters=filters, reader=reader, options=options)


def _close_unfinished(stream: Iterator[str]) -> None:
    """Stop a stream that was left unfinished (its consumer raised), so the model is free again at once."""
    close = getattr(stream, "close", None)
    if close is not None and getattr(stream, "generation", None) is None:
        close()


def _allowed(runtime: Runtime, variant: str, reader: Reader) -> frozenset[str] | None:
    """Check the variant (and, for a retrieving one, that there is a knowledge base); the reader's labels."""
    if variants.get(variant).retrieves and runtime.kb.head() is None:
        raise RagtuneError(f"the knowledge base of {runtime.project.root} is empty: run `ragtune ingest` first")
    return reader_labels(runtime.project.config.access, reader)


def _messages(runtime: Runtime, questions: list[str], variant: str, k: int | None, filters: Filters | None,
              allowed: frozenset[str] | None) -> tuple[list[list[dict[str, str]]], list[list[Hit]], float]:
    """Each question's prompt messages and retrieved sources, and the retrieval time per question."""
    spec = variants.get(variant)
    hits: list[list[Hit]] = [[] for _ in questions]
    per_question = 0.0
    if spec.retrieves:
        started = time.perf_counter()
        hits = runtime.search_many(questions, k=k, filters=filters, allowed=allowed)
        per_question = (time.perf_counter() - started) / max(len(questions), 1)
    shots = runtime.qa_shots(questions) if spec.prompt == "few-shot" else [[] for _ in questions]
    return [PROMPTS[spec.prompt](q, h, s) for q, h, s in zip(questions, hits, shots)], hits, per_question


def _numbers(runtime: Runtime, variant: str, questions: list[str],
             hits: list[list[Hit]]) -> list[AllowedNumbers] | None:
    """The numbers each answer may write under ``answer.numbers: sources`` (a retrieving variant's sources and
    question); None when they are free."""
    if not variants.get(variant).retrieves or runtime.project.config.answer.numbers != "sources":
        return None
    return [AllowedNumbers.of([q, *(source_text(h) for h in hs)], len(hs)) for q, hs in zip(questions, hits)]


def _generator_and_warnings(runtime: Runtime, variant: str,
                            allowed: frozenset[str] | None) -> tuple[Generator, list[str]]:
    """The variant's generator and its warnings, with one about learned content for a restricted reader."""
    generator, warnings = runtime.generator_for(variant)
    if variants.get(variant).trained and allowed is not None:
        learned, hidden = runtime.learned_hidden(variant, allowed)
        if hidden:
            warnings = [*warnings, f"the {variant} model learned from all {learned} documents, {hidden} of which "
                        "this reader may not see: access labels restrict retrieval, not what a model has learned"]
    return generator, warnings


def _finish(runtime: Runtime, question: str, variant: str, hits: list[Hit], retrieval_s: float, text: str,
            generation_s: float, first_token_s: float | None, prompt_tokens: int, completion_tokens: int,
            warnings: list[str], finish_reason: FinishReason) -> Answer:
    """The Answer: citations checked (inferred when none were written), and a retrieving variant's grounding."""
    text = text.strip()
    abstained = prompt.is_abstention(text)
    cited, inferred = cite.cited_numbers(text, len(hits)), False
    if hits and not cited and not abstained:
        cited = cite.attribute(text, question, [h.chunk.embed_text for h in hits])
        if cited:
            text, inferred = text + " " + "".join(f"[{n}]" for n in cited), True
    answer = Answer(question=question, variant=variant, text=text, sources=list(hits), cited=cited,
                    citations_inferred=inferred, abstained=abstained, retrieval_s=retrieval_s,
                    generation_s=generation_s, first_token_s=first_token_s, prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens, warnings=list(warnings), finish_reason=finish_reason)
    if variants.get(variant).retrieves:
        ground(answer, runtime.project.config.answer.grounding)
    return answer
