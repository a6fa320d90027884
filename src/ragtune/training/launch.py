"""`ragtune train --launcher accelerate`: the train command runs again under ``accelerate launch``, one process per
rank, and a failed rank's error comes back as this command's error, with what to do."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ragtune.errors import ConfigError, RagtuneError, require

LAUNCHED = "RAGTUNE_LAUNCHED"  # set for the processes a launch starts: they train, never launch again
ERRORS = "RAGTUNE_RANK_ERRORS"  # the file where a launched rank records the error it ended with


def launched() -> bool:
    """True in a process that a ``ragtune train --launcher`` started."""
    return os.environ.get(LAUNCHED) == "1"


def launch(args: list[str], processes: int | None, device: str) -> None:
    """Run ``ragtune <args>`` under ``accelerate launch`` with ``processes`` ranks (None: the Accelerate config's
    count, else one per GPU) training on ``device``; a RagtuneError saying what to do when any rank fails."""
    require("accelerate", package="accelerate")
    with tempfile.TemporaryDirectory(prefix="ragtune-launch-") as tmp:
        errors = Path(tmp) / "errors.jsonl"
        env = {**os.environ, LAUNCHED: "1", ERRORS: str(errors)}
        command = launch_command(args, processes, device)
        code = subprocess.run(command, env=env, preexec_fn=end_with_parent).returncode
        if code != 0:
            raise launch_failed(code, _rank_errors(errors))


def launch_command(args: list[str], processes: int | None, device: str) -> list[str]:
    """The ``accelerate launch`` command line running ``ragtune <args>``.

    Several processes on one machine are torchrun's (Accelerate's --multi_gpu launcher), data-parallel; on the CPU
    the ranks pick gloo and share the cores. On GPUs the user's Accelerate config (``accelerate config``) applies
    where there is one; without one, or on the CPU, the launch covers this machine.
    """
    if device == "cpu" and not processes:
        raise ConfigError("training.launcher accelerate on the CPU needs a number of processes: pass "
                          "--num-processes N (training.num_processes)")
    if device != "cpu" and (engine := _configured_sharding()) is not None:
        from ragtune.training.distributed import sharding_refused

        raise sharding_refused(engine)
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    if device == "cpu" or not _accelerate_config().is_file():  # this machine, ragtune's own precision (dtype)
        command += ["--num_machines", "1", "--main_process_port", str(_free_port()), "--mixed_precision", "no",
                    "--dynamo_backend", "no"]
    if device == "cpu" and processes:
        command += ["--num_cpu_threads_per_process", str(max(1, _cores() // processes))]
    if processes:
        command += ["--num_processes", str(processes), *(["--multi_gpu"] if processes > 1 else [])]
    return [*command, "-m", "ragtune.cli", *args]


def launch_failed(code: int, rank_errors: list[str]) -> RagtuneError:
    """The error of a launch that exited with ``code``: the ranks' own errors, else where to look and what to do."""
    if rank_errors:
        return RagtuneError("the launched training failed: " + "; ".join(rank_errors))
    return RagtuneError(
        f"the launched training failed (accelerate launch exited with status {code}): its messages above say why; "
        "check the launch settings with `accelerate env` (the Accelerate config: `accelerate config`) and "
        "--num-processes, then run again, with --resume to continue from the last checkpoint, or train in one "
        "process with --launcher none"
    )


@contextlib.contextmanager
def recording_errors() -> Iterator[None]:
    """In a launched rank, hand a RagtuneError it ends with to the launching command, which says it once (the rank
    exits with status 2 without printing it)."""
    try:
        yield
    except RagtuneError as exc:
        path = os.environ.get(ERRORS)
        if not (launched() and path):
            raise
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(str(exc)) + "\n")
        raise SystemExit(2) from exc


def end_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have the kernel send ``sig`` to this process when its parent ends (Linux; elsewhere nothing), so no rank
    trains on, unseen, after its launcher was killed."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # 1 = PR_SET_PDEATHSIG


def _rank_errors(path: Path) -> list[str]:
    if not path.is_file():
        return []
    seen: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if message not in seen:  # every rank usually ends with the same error
                seen.append(message)
    return seen


def _accelerate_config() -> Path:
    from accelerate.commands.config.config_args import default_config_file

    return Path(default_config_file)


def _configured_sharding() -> str | None:
    """The sharded engine (FSDP, DeepSpeed) the default Accelerate config selects, if any."""
    path = _accelerate_config()
    if not path.is_file():
        return None
    from accelerate.commands.config.config_args import load_config_from_file

    from ragtune.training.distributed import SHARDED

    kind = str(load_config_from_file(str(path)).distributed_type).rsplit(".", 1)[-1]
    return SHARDED.get(kind)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
