"""The FastAPI app: /health, /v1/models, /v1/chat/completions (plain JSON or server-sent events), /v1/embeddings,
and the web page (/, /api/status, /report: see ``ragtune.server.page``).

One ``Service`` (models loaded once) per app; model work runs on the limiter's thread pool, never on the event loop.
A generation stops when its client disconnects (streamed or not) and when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ragtune.errors import InputError, RagtuneError
from ragtune.generate.base import GenerationOptions
from ragtune.serve_options import LIMITS, ServeOptions
from ragtune.server import shapes
from ragtune.server.auth import BearerKey, request_reader, server_keys
from ragtune.server.errors import SERVER, ApiError, from_exception, install
from ragtune.server.limits import BodySizeLimit, Limiter
from ragtune.server.openapi import error_responses, install_openapi
from ragtune.server.page import install_page
from ragtune.server.schemas import ChatCompletionRequest, ChatMessage, EmbeddingRequest
from ragtune.server.service import Service

DISCONNECT_POLL_S = 0.25  # how often a plain (non-streamed) request checks that its client is still there
GUARDED = ("/report", "/api", "/v1", "/openapi.json")  # need a key on a server with keys


class _ClientGone(Exception):
    """Raised into the generation thread when the client has disconnected (or the server is shutting down)."""


def create_app(project_root: str | Path, api_key_hash: str | None = None, *, overrides: list[str] | None = None,
               preload: bool = False, on_ready: Callable[[list[str]], None] | None = None,
               options: ServeOptions | None = None, **limits: int) -> FastAPI:
    """The API of the project at ``project_root``, with the limits of ``options`` (default: ServeOptions') changed
    by ``limits`` (its limit fields by name: ``max_concurrency=1``...); the bind address and key are ``serve``'s.

    ``api_key_hash``: hex SHA-256 of the owner key, which reads every document (None: no owner key). The project's
    ``access.keys`` are accepted too, each reading as its user or groups (``env:`` keys are read now). With any key,
    every /v1, /api and /report route and /openapi.json requires one, and /docs and /redoc are off (a browser cannot
    send the key); the page at / and its static files stay open so it can ask.
    ``max_concurrency`` requests are answered at once and ``max_queue`` may wait for a slot (503 beyond); the
    answers on one model are generated together, at most ``max_batch`` rows at a time (1: one after another);
    bodies over ``max_body_bytes`` get 413; an answer has at most ``max_tokens`` tokens (a request asking for more
    gets 400). ``preload`` loads the embedder and base generator at start-up; ``on_ready`` is called with the model
    ids once the app is ready.
    """
    if unknown := sorted(set(limits) - set(LIMITS)):
        raise TypeError(f"create_app() got unexpected keyword arguments: {', '.join(unknown)}")
    o = ServeOptions.of(options, **limits)
    Limiter.check(o.max_concurrency, o.max_queue)
    if o.max_batch < 1:
        raise InputError(f"max_batch must be at least 1, got {o.max_batch}")
    if api_key_hash is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", api_key_hash):
        raise InputError("api_key_hash must be the hex SHA-256 of the key (ragtune.server.auth.hash_key)")
    if o.max_body_bytes < 1:
        raise InputError(f"max_body_bytes must be at least 1, got {o.max_body_bytes}")
    if not 1 <= o.max_tokens <= 8192:
        raise InputError(f"max_tokens must be between 1 and 8192, got {o.max_tokens}")
    service = Service(project_root, overrides, max_batch=o.max_batch)
    keys = server_keys(api_key_hash, service.project.config.access)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.loop = asyncio.get_running_loop()
        app.state.limiter = limiter = Limiter(o.max_concurrency, o.max_queue)
        try:
            if preload:
                await limiter.run(service.warm)
            if on_ready is not None:
                on_ready(service.models())
            yield
        finally:
            limiter.close()

    from ragtune import __version__

    app = FastAPI(title=f"ragtune: {service.name}", version=__version__, lifespan=lifespan,
                  description="OpenAI-compatible API over the project's answer variants.",
                  docs_url=None if keys else "/docs", redoc_url=None if keys else "/redoc")
    app.state.service = service
    app.state.keys = keys
    app.state.started = int(time.time())
    app.state.max_tokens = o.max_tokens
    install(app)
    install_openapi(app, lambda path: bool(keys) and any(path == p or path.startswith(p + "/") for p in GUARDED))
    app.add_middleware(BodySizeLimit, max_bytes=o.max_body_bytes)
    app.add_middleware(BearerKey, keys=keys, prefixes=GUARDED)  # added last: runs first

    @app.get("/health")
    async def health() -> dict:
        """Liveness: open without a key."""
        return {"status": "ok"}

    v1 = APIRouter(prefix="/v1")
    v1.add_api_route("/models", list_models, methods=["GET"])
    v1.add_api_route("/models/{model}", get_model, methods=["GET"], responses=error_responses(404))
    v1.add_api_route("/chat/completions", chat_completions, methods=["POST"],
                     responses=error_responses(400, 404, 413, 503))
    v1.add_api_route("/embeddings", embeddings, methods=["POST"], responses=error_responses(400, 404, 413, 503))
    app.include_router(v1)
    install_page(app)
    return app


async def list_models(request: Request) -> JSONResponse:
    """One model per available variant: ``<project>:base``, ``:rag``, and ``:ft`` / ``:hybrid`` once trained."""
    service: Service = request.app.state.service
    return JSONResponse(shapes.model_list(service.models(), request.app.state.started, "ragtune"))


async def get_model(model: str, request: Request) -> JSONResponse:
    """One model by id (404 naming the known ones)."""
    service: Service = request.app.state.service
    service.variant_of(model)
    return JSONResponse(shapes.model_list([model], request.app.state.started, "ragtune")["data"][0])


def _question(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    """The last user message's text, and a warning when other messages were sent (they are not read)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(400, "messages has no user message: the last user message is the question",
                       param="messages", code="missing_user_message")
    question = messages[users[-1]].text().strip()
    if not question:
        raise ApiError(400, "the last user message is empty", param=f"messages[{users[-1]}].content")
    warnings = ["only the last user message is answered: the variants use their own prompts, and system "
                "messages and earlier turns are not read"] if len(messages) > 1 else []
    return question, warnings


