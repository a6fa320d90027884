"""The dtype each use of a model (generation, embedding, training) runs in: ``auto`` resolved per use and device by
measurement, bfloat16 only where the hardware computes it natively, and a warning when bfloat16 is asked for on a
CPU that only emulates it (see ragtune.hardware for the measured cost)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ragtune.hardware import cpu_has_native_bf16, warn_if_bf16_emulated

if TYPE_CHECKING:
    import torch

Use = Literal["generation", "embedding", "training"]

# Generation: dtype="auto" on CPU is float32, chosen by measurement (2-core Xeon with AVX-512 BF16/AMX, torch 2.13
# CPU, SmolLM2-135M-Instruct, greedy decoding, minimum of 3 interleaved runs; the machine was shared, so absolute
# numbers are noisy but the ratios were stable):
#   single-prompt decoding   fp32 14.9 tok/s   bf16 12.4 tok/s   (an earlier quieter run: 27.3 vs 22.8)
#   prefill (600-token prompt) fp32 553 tok/s  bf16 1269 tok/s  (AMX); 8 x 600-token prompts: 8.7 s vs 2.5 s
#   16 prompts (8 RAG-style) x 48 new tokens: chat_batch fp32 18.5 s, bf16 10.7 s; one by one 38.6 s vs 41.1 s
#   answers: bf16 changed 7 of those 16 greedy answers versus fp32, and bf16 chat_batch disagreed with bf16
#   chat on 7 of 16 (left padding / batch shape change the rounding); fp32 chat_batch == chat on 16 of 16.
# So float32 reproduces the GGUF exactly (the conversion is an exact fp32 dequantization), is as fast or faster
# for interactive answers, and keeps batched evaluation identical to one-by-one answers; bfloat16 stays available
# (generation.dtype: bfloat16) for ~1.7x faster batched evaluation when those differences are acceptable.
CPU_AUTO_DTYPE = "float32"

# What ``auto`` means per use and device kind: "a|b" is a where the device computes bfloat16 natively (CUDA: torch
# says so; CPU: AVX512-BF16 or AMX), else b. "cpu" is exactly the device "cpu"; a kind not listed (mps for
# embedding or training, cpu:0, xpu...) runs float32.
# Embedding: measured on SciFact with all-MiniLM-L6-v2 on a 2-core AMX CPU (docs/benchmarks.md): bf16 embeds
# several times faster than fp32 with the same nDCG@10 within noise.
# Training: bf16 autocast where native; float32 (no autocast) elsewhere.
AUTO: dict[Use, dict[str, str]] = {
    "generation": {"cuda": "bfloat16|float16", "mps": "float16", "cpu": CPU_AUTO_DTYPE},
    "embedding": {"cuda": "float16", "cpu": "bfloat16|float32"},
    "training": {"cuda": "bfloat16|float32", "cpu": "bfloat16|float32"},
}


def _kind(device: str) -> str:
    return "cuda" if device.startswith("cuda") else "mps" if device.startswith("mps") else device


def _native_bf16(device: str) -> bool:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.is_bf16_supported()
    return cpu_has_native_bf16()


def resolve_dtype(use: Use, dtype: str, device: str) -> str:
    """The dtype name ``use`` runs in on ``device``: ``dtype`` as asked (warning once when that is bfloat16 on a CPU
    that emulates it), or for ``auto`` the choice in AUTO."""
    if dtype != "auto":
        warn_if_bf16_emulated(f"{use}.dtype", dtype, device)
        return dtype
    first, _, fallback = AUTO[use].get(_kind(device), "float32").partition("|")
    return first if not fallback or _native_bf16(device) else fallback


def pick_dtype(dtype: str, device: str) -> str:
    """Resolve ``generation.dtype`` for a device (see CPU_AUTO_DTYPE for the CPU evidence)."""
    return resolve_dtype("generation", dtype, device)


def embedding_dtype(dtype: str, device: str) -> str:
    """Resolve ``embedding.dtype``: auto is bf16 where the hardware computes it natively, else fp32 (fp16 on CUDA)."""
    return resolve_dtype("embedding", dtype, device)


def autocast_dtype(dtype: str, device: str) -> torch.dtype | None:
    """The autocast dtype for training (None = full precision)."""
    import torch

    name = resolve_dtype("training", dtype, device)
    return None if name == "float32" else getattr(torch, name)


def training_weights_dtype(method: str, autocast: torch.dtype | None) -> torch.dtype:
    """The dtype the base model's weights load in for training with ``method`` under ``autocast``."""
    import torch

    # LoRA never updates the base weights: keep them in the autocast dtype (no re-cast at every matmul, half the
    # memory), while the adapter PEFT adds stays in float32.
    return autocast if method == "lora" and autocast is not None else torch.float32
