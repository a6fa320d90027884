"""An optional LLM judge of answer correctness: any local model or OpenAI-compatible endpoint."""

from __future__ import annotations

import re
from typing import Any

from ragtune.config import GenerationConfig

SYSTEM = ("You grade answers to questions against a reference answer. Reply with one word: CORRECT if the "
          "candidate states the reference answer (other wording or extra detail is fine), otherwise INCORRECT.")
NO_ANSWER = "(none: the documents do not answer this, so only a reply saying it does not know is correct)"
_VERDICT = re.compile(r"\b(INCORRECT|CORRECT)\b", re.IGNORECASE)


class Judge:
    """Grades (question, reference, candidate) triples in batches; 1.0 correct, 0.0 not, None unreadable."""

    def __init__(self, cfg: GenerationConfig) -> None:
        from ragtune.generate import load_generator

        self.cfg = cfg
        self.generator = load_generator(cfg)

    def describe(self) -> dict[str, Any]:
        """The judge as the report names it."""
        return {"backend": self.cfg.backend, "model": self.cfg.model, "base_url": self.cfg.base_url}

    def grade(self, items: list[tuple[str, str | None, str]]) -> list[float | None]:
        """Verdicts for (question, reference answer or None when unanswerable, candidate answer) items."""
        batch = [[{"role": "system", "content": SYSTEM},
                  {"role": "user", "content": f"Question: {q}\nReference answer: {ref or NO_ANSWER}\n"
                                              f"Candidate answer: {answer or '(empty)'}\nVerdict:"}]
                 for q, ref, answer in items]
        return [parse_verdict(g.text) for g in self.generator.chat_batch(batch, max_new_tokens=4, temperature=0.0)]


def parse_verdict(text: str) -> float | None:
    """1.0 for CORRECT, 0.0 for INCORRECT (the first one said), None when neither word is there."""
    found = _VERDICT.search(text)
    if found is None:
        return None
    return 0.0 if found.group(1).upper() == "INCORRECT" else 1.0
