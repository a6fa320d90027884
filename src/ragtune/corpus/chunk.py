"""Structure-aware token chunking: sections -> paragraphs -> sentences -> lines -> words.

Chunks never cross section boundaries (except that tiny neighbouring sections are merged, with the later
sub-headings kept as text lines), overlap only within a section, and are measured in real tokenizer
tokens.  All counting is batched: each sentence is tokenized once and chunks are packed from those counts.
For tokenizers whose counts are additive over whitespace (WordPiece/BERT, e.g. all-MiniLM-L6-v2) that is
exact; for others (BPE) the finished chunks are counted once more and any group that overflowed is
re-packed with a smaller budget.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError
from .document import Chunk, ParsedDocument, chunk_id
from .parsers._common import relative_heading


# --------------------------------------------------------------------------------------------------
# Token counters
# --------------------------------------------------------------------------------------------------
class SupportsCount(Protocol):
    """Anything that counts tokens: ``count(text)`` and batched ``count_many(texts)``."""

    def count(self, text: str) -> int: ...

    def count_many(self, texts: Sequence[str]) -> list[int]: ...


class WhitespaceCounter:
    """A dependency-free estimate: words x 1.3, rounded up (for tests and rough budgets)."""

    #: the count of joined texts never exceeds the sum of their counts, so packed chunks need no re-check
    additive = True

    def count(self, text: str) -> int:
        """Estimated tokens in ``text``."""
        return math.ceil(len(text.split()) * 1.3)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Estimated tokens for each text."""
        return [self.count(t) for t in texts]


class TokenCounter:
    """Count tokens (without special tokens) with a Hugging Face tokenizer or a plain function.

    ``tokenizer`` may be a model folder or hub id (``str``/``Path``), a ``tokenizers.Tokenizer``, a
    ``transformers`` tokenizer, or a callable ``text -> int``.  Fast tokenizers are used through their
    Rust backend, with truncation and padding switched off on a private copy so long texts count in full.

    ``additive`` is True when the tokenizer splits at whitespace before anything else (WordPiece/BERT
    style): then the count of texts joined by whitespace is exactly the sum of their counts.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._fn: Callable[[str], int] | None = None
        self._backend = None
        self._slow = None
        self.additive = False
        if isinstance(tokenizer, (str, Path)):
            tokenizer = _load_tokenizer(tokenizer)
        backend = getattr(tokenizer, "backend_tokenizer", None) or (
            tokenizer if hasattr(tokenizer, "encode_batch") else None
        )
        if backend is not None:
            self._backend, self.additive = _private_copy(backend)
        elif hasattr(tokenizer, "encode") and callable(tokenizer):
            self._slow = tokenizer  # a slow transformers tokenizer
        elif callable(tokenizer):
            self._fn = tokenizer
        else:
            raise TypeError(f"cannot count tokens with {type(tokenizer).__name__}")

    def count(self, text: str) -> int:
        """Tokens in ``text``."""
        return self.count_many([text])[0]

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``, tokenized as one batch."""
        texts = list(texts)
        if not texts:
            return []
        if self._backend is not None:
            encode = getattr(self._backend, "encode_batch_fast", None) or self._backend.encode_batch
            out: list[int] = []
            for start in range(0, len(texts), _BATCH):  # moderate batches beat one huge one
                out += [len(e) for e in encode(texts[start : start + _BATCH], add_special_tokens=False)]
            return out
        if self._slow is not None:
            ids = self._slow(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
            return [len(x) for x in ids]
        assert self._fn is not None
        return [int(self._fn(t)) for t in texts]


_BATCH = 512


def _load_tokenizer(name: str | Path):
    """A tokenizer from a model folder (its ``tokenizer.json`` when present) or a hub id."""
    file = Path(name) / "tokenizer.json"
    if file.is_file():
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(file))
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(name))


