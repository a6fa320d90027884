"""Paraphrase augmentation: K rewordings of each training question and its answer.

A model that sees a fact in one phrasing learns that phrasing, not the fact; rewordings of the question (and of
the answer, which always keeps the gold string verbatim) help it learn the fact. Template rewordings need no model
and are deterministic; model rewordings are validated and topped up from the templates.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from ragtune.data.leakage import normalize, numbers
from ragtune.data.questions import QAPair
from ragtune.generate.prompt import IDK

_BE = {"is", "are", "was", "were"}
_AUX = _BE | {"does", "do", "did", "can", "could", "should", "will", "would", "has", "have", "had", "may", "must"}
_AUX |= {"shall", "might"}
_WH = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how"}
_DETERMINERS = {"the", "a", "an", "its", "their", "this", "that", "these", "those", "each", "every", "our", "your"}
_PREPOSITIONS = {"of", "to", "for", "in", "on", "at", "by", "with", "from", "about", "into", "under", "over", "per"}
_PREPOSITIONS |= {"below", "above", "after", "before", "within", "during", "until", "since", "between", "beyond"}
_PARTICIPLES = {"made", "built", "sold", "set", "kept", "written", "known", "given", "done", "run", "shown", "paid"}
_PARTICIPLES |= {"held", "found", "sent", "taken", "chosen", "put", "left", "meant", "bought", "told", "seen"}
_REQUESTS = {"tell", "list", "name", "give", "describe", "explain", "state", "provide", "summarise", "summarize"}
_REQUESTS |= {"please", "could", "can", "would", "i'd", "i", "let", "share", "show", "identify", "find", "say"}
_FUNCTION_WORDS = _WH | _AUX | _DETERMINERS | _PREPOSITIONS | _REQUESTS | {"if", "roughly", "approximately", "and"}
_PRONOUN = {"is": "it", "was": "it", "are": "they", "were": "they"}
_ENDS = (".", "!", "?")

PARAPHRASE_SYSTEM = (
    "You rewrite questions in different words. Keep the meaning, and copy every name, number and unit exactly. "
    "Reply with a numbered list and nothing else."
)

_LIST_ITEM = re.compile(r"^\s*(?:\(?\d{1,2}\s*[.):\]]|[-*•·]|\d{1,2}\s+-)\s*(.+)$")
_EXAMPLE_QUESTION = "What time does the Leeds office open on weekdays?"
_EXAMPLE_REWORDINGS = (
    "When does the Leeds office open on weekdays?",
    "On weekdays, at what time does the Leeds office open?",
    "Could you tell me the weekday opening time of the Leeds office?",
    "What is the opening time of the Leeds office from Monday to Friday?",
    "How early does the Leeds office open on a weekday?",
    "Tell me when the Leeds office opens on weekdays.",
    "At what hour does the Leeds office open during the week?",
    "On a weekday, what time does the Leeds office open its doors?",
)
_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_LABEL = re.compile(r"^(?:question|q|rephrasing|paraphrase|version)\s*\d*\s*[:.-]\s*", re.IGNORECASE)


def template_paraphrases(pair: QAPair, k: int, seed: int = 0, titles: Mapping[str, str] | None = None) -> list[QAPair]:
    """Up to ``k`` distinct rule-based rewordings of ``pair`` (deterministic for a given pair id and seed).

    Question forms follow the question's shape (what/which/how/when/where/who questions, yes/no questions,
    requests) and fall back to generic wrappers, so k up to about 10 always yields k rewordings. Answers are
    reworded by templates that keep the gold answer (occasionally an alias) verbatim; ``titles`` maps document
    paths to titles for "…, according to <title>." (the file name is used otherwise). An unanswerable pair's
    answer stays exactly "I don't know.".
    """
    rng = random.Random(f"{seed}:{pair.id}")
    questions = question_rewordings(pair.question, rng)[: max(k, 0)]
    return [_derive(pair, i, q, rng, titles) for i, q in enumerate(questions, start=1)]


def model_paraphrases(
    generator: Any,
    pairs: Sequence[QAPair],
    k: int,
    seed: int = 0,
    *,
    titles: Mapping[str, str] | None = None,
    temperature: float = 0.0,
    max_new_tokens: int | None = None,
) -> tuple[list[QAPair], int]:
    """``k`` rewordings of each pair, asked of ``generator`` (anything with ``chat_batch``) in one batch.

    Each model rewording is kept only when valid (see ``valid_rephrasings``); a pair with fewer than ``k`` valid
    ones is topped up from ``template_paraphrases``' forms. Answers come from the answer templates, so the gold
    answer stays verbatim. Returns the pairs (k per input pair, in input order) and how many were template fills.
    """
    if k <= 0 or not pairs:
        return [], 0
    longest = max(len(p.question) for p in pairs)
    budget = max_new_tokens or min(1024, k * (longest // 2 + 12))
    batch = [paraphrase_messages(p.question, k) for p in pairs]
    generations = generator.chat_batch(batch, max_new_tokens=budget, temperature=temperature)
    out: list[QAPair] = []
    fills = 0
    for pair, generation in zip(pairs, generations):
        rng = random.Random(f"{seed}:{pair.id}")
        questions = valid_rephrasings(parse_list(generation.text), pair.question)[:k]
        if len(questions) < k:
            seen = {normalize(q) for q in questions}
            extra = [q for q in question_rewordings(pair.question, rng) if normalize(q) not in seen]
            extra = extra[: k - len(questions)]
            fills += len(extra)
            questions += extra
        out.extend(_derive(pair, i, q, rng, titles) for i, q in enumerate(questions, start=1))
    return out, fills


def paraphrase_messages(question: str, k: int) -> list[dict[str, str]]:
    """Chat messages asking for ``k`` numbered rewordings of ``question``, after one worked example."""

    def ask(q: str) -> str:
        return f"Write {k} different ways to ask this question, as a numbered list.\n\nQuestion: {q.strip()}"

    shown = "\n".join(f"{i}. {q}" for i, q in enumerate(_EXAMPLE_REWORDINGS[:k], start=1))
    return [
        {"role": "system", "content": PARAPHRASE_SYSTEM},
        {"role": "user", "content": ask(_EXAMPLE_QUESTION)},
        {"role": "assistant", "content": shown},
        {"role": "user", "content": ask(question)},
    ]


def parse_list(text: str) -> list[str]:
    """The items of a numbered or bulleted list in model output (all non-intro lines when there is no list)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    items = [m.group(1) for m in map(_LIST_ITEM.match, lines) if m]
    if not items:
        items = [line for line in lines if not line.endswith(":")]
    cleaned = []
    for item in items:
        item = _LABEL.sub("", item.strip().strip("*_`").strip())
        item = item.strip().strip("\"'“”‘’").strip()
        cleaned.append(" ".join(item.split()))
    return cleaned


