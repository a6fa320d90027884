"""Size the main job's evaluation to this machine: prints ``--set`` arguments for ``ragtune compare``.

    python scripts/size_example.py PROJECT

The speed measure is the one the job has just taken: the ft model's median training tokens/s per step (its
``log.jsonl``; the median leaves out the slow warm-up step and passing load), which moves with the machine's matrix
throughput in the dtype it chose, as generation does. At the reference speed
(measured on the 2-core AVX512-BF16 CPU where the full sizes below fit the 15-minute goal) every sample keeps its
full size; a slower machine gets proportionally smaller seeded samples, never below the floors that keep the
intervals meaningful. What it chose goes to stderr; stdout holds only the arguments.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

REFERENCE_TOKENS_PER_S = 350.0  # ft's median training speed where the full sizes fit (AVX512-BF16, 2 cores, bf16)
# The full sizes leave the job about 10% under 15 minutes at the reference speed, as this machine's speed varies by
# about that much (three idle runs at the sizes before these, 30/16/20/10/10/24: 13.7, 14.3 and 15.05 minutes).
SIZES = {  # config key: (full size, floor)
    "evaluation.limit": (28, 24),
    "evaluation.freshness.limit": (16, 12),
    "tasks.route_ticket.limit": (16, 12),
    "tasks.rma_extract.limit": (8, 8),
    "tasks.reply_style.limit": (8, 8),
    "tasks.policy_quiz.limit": (20, 16),
}


def sizes(tokens_per_s: float) -> dict[str, int]:
    """Each sample's size at this speed: full at the reference speed or faster, scaled down to its floor."""
    scale = min(1.0, tokens_per_s / REFERENCE_TOKENS_PER_S)
    return {key: max(floor, round(full * scale)) for key, (full, floor) in SIZES.items()}


def training_speed(model: Path) -> float:
    """The median tokens/s of the trained model's steps (its log), or its overall rate where no log was kept."""
    log = model / "log.jsonl"
    rates = sorted(json.loads(line)["tokens_per_s"] for line in log.read_text(encoding="utf-8").splitlines()
                   if line.strip()) if log.is_file() else []
    if rates:
        return float(statistics.median(rates))
    return float(json.loads((model / "manifest.json").read_text(encoding="utf-8"))["result"]["tokens_per_s"])


def main() -> None:
    project = Path(sys.argv[1])
    speed = training_speed(project / "models" / "ft")
    chosen = sizes(speed)
    print(f"sized to this machine: ft trained at {speed:.0f} tokens/s (reference {REFERENCE_TOKENS_PER_S:.0f}): "
          + ", ".join(f"{key.split('.', 1)[1]} {value}" for key, value in chosen.items()), file=sys.stderr)
    print(" ".join(f"--set {key}={value}" for key, value in chosen.items()))


if __name__ == "__main__":
    main()
