"""RAFT rows for the hybrid model: the question, the gold chunk among real retrieved distractors, a cited answer.

After Zhang et al. 2024 (RAFT): a share of rows keeps the gold chunk (the answer cites its number), the rest
holds only distractors and the answer is still the gold one, so the model both reads and remembers. Unanswerable
questions get only retrieved chunks and the target "I don't know.".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ragtune.data.questions import QAPair
from ragtune.evaluate.metrics import found_in
from ragtune.generate import prompt
from ragtune.index.store.base import Hit

POOL = 12  # retrieved chunks considered per question (gold and distractors come from these, or the source)


def contains_answer(text: str, pair: QAPair) -> bool:
    """True when the chunk text holds the gold answer or an alias (the metrics' matcher, ``found_in``)."""
    return found_in(text, [pair.answer, *pair.aliases])


@dataclass
class RaftRow:
    """A training row in chat form with where the gold chunk went (None when left out)."""

    pair: QAPair
    hits: list[Hit]
    gold: int | None
    gold_id: str | None
    target: str

    def to_dict(self, split: str) -> dict[str, Any]:
        """The JSONL row (messages are exactly the prompt answering uses)."""
        messages = prompt.rag_messages(self.pair.question, self.hits)
        messages.append({"role": "assistant", "content": self.target})
        return {"id": self.pair.id, "split": split, "origin": self.pair.origin, "fact": self.pair.fact,
                "gold": self.gold, "gold_id": self.gold_id, "chunks": [h.chunk.id for h in self.hits],
                "messages": messages}


def _cite(answer: str, n: int) -> str:
    answer = answer.strip()
    if answer.endswith("."):
        return f"{answer[:-1]} [{n}]."
    return f"{answer} [{n}]"


def raft_rows(pairs: list[QAPair], retrieved: list[list[Hit]], source_chunks: dict[str, list[Hit]],
              distractors: int, gold_share: float, seed: int = 0) -> tuple[list[RaftRow], list[str]]:
    """One RAFT row per pair from its retrieved chunks; returns the rows and why some pairs were skipped.

    The gold chunk is the best-ranked retrieved chunk that holds the answer, else the first chunk of the pair's
    source that does. Distractors are the best-ranked retrieved chunks that do not hold the answer.
    """
    rows, skipped = [], []
    for pair, hits in zip(pairs, retrieved):
        rng = random.Random(f"{seed}:raft:{pair.id}")
        others = [h for h in hits if not (pair.answerable and contains_answer(h.chunk.text, pair))]
        if not pair.answerable:
            rows.append(RaftRow(pair, others[:distractors + 1], None, None, prompt.IDK))
            continue
        gold = next((h for h in hits if contains_answer(h.chunk.text, pair)), None)
        if gold is None:
            gold = next((h for h in source_chunks.get(pair.source or "", []) if contains_answer(h.chunk.text, pair)),
                        None)
        if gold is None:
            skipped.append(f"{pair.id}: no chunk{' of ' + pair.source if pair.source else ''} contains the answer "
                           f"{pair.answer!r}")
            continue
        keep = rng.random() < gold_share
        chosen = others[:distractors] if keep else others[:distractors + 1]
        if keep:
            chosen.insert(rng.randint(0, len(chosen)), gold)
            n = chosen.index(gold) + 1
            rows.append(RaftRow(pair, chosen, n, gold.chunk.id, _cite(pair.answer, n)))
        else:
            rng.shuffle(chosen)
            rows.append(RaftRow(pair, chosen, None, gold.chunk.id, pair.answer.strip()))
    return rows, skipped


def retrieve_pool(retriever: Any, pairs: list[QAPair]) -> list[list[Hit]]:
    """Real retrieval for every pair (batched), ``POOL`` chunks each."""
    return retriever.search_many([p.question for p in pairs], k=POOL) if pairs else []
