"""`ragtune export`: a trained variant as files other servers load (merged safetensors, or the adapter)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ragtune import atomic
from ragtune.errors import InputError
from ragtune.progress import quiet_transformers
from ragtune.project import Project
from ragtune.training.artifact import MANIFEST, require_model
from ragtune.variants import DEFAULT_TRAINED

EXPORT_MANIFEST = "ragtune-manifest.json"


def export_model(project: Project, out: str | Path, variant: str = DEFAULT_TRAINED, merge: bool = False) -> Path:
    """Write a variant's model to ``out``.

    LoRA models: with ``merge``, the adapter folded into the base weights as a standalone transformers model
    (safetensors, tokenizer, generation config); without it, the PEFT adapter folder. Full and continued-
    pretraining models are already standalone and are copied. The manifest goes along as ragtune-manifest.json.
    """
    import torch

    from ragtune.generate.models import load_model_files, merge_adapter, resolve_model_path

    status = require_model(project, variant)
    manifest = status.manifest  # there is one: require_model raises otherwise
    lora = manifest.method == "lora"
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not empty: choose a new folder (nothing was overwritten)")
    tmp = out.parent / f".{out.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    if lora and merge:
        spec = manifest.base_model
        model, tokenizer = load_model_files(resolve_model_path(spec), spec, torch.float32, "cpu")
        model = merge_adapter(model, str(status.path))
        with quiet_transformers():
            model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.padding_side = "right"
        tokenizer.save_pretrained(tmp)
    else:
        shutil.copytree(status.path, tmp, ignore=shutil.ignore_patterns(MANIFEST, "log.jsonl"))
    exported = {**manifest.to_dict(), "exported": {"variant": variant, "merged": bool(merge and lora),
                                                   "from": str(status.path), "stale": status.stale}}
    (tmp / EXPORT_MANIFEST).write_text(json.dumps(exported, indent=2), encoding="utf-8")
    atomic.swap_folder(tmp, out)  # ``out`` is absent or an empty folder (checked above)
    return out
