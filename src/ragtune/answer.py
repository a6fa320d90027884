"""Answer questions with a variant of the project.

base: the model alone; rag: retrieval + citations; ft: the fine-tuned model alone; hybrid: the RAFT-tuned model
with retrieval (ragtune.variants registers them). Evaluation and serving call the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ragtune import variants
from ragtune.access import Reader, hidden_now, reader_labels
from ragtune.errors import RagtuneError
from ragtune.generate import cite, prompt
from ragtune.generate.numbers import AllowedNumbers
from ragtune.grounding import REPLACING, Grounding, ground, source_text
from ragtune.index.store.base import Filters, Hit
from ragtune.project import Project
from ragtune.variants import DEFAULT_ASK

PROMPTS: dict[str, Callable[[str, list[Hit]], list[dict[str, str]]]] = {  # Variant.prompt -> its messages
    "base": lambda question, hits: prompt.base_messages(question),
    "rag": prompt.rag_messages,
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


class Answerer:
    """Holds a project's knowledge base, retriever and generator, loaded once and reused."""

    def __init__(self, project: Project):
        from ragtune.index.kb import KnowledgeBase

        self.project = project
        self.kb = KnowledgeBase(project)
        self._retriever = None
        self._generator = None
        self._tuned: dict[str, tuple[object, list[str]]] = {}
        self._trained_on: dict[str, int | None] = {}  # the knowledge-base version a loaded model's data came from
        self._learned: dict[tuple[str, int | None, int | None, frozenset[str]], tuple[int, int]] = {}

    @property
    def retriever(self):
        """The configured retriever over the knowledge base."""
        if self._retriever is None:
            from ragtune.index.retrieve import Retriever

            self._retriever = Retriever(self.kb.store, self.kb.embedder, self.project.config.retrieval)
        return self._retriever

    @property
    def generator(self):
        """The configured generator (local model or OpenAI-compatible endpoint)."""
        if self._generator is None:
            from ragtune.generate import load_generator

            self._generator = load_generator(self.project.config.generation)
        return self._generator

    def generator_for(self, variant: str):
        """The generator a variant answers with, and warnings about it (a stale fine-tuned model)."""
        if not variants.get(variant).trained:
            return self.generator, []
        if variant not in self._tuned:
            from ragtune.generate import load_generator
            from ragtune.training.artifact import require_model

            status = require_model(self.project, variant, kb=self.kb)
            manifest = status.manifest or {}
            cfg = self.project.config.generation.model_copy(update={"backend": "local"})
            if manifest.get("method") == "lora":
                generator = load_generator(cfg.model_copy(update={"model": manifest["base_model"]}),
                                           adapter=str(status.path))
            else:
                generator = load_generator(cfg.model_copy(update={"model": str(status.path)}))
            warnings = [f"the {variant} model is stale: {why} (run `ragtune data build` and `ragtune train`)"
                        for why in status.stale]
            self._trained_on[variant] = (manifest.get("kb") or {}).get("version")
            self._tuned[variant] = (generator, warnings)
        return self._tuned[variant]

    def _allowed(self, variant: str, reader: Reader) -> frozenset[str] | None:
        """Check the variant (and, for a retrieving one, that there is a knowledge base); the reader's labels."""
        if variants.get(variant).retrieves and self.kb.head() is None:
            raise RagtuneError(f"the knowledge base of {self.project.root} is empty: run `ragtune ingest` first")
        return reader_labels(self.project.config.access, reader)

    def _messages(self, questions: list[str], variant: str, k: int | None, filters: Filters | None,
                  allowed: frozenset[str] | None):
        spec = variants.get(variant)
        hits: list[list[Hit]] = [[] for _ in questions]
        per_question = 0.0
        if spec.retrieves:
            started = time.perf_counter()
            hits = self.retriever.search_many(questions, k=k, filters=filters, allowed=allowed)
            per_question = (time.perf_counter() - started) / max(len(questions), 1)
        return [PROMPTS[spec.prompt](q, h) for q, h in zip(questions, hits)], hits, per_question

    def _numbers(self, variant: str, questions: list[str], hits: list[list[Hit]]) -> list[AllowedNumbers] | None:
        """The numbers each answer may write under ``answer.numbers: sources`` (a retrieving variant's sources and
        question); None when they are free."""
        if not variants.get(variant).retrieves or self.project.config.answer.numbers != "sources":
            return None
        return [AllowedNumbers.of([q, *(source_text(h) for h in hs)], len(hs)) for q, hs in zip(questions, hits)]

    def _learned_hidden(self, variant: str, allowed: frozenset[str]) -> tuple[int, int]:
        """How many documents the variant's model learned from (those of the knowledge-base version its data was
        built from, else the current version's) and how many of them a reader allowed ``allowed`` may not see now:
        the current version's labels count, so access rules added after training warn too."""
        trained, head = self._trained_on.get(variant), self.kb.head()
        key = (variant, trained, head, allowed)
        if key in self._learned:
            return self._learned[key]
        current = (self.kb.manifest(head) if head is not None else None) or {"documents": {}}
        learned = self.kb.manifest(trained) if trained is not None else None
        gone = learned is None and trained is not None  # that version was dropped (`ingest --rebuild`)
        learned = learned or current
        counts = (len(learned["documents"]), hidden_now(learned, current, self.project.config.access, allowed))
        if not gone:
            self._learned[key] = counts
        return counts

    def _generator_and_warnings(self, variant: str, allowed: frozenset[str] | None) -> tuple[object, list[str]]:
        """The variant's generator and its warnings, with one about learned content for a restricted reader."""
        generator, warnings = self.generator_for(variant)
        if variants.get(variant).trained and allowed is not None:
            learned, hidden = self._learned_hidden(variant, allowed)
            if hidden:
                warnings = [*warnings, f"the {variant} model learned from all {learned} documents, {hidden} of which "
                            "this reader may not see: access labels restrict retrieval, not what a model has learned"]
        return generator, warnings

    def ask(self, question: str, variant: str = DEFAULT_ASK, k: int | None = None, filters: Filters | None = None,
            on_token: Callable[[str], None] | None = None, reader: Reader = None) -> Answer:
        """Answer one question; ``on_token`` receives text as it is generated.

        ``reader``: a user or group(s) of ``access``; retrieval then sees only the documents they may read. Under
        a grounding policy that may replace the answer (abstain, extract) a retrieving variant's text is held until
        it is checked: ``on_token`` gets an empty string per generated piece (so a consumer can still stop the
        generation), then the final text at once.
        """
        allowed = self._allowed(variant, reader)
        (messages,), (hits,), retrieval_s = self._messages([question], variant, k, filters, allowed)
        generator, warnings = self._generator_and_warnings(variant, allowed)
        rules = self._numbers(variant, [question], [hits])
        numbers = {} if rules is None else {"numbers": rules[0]}  # only local generators take the keyword
        if on_token is None:
            gen = generator.chat(messages, **numbers)
            return self._finish(question, variant, hits, retrieval_s, gen.text, gen.latency_s, gen.first_token_s,
                                gen.prompt_tokens, gen.completion_tokens, warnings)
        hold = variants.get(variant).retrieves and self.project.config.answer.grounding in REPLACING
        started = time.perf_counter()
        first, pieces = None, []
        stream = generator.stream(messages, **numbers)
        for piece in stream:
            if first is None and not hold:
                first = time.perf_counter() - started
            pieces.append(piece)
            on_token("" if hold else piece)
        done = getattr(stream, "generation", None)
        answer = self._finish(question, variant, hits, retrieval_s, "".join(pieces), time.perf_counter() - started,
                              first, done.prompt_tokens if done else 0, done.completion_tokens if done else 0,
                              warnings)
        if hold:
            answer.first_token_s = time.perf_counter() - started  # the reader sees the checked text only now
            on_token(answer.text)
        elif answer.citations_inferred:
            on_token(answer.text[len("".join(pieces).strip()):])
        return answer

    def ask_many(self, questions: list[str], variant: str = DEFAULT_ASK, k: int | None = None,
                 filters: Filters | None = None, reader: Reader = None) -> list[Answer]:
        """Answer many questions with batched retrieval and batched generation (``reader`` as in ask)."""
        allowed = self._allowed(variant, reader)
        messages, hits, retrieval_s = self._messages(questions, variant, k, filters, allowed)
        generator, warnings = self._generator_and_warnings(variant, allowed)
        rules = self._numbers(variant, questions, hits)
        generations = generator.chat_batch(messages, **({} if rules is None else {"numbers": rules}))
        return [self._finish(q, variant, h, retrieval_s, g.text, g.latency_s, g.first_token_s, g.prompt_tokens,
                             g.completion_tokens, warnings) for q, h, g in zip(questions, hits, generations)]

    def _finish(self, question, variant, hits, retrieval_s, text, generation_s, first_token_s, prompt_tokens,
                completion_tokens, warnings) -> Answer:
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
                        completion_tokens=completion_tokens, warnings=list(warnings))
        if variants.get(variant).retrieves:
            ground(answer, self.project.config.answer.grounding)
        return answer
