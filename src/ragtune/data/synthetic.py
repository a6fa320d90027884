"""Synthetic question/answer pairs written from document chunks, for projects without a question set."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ragtune.corpus.document import Chunk
from ragtune.data.leakage import normalize, numbers
from ragtune.data.questions import QAPair
from ragtune.evaluate.metrics import found_in

MAX_ANSWER_WORDS = 30
MIN_GROUNDED = 0.6

QA_SYSTEM = (
    "You write quiz questions about a text. Each question must be answerable from the text alone, "
    "and each answer is a short phrase copied from the text."
)

_EXAMPLE_TEXT = (
    "The Leeds office opens at 08:30 on weekdays and closes at 17:00. Visitors must sign in at reception and "
    "wear a visitor badge. Parking for 12 cars is available behind the building."
)
_EXAMPLE_QA = (
    ("What time does the Leeds office open on weekdays?", "08:30"),
    ("Where must visitors to the Leeds office sign in?", "at reception"),
    ("How many cars can park behind the Leeds office?", "12 cars"),
    ("When does the Leeds office close?", "17:00"),
)
_STOPWORD_TEXT = """
a an the and or but of to in on at by for with from into per as is are was were be been being it its this that these
those there their they he she his her we our you your i do does did has have had not no yes can will would should may
must shall about than then so if which what who whom whose when where why how all any each every some such also only
very up out over under
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_QA_LINE = re.compile(
    r"^\s*(?:\d{1,2}\s*[.)]\s*|[-*•]\s*)?[*_]*(q|question|a|answer)\s*\d{0,2}\s*[*_]*\s*[:.)-]\s*[*_]*\s*(.*)$",
    re.IGNORECASE,
)
_INLINE_ANSWER = re.compile(r"\s+(?:A|Answer)\s*:\s+", re.IGNORECASE)
_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9£$€\"'(])")
_NUMBER = re.compile(r"(?<![\w.\-/–])[£$€]?\d(?:[\d,.]*\d)?%?(?![–-]\d)")
_UNIT = re.compile(r"\s?([A-Za-zµ°][A-Za-z/°µ²³-]*)")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*•]\s+|\d{1,2}[.)]\s+)")


def model_qa(
    generator: Any,
    chunks: Sequence[Chunk],
    per_chunk: int,
    *,
    temperature: float = 0.0,
    max_new_tokens: int | None = None,
) -> list[QAPair]:
    """Up to ``per_chunk`` pairs per chunk, written by ``generator`` (anything with ``chat_batch``) in one batch.

    A pair is kept when its question is not empty (nor a repeat) and its answer is short (at most 30 words) and
    copied from the chunk as the answer matcher (``found_in``) finds it there, or trimmed to such a span (see
    ``copied_span``), so that RAFT finds the chunk that holds it.
    """
    if per_chunk <= 0 or not chunks:
        return []
    batch = [qa_messages(chunk, per_chunk) for chunk in chunks]
    budget = max_new_tokens or min(1024, per_chunk * 64)
    generations = generator.chat_batch(batch, max_new_tokens=budget, temperature=temperature)
    pairs: list[QAPair] = []
    for chunk, generation in zip(chunks, generations):
        seen: set[str] = set()
        kept = 0
        for question, answer in parse_qa(generation.text):
            norm, span = normalize(question), copied_span(answer, chunk.text)
            if not norm or norm in seen or span is None:
                continue
            seen.add(norm)
            kept += 1
            pairs.append(_pair(chunk, f"syn-{chunk.id[:8]}-{kept}", question, span))
            if kept == per_chunk:
                break
    return pairs


def qa_messages(chunk: Chunk, n: int) -> list[dict[str, str]]:
    """Chat messages asking for ``n`` question/answer pairs about one chunk as ``Q:``/``A:`` lines, after one
    worked example."""

    def ask(text: str, where: str) -> str:
        return (
            f"Text{f' ({where})' if where else ''}:\n{text.strip()}\n\n"
            f"Write {n} questions that this text answers, each with a short answer copied from the text. "
            "Use exactly this format:\nQ: <question>\nA: <answer>"
        )

    shown = "\n".join(f"Q: {q}\nA: {a}" for q, a in _EXAMPLE_QA[:n])
    where = " > ".join(p for p in (chunk.title, chunk.section) if p)
    return [
        {"role": "system", "content": QA_SYSTEM},
        {"role": "user", "content": ask(_EXAMPLE_TEXT, "Office guide > Leeds")},
        {"role": "assistant", "content": shown},
        {"role": "user", "content": ask(chunk.text, where)},
    ]


def parse_qa(text: str) -> list[tuple[str, str]]:
    """(question, answer) pairs from ``Q:``/``A:`` lines (also "Question 1:", "**A:**", "1. Q: … A: …")."""
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for line in text.splitlines():
        match = _QA_LINE.match(line)
        if not match:
            continue
        label, value = match.group(1).lower(), _clean(match.group(2))
        if label.startswith("q"):
            parts = _INLINE_ANSWER.split(value, maxsplit=1)
            question = _clean(parts[0])
            if len(parts) == 2:
                pairs.append((question, _clean(parts[1])))
                question = None
        elif question:
            pairs.append((question, value))
            question = None
    return [(q, a) for q, a in pairs if q and a]


