"""Training throughput (tokens/s) of `ragtune train --method lora` vs TRL's SFTTrainer with its default settings.

Both systems train one epoch of the same rows of data/sft.jsonl (the aldermoor example unless --project is given),
from the same base model, with the same LoRA shape and sequence length, in the same run, alternately. tokens/s =
the rows' token count (ragtune's tokenization, no padding) / wall seconds of the training call (model loading and
dataset preparation excluded). Also reports the share of this CPU's measured matmul peak reached, taking
4 * N FLOPs per trained token for LoRA on a model of N parameters. Usage:

    python bench/train_throughput.py [--rows 256] [--repeats 1] [--project PATH] [--skip-baseline] [--json]

The baseline needs TRL (pip install trl). Everything is loaded from local files: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the base model is a local folder: never reach for the Hub
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "aldermoor"
GOAL = 1.5
MATMUL_SIZE = 2048


# ----------------------------------------------------------------------------- shared inputs


def make_project(tmp: Path) -> Path:
    import ragtune

    root = tmp / "project"
    ragtune.init_project(root, example=EXAMPLE)
    ragtune.ingest(root)
    ragtune.build_data(root)
    return root


def load_inputs(project_root: Path, rows: int) -> dict[str, Any]:
    """The first ``rows`` train rows, the base model's folder, its tokenizer and ragtune's encoding of the rows."""
    from transformers import AutoTokenizer

    from ragtune.generate.models import resolve_model_path
    from ragtune.project import Project
    from ragtune.training.rows import encode_chat_rows, read_rows
    from ragtune.training.trainer import base_model_spec

    project = Project.load(project_root)
    path = project.data_file("sft")
    train_rows = [r for r in read_rows(path) if r.get("split", "train") == "train"][:rows]
    spec = base_model_spec(project)
    folder = resolve_model_path(spec)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    examples = encode_chat_rows(tokenizer, train_rows, project.config.training.max_seq_len, path)
    return {"project": project, "rows": train_rows, "spec": spec, "folder": folder, "examples": examples,
            "tokens": sum(len(e.input_ids) for e in examples),
            "trained_tokens": sum(e.trained_tokens for e in examples)}


def count_parameters(folder: str) -> int:
    """Parameters of the base model (tied weights counted once)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
    return sum(p.numel() for p in model.parameters())


def matmul_peak(dtype: Any, size: int = MATMUL_SIZE, repeats: int = 5) -> float:
    """Best GFLOP/s of a size x size matmul in ``dtype`` (the CPU's practical compute ceiling)."""
    import torch

    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b  # warm up (kernel choice, page faults)
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 / best / 1e9


def checkpointing(causal: Any) -> bool:
    """Whether the model recomputes activations in the backward pass (gradient/activation checkpointing)."""
    for name in ("is_activation_checkpointing", "is_gradient_checkpointing"):  # the new name first (transformers 5)
        if hasattr(type(causal), name):
            return bool(getattr(causal, name))
    return False


def frozen_and_trainable(model: Any) -> tuple[str, str]:
    frozen = next((p.dtype for p in model.parameters() if not p.requires_grad), None)
    trained = next((p.dtype for p in model.parameters() if p.requires_grad), None)
    return str(frozen).removeprefix("torch."), str(trained).removeprefix("torch.")


# ----------------------------------------------------------------------------- ragtune


