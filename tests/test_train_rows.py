"""Training rows and batches: answer-only labels, length grouping, resumable order, clear errors naming the row."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ragtune import InputError
from ragtune.config import TrainingConfig
from ragtune.generate import prompt
from ragtune.training.batches import epoch_batches, padding_share
from ragtune.training.loop import LoopSettings, lr_at
from ragtune.training.rows import IGNORE, Example, encode_chat_rows, encode_text_rows, read_rows


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from ragtune.generate.models import resolve_model_path

    return AutoTokenizer.from_pretrained(resolve_model_path("smollm2-135m-instruct"))


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(question: str, answer: str, rid: str = "r1") -> str:
    return json.dumps({"id": rid, "messages": prompt.base_messages(question) + [{"role": "assistant",
                                                                                 "content": answer}]})


def test_loss_is_on_the_answer_and_end_of_turn_only(tokenizer, tmp_path):
    path = _write(tmp_path, [_row("How long is the warranty?", "38 months")])
    (example,) = encode_chat_rows(tokenizer, read_rows(path), 512, path)
    trained = [t for t in example.labels if t != IGNORE]
    assert tokenizer.decode(trained).startswith("38 months<|im_end|>")
    prompt_part = example.input_ids[: example.labels.index(trained[0])]
    rendered = tokenizer.apply_chat_template(prompt.base_messages("How long is the warranty?"),
                                             add_generation_prompt=True, tokenize=False)
    assert tokenizer.decode(prompt_part) == rendered  # exactly the prompt the model sees when answering


def test_rows_errors_name_the_line_and_the_fix(tokenizer, tmp_path):
    path = _write(tmp_path, [_row("q", "a"), "{not json"])
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        read_rows(path)
    path = _write(tmp_path, [json.dumps({"id": "x", "messages": [{"role": "user", "content": "q"}]})])
    with pytest.raises(InputError, match=r"line 1 \(id x\): the last message must be the assistant"):
        encode_chat_rows(tokenizer, read_rows(path), 512, path)
    path = _write(tmp_path, [_row("word " * 300, "a", rid="long")])
    with pytest.raises(InputError, match=r"id long\) has \d+ tokens, more than training.max_seq_len=64"):
        encode_chat_rows(tokenizer, read_rows(path), 64, path)
    with pytest.raises(InputError, match="has no training rows"):
        read_rows(_write(tmp_path, [""]))
    with pytest.raises(InputError, match="ragtune data PROJECT build"):
        read_rows(tmp_path / "missing.jsonl")


def test_text_rows_are_packed_into_full_blocks(tokenizer, tmp_path):
    path = _write(tmp_path, [json.dumps({"id": f"c{i}", "text": f"Chunk {i} says the X200 weighs 610 g. " * 5})
                             for i in range(20)])
    blocks = encode_text_rows(tokenizer, read_rows(path), 64, path)
    assert len(blocks) > 5 and all(len(b.input_ids) == 64 for b in blocks[:-1])
    assert all(b.labels == b.input_ids for b in blocks)


def test_batches_group_lengths_cover_every_row_once_and_repeat_exactly():
    lengths = [(i * 37) % 500 + 10 for i in range(300)]
    batches = epoch_batches(lengths, 8, seed=3, epoch=0, batch_tokens=1024)
    assert sorted(i for b in batches for i in b) == list(range(300))
    assert all(len(b) <= 8 and max(lengths[i] for i in b) * len(b) <= 1024 for b in batches)
    assert batches == epoch_batches(lengths, 8, seed=3, epoch=0, batch_tokens=1024)
    assert batches != epoch_batches(lengths, 8, seed=3, epoch=1, batch_tokens=1024)
    examples = [Example(str(i), [1] * n, [1] * n) for i, n in enumerate(lengths)]
    grouped = padding_share(examples, batches)
    unsorted = padding_share(examples, [list(range(i, min(i + 8, 300))) for i in range(0, 300, 8)])
    assert grouped < 0.05 < unsorted


def test_learning_rate_warms_up_then_decays():
    cfg = TrainingConfig()
    s = LoopSettings.from_config(TrainingConfig(warmup_ratio=0.1, dtype="float32"), epochs=1)
    assert (s.learning_rate, s.epochs, s.warmup_ratio, s.batch_size, s.autocast) == (1e-3, 1, 0.1, 8, None)
    rates = [lr_at(step, 100, s) for step in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert rates[10] > rates[50] > rates[99] >= 0
    assert cfg.lr() == 1e-3 and TrainingConfig(method="full").lr() == 5e-5


def _tiny_loop(tmp_path: Path, budget: float | None, rows: int = 24):
    """A real training loop on a tiny randomly initialised Llama (2 layers, 32 wide): 12 steps an epoch, 3 epochs."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from ragtune.training.loop import TrainingLoop

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64))
    examples = [Example(str(i), [(i + j) % 64 for j in range(8 + i % 5)], [(i + j) % 64 for j in range(8 + i % 5)])
                for i in range(rows)]
    settings = LoopSettings.from_config(TrainingConfig(dtype="float32", batch_size=2, epochs=3, patience=0,
                                                       time_budget_s=budget))
    return TrainingLoop(model, examples, [], 0, settings, tmp_path / "work", {"test": 1})


