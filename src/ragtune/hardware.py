"""What this machine has: what its processor can do fast (for choosing dtypes by evidence rather than by habit)
and which versions of the packages that shape results are installed (for the records of runs and models)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path


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
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX), where bf16 matmuls beat fp32."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))
