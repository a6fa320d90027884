"""Log-likelihood of given continuations under a local model: how multiple-choice options are scored, as
lm-evaluation-harness does (the prompt and each option encoded separately, the option's token log-probabilities
summed), in batches of (prompt, option) sequences with one forward pass each and no generation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ragtune.generate.base import Messages

if TYPE_CHECKING:
    from ragtune.generate.local import LocalGenerator


def option_logliks(generator: LocalGenerator, items: Sequence[tuple[Messages, Sequence[str]]],
                   batch_size: int = 16) -> list[list[float]]:
    """For each (chat, options) item, the summed log-probability of each option as the assistant's answer."""
    import torch

    sequences: list[tuple[int, int, list[int], int]] = []  # (item, option, ids, continuation length)
    for i, (messages, options) in enumerate(items):
        prompt = generator.encode(messages)
        for j, option in enumerate(options):
            continuation = generator.tokenize(option) or [generator.pad_id]
            sequences.append((i, j, prompt + continuation, len(continuation)))
    scores = [[0.0] * len(options) for _, options in items]
    order = sorted(range(len(sequences)), key=lambda s: len(sequences[s][2]))
    for start in range(0, len(order), batch_size):
        batch = [sequences[s] for s in order[start : start + batch_size]]
        longest = max(len(ids) for _, _, ids, _ in batch)
        keep = max(cont for _, _, _, cont in batch) + 1  # logits only where an option's tokens are predicted
        input_ids = torch.full((len(batch), longest), generator.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, (_, _, ids, _) in enumerate(batch):  # left padding: every option ends at the last position
            input_ids[row, longest - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention[row, longest - len(ids) :] = 1
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        with generator.lock, torch.inference_mode():
            logits = generator.model(input_ids=input_ids.to(generator.device),
                                     attention_mask=attention.to(generator.device),
                                     position_ids=positions.to(generator.device), logits_to_keep=keep).logits
            for row, (i, j, ids, cont) in enumerate(batch):
                predicting = logits[row, keep - 1 - cont : keep - 1].float().log_softmax(-1)
                targets = torch.tensor(ids[len(ids) - cont :], dtype=torch.long, device=predicting.device)
                scores[i][j] = float(predicting.gather(-1, targets[:, None]).sum())
    return scores
