"""Request bodies of the API as strict pydantic models: unknown fields and wrong types are errors (HTTP 400).

They follow OpenAI's chat-completions and embeddings requests, limited to what ragtune honours; a field it would
silently ignore (top_p, tools, logprobs ...) is rejected by name instead. ``ragtune`` is an extension for
retrieval options (k, metadata filters).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_STOP = 4  # OpenAI's limit
MAX_STOP_CHARS = 64  # per stop sequence: the stop check reads a tail of the answer this long, each token
MAX_EMBEDDING_INPUTS = 2048


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TextPart(_Strict):
    """One part of a message's content in list form; only text parts are read."""

    type: Literal["text"]
    text: str


class ChatMessage(_Strict):
    """One turn of the conversation."""

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None

    def text(self) -> str:
        """The content as one string (text parts joined)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(_Strict):
    """Streaming options: ``include_usage`` adds a last chunk with token usage and no choices."""

    include_usage: bool = False


class RetrievalOptions(_Strict):
    """ragtune's extension: retrieval options for the variants that retrieve (rag, hybrid)."""

    k: int | None = Field(None, ge=1, le=100, description="Chunks to retrieve (default: retrieval.k).")
    filters: dict[str, str | list[str]] | None = Field(
        None, description="Metadata filters, e.g. {'source': 'policies/*'}."
    )


class ChatCompletionRequest(_Strict):
    """POST /v1/chat/completions. The last user message is the question; earlier turns are not read."""

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1, le=8192)
    max_completion_tokens: int | None = Field(None, ge=1, le=8192)
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is generated.")
    user: str | None = None
    ragtune: RetrievalOptions | None = None

    @field_validator("stop")
    @classmethod
    def _few_stops(cls, value: str | list[str] | None) -> str | list[str] | None:
        stops = [value] if isinstance(value, str) else value or []
        if len(stops) > MAX_STOP:
            raise ValueError(f"at most {MAX_STOP} stop sequences")
        if any(len(stop) > MAX_STOP_CHARS for stop in stops):
            raise ValueError(f"a stop sequence may be at most {MAX_STOP_CHARS} characters long")
        return value

    def stop_list(self) -> list[str] | None:
        """``stop`` as a list (None when not given)."""
        if self.stop is None:
            return None
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def token_limit(self) -> int | None:
        """max_completion_tokens (the newer name) or max_tokens."""
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class EmbeddingRequest(_Strict):
    """POST /v1/embeddings: one text or a list of texts."""

    model: str
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, ge=1)
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _texts(cls, value: str | list[str]) -> str | list[str]:
        texts = [value] if isinstance(value, str) else value
        if not texts:
            raise ValueError("give at least one text")
        if len(texts) > MAX_EMBEDDING_INPUTS:
            raise ValueError(f"at most {MAX_EMBEDDING_INPUTS} texts per request")
        if any(not text for text in texts):
            raise ValueError("texts must not be empty")
        return value

    def texts(self) -> list[str]:
        """``input`` as a list."""
        return [self.input] if isinstance(self.input, str) else list(self.input)
