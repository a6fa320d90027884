"""Checkpoints as safetensors + JSON (no pickle): trainable weights, optimizer moments, RNG, loop state."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ragtune import atomic

WEIGHTS = "trainable.safetensors"
OPTIMIZER = "optimizer.safetensors"
STATE = "state.json"


def trainable_state(model: Any) -> dict[str, Any]:
    """The parameters that train, by name (contiguous CPU copies)."""
    return {n: p.detach().to("cpu").contiguous().clone() for n, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(folder: Path, step: int, model: Any, optimizer: Any, names: list[str],
                    state: dict[str, Any], keep: int) -> Path:
    """Write ``folder/step-NNNNNN`` atomically (temp folder, then rename) and keep the newest ``keep``."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"step-{step:06d}"
    tmp = folder / f".tmp-step-{step:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable_state(model), str(tmp / WEIGHTS))
    moments: dict[str, Any] = {"rng.torch": torch.get_rng_state()}
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for name, param in zip(names, params):
        for key, value in optimizer.state.get(param, {}).items():
            if torch.is_tensor(value):
                moments[f"{name}::{key}"] = value.detach().to("cpu").contiguous()
    save_file(moments, str(tmp / OPTIMIZER))
    (tmp / STATE).write_text(json.dumps({**state, "step": step}, indent=2), encoding="utf-8")
    atomic.swap_folder(tmp, target)
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("step-*") if (p / STATE).is_file())


def load_checkpoint(path: Path, model: Any, optimizer: Any, names: list[str]) -> dict[str, Any]:
    """Restore weights, optimizer moments and the RNG from a checkpoint; returns its loop state."""
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(path / WEIGHTS))
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)
    moments = load_file(str(path / OPTIMIZER))
    torch.set_rng_state(moments.pop("rng.torch"))
    by_param: dict[str, dict[str, Any]] = {}
    for key, value in moments.items():
        name, _, slot = key.partition("::")
        by_param.setdefault(name, {})[slot] = value
    ordered = [p for group in optimizer.param_groups for p in group["params"]]
    for name, param in zip(names, ordered):
        if name in by_param:
            optimizer.state[param] = by_param[name]
    return json.loads((path / STATE).read_text(encoding="utf-8"))
