"""Task evaluation cost: multiple choice by log-likelihood against writing the answer, and seconds per row.

    python bench/task_eval.py [--project PATH] [--rows 40] [--per-task 16]

1. Multiple choice (the example's policy_quiz): options scored per second by ``option_logliks`` (each option's
   text as the answer to the question alone), against the baseline measured in the same run: the same model
   writing a letter for the lettered question (greedy, 2 new tokens), in rows per second. Both in batches.
2. Every task of the project with base and few-shot (untrained, so no training is needed): seconds per test row
   and the primary metric, on a seeded sample of ``--per-task`` rows.

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

    limited = runtime.with_overrides([f"tasks.{name}.limit={args.per_task}" for name in runtime.project.config.tasks])
    print(f"{'task':<14}{'variant':<10}{'rows':>5}{'s/row':>8}  primary metric")
    for task in load_tasks(limited.project):
        used = test_rows(task, 0)
        for variant in ("base", "few-shot"):
            samples, how, seconds = answer_rows(task, TaskArmPlan(variant, variant, limited), used)
            key = PRIMARY[task.kind]
            values = [s.metrics.get(key) for s in samples]
            mean = sum(v for v in values if v is not None) / max(len(values), 1)
            print(f"{task.name:<14}{variant:<10}{len(used):>5}{seconds / len(used):>8.2f}  "
                  f"{key} {mean:.2f}")


if __name__ == "__main__":
    main()
