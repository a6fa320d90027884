"""What keeping a local model to its sources' numbers (``answer.numbers: sources``) does, on the bundled example.

One ``ragtune compare`` run with the plain variants as the baseline and, beside each, the same variant with the
number mask, and the mask with the abstain policy on top (which shares the masked arm's generations). Prints per
arm accuracy, hallucination, abstention, the grounding check's flag rate and faithfulness with 95% intervals, the
paired differences against the unmasked arm, and generated tokens/s (the mask's cost). Usage:

    python bench/number_guard.py [--project PATH] [--variants rag,hybrid] [--limit 60] [--set key=value ...]
    python bench/number_guard.py --project PATH --overhead 16 [--repeats 2]   # the mask's cost alone

The project needs an ingested knowledge base (a temporary copy of the example is ingested when none is given);
hybrid needs a trained model (``ragtune train PROJECT --variant hybrid``), else it is trained first.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

from example_project import example_project  # noqa: E402  (bench/ is the script folder)

METRICS = ("accuracy", "hallucination", "abstention", "unsupported", "faithfulness")


def main() -> None:
    from ragtune import compare
    from ragtune.config import ArmConfig
    from ragtune.hardware import cpu_class

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project")
    parser.add_argument("--variants", default="rag")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--overhead", type=int, metavar="N", help="only time N rag questions with and without "
                        "the mask (no compare run)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.overhead:
        overhead(example_project(args.project), args.overhead, args.repeats, args.overrides)
        return
    variants = [v for v in args.variants.split(",") if v]
    arms = []
    for v in variants:
        arms.append(ArmConfig(name=f"{v}-numbers", variant=v, set={"answer.numbers": "sources"}))
        arms.append(ArmConfig(name=f"{v}-numbers-abstain", variant=v,
                              set={"answer.numbers": "sources", "answer.grounding": "abstain"}))
    run = compare(example_project(args.project), variants=variants, arms=arms, limit=args.limit,
                  overrides=["evaluation.latency_probes=0", *args.overrides])
    res = run.results.to_json()
    print(f"CPU: {cpu_class()}; {args.limit} questions; run {run.folder}")
    print(f"{'arm':<24}" + "".join(f"{m:>22}" for m in METRICS) + f"{'tokens/s':>10}")
    for arm, metrics in res["metrics"].items():
        cells = "".join(f"{iv['mean']:>8.2f} ({iv['low']:.2f}–{iv['high']:.2f})" for m in METRICS
                        for iv in [metrics[m]])
        print(f"{arm:<24}{cells}{res['performance'][arm]['generated_tokens_per_s']:>10.1f}")
    print("paired, masked minus plain (95% interval, p):")
    for c in res["comparisons"]:
        plain, masked, sign = (c["a"], c["b"], -1) if c["a"] in variants else (c["b"], c["a"], 1)
        if plain in variants and masked.startswith(f"{plain}-numbers"):
            low, high = sorted((sign * c["low"], sign * c["high"]))
            print(f"  {masked:<24} {c['metric']:<14} {sign * c['diff']:+.2f} ({low:+.2f}–{high:+.2f}) p={c['p']}")
    for v in variants:
        base = res["performance"][v]["generated_tokens_per_s"]
        masked = res["performance"][f"{v}-numbers"]["generated_tokens_per_s"]
        print(f"{v}: generated tokens/s with the mask / without: {masked / base:.2f}x (one pass each: see --overhead)")


def overhead(root: Path, questions: int, repeats: int, overrides: list[str]) -> None:
    """The mask's cost alone: the same batched rag generations with and without it, interleaved, best of
    ``repeats`` each (the answers may differ where the mask acts; the token counts are reported)."""
    import time

    from ragtune.answer import Answerer
    from ragtune.evaluate.questions import load_test_split
    from ragtune.hardware import cpu_class
    from ragtune.project import Project

    answerers = {mode: Answerer(Project.load(root, [*overrides, f"answer.numbers={mode}"]))
                 for mode in ("free", "sources")}
    asked = [p.question for p in load_test_split(answerers["free"].project)[1][:questions]]
    for answerer in answerers.values():  # load the model, retrieval and the vocabulary table before timing
        answerer.ask_many(asked[:1])
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeats):
        for mode, answerer in answerers.items():
            started = time.perf_counter()
            answers = answerer.ask_many(asked)
            took = time.perf_counter() - started
            tokens = sum(a.completion_tokens for a in answers)
            if mode not in best or took < best[mode][0]:
                best[mode] = (took, tokens)
    print(f"CPU: {cpu_class()}; {questions} rag questions, best of {repeats}")
    for mode, (took, tokens) in best.items():
        print(f"  numbers: {mode:<8} {took:6.1f} s  {tokens} tokens  {tokens / took:6.1f} tokens/s")
    ratio = (best["sources"][1] / best["sources"][0]) / (best["free"][1] / best["free"][0])
    print(f"tokens/s with the mask / without: {ratio:.2f}x")


if __name__ == "__main__":
    main()
