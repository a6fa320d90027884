"""Evaluation throughput: questions/s of batched answering (what `ragtune compare` does) vs one at a time.

Both answer the same test questions of the bundled example (or --project) with the same variant, model and
settings, in the same run: the baseline calls ``Answerer.ask`` per question (what a loop over a chat API does),
ragtune calls ``Answerer.ask_many`` (batched retrieval, length-grouped batched generation). Reports seconds per
question, the ratio, and how many greedy answers differ between the two (bf16 rounding depends on batch shape;
fp32 answers match). Usage:

    python bench/eval_throughput.py [--questions 32] [--variants base,rag] [--dtype bfloat16] [--batch 8]
                                    [--project PATH] [--json]

The project needs an ingested knowledge base (a temporary copy of the example is ingested when none is given).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

from example_project import example_project  # noqa: E402  (bench/ is the script folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=32)
    parser.add_argument("--variants", default="base,rag")
    parser.add_argument("--dtype", default="bfloat16", help="generation.dtype for both sides")
    parser.add_argument("--batch", type=int, default=8, help="generation.batch_size")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--project")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from ragtune.answer import Answerer
    from ragtune.evaluate.questions import load_test_split
    from ragtune.project import Project

    root = example_project(args.project)
    project = Project.load(root, [f"generation.dtype={args.dtype}", f"generation.batch_size={args.batch}",
                                  f"generation.max_new_tokens={args.max_new_tokens}"])
    _, pairs = load_test_split(project)
    questions = [p.question for p in pairs[: args.questions]]
    answerer = Answerer(project)
    out = {"questions": len(questions), "dtype": args.dtype, "batch_size": args.batch, "variants": {}}
    for variant in args.variants.split(","):
        answerer.ask(questions[0], variant)  # warm-up: loads the model, retriever and tokenizer once
        started = time.perf_counter()
        single = [answerer.ask(q, variant) for q in questions]
        one_at_a_time = time.perf_counter() - started
        started = time.perf_counter()
        batched = answerer.ask_many(questions, variant)
        together = time.perf_counter() - started
        out["variants"][variant] = {
            "one_at_a_time_s_per_q": round(one_at_a_time / len(questions), 3),
            "batched_s_per_q": round(together / len(questions), 3),
            "speedup": round(one_at_a_time / together, 2),
            "answers_differing": sum(a.text != b.text for a, b in zip(single, batched)),
        }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{len(questions)} questions, generation.dtype {args.dtype}, batch {args.batch}")
    print(f"{'variant':<8}{'one at a time s/q':>19}{'batched s/q':>13}{'speedup':>9}{'answers differing':>19}")
    for variant, row in out["variants"].items():
        print(f"{variant:<8}{row['one_at_a_time_s_per_q']:>19.3f}{row['batched_s_per_q']:>13.3f}"
              f"{row['speedup']:>8.2f}x{row['answers_differing']:>19}")


if __name__ == "__main__":
    main()