def _filters(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Retrieval filters checked up front (400 naming the allowed fields)."""
    from ragtune.index.store.base import check_filters

    try:
        return check_filters(filters) if filters else None
    except RagtuneError as exc:
        raise ApiError(400, str(exc), param="ragtune.filters") from None


def _token_limit(body: ChatCompletionRequest, cap: int, default: int) -> int:
    """The answer's token limit: the request's (400 naming the field beyond ``cap``), else ``default`` up to
    ``cap``."""
    for name in ("max_completion_tokens", "max_tokens"):
        asked = getattr(body, name)
        if asked is not None and asked > cap:
            raise ApiError(400, f"{name} is {asked}, but this server writes at most {cap} tokens per answer (its "
                                "--max-tokens): ask for fewer", param=name, code="max_tokens_too_large")
    asked = body.token_limit()
    return min(default, cap) if asked is None else asked


async def _run(limiter: Limiter, work: Callable[[], Any]) -> Any:
    try:
        return await limiter.run(work)
    except ApiError:
        raise
    except Exception as exc:
        raise from_exception(exc) from exc


async def _unless_gone(request: Request, limiter: Limiter, work: Callable[[], Any], gone: threading.Event) -> Any:
    """Run ``work`` (which stops once ``gone`` is set) and return its result; checks every ``DISCONNECT_POLL_S``
    that the client is still there, and sets ``gone`` once it is not (None is returned then)."""
    waiting = asyncio.wrap_future(await limiter.start(work, gone))
    try:
        while not (await asyncio.wait({waiting}, timeout=DISCONNECT_POLL_S))[0]:
            if await request.is_disconnected():
                gone.set()
                break
        return await waiting
    except _ClientGone:
        return None
    except asyncio.CancelledError:  # the server's graceful shutdown ran out: stop the generation, tell the client
        gone.set()
        raise ApiError(503, "the server is shutting down: retry in a moment", SERVER, code="shutting_down",
                       headers={"Retry-After": "5"}) from None
    except ApiError:
        raise
    except Exception as exc:
        raise from_exception(exc) from exc


async def chat_completions(body: ChatCompletionRequest, request: Request):
    """Answer the last user message with the variant the model id names, retrieving only what the request's key
    may read; ``stream`` for server-sent events."""
    service: Service = request.app.state.service
    limiter: Limiter = request.app.state.limiter
    variant = service.variant_of(body.model)
    question, warnings = _question(body.messages)
    limit = _token_limit(body, request.app.state.max_tokens, service.project.config.generation.max_new_tokens)
    options = GenerationOptions(max_new_tokens=limit, temperature=body.temperature, stop=body.stop_list())
    retrieval = {"k": body.ragtune.k if body.ragtune else None, "reader": request_reader(request),
                 "filters": _filters(body.ragtune.filters if body.ragtune else None)}
    gone = threading.Event()  # the client left or the server is stopping: the generation stops at its next token
    if not body.stream:
        def check(_: str) -> None:  # the answer is generated as a stream so that it can stop early
            if gone.is_set():
                raise _ClientGone()

        answer = await _unless_gone(request, limiter, gone=gone, work=lambda: service.answer(
            question, variant, options, on_token=check, **retrieval))
        if answer is None:
            return Response(status_code=499)  # nginx's "client closed request": nobody reads it
        return JSONResponse(shapes.completion(answer, body.model, answer.finish_reason, warnings))

    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(kind: str, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed (server shutting down)
            loop.call_soon_threadsafe(events.put_nowait, (kind, value))

    def on_token(piece: str) -> None:
        if gone.is_set():
            raise _ClientGone()
        put("token", piece)

    def work() -> None:
        try:
            put("done", service.answer(question, variant, options, on_token=on_token, **retrieval))
        except _ClientGone:
            pass  # nobody is listening any more
        except BaseException as exc:  # handed to the response (or dropped when the client is gone)
            put("error", exc)

    await limiter.start(work, gone)
    first = await events.get()
    if first[0] == "error":  # nothing sent yet: a proper status code (e.g. 400 for a prompt too long)
        raise from_exception(first[1])
    writer = shapes.ChunkWriter(body.model)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    async def sse():
        try:
            yield writer.role()
            kind, value = first
            while True:
                if kind == "token":
                    if value:
                        yield writer.delta(value)
                elif kind == "done":
                    yield writer.final(value, value.finish_reason, warnings)
                    if include_usage:
                        yield writer.usage(value)
                    yield writer.done()
                    return
                else:
                    yield writer.error(from_exception(value).body())
                    yield writer.done()
                    return
                kind, value = await events.get()
        finally:
            gone.set()

    return StreamingResponse(sse(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def embeddings(body: EmbeddingRequest, request: Request) -> JSONResponse:
    """Embed texts with the project's embedder (unit-length vectors, as retrieval uses them)."""
    service: Service = request.app.state.service
    service.check_embedding_model(body.model)
    texts = body.texts()
    vectors, tokens = await _run(request.app.state.limiter, lambda: service.embed(texts))
    if body.dimensions is not None and body.dimensions != vectors.shape[1]:
        raise ApiError(400, f"this embedder gives {vectors.shape[1]} dimensions, not {body.dimensions}",
                       param="dimensions", code="unsupported_dimensions")
    return JSONResponse(shapes.embedding_list(vectors, body.model, tokens, body.encoding_format))