def valid_rephrasings(candidates: Sequence[str], original: str) -> list[str]:
    """The candidates that are usable rewordings of ``original``, in order.

    Usable: non-empty, at most 3x the original's length, not a case/punctuation-insensitive duplicate of the
    original or of an earlier candidate, ending as a question ("?") or phrased as a request ("Tell me …"), and
    keeping every number and model code of the original (a dropped "X200" asks about something else).
    """
    seen = {normalize(original)}
    required = numbers(normalize(original))
    kept = []
    for text in candidates:
        text = text.strip()
        norm = normalize(text)
        if not norm or len(text) > 3 * len(original) or norm in seen:
            continue
        if not _asks(text):
            continue
        if not required <= numbers(norm):
            continue
        seen.add(norm)
        kept.append(text)
    return kept


def _asks(text: str) -> bool:
    """True when the text's last sentence is a question or a request ("… Please keep it short.")."""
    last = _SENTENCE.split(text.strip())[-1]
    words = normalize(last).split()
    return last.endswith("?") or (bool(words) and words[0] in _REQUESTS and not last.endswith("!"))


def question_rewordings(question: str, rng: random.Random) -> list[str]:
    """Rule-based rewordings of ``question``: shape-specific forms (shuffled) first, then generic wrappers."""
    text = " ".join(question.split())
    if not text:
        return []
    specific = _specific_forms(text)
    generic = _generic_forms(text)
    rng.shuffle(specific)
    rng.shuffle(generic)
    seen = {normalize(text)}
    out = []
    for form in specific + generic:
        norm = normalize(form)
        if norm and norm not in seen:
            seen.add(norm)
            out.append(form)
    return out


def answer_rewording(pair: QAPair, rng: random.Random, titles: Mapping[str, str] | None = None) -> str:
    """A reworded answer that contains the gold answer (or, now and then, one of its aliases) verbatim."""
    if not pair.answerable:
        return IDK
    gold = pair.answer.strip()
    if pair.aliases and rng.random() < 0.2:
        gold = rng.choice(pair.aliases).strip()
    ended = gold if gold.endswith(_ENDS) else f"{gold}."
    doc = _document_name(pair.source, titles)
    words = gold.split()
    if words and words[0].lower().strip(",.") in {"yes", "no"} or len(words) > 8 or gold.endswith(_ENDS):
        forms = [gold, f"In short: {ended}"]
        if doc:
            forms.append(f"According to {doc}: {ended}")
    else:
        forms = [gold, f"It is {ended}", f"The answer is {ended}", f"That would be {ended}"]
        if doc:
            forms += [f"{gold}, according to {doc}.", f"According to {doc}, it is {ended}"]
    return rng.choice(forms)


def _derive(pair: QAPair, i: int, question: str, rng: random.Random, titles: Mapping[str, str] | None) -> QAPair:
    return QAPair(
        id=f"{pair.id}-p{i}",
        question=question,
        answer=answer_rewording(pair, rng, titles),
        aliases=list(pair.aliases),
        source=pair.source,
        answerable=pair.answerable,
        fact=pair.fact or pair.id,
        kind=pair.kind,
        origin="paraphrase",
        parent=pair.id,
    )


