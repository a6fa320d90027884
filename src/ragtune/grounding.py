"""The answer-time grounding check: does a retrieving variant's answer state only what its sources state?

Each checkable claim of the answer (``ragtune.claims``: quantities in any unit, dates, literal numbers, names) is
looked up in the chunks its citations point at, then in all retrieved chunks. A quantity, date or literal that no
source states, or that its citations' chunks do not state, makes the answer unsupported, with the reason; so does
a product code or a name of several words found in neither the sources nor the question (one plain capitalised
word, "UK", is only noted), or a citation of a source that does not exist. An
abstention claims nothing. Claims are attributed to the citations of their sentence (those after them, else those
before them); claims of an uncited sentence only need some source, as do all claims when the citations were
inferred after the fact (``ragtune.generate.cite.attribute``).

The policy (``answer.grounding``) says what happens to an unsupported answer: ``warn`` keeps it, marked;
``abstain`` answers "I don't know." and points at the closest source; ``extract`` answers with the sentence of
the top sources that best matches the question, cited; ``off`` skips the check.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import log
from typing import Any

from ragtune.claims import STOPWORDS, Claim, Evidence, extract, normalize
from ragtune.generate.prompt import IDK

POLICIES = ("warn", "abstain", "extract", "off")
REPLACING = frozenset({"abstain", "extract"})  # policies that may change the answer's text
EXTRACT_FROM = 3  # the top sources whose sentences ``extract`` may answer with
_MARKERS = re.compile(r"\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d{1,3}\])*(?=\s|$)|\n")
_EXACT = ("quantity", "date", "literal")  # claims a citation must point at (a name may come from the title)


@dataclass
class Grounding:
    """The check's verdict on an answer and what the policy did with it."""

    supported: bool
    reasons: list[str] = field(default_factory=list)
    claims: int = 0  # checkable claims found in the answer
    notes: list[str] = field(default_factory=list)  # single words named by no source: shown, not flagged
    before: tuple[str, list[int], bool, bool] | None = field(default=None, repr=False)  # the answer as generated
    policy: str = "warn"
    action: str = "kept"  # kept | abstained | extracted
    original: str | None = None  # the model's answer, when the policy replaced it

    def warning(self) -> str | None:
        """A warning line for an unsupported answer (None when supported)."""
        if self.supported:
            return None
        done = {"kept": "", "abstained": " (replaced by an abstention)",
                "extracted": " (replaced by a sentence of the sources)"}[self.action]
        return f"the answer is not supported by its sources{done}: {'; '.join(self.reasons)}"

    def to_dict(self) -> dict:
        """A JSON-ready view."""
        out = {"supported": self.supported, "reasons": self.reasons, "claims": self.claims, "policy": self.policy,
               "action": self.action, "notes": self.notes}
        if self.original is not None:
            out["original"] = self.original
        return out


