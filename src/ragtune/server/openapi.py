"""The OpenAPI schema as the server really answers: every error is the error object of ``errors.py`` with the
status it is sent with (400 for what FastAPI would call 422), 401 on the guarded routes of a server with keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """What went wrong: ``param`` names the offending request field, ``code`` is a machine-readable reason."""

    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer: ``{"error": {"message", "type", "param", "code"}}``."""

    error: ErrorDetail


MEANING = {
    400: "Invalid request: malformed JSON, an unknown field, a wrong type or value (param names it)",
    401: "Missing or wrong API key (a server with keys)",
    404: "Unknown model (the message lists the known ones) or route",
    413: "The request body is over the server's --max-body-bytes",
    500: "Internal error (details in the server log)",
    503: "Busy: too many requests waiting for a model (Retry-After says when to retry)",
}
REF = {"$ref": "#/components/schemas/ErrorResponse"}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: the error object under each of ``statuses``."""
    return {status: {"model": ErrorResponse, "description": MEANING[status]} for status in statuses}


def _response(status: int) -> dict[str, Any]:
    return {"description": MEANING[status], "content": {"application/json": {"schema": REF}}}


def install_openapi(app: FastAPI, guarded: Callable[[str], bool]) -> None:
    """Replace ``app.openapi``: no 422 (the server answers 400), 500 on every operation, and 401 on the paths
    ``guarded`` names (call it only when the server has keys: pass ``lambda path: False`` otherwise)."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path, item in doc.get("paths", {}).items():
                for operation in item.values():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    extra = [401] if guarded(path) else []
                    for status in [*extra, 500]:
                        responses.setdefault(str(status), _response(status))
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            if "ErrorResponse" not in schemas:  # no route declared it
                error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(error.pop("$defs", {}), ErrorResponse=error)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]
