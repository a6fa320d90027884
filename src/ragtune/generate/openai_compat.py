"""OpenAIGenerator: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp, Ollama, ...)."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ragtune.config import GenerationConfig
from ragtune.errors import ConfigError, InputError, RagtuneError
from ragtune.generate.base import Generation, Messages, StopFilter, TextStream, check_messages, cut_at_stop

MAX_PARALLEL_REQUESTS = 8


def _server_message(response: Any) -> str:
    """The error text a server put in its response body (OpenAI style ``{"error": {"message": ...}}`` or plain)."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            for key in ("message", "detail", "error"):
                if isinstance(error.get(key), str):
                    return error[key]
        if isinstance(error, str):
            return error
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return json.dumps(body)[:500]


class OpenAIGenerator:
    """Chat completions over HTTP (``POST {base_url}/chat/completions``), plain or streamed (server-sent events).

    The API key is read from the environment variable named by ``api_key_env`` at each request; without one,
    no Authorization header is sent (fine for local servers). Token counts are the server's ``usage`` (0 when
    it reports none). ``chat_batch`` sends up to 8 requests at once; each Generation's latency is its own
    request's wall time.
    """

    def __init__(self, cfg: GenerationConfig) -> None:
        if not cfg.base_url:
            raise ConfigError("generation.base_url is required for backend 'openai' (e.g. http://localhost:8080/v1)")
        self.cfg = cfg
        self.name = cfg.model
        self.base_url = cfg.base_url.rstrip("/")
        self._client: Any = None
        self._client_lock = threading.Lock()

    # ------------------------------------------------------------------ HTTP plumbing

    @property
    def client(self) -> Any:
        """The shared httpx client (created on first use; thread-safe)."""
        with self._client_lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(timeout=httpx.Timeout(self.cfg.timeout_s, connect=10.0))
            return self._client

    def close(self) -> None:
        """Close the HTTP connections."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.cfg.api_key_env, "").strip()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _transport_error(self, exc: Exception, url: str) -> RagtuneError:
        import httpx

        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return RagtuneError(
                f"cannot reach the generation endpoint {url} ({exc}): check generation.base_url "
                "and that the server is running"
            )
        if isinstance(exc, httpx.TimeoutException):
            return RagtuneError(
                f"{url} did not answer within {self.cfg.timeout_s:g} s: raise generation.timeout_s "
                "or lower generation.max_new_tokens"
            )
        return RagtuneError(f"request to {url} failed: {exc}")

    def _http_error(self, response: Any) -> RagtuneError:
        """A RagtuneError that explains an HTTP error response (the body must have been read)."""
        code, url = response.status_code, str(response.request.url)
        message = _server_message(response)
        if code in (401, 403):
            env = self.cfg.api_key_env
            state = "is set but the key was refused" if os.environ.get(env) else "is not set"
            return RagtuneError(
                f"{url} refused the request (HTTP {code}: {message}): the environment variable {env} {state}; "
                f"put a valid API key in {env} (or set generation.api_key_env to the variable that holds it)"
            )
        if code == 404:
            models = self.list_models()
            if models is not None and self.cfg.model not in models:
                offered = ", ".join(models[:20]) + (" ..." if len(models) > 20 else "") if models else "none"
                return ConfigError(
                    f"generation.model {self.cfg.model!r} is not served by {self.base_url} (HTTP 404: {message}); "
                    f"the server offers: {offered}"
                )
            return RagtuneError(
                f"{url} answered HTTP 404 ({message}): check generation.base_url (it usually ends in /v1) "
                "and generation.model"
            )
        return RagtuneError(f"{url} answered HTTP {code}: {message}")

    def list_models(self) -> list[str] | None:
        """Model ids from ``GET {base_url}/models``, or None when the endpoint does not say."""
        import httpx

        try:
            response = self.client.get(f"{self.base_url}/models", headers=self._headers())
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return None
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    def _payload(
        self,
        messages: Messages,
        max_new_tokens: int | None,
        temperature: float | None,
        stop: list[str] | None,
        stream: bool,
    ) -> dict[str, Any]:
        max_new = self.cfg.max_new_tokens if max_new_tokens is None else int(max_new_tokens)
        temp = self.cfg.temperature if temperature is None else float(temperature)
        if max_new < 1:
            raise InputError(f"max_new_tokens must be at least 1, got {max_new}")
        payload: dict[str, Any] = {
            "model": self.cfg.model,
            "messages": check_messages(messages),
            "max_tokens": max_new,
            "temperature": temp,
            "stream": stream,
        }
        stops = [s for s in (stop or []) if s]
        if stops:
            payload["stop"] = stops
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def _malformed(self, what: str, body: Any) -> RagtuneError:
        text = body if isinstance(body, str) else json.dumps(body)
        return RagtuneError(
            f"{self.base_url}/chat/completions sent a malformed response ({what}): {text[:300]}; "
            "is generation.base_url an OpenAI-compatible endpoint?"
        )

    # ------------------------------------------------------------------ protocol

    def chat(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Generation:
        """Answer one conversation with a single (non-streamed) request."""
        import httpx

        payload = self._payload(messages, max_new_tokens, temperature, stop, stream=False)
        url = f"{self.base_url}/chat/completions"
        start = time.perf_counter()
        try:
            response = self.client.post(url, json=payload, headers=self._headers())
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from exc
        latency = time.perf_counter() - start
        if response.status_code >= 400:
            raise self._http_error(response)
        try:
            data = response.json()
        except ValueError:
            raise self._malformed("not JSON", response.text) from None
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise self._malformed("no choices[0].message", data) from None
        if not isinstance(content, str):
            raise self._malformed("message.content is not text", data)
        text, stopped = cut_at_stop(content, payload.get("stop"))
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        reason = "length" if choice.get("finish_reason") == "length" and not stopped else "stop"
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_s=latency,
            first_token_s=None,
            finish_reason=reason,
        )

    def chat_batch(
        self,
        batch: list[Messages],
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> list[Generation]:
        """Answer many conversations with concurrent requests (at most ``min(batch_size, 8)``); order kept."""
        if not batch:
            return []
        for messages in batch:
            check_messages(messages)
        workers = max(1, min(len(batch), self.cfg.batch_size, MAX_PARALLEL_REQUESTS))
        if workers == 1:
            return [self.chat(m, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop) for m in batch]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ragtune-openai") as pool:
            return list(
                pool.map(
                    lambda m: self.chat(m, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop), batch
                )
            )

    def stream(
        self,
        messages: Messages,
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> TextStream:
        """Answer one conversation as text deltas from a server-sent-event stream.

        The request is sent (and HTTP errors raised) right away; ``.generation`` is set once the stream ends.
        """
        import httpx

        payload = self._payload(messages, max_new_tokens, temperature, stop, stream=True)
        url = f"{self.base_url}/chat/completions"
        start = time.perf_counter()
        try:
            request = self.client.build_request("POST", url, json=payload, headers=self._headers())
            response = self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from exc
        if response.status_code >= 400:
            try:
                response.read()
            finally:
                response.close()
            raise self._http_error(response)
        stream: TextStream

        def deltas():
            filt = StopFilter(payload.get("stop"))
            pieces: list[str] = []
            usage: dict[str, Any] = {}
            finish, first = None, None
            try:
                for line in response.iter_lines():
                    line = line.strip()
                    if not line.startswith("data:"):
                        continue  # blank separators, comments, event:/id: fields
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        raise self._malformed("a stream event is not JSON", data) from None
                    if not isinstance(chunk, dict):
                        raise self._malformed("a stream event is not an object", data)
                    if "error" in chunk:
                        raise RagtuneError(f"{url} reported an error mid-stream: {_server_message_from(chunk)}")
                    if isinstance(chunk.get("usage"), dict):
                        usage = chunk["usage"]
                    choices = chunk.get("choices") or []
                    if not choices:
                        continue
                    if not isinstance(choices[0], dict):
                        raise self._malformed("choices[0] is not an object", chunk)
                    finish = choices[0].get("finish_reason") or finish
                    content = (choices[0].get("delta") or {}).get("content") or ""
                    if not content:
                        continue
                    if first is None:
                        first = time.perf_counter() - start
                    out = filt.feed(content)
                    if out:
                        pieces.append(out)
                        yield out
                    if filt.stopped:
                        break
                tail = filt.flush()
                if tail:
                    pieces.append(tail)
                    yield tail
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, url) from exc
            finally:
                response.close()
            reason = "length" if finish == "length" and not filt.stopped else "stop"
            stream.generation = Generation(
                text="".join(pieces),
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                latency_s=time.perf_counter() - start,
                first_token_s=first,
                finish_reason=reason,
            )

        stream = TextStream(deltas(), on_close=response.close)
        return stream


def _server_message_from(body: dict[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return str(error)
