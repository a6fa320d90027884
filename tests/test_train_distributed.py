"""Training under a launcher: real gloo processes on the CPU follow one process's curve, resume, and write once.

Tolerance: each logged step's loss and dev loss within 1e-4 relative of the one-process run with the same global
batch. The ranks sum their shares of a micro-batch in a different order (and at other matrix shapes) than one
process, so float32 rounding differs; measured here the curves agree to within 1e-6 over 40 steps. A mistake of
the size of the ranks' share shows clearly: the loss scaled without the number of ranks moved the curve by up to
1e-3 relative within 12 steps of the tiny loop below.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import read_jsonl

from ragtune.config import TrainingConfig
from ragtune.training.loop import LoopSettings, TrainingLoop
from ragtune.training.rows import IGNORE, Example

REL = 1e-4  # the curve tolerance (see the module docstring)
TINY_STEPS = 12  # 25 rows in micro-batches of 4 (the seventh has one row: a rank computes a weight-0 stand-in)


class Stop(Exception):
    """Ends a run at a step, as a kill would (the checkpoint before it stays)."""


def _tiny_loop(work: Path, ranks: Any = None, **settings: Any) -> TrainingLoop:
    """A real loop on a tiny random Llama: 25 train rows (answer-only labels), 6 dev rows, 2 steps an epoch."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64))

    def example(i: int) -> Example:
        ids = [(i * 7 + j) % 64 for j in range(6 + i % 7)]
        return Example(str(i), ids, [IGNORE] * 3 + ids[3:])

    values = {"dtype": "float32", "batch_size": 4, "grad_accum": 2, "epochs": 3, "patience": 0, "eval_every": 2,
              "save_every": 4, "warmup_ratio": 0.2, **settings}
    return TrainingLoop(model, [example(i) for i in range(25)], [example(100 + i) for i in range(6)], 0,
                        LoopSettings.from_config(TrainingConfig(**values)), work, {"test": 1}, ranks)