def _cites(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def _sentences(text: str) -> list[str]:
    """The sentences of an answer, each with the citation markers that follow its full stop."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    return [*out, text[start:]]


def _sentence_claims(text: str, n_sources: int) -> tuple[list[tuple[Claim, list[int]]], list[str]]:
    """Each claim of the answer with the citations of its sentence (the group of markers after it, else the last
    group before it); reasons for citations of sources that do not exist."""
    out, reasons = [], []
    for sentence in _sentences(text):
        groups: list[tuple[int, int, list[int]]] = []  # start, end, numbers of adjacent markers
        for m in _MARKERS.finditer(sentence):
            n = int(m.group(1))
            if not 1 <= n <= n_sources and not any(f"[{n}]" in r for r in reasons):
                reasons.append(f"citation [{n}] points at no source (there are {n_sources})")
            if groups and not sentence[groups[-1][1]:m.start()].strip():
                groups[-1] = (groups[-1][0], m.end(), [*groups[-1][2], n])
            else:
                groups.append((m.start(), m.end(), [n]))
        pieces, previous = [], 0
        for begin, finish, numbers in groups:
            pieces.append((sentence[previous:begin], numbers))
            previous = finish
        pieces.append((sentence[previous:], groups[-1][2] if groups else []))
        for piece, numbers in pieces:
            valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= n_sources]
            out += [(claim, valid) for claim in extract(piece)]
    return out, reasons


def check(text: str, question: str, sources: Sequence[str], *, abstained: bool = False,
          citations_inferred: bool = False, cited: Sequence[int] = ()) -> Grounding:
    """Check an answer against its numbered sources (texts, 1-based as cited)."""
    if abstained:
        return Grounding(supported=True)
    evidence = [Evidence.of(s) for s in sources]
    asked = Evidence.of(question)
    claims, reasons = _sentence_claims(text, len(sources))
    notes: list[str] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    for claim, group in claims:
        if citations_inferred:
            group = list(cited)
        if (claim.text.casefold(), tuple(group)) in seen:
            continue
        seen.add((claim.text.casefold(), tuple(group)))
        holding = [n for n, e in enumerate(evidence, start=1) if e.supports(claim)]
        if claim.kind == "name":
            if not holding and not asked.supports(claim):
                # a code ("Q10") or a longer name is a claim; one plain word ("UK") is often common knowledge
                weighty = len(claim.words) > 1 or any(ch.isdigit() for ch in claim.text)
                (reasons if weighty else notes).append(
                    f"{claim} is not in any source" + (f"; {_cites(group)} does not name it" if group else ""))
            continue
        if not holding:
            reasons.append(f"{claim} is not in any source" + (f"; {_cites(group)} does not state it" if group else ""))
        elif group and not set(group) & set(holding):
            reasons.append(f"citation {_cites(group)} points at a chunk without {claim} (it is in {_cites(holding)})")
    return Grounding(supported=not reasons, reasons=reasons, claims=len(seen), notes=notes)


def _terms(text: str) -> list[str]:
    return [t for t in normalize(text).split() if t not in STOPWORDS]


def best_span(question: str, sources: Sequence[str], top: int = EXTRACT_FROM) -> tuple[int, str] | None:
    """The sentence of the top sources that best matches the question (question words weighted by how few of the
    candidate sentences hold them; ties go to the higher-ranked source, then the shorter sentence), with its
    source number; None when no sentence shares a word with the question."""
    candidates = []
    for n, text in enumerate(sources[:top], start=1):
        for line in text.splitlines():
            line = re.sub(r"^[\s#>*|•-]+|[\s|]+$", "", line)
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", line):
                if len(sentence.split()) >= 3:
                    candidates.append((n, sentence.strip()))
    wanted = set(_terms(question))
    if not candidates or not wanted:
        return None
    holding = [set(_terms(s)) & wanted for _, s in candidates]
    df = {t: sum(t in h for h in holding) for t in wanted}
    best, best_key = None, None
    for (n, sentence), found in zip(candidates, holding):
        score = sum(log(1 + len(candidates) / df[t]) for t in found)
        key = (score, -n, -len(sentence))
        if score > 0 and (best_key is None or key > best_key):
            best, best_key = (n, sentence), key
    return best


def abstention(sources_described: Sequence[str]) -> str:
    """The abstain policy's answer: "I don't know." and the closest (top) source, if any."""
    if not sources_described:
        return IDK
    return f"{IDK} The closest source is [1]: {sources_described[0]}."


def apply(grounding: Grounding, policy: str, text: str, question: str, sources: Sequence[str],
          described: Sequence[str]) -> tuple[str, list[int] | None]:
    """Apply the policy to an answer the check found unsupported: the text to answer with and the sources it
    cites (None: unchanged). ``sources`` are the chunks' texts, ``described`` how each is named ("document >
    section")."""
    grounding.policy = policy
    if grounding.supported or policy not in REPLACING:
        return text, None
    grounding.original = text
    span = best_span(question, sources) if policy == "extract" else None
    if span is not None:
        grounding.action = "extracted"
        n, sentence = span
        return f"{sentence} [{n}]", [n]
    grounding.action = "abstained"
    return abstention(described), [1] if described else []


def source_text(hit: Any) -> str:
    """What the check reads of a retrieved chunk: what the prompt showed of it (document, title, section, text)."""
    return f"{hit.chunk.source}\n{hit.chunk.embed_text}"


def describe(hit: Any) -> str:
    """How a source is named in an abstention: its document and, where known, title and section."""
    c = hit.chunk
    where = " > ".join(p for p in (c.title, c.section) if p)
    return f"{c.source} ({where})" if where else c.source


def ground(answer: Any, policy: str) -> None:
    """Check a retrieving variant's ``Answer`` and apply the policy to it in place: ``answer.grounding`` is set
    (unless the policy is off), and abstain or extract replace an unsupported answer's text and citations."""
    if policy == "off":
        return
    result = check(answer.text, answer.question, [source_text(h) for h in answer.sources],
                   abstained=answer.abstained, citations_inferred=answer.citations_inferred, cited=answer.cited)
    text, cited = apply(result, policy, answer.text, answer.question, [h.chunk.text for h in answer.sources],
                        [describe(h) for h in answer.sources])
    if cited is not None:
        result.before = (answer.text, list(answer.cited), answer.citations_inferred, answer.abstained)
        answer.text, answer.cited, answer.citations_inferred = text, cited, False
        answer.abstained = result.action == "abstained"
    answer.grounding = result


def with_policy(answer: Any, policy: str) -> Any:
    """A copy of a checked (or unchecked) ``Answer`` as another grounding policy would have left it: the policy
    acts on the answer as generated, so `compare` arms that differ only in ``answer.grounding`` share one
    generation."""
    out = copy.copy(answer)
    done = answer.grounding
    if done is not None and done.before is not None:
        out.text, cited, out.citations_inferred, out.abstained = done.before
        out.cited = list(cited)
    out.grounding, out.warnings = None, list(answer.warnings)
    ground(out, policy)
    return out
