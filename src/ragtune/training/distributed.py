"""Data-parallel training across the processes of an ``accelerate launch`` (one process is a world of one).

Every rank builds the same seeded micro-batches and takes every world-th row of each (rows of a micro-batch have
similar lengths, so the shares cost alike). Each rank scales its summed loss by ``world / global trained tokens``;
DDP averages the gradients over the ranks, which gives exactly one process's gradient of the global loss. Decisions
that must agree (which checkpoint to resume, a time budget's plan) are rank 0's, broadcast; only rank 0 writes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from ragtune.errors import ConfigError, require
from ragtune.training.rows import Example

T = TypeVar("T")

# Accelerate's sharded engines, by their DistributedType name (its launcher sets ACCELERATE_USE_<name> for the
# processes): the loop keeps every weight and optimizer moment whole on every rank (its checkpoints, best weights and
# saved model rely on it), so it refuses them
SHARDED = {"FSDP": "FSDP", "DEEPSPEED": "DeepSpeed", "MEGATRON_LM": "Megatron-LM"}


def sharding_refused(engine: str) -> ConfigError:
    """The error for an Accelerate config that shards the model (FSDP, DeepSpeed)."""
    return ConfigError(
        f"the Accelerate config selects {engine}, which ragtune's training loop does not support: it trains "
        "data-parallel (DDP), each GPU holding the whole model, which LoRA (training.method lora) keeps small; run "
        "`accelerate config` and choose multi-GPU without FSDP or DeepSpeed, or move the config file aside"
    )


class Ranks:
    """The processes one training run spans: this one alone (``Ranks()``), or the ranks of an ``accelerator``."""

    def __init__(self, accelerator: Any = None):
        self.accelerator = accelerator
        self.rank: int = accelerator.process_index if accelerator is not None else 0
        self.world: int = accelerator.num_processes if accelerator is not None else 1

    @property
    def is_main(self) -> bool:
        """True on the rank that writes (checkpoints, log, best weights, model, manifest) and prints."""
        return self.rank == 0

    def device(self, configured: str) -> str:
        """The device this rank trains on: ``configured``, or under a launch on a GPU the rank's own GPU."""
        if self.accelerator is None or configured == "cpu":
            return configured
        return str(self.accelerator.device)

    def share(self, examples: list[Example]) -> tuple[list[Example], float]:
        """This rank's rows of a global micro-batch and their loss weight: every world-th row. A rank left without
        a row recomputes the first one with weight 0, as every rank must run each backward pass DDP all-reduces."""
        mine = examples[self.rank::self.world]
        return (mine, 1.0) if mine else (examples[:1], 0.0)

    def loss_function(self, model: Any, loss: Callable[[Any, dict[str, Any]], T]) -> Callable[[dict[str, Any]], T]:
        """``loss(model, batch)`` as a function of the batch; under a launch it runs through DDP, which broadcasts
        rank 0's weights now and all-reduces the gradients of each synchronised backward pass. (Plain DDP rather
        than ``Accelerator.prepare``, which would keep every model it wrapped alive: one per trained variant.)"""
        if self.accelerator is None:
            return functools.partial(loss, model)
        import torch
        from torch.nn.parallel import DistributedDataParallel

        class Loss(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, batch: dict[str, Any]) -> T:
                return loss(self.model, batch)

        device = self.accelerator.device
        return DistributedDataParallel(Loss(), device_ids=[device.index] if device.type == "cuda" else None)

    def syncing(self, function: Any, sync: bool) -> contextlib.AbstractContextManager:
        """Where the backward passes of ``function`` (from ``loss_function``) all-reduce their gradients: only with
        ``sync`` (the last micro-batch of a step); the others accumulate on each rank."""
        if self.accelerator is None or sync:
            return contextlib.nullcontext()
        return function.no_sync()

    def sum(self, *values: float) -> list[float]:
        """Each value summed over the ranks (every rank gets the same sums)."""
        if self.accelerator is None:
            return list(values)
        import torch

        tensor = torch.tensor(values, dtype=torch.float64, device=self.accelerator.device)
        torch.distributed.all_reduce(tensor)
        return tensor.tolist()

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value`` on every rank."""
        if self.accelerator is None:
            return value
        from accelerate.utils import broadcast_object_list

        box = [value]
        broadcast_object_list(box, from_process=0)
        return box[0]

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        if self.accelerator is not None:
            self.accelerator.wait_for_everyone()

    def leave(self, code: int = 0) -> NoReturn:
        """End this rank's process once every rank got here, without the interpreter's teardown: in it torch's gloo
        threads abort ("terminate called without an active exception") about one finished process in twenty, and
        the launcher reports the run as failed. Measured on 2 CPU cores, torch 2.13: 7 of 130 two-rank runs aborted
        at exit, with or without destroying the process group first; 0 of 40 leaving this way."""
        self.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@functools.cache
def current_ranks(device: str) -> Ranks:
    """This process's ranks: those of the launch that started it (WORLD_SIZE above 1), else this process alone.

    On ``device`` cpu the ranks talk over gloo, on GPUs over NCCL (Accelerate picks). A rank of a launch ends when
    its launcher does, and only rank 0 shows progress.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Ranks()
    for name, engine in SHARDED.items():
        if os.environ.get(f"ACCELERATE_USE_{name}", "").lower() == "true":
            raise sharding_refused(engine)
    from ragtune.training.launch import end_with_parent

    end_with_parent()
    accelerate = require("accelerate", package="accelerate")
    ranks = Ranks(accelerate.Accelerator(cpu=device == "cpu", mixed_precision="no"))  # training.dtype autocasts
    if not ranks.is_main:
        from ragtune.progress import set_progress, set_progress_lines

        set_progress(False)
        set_progress_lines(False)
    return ranks