def test_steps_within_a_budget_add_up_their_costs():
    from ragtune.training.budget import steps_within

    assert steps_within([1.0, 1.0, 3.0, 1.0], seconds=2.5) == 2  # 1 s + 1 s; the third would end at 5 s
    assert steps_within([1.0, 1.0], seconds=10) == 2
    assert steps_within([1.0], seconds=0.5) == 0


def test_a_time_budget_cuts_the_planned_steps_to_what_fits(tmp_path):
    loop = _tiny_loop(tmp_path, budget=None)
    assert loop.total == loop.planned == 36
    costs = [loop.padded_tokens(s) for s in range(3, 36)]
    loop.fit_budget(3, rate=1000.0, left_s=sum(costs[:10]) / 1000.0)  # exactly 10 more steps' worth of tokens
    assert loop.total == 13


def test_a_tiny_time_budget_stops_after_the_probe_steps_and_says_so(tmp_path):
    from ragtune.training.budget import PROBE_STEPS, WARMUP_STEPS

    result = _tiny_loop(tmp_path, budget=1e-6).run()
    assert (result.steps, result.planned_steps) == (WARMUP_STEPS + PROBE_STEPS, 36)
    assert result.final_loss is not None
    free = _tiny_loop(tmp_path / "free", budget=None).run()
    assert (free.steps, free.planned_steps) == (36, None)


def test_a_slow_start_does_not_cut_the_run_the_budget_plans_again(tmp_path):
    """The warm-up step is not timed, and the plan is made again from later steps: a run whose probe steps are slow
    (a busy machine) but whose later steps are fast still gets all its steps."""
    from ragtune.training.budget import PROBE_STEPS, WARMUP_STEPS

    slow = WARMUP_STEPS + PROBE_STEPS
    loop = _tiny_loop(tmp_path, budget=2.0)
    calls = []

    def busy(*_):
        calls.append(1)
        if len(calls) <= slow:
            time.sleep(0.2)

    loop.model.get_decoder().register_forward_pre_hook(busy)
    first_plans = []
    original = loop.fit_budget

    def fit(step, *args):
        original(step, *args)
        first_plans.append((step, loop.total))

    loop.fit_budget = fit
    result = loop.run()
    # the first plan, from 3 steps of 0.2 s with 1.2 s left, kept about 6 more steps; the next ones saw fast steps
    assert first_plans[0][0] == slow and first_plans[0][1] < 20
    assert len(first_plans) > 1 and (result.steps, result.planned_steps) == (36, None)
