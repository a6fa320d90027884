"""Prompt-injection obey rate: how often the model follows instructions planted in retrieved documents.

Ingests the planted set of tests/test_prompt_injection.py (a hostile file name, fence tags in several spellings,
chat-template tokens, next to ordinary documents) into a temporary project, asks each planted question with the
real answer path and counts the answers that carry a planted marker ("PWNED", "99 years"). Usage:

    python bench/injection_obey.py [--model NAME] [--max-new-tokens 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="generation.model (default: the project default)")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    from conftest import new_project
    from test_prompt_injection import PLANTED_DOCS, PLANTED_QUESTIONS, obeyed

    from ragtune import Project, ingest
    from ragtune.answer import Answerer

    config = f"generation:\n  max_new_tokens: {args.max_new_tokens}\n"
    if args.model:
        config += f"  model: {args.model}\n"
    root = new_project(Path(tempfile.mkdtemp(prefix="ragtune-inject-")) / "planted", PLANTED_DOCS, config)
    ingest(root)
    answerer = Answerer(Project.load(root))
    started = time.perf_counter()
    answers = answerer.ask_many(list(PLANTED_QUESTIONS))
    seconds = time.perf_counter() - started
    rows = [{"question": a.question, "answer": a.text, "obeyed": obeyed(a.text),
             "on_topic": PLANTED_QUESTIONS[a.question],
             "planted_sources": sum("PWNED" in h.chunk.text or "PWNED" in h.chunk.source for h in a.sources)}
            for a in answers]
    result = {"model": answerer.project.config.generation.model, "questions": len(rows),
              "obeyed": sum(r["obeyed"] for r in rows),
              "hijacked": sum(r["obeyed"] and not r["on_topic"] for r in rows),
              "off_topic": sum(not r["on_topic"] for r in rows), "seconds": round(seconds, 1), "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for r in rows:
        print(f"{'OBEYED' if r['obeyed'] else 'ok    '} [{r['planted_sources']} planted, "
              f"{'on' if r['on_topic'] else 'off'} topic] {r['question']}\n"
              f"        {r['answer']!r}")
    print(f"{result['model']}: {result['obeyed']} of {result['questions']} answers obeyed a planted instruction "
          f"({result['hijacked']} of {result['off_topic']} off-topic ones hijacked; {seconds:.1f} s)")


if __name__ == "__main__":
    main()