def _rank(rank: int, world: int, port: int, work: str, out: str, resume: bool, stop_at: int | None,
          settings: dict[str, Any], sleep_rank: int | None) -> None:
    """One rank of a gloo run (spawned): trains the tiny loop and writes its result (and rank 0 its weights)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(world), OMP_NUM_THREADS="1")
    import torch
    from safetensors.torch import save_file

    from ragtune.training.checkpoint import trainable_state
    from ragtune.training.distributed import current_ranks

    torch.set_num_threads(1)

    def on_step(step: int, row: dict[str, Any]) -> None:
        if step == stop_at:
            raise Stop
        if rank == sleep_rank and step <= 3:  # this rank falls behind while a time budget's first steps are timed
            time.sleep(0.4)

    ranks = current_ranks("cpu")
    loop = _tiny_loop(Path(work), ranks, **settings)
    try:
        result = loop.run(resume=resume, on_step=on_step)
    except Stop:
        ranks.leave()
    Path(out, f"result-{rank}.json").write_text(json.dumps(result.__dict__), encoding="utf-8")
    if rank == 0:
        save_file(trainable_state(loop.model), str(Path(out, "weights.safetensors")))
    ranks.leave()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gloo_run(work: Path, out: Path, resume: bool = False, stop_at: int | None = None, sleep_rank: int | None = None,
              timeout: float = 150, **settings: Any) -> list[dict[str, Any]]:
    """Run the tiny loop in 2 spawned gloo processes; their results (none when stopped)."""
    import torch.multiprocessing as mp

    out.mkdir(parents=True, exist_ok=True)
    context = mp.start_processes(_rank, args=(2, _free_port(), str(work), str(out), resume, stop_at, settings,
                                              sleep_rank), nprocs=2, start_method="spawn", join=False)
    deadline = time.monotonic() + timeout
    try:
        while not context.join(timeout=1):
            assert time.monotonic() < deadline, "the ranks did not finish (one waits for the other)"
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
    return [json.loads(p.read_text()) for p in sorted(out.glob("result-*.json"))]


def _assert_same_curve(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [r["step"] for r in got] == [r["step"] for r in expected]
    for mine, theirs in zip(got, expected):
        keys = ("lr", "tokens", "epoch")
        assert [mine[k] for k in keys] + ["dev_loss" in mine] == [theirs[k] for k in keys] + ["dev_loss" in theirs]
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=REL), mine["step"]
        if "dev_loss" in theirs:
            assert mine["dev_loss"] == pytest.approx(theirs["dev_loss"], rel=REL), mine["step"]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> tuple[Any, dict[str, Any]]:
    """The one-process run the distributed ones must match: its result and trained weights."""
    import torch

    from ragtune.training.checkpoint import trainable_state

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each rank: the 2 cores are shared
    try:
        loop = _tiny_loop(tmp_path_factory.mktemp("one") / "work")
        return loop.run(), trainable_state(loop.model)
    finally:
        torch.set_num_threads(threads)


def test_two_gloo_processes_follow_one_process_and_resume_its_checkpoint_anywhere(one_process, tmp_path):
    from safetensors.torch import load_file

    reference, weights = one_process
    work = tmp_path / "work"
    assert _gloo_run(work, tmp_path / "stopped", stop_at=6) == []  # killed at step 6: the step-4 checkpoint stays
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["step-000004"]
    shutil.copytree(work, tmp_path / "elsewhere")

    main, other = _gloo_run(work, tmp_path / "resumed", resume=True)
    assert (main["steps"], main["processes"], main["resumed_from"]) == (TINY_STEPS, 2, 4) == (
        reference.steps, 2, 4)
    log = read_jsonl(work / "log.jsonl")
    assert [row["step"] for row in log] == list(range(1, TINY_STEPS + 1))  # one writer: each step logged once
    _assert_same_curve(log, reference.curve)
    assert main["tokens"] == reference.tokens and main["trained_tokens"] == reference.trained_tokens
    assert main["best_dev_loss"] == pytest.approx(reference.best_dev_loss, rel=REL)
    assert (other["steps"], other["final_loss"], other["best_dev_loss"]) == (
        main["steps"], main["final_loss"], main["best_dev_loss"])  # every rank saw the same global numbers
    trained = load_file(str(tmp_path / "resumed" / "weights.safetensors"))
    assert trained.keys() == weights.keys()
    for name, value in weights.items():
        assert trained[name].allclose(value, rtol=1e-3, atol=1e-5), name

    alone = _tiny_loop(tmp_path / "elsewhere").run(resume=True)  # the 2-process checkpoint, resumed by one process
    assert alone.resumed_from == 4 and alone.processes == 1
    _assert_same_curve(alone.curve, reference.curve)


def test_a_time_budget_is_planned_by_rank_zero_for_every_rank(tmp_path):
    # rank 1 sleeps after each timed step: rank 0 waits for it inside its steps and plans ~10 steps, rank 1 ~80
    main, other = _gloo_run(tmp_path / "work", tmp_path / "out", sleep_rank=1, time_budget_s=3.0, epochs=100,
                            eval_every=1000)
    assert main["planned_steps"] == 400 and 3 <= main["steps"] < 400  # the budget cut the plan
    assert (other["steps"], other["planned_steps"]) == (main["steps"], main["planned_steps"])
    assert [row["step"] for row in read_jsonl(tmp_path / "work" / "log.jsonl")] == list(range(1, main["steps"] + 1))


# ----------------------------------------------------------------------------- the command under accelerate launch

CLI_STEPS = 120  # long enough on a tiny model for the run to be killed mid-way


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory) -> tuple[Path, list[str]]:
    """A project whose base model is a tiny random Llama (the bundled tokenizer) and 30 chat rows of data, with the
    training overrides of the runs below."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from ragtune import init_project
    from ragtune.generate import prompt
    from ragtune.generate.models import resolve_model_path

    base = tmp_path_factory.mktemp("launch")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path("smollm2-135m-instruct"))
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                         max_position_embeddings=512, tie_word_embeddings=True))
    model.save_pretrained(base / "tiny")
    tokenizer.save_pretrained(base / "tiny")
    root = base / "project"
    init_project(root)
    rows = [{"id": f"r{i}", "split": "dev" if i % 5 == 0 else "train",
             "messages": prompt.base_messages(f"What is the code of part {i}?")
             + [{"role": "assistant", "content": f"Part {i} has code {i * 37 % 101}-{'XYZ'[i % 3]}."}]}
            for i in range(30)]
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    overrides = [f"training.model={base / 'tiny'}", "training.dtype=float32", "training.batch_size=4",
                 f"training.max_steps={CLI_STEPS}", "training.save_every=3", "training.eval_every=10",
                 "training.lora.rank=4", "training.patience=0", "training.max_seq_len=256"]
    return root, overrides