_WHITESPACE_SPLITTERS = {"BertPreTokenizer", "Whitespace", "WhitespaceSplit"}
_PURE_SPLITTERS = _WHITESPACE_SPLITTERS | {"Punctuation", "Digits", "UnicodeScripts", "CharDelimiterSplit"}


def _private_copy(backend) -> tuple[Any, bool]:
    """A copy of a ``tokenizers.Tokenizer`` with truncation and padding disabled, and its additivity."""
    try:
        from tokenizers import Tokenizer

        spec = backend.to_str()
        copy = Tokenizer.from_str(spec)
    except Exception:  # not a real tokenizers.Tokenizer (e.g. a test double): use it as it is
        return backend, False
    copy.no_truncation()
    copy.no_padding()
    pre = json.loads(spec).get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    types = [step.get("type") for step in steps]
    additive = bool(types) and types[0] in _WHITESPACE_SPLITTERS and set(types) <= _PURE_SPLITTERS
    return copy, additive


def as_counter(counter: Any) -> SupportsCount:
    """Accept a counter object, a tokenizer, a model path, or a ``text -> int`` function."""
    if hasattr(counter, "count_many") and hasattr(counter, "count"):
        return counter
    return TokenCounter(counter)


# --------------------------------------------------------------------------------------------------
# Splitting text into pieces
# --------------------------------------------------------------------------------------------------
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(\s+)")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "fig", "figs", "no",
     "nos", "approx", "inc", "ltd", "co", "corp", "dept", "est", "vol", "pp", "ch", "sec", "art", "al"}
)


@dataclass
class _Piece:
    """An atomic run of text: a sentence (or line/word of an overlong one) with its token count."""

    text: str
    sep: str  # what joins it to the piece before it in the same chunk
    tokens: int = 0


def split_paragraphs(text: str) -> list[str]:
    """Blocks of text separated by blank lines, stripped, empty ones dropped."""
    return [p.strip("\n").rstrip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def split_sentences(paragraph: str) -> list[tuple[str, str]]:
    """``(separator_before, sentence)`` pairs: breaks after . ! ? before a capital, digit or quote.

    Common abbreviations ("e.g.", "Dr.") and initials ("J. Smith") do not end a sentence.
    """
    out: list[tuple[str, str]] = []
    start, sep = 0, ""
    for m in _SENTENCE_END.finditer(paragraph):
        nxt = paragraph[m.end() : m.end() + 2].lstrip("\"'\u201c\u2018([")
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()):
            continue
        before = paragraph[start : m.start()].rsplit(None, 1)
        word = before[-1].lower().lstrip("(\"'") if before else ""
        if m.group(0)[0] == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        out.append((sep, paragraph[start : m.start(1)]))
        sep = "\n" if "\n" in m.group(1) else " "
        start = m.end()
    out.append((sep, paragraph[start:]))
    return [(s, t) for s, t in out if t.strip()]


def _join(pieces: Sequence[_Piece]) -> str:
    if not pieces:
        return ""
    return (pieces[0].text + "".join(p.sep + p.text for p in pieces[1:])).strip()


# --------------------------------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------------------------------
def _tail(pieces: Sequence[_Piece], budget: int) -> list[_Piece]:
    """The longest run of whole pieces from the end of ``pieces`` that fits in ``budget`` tokens."""
    total, n = 0, 0
    for piece in reversed(pieces):
        if total + piece.tokens > budget:
            break
        total += piece.tokens
        n += 1
    return list(pieces[len(pieces) - n :]) if n else []


