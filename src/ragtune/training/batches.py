"""Batches for training: rows grouped by length so padding wastes little, in a seeded, resumable order."""

from __future__ import annotations

import random
from typing import Any

from ragtune.training.rows import IGNORE, Example

GROUP_WINDOW = 32  # batches' worth of rows sorted together: long enough to group lengths, short enough to mix


def epoch_batches(lengths: list[int], batch_size: int, seed: int, epoch: int,
                  batch_tokens: int | None = None) -> list[list[int]]:
    """Row indices per micro-batch for one epoch.

    Rows are shuffled, sorted by length inside windows of ``GROUP_WINDOW`` batches, cut into batches of at most
    ``batch_size`` rows and ``batch_tokens`` padded tokens, and the batches shuffled again: similar lengths share
    a batch while the order stays random. The same (seed, epoch) always gives the same batches, which is what
    lets a resumed run continue exactly where it stopped.
    """
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * GROUP_WINDOW
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        current: list[int] = []
        for i in sorted(order[start:start + window], key=lambda i: lengths[i]):
            too_many = len(current) >= batch_size
            too_long = bool(batch_tokens) and lengths[i] * (len(current) + 1) > batch_tokens  # sorted: i is longest
            if current and (too_many or too_long):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(examples: list[Example], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels (IGNORE on padding)."""
    import torch

    longest = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), longest), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), longest), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def padding_share(examples: list[Example], batches: list[list[int]]) -> float:
    """Share of padded positions in these batches (0 = no waste)."""
    real = padded = 0
    for batch in batches:
        lengths = [len(examples[i].input_ids) for i in batch]
        real += sum(lengths)
        padded += max(lengths) * len(lengths)
    return 1 - real / padded if padded else 0.0
