"""fp32 vs bf16 matrix products on this CPU: the evidence behind ``dtype: auto``.

Times the shapes a SmolLM2-135M forward pass multiplies (a 64-token block by the 576x1536 MLP projection, a
one-token decode step by the same weights, and a 1024² square), one thread and all threads, and prints each
bf16/fp32 ratio beside the CPU class. Where bf16 is emulated (AVX2 only) it is many times slower; with
AVX512-BF16/AMX it is faster. Usage: ``python bench/dtype_matmul.py [--repeat 20]``.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from ragtune.hardware import cpu_class, cpu_has_native_bf16

SHAPES = {"64x576 · 576x1536": (64, 576, 1536), "1x576 · 576x1536 (decode)": (1, 576, 1536),
          "1024² · 1024²": (1024, 1024, 1024)}


def best_ms(m: int, k: int, n: int, dtype: torch.dtype, repeat: int) -> float:
    """The fastest of ``repeat`` products (after a warm-up), in milliseconds."""
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    torch.matmul(a, b)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    native = cpu_has_native_bf16()
    print(f"CPU: {cpu_class()} (native bf16: {native}), {os.cpu_count()} cores, torch {torch.__version__}")
    print("| product | threads | fp32 ms | bf16 ms | bf16 / fp32 | fp32 GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for name, (m, k, n) in SHAPES.items():
            repeat = max(3, args.repeat // 4) if m == 1024 else args.repeat
            fp32 = best_ms(m, k, n, torch.float32, repeat)
            bf16 = best_ms(m, k, n, torch.bfloat16, max(2, repeat // 4))
            gflops = 2 * m * k * n / fp32 / 1e6
            print(f"| {name} | {threads} | {fp32:.2f} | {bf16:.2f} | {bf16 / fp32:.1f}x | {gflops:.0f} |")


if __name__ == "__main__":
    main()
