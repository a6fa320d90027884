"""The memory layout of a generation model's weights on CPU, chosen for decoding by measurement.

A decoding step multiplies one row per sequence by every weight matrix, so it runs as fast as the matrix-vector
products stream the weights from memory. With transformers' layout (``weight`` is ``[out, in]``, row-major)
torch's CPU BLAS keeps such a product on about one core's bandwidth; for a *wide* matrix (``out`` at least twice
``in``: the MLP's gate and up projections, the output head) the same product over the transposed storage
(``weight`` still ``[out, in]``, stored column-major) streams at about twice that, close to the machine's limit.
Narrow and square matrices (attention, the MLP's down projection) were slower that way, so they are left alone.

Measured with ``bench/decode.py`` (2-core AMD EPYC, AVX512-BF16 without AMX, torch 2.13, SmolLM2-135M at fp32,
idle): a batch-1 decoding step took 66-77 ms with transformers' layout, 59-60 ms with the output head re-laid,
51-54 ms with the gate and up projections too, and 57-58 ms with every matrix re-laid; greedy answers unchanged.
Prefill of a 600-token prompt gained 1.17x and batched decoding (16 rows) 1.11x. In bfloat16 (oneDNN's kernels,
not BLAS) the same layout was 0.90x, so bfloat16 weights keep transformers' layout.

Only the storage order changes: shapes, values, parameters and tied weights stay as they were, so LoRA adapters,
merging and log-likelihood scoring work unchanged. Applied to models loaded for generation on CPU only (training
and export load their own copies, in transformers' layout, which ``safetensors`` can save).
"""

from __future__ import annotations

from typing import Any

WIDE = 2  # a Linear whose out_features is at least this many times its in_features is re-laid


def lay_out_for_decoding(model: Any, device: str) -> Any:
    """Store ``model``'s wide float32 Linear weights column-major in place when it runs on CPU; returns it."""
    import torch

    if torch.device(device).type != "cpu":
        return model
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, torch.nn.Linear) or module.out_features < WIDE * module.in_features:
                continue
            weight = module.weight
            if weight.dtype == torch.float32 and weight.is_contiguous():  # not yet re-laid (a tied weight is met twice)
                weight.data = weight.data.t().contiguous().t()
    return model