def _pack(paragraphs: Sequence[Sequence[_Piece]], size: int, overlap: int) -> list[list[_Piece]]:
    """Greedily pack paragraphs (or, for overlong ones, their pieces) into chunks of <= ``size`` tokens.

    Each new chunk starts with up to ``overlap`` tokens of whole pieces from the end of the previous one.
    """
    chunks: list[list[_Piece]] = []
    cur: list[_Piece] = []
    cur_tok = 0
    n_new = 0  # pieces in ``cur`` that are not overlap

    def next_chunk(need: int) -> None:
        nonlocal cur, cur_tok, n_new
        source = cur
        if n_new:
            chunks.append(cur)
            source = cur[len(cur) - n_new :]
        cur = _tail(source, min(overlap, size - need)) if overlap else []
        cur_tok, n_new = sum(p.tokens for p in cur), 0

    def add(pieces: Iterable[_Piece]) -> None:
        nonlocal cur_tok, n_new
        for piece in pieces:
            cur.append(piece)
            cur_tok += piece.tokens
            n_new += 1

    for para in paragraphs:
        para_tok = sum(p.tokens for p in para)
        if cur_tok + para_tok <= size:
            add(para)
        elif para_tok <= size:
            next_chunk(para_tok)
            add(para)
        else:
            for piece in para:
                if cur and cur_tok + piece.tokens > size:
                    next_chunk(piece.tokens)
                add([piece])
    if n_new:
        chunks.append(cur)
    return chunks


@dataclass
class _Group:
    """One or more consecutive sections chunked together under the first one's heading and page."""

    doc: int
    heading: str
    page: int | None
    paragraphs: list[list[_Piece]]
    budget: int
    chunks: list[list[_Piece]] | None = None


def _section_paragraphs(text: str) -> list[list[_Piece]]:
    return [
        [_Piece(s, sep if i else "\n\n") for i, (sep, s) in enumerate(split_sentences(p))]
        for p in split_paragraphs(text)
    ]


def _refine(paragraphs: list[list[list[_Piece]]], size: int, counter: SupportsCount) -> None:
    """Split pieces longer than ``size`` into lines, then words, counting each level in one batch."""
    for pattern, sep in ((r"[^\n]+", "\n"), (r"\S+", " ")):
        long = [
            (para, i)
            for paras in paragraphs
            for para in paras
            for i, p in enumerate(para)
            if p.tokens > size and len(re.findall(pattern, p.text.strip())) > 1
        ]
        if not long:
            return
        splits = []
        for para, i in long:
            piece = para[i]
            parts = [m.group() for m in re.finditer(pattern, piece.text) if m.group().strip()]
            splits.append([_Piece(t, piece.sep if j == 0 else sep) for j, t in enumerate(parts)])
        counts = iter(counter.count_many([p.text for parts in splits for p in parts]))
        for parts in splits:
            for p in parts:
                p.tokens = next(counts)
        # replace from the back so earlier indices stay valid
        for (para, i), parts in sorted(zip(long, splits, strict=True), key=lambda x: -x[0][1]):
            para[i : i + 1] = parts


def _groups(
    doc_index: int,
    doc: ParsedDocument,
    paragraphs: list[list[list[_Piece]]],
    size: int,
    min_tokens: int,
    heading_tokens: Callable[[str], int],
) -> list[_Group]:
    """Merge runs of tiny sections (while the merged text stays within ``size``) into groups."""
    sections = [(s, paras) for s, paras in zip(doc.sections, paragraphs, strict=True) if paras]
    totals = [sum(p.tokens for para in paras for p in para) for _, paras in sections]
    groups: list[_Group] = []
    i = 0
    while i < len(sections):
        first, paras = sections[i]
        merged = [list(para) for para in paras]
        total = totals[i]
        j = i + 1
        while total < min_tokens and j < len(sections):
            section, more = sections[j]
            same = section.heading == first.heading
            line = "" if same else relative_heading(section.heading, first.heading)
            extra = totals[j] + (heading_tokens(line) if line else 0)
            if total + extra > size:
                break
            more = [list(para) for para in more]
            if line:
                more[0][0] = _Piece(more[0][0].text, "\n", more[0][0].tokens)
                merged.append([_Piece(line, "\n\n", heading_tokens(line))])
            merged.extend(more)
            total += extra
            j += 1
        groups.append(_Group(doc_index, first.heading, first.page, merged, size))
        i = j
    return groups


