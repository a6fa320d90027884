"""Response objects in OpenAI's shapes: chat.completion, chat.completion.chunk, the model list, embeddings.

Answers keep their ``[n]`` citation markers; a top-level ``ragtune`` field carries the variant, the numbered
sources, the cited numbers, the grounding check and warnings (on the final chunk when streaming).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import numpy as np

from ragtune.answer import Answer


def completion_id() -> str:
    """A fresh ``chatcmpl-...`` id."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def sse(obj: dict) -> bytes:
    """One server-sent event carrying ``obj`` as compact JSON."""
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"


def ragtune_field(answer: Answer, extra_warnings: list[str] | None = None) -> dict[str, Any]:
    """The ``ragtune`` extension: variant, numbered sources (document, section, page, chunk id, text), cited
    numbers, the grounding check (``{"supported": false, "reasons": [...], ...}``; null for base and ft) and
    warnings (an unsupported answer's among them)."""
    sources = [{"n": n, "document": h.chunk.source, "title": h.chunk.title, "section": h.chunk.section,
                "page": h.chunk.page, "chunk_id": h.chunk.id, "score": round(float(h.score), 4), "text": h.chunk.text}
               for n, h in enumerate(answer.sources, start=1)]
    return {"variant": answer.variant, "sources": sources, "cited": list(answer.cited),
            "citations_inferred": answer.citations_inferred, "abstained": answer.abstained,
            "grounding": answer.grounding.to_dict() if answer.grounding is not None else None,
            "warnings": [*answer.shown_warnings(), *(extra_warnings or [])]}


def usage(answer: Answer) -> dict[str, int]:
    """Token usage of an answer."""
    return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
            "total_tokens": answer.prompt_tokens + answer.completion_tokens}


def completion(answer: Answer, model: str, finish_reason: str, extra_warnings: list[str] | None = None) -> dict:
    """A ``chat.completion`` object."""
    return {
        "id": completion_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                     "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage(answer), "system_fingerprint": None,
        "ragtune": ragtune_field(answer, extra_warnings),
    }


class ChunkWriter:
    """Server-sent events of one streamed completion: ``data: {chat.completion.chunk}`` lines, then ``[DONE]``."""

    def __init__(self, model: str) -> None:
        self.id, self.model, self.created = completion_id(), model, int(time.time())

    def _event(self, choices: list[dict], **extra: Any) -> bytes:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                 "system_fingerprint": None, "choices": choices, **extra}
        return sse(chunk)

    def role(self) -> bytes:
        """The first chunk: the assistant role, no text yet."""
        return self._event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                             "finish_reason": None}])

    def delta(self, text: str) -> bytes:
        """A chunk of answer text."""
        return self._event([{"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}])

    def final(self, answer: Answer, finish_reason: str, extra_warnings: list[str] | None = None) -> bytes:
        """The last chunk of the choice: finish reason and the ``ragtune`` field."""
        return self._event([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}],
                           ragtune=ragtune_field(answer, extra_warnings))

    def usage(self, answer: Answer) -> bytes:
        """With ``stream_options.include_usage``: a chunk with no choices and the token usage."""
        return self._event([], usage=usage(answer))

    @staticmethod
    def error(body: dict) -> bytes:
        """An error after the stream began (the OpenAI client raises it)."""
        return sse(body)

    @staticmethod
    def done() -> bytes:
        """The end of the stream."""
        return b"data: [DONE]\n\n"


def model_list(ids: list[str], created: int, owner: str) -> dict:
    """The ``GET /v1/models`` list."""
    return {"object": "list", "data": [{"id": i, "object": "model", "created": created, "owned_by": owner}
                                       for i in ids]}


def embedding_list(vectors: np.ndarray, model: str, tokens: int, encoding: str) -> dict:
    """The ``POST /v1/embeddings`` list (float lists, or base64 of little-endian float32)."""
    def encode(vector: np.ndarray) -> list[float] | str:
        if encoding == "base64":
            return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
        return [float(x) for x in vector]

    return {"object": "list", "model": model,
            "data": [{"object": "embedding", "index": i, "embedding": encode(v)} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
