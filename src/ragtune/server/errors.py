"""OpenAI-style error objects for every 4xx/5xx answer: ``{"error": {"message", "type", "param", "code"}}``.

``ApiError`` is raised by the routes; ``install`` registers handlers that turn it, FastAPI's validation errors
(malformed JSON, wrong types, unknown fields), Starlette's HTTP errors (unknown route, wrong method), ragtune's
own errors and anything unexpected into that shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragtune.errors import InputError, RagtuneError

log = logging.getLogger("ragtune.server")

INVALID = "invalid_request_error"
AUTH = "authentication_error"
PERMISSION = "permission_error"
SERVER = "server_error"

_HTTP_TYPES = {401: AUTH, 403: PERMISSION}  # other statuses: INVALID below 500, SERVER from 500


class ApiError(Exception):
    """An error answered with ``status`` and an OpenAI-style body."""

    def __init__(self, status: int, message: str, type: str = INVALID, param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {...}}``."""
        return error_body(self.message, self.type, self.param, self.code)

    def response(self) -> JSONResponse:
        """The JSON response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def error_body(message: str, type: str = INVALID, param: str | None = None, code: str | None = None) -> dict:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


async def send_error(send: Callable, status: int, body: dict, headers: list[tuple[bytes, bytes]] | None = None,
                     close: bool = False) -> None:
    """Answer an error directly from ASGI middleware (before the app has seen the request)."""
    payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
    extra = [*(headers or []), *([(b"connection", b"close")] if close else [])]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": payload})


def from_exception(exc: BaseException) -> ApiError:
    """The ApiError for an exception raised while answering (ragtune's errors keep their message)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InputError):
        return ApiError(400, str(exc))
    if isinstance(exc, RagtuneError):
        return ApiError(500, str(exc), SERVER)
    log.error("unexpected error while answering", exc_info=exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); see the server log", SERVER)


def _union_tag(part: str) -> bool:
    """Whether a location part names a union branch (str, list[TextPart], TextPart ...) rather than a field."""
    return "[" in part or part in {"str", "int", "float", "bool", "none"} or part[:1].isupper()


def _param(loc: tuple[Any, ...]) -> str | None:
    """("body", "messages", 0, "content") -> "messages[0].content"."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _union_tag(str(part)):
            out += f".{part}" if out else str(part)
    return out or None


def validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """One 400 ApiError from pydantic/FastAPI validation errors (the first one named, the count given)."""
    if not errors:
        return ApiError(400, "invalid request body")
    first = errors[0]
    kind, loc = first.get("type", ""), tuple(first.get("loc", ()))
    param = _param(loc)
    if kind == "json_invalid":
        ctx = first.get("ctx", {}).get("error")
        return ApiError(400, f"the request body is not valid JSON{f': {ctx}' if ctx else ''}",
                        code="invalid_json")
    if kind == "extra_forbidden":
        return ApiError(400, f"unrecognized request argument supplied: {param}", param=param,
                        code="unknown_parameter")
    if kind == "missing" and param is None:
        return ApiError(400, "the request body is missing: send a JSON object", code="missing_body")
    if kind == "missing":
        return ApiError(400, f"missing required parameter: {param}", param=param, code="missing_required_parameter")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    text = f"invalid value for {param}" if param else "invalid request body"
    return ApiError(400, f"{text}: {first.get('msg', 'invalid value')}{more}", param=param,
                    code="invalid_type" if kind.endswith("_type") else "invalid_value")


def install(app: FastAPI) -> None:
    """Register the handlers that answer every error in OpenAI's shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(list(exc.errors())).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = f"unknown route {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        kind = _HTTP_TYPES.get(exc.status_code, INVALID if exc.status_code < 500 else SERVER)
        return JSONResponse(error_body(message, kind), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RagtuneError)
    async def _ragtune(request: Request, exc: RagtuneError) -> JSONResponse:
        return from_exception(exc).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return from_exception(exc).response()
