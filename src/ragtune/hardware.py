"""What this machine has: what its processor can do fast (for choosing dtypes by evidence rather than by habit)
and which versions of the packages that shape results are installed (for the records of runs and models)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")

# Measured with torch 2.13 CPU, one thread, a 64x576 by 576x1536 product (a SmolLM2-135M MLP projection):
# AMD EPYC Zen 3 (AVX2 + FMA, bf16 emulated): fp32 5.1 ms, bf16 144 ms; on Zen 4 with AMX bf16 runs ~1.5-2.5x
# faster than fp32 (docs/benchmarks.md, "dtypes by CPU class").
EMULATED_BF16_COST = "~28x slower than float32 (64x576 by 576x1536 product: 144 ms vs 5.1 ms on an AVX2-only CPU)"


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """name -> installed version, in the order given, leaving out packages that are not installed."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The processor's feature flags from /proc/cpuinfo (empty where it cannot be read)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return frozenset(line.partition(":")[2].split())


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX), where bf16 matmuls beat fp32."""
    return any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def cpu_class() -> str:
    """A short name of the CPU class that decides dtype speed, for records and benchmark output."""
    flags = cpu_flags()
    if "amx_bf16" in flags:
        return "AMX + AVX512-BF16"
    if "avx512_bf16" in flags:
        return "AVX512-BF16"
    if "avx512f" in flags:
        return "AVX-512 (no bf16)"
    if "avx2" in flags:
        return "AVX2 (no bf16)"
    return "unknown"


_warned: set[str] = set()


def warn_if_bf16_emulated(key: str, dtype: str, device: str) -> None:
    """Warn once per config key when bf16 is asked for on a CPU that only emulates it."""
    if dtype != "bfloat16" or not device.startswith("cpu") or cpu_has_native_bf16() or key in _warned:
        return
    _warned.add(key)
    log.warning("%s=bfloat16 on a CPU without native bf16 (%s): torch emulates it, %s; set %s=auto",
                key, cpu_class(), EMULATED_BF16_COST, key)
