"""dtype choice by CPU class: auto never picks bf16 where the CPU only emulates it, and asking for it warns."""

from __future__ import annotations

import logging

import pytest

from ragtune import hardware
from ragtune.generate.models import pick_dtype
from ragtune.index.embed import embedding_dtype
from ragtune.training.trainer import autocast_dtype

AVX2_ONLY = frozenset(["fpu", "sse", "sse2", "avx", "avx2", "fma", "f16c"])  # AMD Zen 3: no AVX-512, no bf16
AMX = frozenset(["fpu", "sse", "sse2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"])


@pytest.fixture
def cpu(monkeypatch):
    """Fake the processor's flags: ``cpu(AVX2_ONLY)``."""

    def fake(flags: frozenset[str]) -> None:
        monkeypatch.setattr(hardware, "cpu_flags", lambda: flags)
        monkeypatch.setattr(hardware, "_warned", set())

    return fake


def test_auto_is_float32_without_native_bf16(cpu):
    import torch

    cpu(AVX2_ONLY)
    assert hardware.cpu_class() == "AVX2 (no bf16)"
    assert not hardware.cpu_has_native_bf16()
    assert pick_dtype("auto", "cpu") == "float32"
    assert embedding_dtype("auto", "cpu") == "float32"
    assert autocast_dtype("auto", "cpu") is None
    cpu(AMX)
    assert hardware.cpu_has_native_bf16()
    assert embedding_dtype("auto", "cpu") == "bfloat16"
    assert autocast_dtype("auto", "cpu") is torch.bfloat16
    assert pick_dtype("auto", "cpu") == "float32"  # generation: exact GGUF weights, batched == one at a time


def test_bf16_on_an_emulating_cpu_warns_once_with_the_cost(cpu, caplog):
    cpu(AVX2_ONLY)
    with caplog.at_level(logging.WARNING, logger="ragtune.hardware"):
        assert embedding_dtype("bfloat16", "cpu") == "bfloat16"  # honoured, but the user is told
        embedding_dtype("bfloat16", "cpu")
        autocast_dtype("bfloat16", "cpu")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "embedding.dtype=bfloat16" in lines[0] and "28x slower" in lines[0] and "AVX2" in lines[0]
    assert "training.dtype=bfloat16" in lines[1]
    caplog.clear()
    cpu(AMX)
    with caplog.at_level(logging.WARNING, logger="ragtune.hardware"):
        embedding_dtype("bfloat16", "cpu")
    assert not caplog.records


def test_real_cpu_flags_are_read():
    flags = hardware.cpu_flags()
    assert isinstance(flags, frozenset)
    assert hardware.cpu_class()
    assert hardware.cpu_has_native_bf16() == bool(flags & set(hardware.NATIVE_BF16_FLAGS))
