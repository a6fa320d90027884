"""`ragtune train`: fine-tune the base model for a variant (ft or hybrid) by LoRA, full or continued pretraining."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune import atomic
from ragtune.corpus.scan import file_hash
from ragtune.errors import ConfigError, InputError
from ragtune.hardware import package_versions
from ragtune.models.dtype import autocast_dtype, training_weights_dtype
from ragtune.progress import quiet_transformers
from ragtune.project import DATA_KINDS, Project, data_file_name
from ragtune.training.artifact import MANIFEST, TRAINED_VARIANTS, model_status
from ragtune.training.distributed import current_ranks
from ragtune.training.loop import LoopResult, LoopSettings, TrainingLoop
from ragtune.training.manifest import ModelManifest, TrainingData
from ragtune.training.rows import encode_chat_rows, encode_text_rows, read_rows
from ragtune.variants import DEFAULT_TRAINED, VARIANTS

if TYPE_CHECKING:
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.manifest import KBRef

DATA_FILES = {kind: data_file_name(kind) for kind in DATA_KINDS}  # data/sft.jsonl, ... (Project.data_file)


@dataclass
class TrainReport:
    """What ``train`` did for one variant."""

    variant: str
    method: str
    path: Path
    data_file: str
    rows_train: int
    rows_dev: int
    result: LoopResult
    load_seconds: float
    replaced_stale: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rank: int = 0  # the process that made this report (under a launch only rank 0's is shown)

    def lines(self) -> list[str]:
        """A human summary."""
        r = self.result
        out = [f"{self.variant}: {self.method} on {self.data_file} ({self.rows_train} train rows, {self.rows_dev} dev)"]
        if r.resumed_from:
            out.append(f"  resumed from step {r.resumed_from}")
        dev = ""
        if r.best_dev_loss is not None:
            start = f"{r.initial_dev_loss:.3f} -> " if r.initial_dev_loss is not None else ""
            dev = f", dev loss {start}{r.best_dev_loss:.3f} (best)"
        early = " (stopped early: dev loss stopped improving)" if r.stopped_early else ""
        last = f"{r.final_loss:.3f}" if r.final_loss is not None else "n/a"
        budget = f" (time budget: {r.steps} of {r.planned_steps} planned steps fit)" if r.planned_steps else ""
        shared = f" on {r.processes} processes" if r.processes > 1 else ""
        out.append(f"  {r.steps} steps{shared}, {r.epochs} epochs{early}{budget}; final train loss {last}{dev}")
        out.append(f"  {r.tokens} tokens in {r.seconds:.1f} s = {r.tokens_per_s:.0f} tokens/s "
                   f"(padding {100 * r.padding_share:.0f}%); model load {self.load_seconds:.1f} s")
        out.append(f"  saved {self.path}")
        out += [f"  replaced a stale model: {why}" for why in self.replaced_stale]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


def data_file_for(variant: str, method: str) -> str:
    """The training data a variant and method learn from: its registered data, or raw text for continued
    pretraining (which stands in for question-answer rows only, not for RAFT rows)."""
    data = spec.data if (spec := VARIANTS.get(variant)) else None
    if data is None:
        raise InputError(f"cannot train variant {variant!r}: trained variants are {', '.join(TRAINED_VARIANTS)}")
    if method == "cpt":
        if data != "sft":
            raise InputError(f"continued pretraining learns raw text, not {data.upper()} rows: train the {variant} "
                             "variant with --method lora or full")
        return DATA_FILES["cpt"]
    return DATA_FILES[data]


def default_variants(method: str) -> list[str]:
    """The variants a method trains when none is named: continued pretraining only feeds those learning sft rows
    (ft)."""
    return [v for v in TRAINED_VARIANTS if method != "cpt" or VARIANTS[v].data == "sft"]


def base_model_spec(project: Project) -> str:
    """The model training starts from: training.model, else the local generation model."""
    cfg = project.config
    if cfg.training.model:
        return cfg.training.model
    if cfg.generation.backend != "local":
        raise ConfigError("generation.backend is an endpoint: set training.model to a local model or Hugging Face id "
                          "to fine-tune (the endpoint's model cannot be trained here)")
    return cfg.generation.model


def _prepare_model(spec: str, method: str, project: Project, device: str | None = None) -> tuple[Any, Any]:
    """The base model (with a fresh LoRA adapter for lora) in training mode on ``device`` (default:
    training.device), and its tokenizer."""
    import torch

    from ragtune.generate.models import load_model_files, quiet_peft, resolve_model_path

    cfg = project.config.training
    device = device or cfg.device
    weights = training_weights_dtype(method, autocast_dtype(cfg.dtype, device))
    model, tokenizer = load_model_files(resolve_model_path(spec), spec, weights, device)
    torch.manual_seed(cfg.seed)
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        quiet_peft()
        lora = cfg.lora
        model = get_peft_model(model, LoraConfig(
            r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules,
            task_type="CAUSAL_LM",
        ))
    model.config.use_cache = False
    model.train()
    return model, tokenizer


def _encode(tokenizer: Any, rows: list[dict[str, Any]], method: str, max_len: int, path: Path):
    if method == "cpt":
        return encode_text_rows(tokenizer, rows, max_len, path)
    return encode_chat_rows(tokenizer, rows, max_len, path)


def _built_from(project: Project) -> KBRef | None:
    """The knowledge-base version the training data was built from (None: none, or the data was never built)."""
    from ragtune.data.build import read_build_report

    build = read_build_report(project)
    return build.kb if build is not None else None


def _data_warnings(kb: KnowledgeBase, built: KBRef | None) -> list[str]:
    """Warn when the training data predates the current knowledge base (the model would be stale at birth)."""
    head = kb.manifest()
    if head is None or built is None or built.fingerprint == head.fingerprint():
        return []
    return [f"the training data was built from knowledge-base version {built.version}, which has changed "
            f"since (now version {head.version}): run `ragtune data build` before training to include the changes"]


def train_variant(project: Project, variant: str = DEFAULT_TRAINED, method: str | None = None,
                  resume: bool = False, kb: KnowledgeBase | None = None) -> TrainReport:
    """Train the model of one variant from the project's built data and save it under ``models/<variant>``.

    Checkpoints go to ``models/.work-<variant>`` every ``training.save_every`` steps; with ``resume`` a killed
    run continues from the newest one. The finished model replaces the previous one only when complete. In a
    process of a launch (``ragtune train --launcher accelerate``) the ranks train together and rank 0 writes.
    """
    from ragtune.index.kb import KnowledgeBase

    method = method or project.config.training.method
    ranks = current_ranks(project.config.training.device)
    cfg = project.config.training.model_copy(  # per-method defaults follow ``method``; each rank has its device
        update={"method": method, "device": ranks.device(project.config.training.device)})
    rel = data_file_for(variant, method)
    data_path = project.path(rel)
    rows = read_rows(data_path)
    spec = base_model_spec(project)
    kb = kb or KnowledgeBase(project)  # ``kb``: one a caller has open already
    previous = model_status(project, variant, kb=kb)
    started = time.perf_counter()
    model, tokenizer = _prepare_model(spec, method, project, cfg.device)
    load_seconds = time.perf_counter() - started
    train_rows = [r for r in rows if r.get("split", "train") != "dev"]
    dev_rows = [r for r in rows if r.get("split") == "dev"]
    train = _encode(tokenizer, train_rows, method, cfg.max_seq_len, data_path)
    dev = _encode(tokenizer, dev_rows, method, cfg.max_seq_len, data_path) if dev_rows else []
    settings = LoopSettings.from_config(cfg)
    data_sha = file_hash(data_path)
    hyper = cfg.model_dump(exclude={"device", "launcher", "num_processes"})  # a run means the same on any count
    hyper.update(method=method, learning_rate=settings.learning_rate)
    run_key = {"variant": variant, "base_model": spec, "data_sha256": data_sha, "hyperparameters": hyper}
    work = project.work_dir(variant)
    result = TrainingLoop(model, train, dev, tokenizer.pad_token_id, settings, work, run_key, ranks).run(resume)
    target, built = project.model_dir(variant), _built_from(project)
    if ranks.is_main:
        manifest = ModelManifest(
            variant=variant, method=method, base_model=spec, hyperparameters=hyper,
            autocast=str(settings.autocast).removeprefix("torch.") if settings.autocast is not None else "float32",
            data=TrainingData(rel, data_sha, len(train), len(dev)), kb=built,
            result={k: v for k, v in result.__dict__.items() if k != "curve"},
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"), versions=_versions(),
        )
        _save(project, variant, method, model, tokenizer, manifest, work)
    ranks.barrier()  # the other ranks go on once the model is in place
    return TrainReport(variant, method, target, rel, len(train), len(dev), result, load_seconds, previous.stale,
                       _data_warnings(kb, built), rank=ranks.rank)


def _versions() -> dict[str, str]:
    return package_versions(("ragtune", "torch", "transformers", "peft"))


def _save(project: Project, variant: str, method: str, model: Any, tokenizer: Any, manifest: ModelManifest,
          work: Path) -> Path:
    """Write the model next to the old one and swap it in, so a failure never leaves a half-written model."""
    target = project.model_dir(variant)
    tmp = target.parent / f".tmp-{variant}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.config.use_cache = True
    with quiet_transformers():
        model.save_pretrained(tmp, safe_serialization=True)
    if method != "lora":
        tokenizer.save_pretrained(tmp)
    if (work / "log.jsonl").is_file():
        shutil.copy2(work / "log.jsonl", tmp / "log.jsonl")
    (tmp / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8")
    atomic.swap_folder(tmp, target)  # the old model goes aside to .old-<variant> until the new one is in place
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
    (work / "best.safetensors").unlink(missing_ok=True)
    return target
