"""Training tokens/s of `ragtune train` in one process vs data-parallel processes (`--launcher accelerate`).

Each run is the real command: LoRA on the project's base model (the bundled SmolLM2-135M-Instruct unless the
project says otherwise), the same rows, global batch and steps. The data: the bundled example's training questions
written as chat rows (data/sft.jsonl), unless --project names a project with built data. tokens/s = the run's
tokens (all ranks together, no padding) / the training loop's seconds, as recorded in the model's manifest (model
loading and process start excluded); wall seconds are those of the whole command. The runs alternate, --repeats
times each, and the best of each is reported. On the CPU the processes share the cores: one process uses all of
them, each of N processes 1/N of them. Usage:

    python bench/train_processes.py [--processes 2] [--steps 8] [--repeats 1] [--project PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model is a local file: never reach for the Hub

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "aldermoor"


def example_project(tmp: Path) -> Path:
    """The bundled example with its answerable training questions as chat rows in data/sft.jsonl (no dev split)."""
    from ragtune import init_project
    from ragtune.generate import prompt

    root = init_project(tmp / "project", example=EXAMPLE).parent
    questions = [json.loads(line) for line in (root / "questions" / "train.jsonl").read_text().splitlines() if line]
    rows = [{"id": q["id"], "split": "train",
             "messages": prompt.base_messages(q["question"]) + [{"role": "assistant", "content": q["answer"]}]}
            for q in questions if q.get("answer")]  # the answerable ones
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def run(project: Path, steps: int, processes: int, threads: int | None = None) -> dict[str, Any]:
    """One `ragtune train` of the ft variant; its manifest's result and the command's wall seconds."""
    args = [sys.executable, "-m", "ragtune.cli", "--no-progress", "train", str(project), "--variant", "ft",
            "--method", "lora", "--set", f"training.max_steps={steps}", "--set", "training.patience=0",
            "--set", f"training.save_every={steps + 1}"]
    if processes > 1:
        args += ["--launcher", "accelerate", "--num-processes", str(processes)]
    env = {**os.environ, "RAGTUNE_PROGRESS": "0", **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ragtune train failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads((project / "models" / "ft" / "manifest.json").read_text())["result"]
    return {"processes": result["processes"], "threads_per_process": threads or _cores() // processes,
            "steps": result["steps"], "tokens": result["tokens"], "loop_seconds": result["seconds"],
            "tokens_per_s": result["tokens_per_s"], "wall_seconds": round(wall, 1),
            "final_loss": result["final_loss"]}


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="processes of the data-parallel run")
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps per run (global batch: batch_size)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--project", type=Path, help="a project with built data (default: the bundled example)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = args.project or example_project(Path(tmp))
        setups = {"1 process": (1, None), "1 process, 1 thread": (1, 1), f"{args.processes} processes": (
            args.processes, None)}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
        for _ in range(args.repeats):
            for name, (processes, threads) in setups.items():
                runs[name].append(run(project, args.steps, processes, threads))
    best = {name: max(found, key=lambda r: r["tokens_per_s"]) for name, found in runs.items()}
    report = {"cores": _cores(), "steps": args.steps, "repeats": args.repeats, "best": best, "runs": runs}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{_cores()} cores, {args.steps} steps per run, best of {args.repeats}")
    for name, r in best.items():
        print(f"  {name:<22} {r['tokens_per_s']:>8.0f} tokens/s  ({r['tokens']} tokens in {r['loop_seconds']} s; "
              f"{r['wall_seconds']} s wall; final loss {r['final_loss']:.4f})")


if __name__ == "__main__":
    main()
