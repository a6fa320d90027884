"""Task evaluation cost: multiple choice by log-likelihood against writing the answer, and seconds per row.

    python bench/task_eval.py [--project PATH] [--rows 40] [--per-task 16] [--quiz-only]

1. Multiple choice (the example's policy_quiz): options scored per second by ``option_logliks`` (each option's
   text as the answer to the question alone), against the baseline measured in the same run: the same model
   writing a letter for the lettered question (greedy, 2 new tokens), in rows per second. Both in batches.
   Then the same options scored with the rag arm's prompt (the retrieved chunks before the question: a long
   prompt shared by the options), in options per second and mean prompt tokens.
2. Every task of the project with base and few-shot (untrained, so no training is needed): seconds per test row
   and the primary metric, on a seeded sample of ``--per-task`` rows (skipped with ``--quiz-only``).

Prints the CPU class (AVX2 / AVX512-BF16 / AMX) with the figures.
"""

from __future__ import annotations

import argparse
import time

from example_project import example_project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", help="an ingested project with tasks (default: a copy of the example)")
    parser.add_argument("--rows", type=int, default=40, help="quiz rows for the log-likelihood comparison")
    parser.add_argument("--per-task", type=int, default=16, help="test rows per task for the cost per row")
    parser.add_argument("--quiz-only", action="store_true", help="only the multiple-choice figures (part 1)")
    parser.add_argument("--set", action="append", default=[], help="config override, e.g. generation.dtype=bfloat16")
    args = parser.parse_args()

    from ragtune.generate.loglik import option_logliks
    from ragtune.hardware import cpu_class
    from ragtune.runtime import Runtime
    from ragtune.tasks import prompt
    from ragtune.tasks.load import load_task, load_tasks
    from ragtune.tasks.run import TaskArmPlan, answer_rows, test_rows
    from ragtune.tasks.score import PRIMARY

    root = example_project(args.project)
    runtime = Runtime.load(root, args.set)
    generator = runtime.generator
    print(f"CPU: {cpu_class()}; model {generator.name} ({generator.model.dtype})")

    quiz = load_task(runtime.project, "policy_quiz")
    rows = quiz.test[: args.rows]
    cloze = [(prompt.messages(quiz, r, cloze=True), r.choices) for r in rows]
    lettered = [prompt.messages(quiz, r) for r in rows]
    option_logliks(generator, cloze[:2])  # warm both paths
    generator.chat_batch(lettered[:2], max_new_tokens=2)
    started = time.perf_counter()
    option_logliks(generator, cloze)
    loglik_s = time.perf_counter() - started
    started = time.perf_counter()
    generator.chat_batch(lettered, max_new_tokens=2)
    written_s = time.perf_counter() - started
    options = sum(len(r.choices or []) for r in rows)
    print(f"multiple choice, {len(rows)} rows / {options} options: log-likelihood {options / loglik_s:.1f} options/s "
          f"({len(rows) / loglik_s:.2f} rows/s); written letter {len(rows) / written_s:.2f} rows/s; "
          f"log-likelihood takes {loglik_s / written_s:.2f}x the time of writing the letter")
    hits = runtime.search_many([r.input for r in rows])
    rag = [(prompt.messages(quiz, r, hits=found, cloze=True), r.choices) for r, found in zip(rows, hits)]
    tokens = sum(len(generator.encode(chat)) for chat, _ in rag) / len(rag)
    started = time.perf_counter()
    option_logliks(generator, rag)
    rag_s = time.perf_counter() - started
    print(f"multiple choice with the rag prompt ({tokens:.0f} prompt tokens on average): log-likelihood "
          f"{options / rag_s:.1f} options/s ({len(rows) / rag_s:.2f} rows/s)")
    if args.quiz_only:
        return

    limited = runtime.with_overrides([f"tasks.{name}.limit={args.per_task}" for name in runtime.project.config.tasks])
    print(f"{'task':<14}{'variant':<10}{'rows':>5}{'s/row':>8}  primary metric")
    for task in load_tasks(limited.project):
        used = test_rows(task, 0)
        for variant in ("base", "few-shot"):
            answered = answer_rows(task, TaskArmPlan(variant, variant, limited), used)
            seconds, key = answered.seconds, PRIMARY[task.kind]
            values = [s.metrics.get(key) for s in answered.samples]
            mean = sum(v for v in values if v is not None) / max(len(values), 1)
            print(f"{task.name:<14}{variant:<10}{len(used):>5}{seconds / len(used):>8.2f}  "
                  f"{key} {mean:.2f}")


if __name__ == "__main__":
    main()