def _train_cli(root: Path, overrides: list[str], log: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "ragtune.cli", "--no-progress", "train", str(root), "--variant", "ft",
            "--launcher", "accelerate", "--num-processes", "2", *[a for o in overrides for a in ("--set", o)], *extra]
    return subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _finish(proc: subprocess.Popen, log: Path) -> str:
    proc.wait(timeout=300)
    return log.read_text(encoding="utf-8")


def test_ragtune_train_under_accelerate_launch_resumes_and_writes_one_model(tiny_project, tmp_path):
    import psutil
    import torch

    from ragtune import Project
    from ragtune.training import train_variant

    root, overrides = tiny_project
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each rank: the 2 cores are shared
    try:
        reference = train_variant(Project.load(root, overrides), "ft").result  # one process, the same batch
    finally:
        torch.set_num_threads(threads)
    work = root / "models" / ".work-ft"

    proc = _train_cli(root, overrides, tmp_path / "killed.txt")
    deadline = time.time() + 240
    while not list(work.glob("checkpoints/step-*/state.json")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + (tmp_path / "killed.txt").read_text()
    processes = psutil.Process(proc.pid).children(recursive=True)  # the launcher and its 2 ranks
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, "a rank trained on after its launcher was killed"
    assert json.loads((root / "models" / "ft" / "manifest.json").read_text())["result"]["processes"] == 1

    changed = _train_cli(root, [*overrides, "training.learning_rate=0.5"], tmp_path / "changed.txt", "--resume")
    output = _finish(changed, tmp_path / "changed.txt")
    assert changed.returncode == 2, output
    assert "error: the launched training failed: cannot resume" in output and output.count("cannot resume") == 1

    resumed = _train_cli(root, overrides, tmp_path / "resumed.txt", "--resume")
    output = _finish(resumed, tmp_path / "resumed.txt")
    assert resumed.returncode == 0, output
    assert "resumed from step" in output and f"{CLI_STEPS} steps on 2 processes" in output
    assert output.count("saved ") == 1  # one report: rank 0's
    folder = root / "models" / "ft"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["result"]["processes"] == 2 and manifest["result"]["steps"] == CLI_STEPS
    assert manifest["result"]["resumed_from"] >= 3 and "launcher" not in manifest["hyperparameters"]
    assert (folder / "adapter_model.safetensors").is_file()
    assert sorted(p.name for p in (root / "models").iterdir()) == [".work-ft", "ft"]  # one model, nothing half-done
    assert not (work / "checkpoints").exists()
    log = read_jsonl(folder / "log.jsonl")
    assert [row["step"] for row in log] == list(range(1, CLI_STEPS + 1))
    _assert_same_curve(log, reference.curve)


def _accelerate_config(folder: Path, **settings: Any) -> Path:
    import yaml

    path = folder / "accelerate" / "default_config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"compute_environment": "LOCAL_MACHINE", "num_machines": 1, "num_processes": 2, "machine_rank": 0,
              "mixed_precision": "no", "use_cpu": False, **settings}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_launch_errors_say_what_to_do(tiny_project, tmp_path, monkeypatch, capsys):
    import accelerate.commands.config.config_args as accelerate_config

    from ragtune.cli import main

    root, overrides = tiny_project
    command = ["train", str(root), "--variant", "ft", "--launcher", "accelerate",
               *[a for o in overrides for a in ("--set", o)]]
    assert main(command) == 2
    assert "needs a number of processes: pass --num-processes N" in capsys.readouterr().err

    fsdp = _accelerate_config(tmp_path / "fsdp", distributed_type="FSDP")
    monkeypatch.setattr(accelerate_config, "default_config_file", str(fsdp))
    assert main([*command, "--set", "training.device=cuda"]) == 2
    assert "selects FSDP" in capsys.readouterr().err

    # a launch the launcher itself refuses: an Accelerate config for several GPUs that names only one
    _accelerate_config(tmp_path / "home", distributed_type="MULTI_GPU", gpu_ids="0")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert main([*command, "--num-processes", "2"]) == 2
    err = capsys.readouterr().err
    assert "the launched training failed (accelerate launch exited with status 1)" in err
    assert "`accelerate env`" in err and "--launcher none" in err
