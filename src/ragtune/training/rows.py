"""Training rows as token ids: chat rows with the loss on the answer only, raw text packed into blocks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtune.errors import InputError

IGNORE = -100  # label of tokens that carry no loss (prompt, padding)


@dataclass
class Example:
    """One tokenized training row: ``labels`` is IGNORE where no loss is taken."""

    id: str
    input_ids: list[int]
    labels: list[int]

    @property
    def trained_tokens(self) -> int:
        """Tokens the loss is taken on."""
        return sum(1 for t in self.labels if t != IGNORE)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL file of training rows; errors name the file and line."""
    from ragtune.data.questions import read_jsonl_records

    if not path.is_file():
        raise InputError(f"{path} does not exist: run `ragtune data PROJECT build` first")
    rows = []
    for number, _, row in read_jsonl_records(path):
        row.setdefault("id", f"line-{number}")
        row["_line"] = number
        rows.append(row)
    if not rows:
        raise InputError(f"{path} has no training rows: add questions or documents and run `ragtune data build`")
    return rows


def _check_messages(row: dict[str, Any], path: Path) -> list[dict[str, str]]:
    messages = row.get("messages")
    where = f"{path} line {row['_line']} (id {row['id']})"
    if not isinstance(messages, list) or not messages:
        raise InputError(f"{where}: needs a non-empty 'messages' list of {{role, content}} objects")
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise InputError(f"{where}: every message needs text 'role' and 'content' fields, got {m!r}")
    if messages[-1]["role"] != "assistant" or not messages[-1]["content"].strip():
        raise InputError(f"{where}: the last message must be the assistant's (non-empty) answer to train on")
    return messages


def encode_chat_rows(tokenizer: Any, rows: list[dict[str, Any]], max_len: int, path: Path) -> list[Example]:
    """Render rows with the model's chat template; only the assistant answer (and end-of-turn) is trained on.

    The prompt is tokenized exactly as at answer time (the template with the assistant turn opened), so the
    model learns to continue the prompts it will see.
    """
    prompts, completions = [], []
    for row in rows:
        messages = _check_messages(row, path)
        prompt = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        if full.startswith(prompt):
            completion = full[len(prompt):]
        else:  # templates that rewrite earlier turns: fall back to the answer and the end token
            completion = messages[-1]["content"] + (tokenizer.eos_token or "")
        prompts.append(prompt)
        completions.append(completion)
    prompt_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completions, add_special_tokens=False)["input_ids"]
    examples = []
    for row, p, c in zip(rows, prompt_ids, completion_ids):
        if len(p) + len(c) > max_len:
            raise InputError(
                f"{path} line {row['_line']} (id {row['id']}) has {len(p) + len(c)} tokens, more than "
                f"training.max_seq_len={max_len}: raise training.max_seq_len (the model reads up to its context "
                "window), or shorten the row (fewer data.raft_distractors or a smaller chunking.size)"
            )
        examples.append(Example(row["id"], p + c, [IGNORE] * len(p) + list(c)))
    return examples


def encode_text_rows(tokenizer: Any, rows: list[dict[str, Any]], block: int, path: Path) -> list[Example]:
    """Continued-pretraining text: documents joined with end-of-text tokens and cut into full blocks."""
    texts = []
    for row in rows:
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{path} line {row['_line']} (id {row['id']}): needs a non-empty 'text' field")
        texts.append(text)
    eos = tokenizer.eos_token_id
    stream: list[int] = []
    for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        stream.extend(ids)
        if eos is not None:
            stream.append(eos)
    examples = []
    for n, start in enumerate(range(0, len(stream), block)):
        piece = stream[start:start + block]
        if len(piece) < 16:  # a scrap at the end teaches nothing
            break
        examples.append(Example(f"block-{n}", piece, list(piece)))
    return examples