def copied_span(answer: str, text: str) -> str | None:
    """``answer`` as the answer matcher finds it in ``text``: the answer itself, else its longest run of words that
    the matcher finds and that keeps at least 60% of its content words and all of its numbers ("41 months warranty"
    -> "41 months" where the text says "41 months limited warranty"). None for an answer over 30 words or without
    such a run."""
    words = answer.split()
    if not words or len(words) > MAX_ANSWER_WORDS:
        return None
    if found_in(text, [answer]):
        return answer
    needed = MIN_GROUNDED * len(_content(answer))
    figures = numbers(normalize(answer))
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            if not (_content(run[0]) and _content(run[-1])):
                continue  # a run starts and ends with a content word: "Kellbeck service centre", not "… centre, in"
            span = " ".join(run).strip(",;:.!?")
            if (needed and len(_content(span)) >= needed and figures <= numbers(normalize(span))
                    and found_in(text, [span])):
                return span
    return None


def _content(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(normalize(text)) if t not in _STOPWORDS]


def template_qa(chunks: Sequence[Chunk], per_chunk: int) -> list[QAPair]:
    """A weak, model-free fallback: cloze questions whose answers are verbatim spans of the chunk.

    From sentences that carry a number (taken with its unit, e.g. "38 months") or a capitalised name, the span is
    blanked out: 'What completes this sentence from X200 Data Logger > Warranty: "… a warranty of ____."?'. When a
    chunk has too few such sentences and a section heading, one "What does <title> say about <section>?" pair
    answers with the chunk's first sentence. The questions are stilted and test recall of a sentence, not
    understanding; use a real question set or ``model_qa`` where possible.
    """
    pairs: list[QAPair] = []
    for chunk in chunks:
        where = " > ".join(p for p in (chunk.title, chunk.section) if p) or chunk.source
        made = 0
        sentences = _sentences(chunk.text)
        for sentence in sentences:
            if made == per_chunk:
                break
            span = _answer_span(sentence, chunk.text)
            if span is None:
                continue
            blank = sentence.replace(span, "____", 1)
            made += 1
            question = f'What completes this sentence from {where}: "{blank}"?'
            pairs.append(_pair(chunk, f"syn-{chunk.id[:8]}-t{made}", question, span, kind="cloze"))
        if made < per_chunk and chunk.section and chunk.title and sentences:
            first = sentences[0]
            if len(first.split()) <= MAX_ANSWER_WORDS and found_in(chunk.text, [first]):
                made += 1
                question = f"What does {chunk.title} say about {chunk.section}?"
                pairs.append(_pair(chunk, f"syn-{chunk.id[:8]}-t{made}", question, first, kind="section"))
    return pairs


def _pair(chunk: Chunk, pid: str, question: str, answer: str, kind: str | None = None) -> QAPair:
    return QAPair(
        id=pid, question=question, answer=answer, source=chunk.source, fact=pid, kind=kind, origin="synthetic"
    )


def _clean(text: str) -> str:
    return " ".join(text.strip().strip("*_`").strip().strip("\"'“”").split())


def _sentences(text: str) -> list[str]:
    """Prose sentences of 5-40 words (table rows and headings are skipped)."""
    out = []
    for line in text.splitlines():
        line = _MARKUP.sub("", line).strip()
        if not line or "|" in line:
            continue
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            if 5 <= len(sentence.split()) <= 40:
                out.append(sentence)
    return out


def _answer_span(sentence: str, text: str) -> str | None:
    """The sentence's first number with its unit ("38 months", "£190", "15%"), else its first name ("Ledgerline",
    "Aldermoor Instruments"); only a span that occurs once, is not the whole sentence and that the answer matcher
    finds in ``text`` (not "50 X" of "50 X100 loggers"). None when there is none."""
    for span in _spans(sentence):
        if (span and sentence.count(span) == 1 and len(span.split()) < len(sentence.split())
                and found_in(text, [span])):
            return span
    return None


def _spans(sentence: str) -> Iterator[str]:
    for match in _NUMBER.finditer(sentence):
        span = match.group(0)
        unit = None if span.endswith("%") else _UNIT.match(sentence, match.end())
        if unit and unit.group(1).lower() not in _STOPWORDS and len(unit.group(1)) <= 15:
            span = sentence[match.start() : unit.end()].rstrip("-")
        yield span
    for match in _NAME.finditer(sentence):
        words = match.group(0).rstrip(".,'’-").split()
        if match.start() == 0:
            # a sentence's first word is capitalised anyway: keep it only inside a longer name
            words = words[1:] if len(words) == 1 or words[0].lower() in _STOPWORDS else words
        if words and words != ["I"]:
            yield " ".join(words)