def bench_ragtune(inputs: dict[str, Any], work: Path) -> dict[str, Any]:
    """One epoch of ragtune's own LoRA path (model preparation and training loop), timed around ``run()``."""
    from ragtune.training.loop import EAGER_ATTENTION_MAX_LEN, LoopSettings, TrainingLoop
    from ragtune.training.trainer import _prepare_model

    project = inputs["project"]
    cfg = project.config.training
    with warnings.catch_warnings():  # transformers 5 deprecation notices raised inside PEFT
        warnings.simplefilter("ignore", FutureWarning)
        model, tokenizer = _prepare_model(inputs["spec"], "lora", project)
    settings = LoopSettings.from_config(cfg.model_copy(update={"method": "lora"}), epochs=1, max_steps=None,
                                        eval_every=0, save_every=10 ** 9, patience=0)
    loop = TrainingLoop(model, inputs["examples"], [], tokenizer.pad_token_id, settings, work, {"bench": True})
    batches = loop._epoch(0)
    longest = [max(len(inputs["examples"][i].input_ids) for i in batch) for batch in batches]
    eager = sum(1 for n in longest if n <= EAGER_ATTENTION_MAX_LEN)
    started = time.perf_counter()
    result = loop.run()
    seconds = time.perf_counter() - started
    causal = model.get_base_model()
    frozen, trained = frozen_and_trainable(model)
    losses = [row["loss"] for row in result.curve]
    return {
        "seconds": seconds, "steps": result.steps, "tokens_counted_by_system": result.tokens,
        "step_seconds": [round(r["tokens"] / r["tokens_per_s"], 2) for r in result.curve if r["tokens_per_s"]],
        "final_loss": result.final_loss, "mean_loss": sum(losses) / len(losses) if losses else None,
        "padding_share": result.padding_share,
        "settings": {
            "gradient_checkpointing": checkpointing(causal),
            "autocast": str(settings.autocast).removeprefix("torch.") if settings.autocast is not None else "none",
            "frozen_weights_dtype": frozen, "adapter_dtype": trained,
            "attention": f"eager for {eager} batches, sdpa for {len(batches) - eager} "
                         f"(eager up to {EAGER_ATTENTION_MAX_LEN} tokens)",
            "batching": f"{settings.batch_size} rows/batch (<= {settings.batch_tokens} padded tokens), "
                        f"grouped by length, {len(batches)} batches",
            "loss": "answer tokens only; output head on labelled positions only",
            "learning_rate": settings.learning_rate,
            "optimizer": "torch AdamW (foreach)",
        },
    }


# ----------------------------------------------------------------------------- TRL baseline


class _CountingCollator:
    """Wraps the trainer's collator to count real and padded positions of the batches it trains on."""

    def __init__(self, inner: Any):
        self.inner, self.real, self.padded, self.batches, self.labelled = inner, 0, 0, 0, 0

    def __call__(self, features: Any) -> Any:
        batch = self.inner(features)
        mask = batch.get("attention_mask")
        ids = batch["input_ids"]
        self.real += int(mask.sum()) if mask is not None else ids.numel()
        self.padded += ids.numel()
        self.batches += 1
        if batch.get("labels") is not None:  # positions that carry a loss (before the one-token shift)
            self.labelled += int((batch["labels"] != -100).sum())
        return batch