def _document_name(source: str | None, titles: Mapping[str, str] | None) -> str | None:
    if not source:
        return None
    if titles and titles.get(source):
        return titles[source]
    stem = PurePosixPath(source).stem.replace("-", " ").replace("_", " ").strip()
    return f"the {stem} document" if stem else None


def _lower_first(text: str) -> str:
    """Lower-case the first letter when the first word is a function word (never a name like "Aldermoor")."""
    first = text.split()[0]
    return text[0].lower() + text[1:] if first.lower() in _FUNCTION_WORDS else text


def _cap(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _is_noun_phrase(words: list[str]) -> bool:
    """A rough test that ``words`` (what follows "What is") is a noun phrase: "the warranty period of the X200"."""
    if not words:
        return False
    head = words[0]
    if head.lower() not in _DETERMINERS and not head.endswith(("'s", "’s")) and not head[:1].isupper():
        return False
    if words[-1].lower() in _PREPOSITIONS:
        return False
    return not any(
        w.lower() in _PARTICIPLES or (len(w) > 4 and w.lower().endswith("ed") and not w.lower().endswith("eed"))
        for w in words[1:]
    )


def _embedded(wh: str, rest: list[str]) -> list[str]:
    emb = f"{wh} {' '.join(rest)}"
    return [f"Could you tell me {emb}?", f"Do you know {emb}?", f"I'd like to know {emb}.", f"Can you tell me {emb}?"]


def _specific_forms(text: str) -> list[str]:
    """Forms that depend on the question's shape; empty when no rule applies."""
    core = text.rstrip(" ?.!")
    words = core.split()
    if not words:
        return []
    low = [w.lower() for w in words]
    forms: list[str] = []
    first = low[0]
    second = low[1] if len(words) > 1 else ""
    if first in _WH:
        # wh-phrase: "what", "how long", "what voltage" ... up to the first auxiliary
        aux_at = next((i for i, w in enumerate(low) if w in _AUX), None)
        if aux_at is not None and 1 <= aux_at <= 3 and low[aux_at] in _BE and _is_noun_phrase(words[aux_at + 1 :]):
            wh = " ".join(low[:1] + words[1:aux_at])
            be, rest = low[aux_at], words[aux_at + 1 :]
            noun = " ".join(rest)
            forms += _embedded(f"{wh} {noun}", [be])
            if aux_at == 1 and first == "what":
                forms += [f"Tell me {noun}.", f"{_cap(noun)} — what {be} {_PRONOUN[be]}?"]
                if be == "is":
                    forms.append(f"What's {noun}?")
            elif aux_at == 1 and first == "who":
                forms.append(f"Tell me who {noun} {be}.")
            elif aux_at == 2 and first == "how":
                forms.append(f"{_cap(noun)} — {wh} {be} {_PRONOUN[be]}?")
                if second == "long":
                    forms.append(f"What {'is' if be in ('is', 'was') else 'are'} the length of {noun}?")
        elif aux_at is None and len(words) > 2:
            # subject question ("What warranty period applies to …"): embeds without reordering
            forms += _embedded(first, words[1:])
        if first in ("what", "which") and second and second not in _AUX and second not in _PREPOSITIONS:
            swap = "Which" if first == "what" else "What"
            forms.append(f"{swap} {' '.join(words[1:])}?")
        rest = " ".join(words[2:])
        if first == "how" and len(words) > 2:
            if second == "many" and low[2] not in _AUX:
                forms.append(f"What number of {rest}?")
            elif second == "much" and low[2] not in _AUX:
                forms.append(f"What amount of {rest}?")
            elif second == "long" and low[2] in {"does", "do", "did", "will", "can", "should", "must"}:
                forms.append(f"For how long {rest}?")
        tail = " ".join(words[1:])
        if len(words) > 1 and second in _AUX:
            replacement = {"when": "At what point", "where": "At what location", "why": "For what reason"}
            if first in replacement:
                forms.append(f"{replacement[first]} {tail}?")
        if first == "who" and len(words) > 1:
            forms.append(f"Which person or team {tail}?")
    elif first in _AUX:
        lowered = _lower_first(core)
        forms += [f"Can you confirm: {lowered}?", f"I'd like to check: {lowered}?", f"Yes or no: {lowered}?"]
    elif first in _REQUESTS - {"please", "could", "can", "would", "i'd", "i", "let"}:
        lowered = _lower_first(core)
        forms += [f"Please {lowered}.", f"Could you {lowered}?", f"I'd like you to {lowered}."]
    return forms


def _generic_forms(text: str) -> list[str]:
    """Wrappers that fit any question."""
    full = text if text.endswith(_ENDS) else f"{text}?"
    lowered = _lower_first(full)
    return [
        f"Quick question: {lowered}",
        f"I need to know: {lowered}",
        f"I was wondering: {lowered}",
        f"Here is my question: {lowered}",
        f"Can you help me with this: {lowered}",
        f"According to the documentation, {lowered}",
        f"Based on the company documents, {lowered}",
        f"{full} Please answer briefly.",
        f"{full} Please keep the answer short.",
        f"Question: {full}",
        f"Please answer this: {lowered}",
    ]
