"""Log-likelihood of given continuations under a local model: how multiple-choice options are scored, as
lm-evaluation-harness does (the prompt and each option encoded separately, the option's token log-probabilities
summed), with no generation.

Each prompt runs once: prompts of similar length are batched (left padding) and their KV cache kept; the cache
rows are then repeated once per option and every option's tokens run against them in one more pass (right
padding). An option's first token is predicted by the prompt's last logit, each later one by the option's own
previous token. A batch holds at most ``batch_size`` options (one prompt with more options is a batch of its
own), so the repeated cache stays bounded."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ragtune.generate.base import Messages

if TYPE_CHECKING:
    from ragtune.generate.local import LocalGenerator


def option_logliks(generator: LocalGenerator, items: Sequence[tuple[Messages, Sequence[str]]],
                   batch_size: int = 16) -> list[list[float]]:
    """For each (chat, options) item, the summed log-probability of each option as the assistant's answer."""
    import torch

    prompts = [generator.encode(messages) for messages, _ in items]
    options = [[generator.tokenize(option) or [generator.pad_id] for option in opts] for _, opts in items]
    scores: list[list[float]] = [[] for _ in items]
    for group in loglik_groups([len(p) for p in prompts], [len(o) for o in options], batch_size):
        with generator.lock, torch.inference_mode():
            found = _score(generator, [prompts[i] for i in group], [options[i] for i in group])
        for i, values in zip(group, found):
            scores[i] = values
    return scores


def loglik_groups(prompt_lengths: Sequence[int], option_counts: Sequence[int], batch_size: int = 16) -> list[list[int]]:
    """The items' indices, batch by batch, as ``option_logliks`` scores them: shortest prompt first (equal lengths in
    input order), consecutive items whose options add up to at most ``batch_size`` (at least one item each). The
    same batches give the same scores."""
    groups: list[list[int]] = []
    group: list[int] = []
    total = 0
    for i in sorted(range(len(prompt_lengths)), key=prompt_lengths.__getitem__):
        if group and total + option_counts[i] > batch_size:
            groups.append(group)
            group, total = [], 0
        group.append(i)
        total += option_counts[i]
    return [*groups, group] if group else groups


def _score(generator: LocalGenerator, prompts: list[list[int]], options: list[list[list[int]]]) -> list[list[float]]:
    """The options' log-likelihoods for one batch of prompts: one pass over the prompts, one over the options."""
    import torch

    device, model = generator.device, generator.model
    longest = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), longest), generator.pad_id, dtype=torch.long)
    attention = torch.zeros((len(prompts), longest), dtype=torch.long)
    for row, ids in enumerate(prompts):  # left padding: every prompt's last token is at the last position
        input_ids[row, longest - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        attention[row, longest - len(ids) :] = 1
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                position_ids=positions.to(device), use_cache=True, logits_to_keep=1)
    first = out.logits[:, -1].float().log_softmax(-1)
    rows = [(b, tokens) for b, opts in enumerate(options) for tokens in opts]
    values = [float(first[b, tokens[0]]) for b, tokens in rows]
    rest = max(len(tokens) for _, tokens in rows) - 1
    if rest > 0:
        for r, logprobs in enumerate(_continuations(generator, out.past_key_values, attention, prompts, rows, rest)):
            values[r] += logprobs
    grouped: list[list[float]] = [[] for _ in prompts]
    for (b, _), value in zip(rows, values):
        grouped[b].append(value)
    return grouped


def _continuations(generator: LocalGenerator, cache: Any, attention: Any, prompts: list[list[int]],
                   rows: list[tuple[int, list[int]]], rest: int) -> Iterator[float]:
    """For each (prompt row, option tokens), the log-probability of the option's tokens after its first, run on
    the prompt cache repeated per option (right padding after each option)."""
    import torch

    source = torch.tensor([b for b, _ in rows], dtype=torch.long)
    cache.reorder_cache(source.to(generator.device))  # cache row r: the prompt of option row r
    input_ids = torch.full((len(rows), rest), generator.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), rest), dtype=torch.long)
    for r, (_, tokens) in enumerate(rows):  # the option's tokens but its last: each predicts the next one
        input_ids[r, : len(tokens) - 1] = torch.tensor(tokens[:-1], dtype=torch.long)
        mask[r, : len(tokens) - 1] = 1
    starts = torch.tensor([len(prompts[b]) for b, _ in rows], dtype=torch.long)
    positions = starts[:, None] + torch.arange(rest, dtype=torch.long)[None, :]
    logits = generator.model(input_ids=input_ids.to(generator.device),
                             attention_mask=torch.cat([attention[source], mask], dim=1).to(generator.device),
                             position_ids=positions.to(generator.device), past_key_values=cache,
                             use_cache=True).logits
    for r, (_, tokens) in enumerate(rows):
        if len(tokens) == 1:
            yield 0.0
            continue
        predicting = logits[r, : len(tokens) - 1].float().log_softmax(-1)
        targets = torch.tensor(tokens[1:], dtype=torch.long, device=predicting.device)
        yield float(predicting.gather(-1, targets[:, None]).sum())