def bench_trl(inputs: dict[str, Any], work: Path) -> dict[str, Any]:
    """One epoch of TRL's SFTTrainer with its defaults (model given as a path, so TRL loads it its own way)."""
    import datasets
    from peft import LoraConfig
    from transformers import AutoTokenizer, TrainerCallback
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from trl import SFTConfig, SFTTrainer

    class StepTimer(TrainerCallback):
        """Notes each optimizer step's wall time (logging only)."""

        def __init__(self):
            self.seconds: list[float] = []
            self.started = 0.0

        def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
            self.started = time.perf_counter()

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            self.seconds.append(time.perf_counter() - self.started)

    cfg = inputs["project"].config.training
    lora = cfg.lora
    tokenizer = AutoTokenizer.from_pretrained(inputs["folder"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = datasets.Dataset.from_list(
        [{"prompt": row["messages"][:-1], "completion": [row["messages"][-1]]} for row in inputs["rows"]])
    peft_config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                             target_modules=lora.target_modules, task_type="CAUSAL_LM")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        args = SFTConfig(output_dir=str(work), use_cpu=True, num_train_epochs=1, max_length=cfg.max_seq_len,
                         report_to="none", save_strategy="no", logging_steps=10, seed=0, dataloader_num_workers=0,
                         disable_tqdm=True)
        trainer = SFTTrainer(model=inputs["folder"], args=args, train_dataset=dataset, peft_config=peft_config,
                             processing_class=tokenizer)
    for callback in (PrinterCallback, ProgressCallback):  # log printing only, no effect on training
        trainer.remove_callback(callback)
    counter = _CountingCollator(trainer.data_collator)
    trainer.data_collator = counter
    timer = StepTimer()
    trainer.add_callback(timer)
    system_tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        output = trainer.train()
        seconds = time.perf_counter() - started
    logged = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    model = trainer.model
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    frozen, trained = frozen_and_trainable(model)
    completion_only = "auto (prompt/completion data)" if args.completion_only_loss is None else str(
        args.completion_only_loss)
    return {
        "seconds": seconds, "steps": trainer.state.global_step, "tokens_counted_by_system": system_tokens,
        "tokens_seen_in_batches": counter.real, "trained_tokens_in_batches": counter.labelled,
        "step_seconds": [round(t, 2) for t in timer.seconds],
        "final_loss": logged[-1] if logged else output.training_loss, "mean_loss": output.training_loss,
        "padding_share": 1 - counter.real / counter.padded if counter.padded else 0.0,
        "settings": {
            "gradient_checkpointing": checkpointing(causal),
            "autocast": "bfloat16" if args.bf16 else ("float16" if args.fp16 else "none"),
            "frozen_weights_dtype": frozen, "adapter_dtype": trained,
            "attention": str(getattr(causal.config, "_attn_implementation", "?")),
            "batching": f"{args.per_device_train_batch_size} rows/batch, sampler {args.train_sampling_strategy}, "
                        f"packing={args.packing}, padding_free={args.padding_free}, {counter.batches} batches",
            "loss": f"completion_only_loss={completion_only}, "
                    f"loss_type={args.loss_type}",
            "learning_rate": args.learning_rate,
            "optimizer": getattr(args.optim, "value", str(args.optim)),
        },
    }


# ----------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256, help="train on the first N train rows of data/sft.jsonl")
    parser.add_argument("--repeats", type=int, default=1, help="alternate runs of each system; the best one counts")
    parser.add_argument("--project", type=Path, help="an existing project with built data (default: a fresh "
                        "aldermoor example project)")
    parser.add_argument("--skip-baseline", action="store_true", help="time ragtune only")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object instead")
    args = parser.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from ragtune.progress import set_progress

    set_progress(False)  # progress bars and advisory logs only: no effect on either training run
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    with contextlib.suppress(ImportError):
        import datasets

        datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.project:
            project_root = args.project
        else:
            with contextlib.redirect_stdout(io.StringIO()):
                project_root = make_project(tmp)
        inputs = load_inputs(project_root, args.rows)
        params = count_parameters(inputs["folder"])
        peak = {"bfloat16": matmul_peak(torch.bfloat16), "float32": matmul_peak(torch.float32)}
        runs: dict[str, list[dict[str, Any]]] = {"ragtune": [], "trl": []}
        for repeat in range(args.repeats):
            # ragtune first: whatever the first run pays for warming up the process counts against ragtune
            order = ["ragtune", "trl"] if repeat % 2 == 0 else ["trl", "ragtune"]
            for system in order:
                if system == "trl" and args.skip_baseline:
                    continue
                work = tmp / f"{system}-{repeat}"
                runs[system].append(bench_ragtune(inputs, work) if system == "ragtune" else bench_trl(inputs, work))

    tokens = inputs["tokens"]
    results: dict[str, Any] = {
        "rows": len(inputs["examples"]), "tokens": tokens, "trained_tokens": inputs["trained_tokens"],
        "base_model": inputs["spec"], "parameters": params, "flops_per_token": 4 * params,
        "peak_gflops": peak, "repeats": args.repeats, "threads": torch.get_num_threads(), "systems": {},
    }
    for system, done in runs.items():
        if not done:
            continue
        best = min(done, key=lambda r: r["seconds"])
        tok_s = tokens / best["seconds"]
        gflops = 4 * params * tok_s / 1e9
        results["systems"][system] = {
            **best, "tokens_per_s": tok_s, "achieved_gflops": gflops,
            "share_of_bf16_peak": gflops / peak["bfloat16"], "share_of_fp32_peak": gflops / peak["float32"],
            "all_seconds": [r["seconds"] for r in done],
        }
        if not all(math.isfinite(r["mean_loss"]) for r in done if r["mean_loss"] is not None):
            results["systems"][system]["warning"] = "non-finite training loss"
    systems = results["systems"]
    if "trl" in systems:
        results["ratio_tokens_per_s"] = systems["ragtune"]["tokens_per_s"] / systems["trl"]["tokens_per_s"]
        results["goal"] = GOAL
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_report(results)


def print_report(results: dict[str, Any]) -> None:
    systems = results["systems"]
    peak = results["peak_gflops"]
    print(f"LoRA training on {results['rows']} rows of data/sft.jsonl: {results['tokens']} tokens "
          f"({results['trained_tokens']} with loss), base model {results['base_model']} "
          f"({results['parameters'] / 1e6:.1f} M parameters), {results['threads']} threads, best of "
          f"{results['repeats']}")
    print(f"{'system':<10}{'wall s':>9}{'steps':>7}{'tokens':>9}{'tokens/s':>10}{'final loss':>12}{'mean loss':>11}"
          f"{'padding':>9}{'GFLOP/s':>9}{'bf16 peak':>11}{'fp32 peak':>11}")
    for name, s in systems.items():
        final = f"{s['final_loss']:.3f}" if s["final_loss"] is not None else "n/a"
        mean = f"{s['mean_loss']:.3f}" if s["mean_loss"] is not None else "n/a"
        print(f"{name:<10}{s['seconds']:>9.1f}{s['steps']:>7}{results['tokens']:>9}{s['tokens_per_s']:>10.0f}"
              f"{final:>12}{mean:>11}{100 * s['padding_share']:>8.0f}%{s['achieved_gflops']:>9.1f}"
              f"{100 * s['share_of_bf16_peak']:>10.1f}%{100 * s['share_of_fp32_peak']:>10.1f}%")
        if "warning" in s:
            print(f"  warning: {s['warning']}")
    print("final loss: ragtune's last step; TRL's last logged value (the mean over its last logging window); "
          "mean loss: over all steps")
    for name, s in systems.items():
        steps = s["step_seconds"]
        if len(steps) > 1:
            print(f"  {name} step times: first {steps[0]:.1f} s, then median {statistics.median(steps[1:]):.1f} s "
                  f"(the timed call includes the first)")
    print(f"compute ceiling: {MATMUL_SIZE}x{MATMUL_SIZE} matmul {peak['bfloat16']:.0f} GFLOP/s in bf16, "
          f"{peak['float32']:.0f} GFLOP/s in fp32; 4 x {results['parameters'] / 1e6:.1f} M = "
          f"{results['flops_per_token'] / 1e6:.0f} MFLOP per token")
    if "trl" in systems:
        trl = systems["trl"]
        print(f"TRL's own token count: {trl['tokens_counted_by_system']} after its tokenization, "
              f"{trl['tokens_seen_in_batches']} unpadded in its batches, {trl['trained_tokens_in_batches']} with "
              f"loss (ragtune's: {results['tokens']}, {results['trained_tokens']} with loss)")
        print(f"ratio: ragtune = {results['ratio_tokens_per_s']:.2f}x TRL SFTTrainer tokens/s (goal >= {GOAL}x)")
        print("settings (read from the trainers):")
        for key in systems["ragtune"]["settings"]:
            ours, theirs = systems["ragtune"]["settings"][key], trl["settings"][key]
            mark = "" if ours == theirs else "  (differs)"
            print(f"  {key}: ragtune {ours} | TRL {theirs}{mark}")
        print("  (the learning rate does not change tokens/s; each system uses its own default)")


if __name__ == "__main__":
    main()