def chunk_documents(
    docs: Sequence[ParsedDocument],
    size: int,
    overlap: int,
    counter: Any,
    min_section_tokens: int | None = None,
) -> list[list[Chunk]]:
    """Chunk many documents at once (one tokenizer batch per stage); returns one list per document.

    See :func:`chunk_document` for the rules.
    """
    if size < 1:
        raise ConfigError(f"chunk size must be at least 1 token (got {size})")
    if overlap < 0 or overlap >= size:
        raise ConfigError(f"chunk overlap must be between 0 and size - 1 = {size - 1} tokens (got {overlap})")
    counter = as_counter(counter)
    min_tokens = min(size // 4, 64) if min_section_tokens is None else min_section_tokens

    # 1. every section -> paragraphs -> sentences, all counted in one batch
    per_doc = [[_section_paragraphs(s.text) for s in doc.sections] for doc in docs]
    pieces = [p for paras in per_doc for sec in paras for para in sec for p in para]
    for piece, n in zip(pieces, counter.count_many([p.text for p in pieces]), strict=True):
        piece.tokens = n
    # 2. overlong sentences -> lines -> words
    _refine([sec for paras in per_doc for sec in paras], size, counter)

    # 3. merge tiny sections, 4. pack, 5. unless counts are additive, count the chunks for real and re-pack
    #    any group that overflowed (BPE merges and newline tokens at the seams) with a smaller budget
    memo: dict[str, int] = {}

    def heading_tokens(line: str) -> int:
        if line not in memo:
            memo[line] = counter.count(line)
        return memo[line]

    groups = [
        g for d, (doc, paras) in enumerate(zip(docs, per_doc, strict=True))
        for g in _groups(d, doc, paras, size, min_tokens, heading_tokens)
    ]
    todo = groups
    exact = bool(getattr(counter, "additive", False))
    for _ in range(5):
        for g in todo:
            g.chunks = _pack(g.paragraphs, g.budget, min(overlap, max(g.budget - 1, 0)))
        if exact:
            break
        flat = [(g, _join(c)) for g in todo for c in g.chunks or [] if len(c) > 1]
        over: dict[int, int] = {}
        for (g, _), n in zip(flat, counter.count_many([t for _, t in flat]), strict=True):
            if n > size:
                over[id(g)] = max(over.get(id(g), 0), n - size)
        todo = [g for g in todo if id(g) in over and g.budget > 1]
        if not todo:
            break
        for g in todo:
            g.budget = max(1, g.budget - over[id(g)])

    # 6. chunks with positions and deterministic ids
    out: list[list[Chunk]] = [[] for _ in docs]
    seen: dict[tuple[int, str, str], int] = {}
    for g in groups:
        doc = docs[g.doc]
        for pieces_ in g.chunks or []:
            text = _join(pieces_)
            if not text:
                continue
            key = (g.doc, g.heading, text)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            out[g.doc].append(
                Chunk(
                    id=chunk_id(doc.source, g.heading, text, occurrence),
                    source=doc.source,
                    title=doc.title,
                    section=g.heading,
                    text=text,
                    position=len(out[g.doc]),
                    page=g.page,
                )
            )
    return out


def chunk_document(
    doc: ParsedDocument, size: int, overlap: int, counter: Any, min_section_tokens: int | None = None
) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``size`` tokens (as ``counter`` counts them).

    Paragraphs are packed greedily within each section; a paragraph longer than ``size`` is split at
    sentence boundaries, an overlong sentence at line breaks and then between words (a single word longer
    than ``size`` is the only thing that can exceed it).  Consecutive chunks of one section share up to
    ``overlap`` tokens of whole sentences; sections never share.  Sections smaller than
    ``min_section_tokens`` (default: a quarter of ``size``, at most 64) absorb the following sections while
    the merged text fits, keeping the first heading and the later sub-headings as text lines.
    """
    return chunk_documents([doc], size, overlap, counter, min_section_tokens)[0]
