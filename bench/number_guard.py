"""What keeping a local model to its sources' numbers (``answer.numbers: sources``) does, on the bundled example.

One ``ragtune compare`` run with the plain variants as the baseline and, beside each, the same variant with the
number mask, and the mask with the abstain policy on top (which shares the masked arm's generations). Prints per
arm accuracy, hallucination, abstention, the grounding check's flag rate and faithfulness with 95% intervals, the
paired differences against the unmasked arm, and generated tokens/s (the mask's cost). Usage:

    python bench/number_guard.py [--project PATH] [--variants rag,hybrid] [--limit 60] [--set key=value ...]

The project needs an ingested knowledge base (a temporary copy of the example is ingested when none is given);
hybrid needs a trained model (``ragtune train PROJECT --variant hybrid``), else it is trained first.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "aldermoor"
METRICS = ("accuracy", "hallucination", "abstention", "unsupported", "faithfulness")


def _project(path: str | None) -> Path:
    if path:
        return Path(path)
    from ragtune import ingest, init_project

    root = Path(tempfile.mkdtemp(prefix="ragtune-bench-")) / "example"
    init_project(root, example=EXAMPLE)
    ingest(root)
    return root


def main() -> None:
    from ragtune import compare
    from ragtune.config import ArmConfig
    from ragtune.hardware import cpu_class

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project")
    parser.add_argument("--variants", default="rag")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    arms = []
    for v in variants:
        arms.append(ArmConfig(name=f"{v}-numbers", variant=v, set={"answer.numbers": "sources"}))
        arms.append(ArmConfig(name=f"{v}-numbers-abstain", variant=v,
                              set={"answer.numbers": "sources", "answer.grounding": "abstain"}))
    run = compare(_project(args.project), variants=variants, arms=arms, limit=args.limit,
                  overrides=["evaluation.latency_probes=0", *args.overrides])
    res = run.results
    print(f"CPU: {cpu_class()}; {args.limit} questions; run {run.folder}")
    print(f"{'arm':<24}" + "".join(f"{m:>22}" for m in METRICS) + f"{'tokens/s':>10}")
    for arm, metrics in res["metrics"].items():
        cells = "".join(f"{iv['mean']:>8.2f} ({iv['low']:.2f}–{iv['high']:.2f})" for m in METRICS
                        for iv in [metrics[m]])
        print(f"{arm:<24}{cells}{res['performance'][arm]['generated_tokens_per_s']:>10.1f}")
    print("paired, masked minus plain (95% interval, p):")
    for c in res["comparisons"]:
        if c["b"] in variants and c["a"].startswith(f"{c['b']}-numbers"):
            print(f"  {c['a']:<24} {c['metric']:<14} {c['diff']:+.2f} ({c['low']:+.2f}–{c['high']:+.2f}) p={c['p']}")
    for v in variants:
        base = res["performance"][v]["generated_tokens_per_s"]
        masked = res["performance"][f"{v}-numbers"]["generated_tokens_per_s"]
        print(f"{v}: generated tokens/s with the mask / without: {masked / base:.2f}x")


if __name__ == "__main__":
    main()
