"""Bearer-key authentication: the server keeps only the key's SHA-256 hash and compares in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from ragtune.server.errors import AUTH, error_body, send_error

ENV_KEY = "RAGTUNE_API_KEY"


def hash_key(key: str) -> str:
    """The hex SHA-256 of an API key (what the server stores instead of the key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(given: str, key_hash: str) -> bool:
    """Whether ``given`` is the key whose hash is ``key_hash`` (constant-time comparison)."""
    return hmac.compare_digest(hash_key(given).encode("ascii"), key_hash.lower().encode("ascii"))


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class BearerKey:
    """ASGI middleware: with a key hash set, every request under ``prefix`` must carry the matching bearer key.

    It runs before anything else reads the request, so an unauthenticated client gets 401 whatever it sent.
    """

    def __init__(self, app: Any, key_hash: str | None, prefix: str = "/v1") -> None:
        self.app, self.key_hash, self.prefix = app, key_hash, prefix

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "")
        guarded = path == self.prefix or path.startswith(self.prefix + "/")
        if self.key_hash is None or scope["type"] != "http" or not guarded:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        token = bearer_token(header)
        if token is not None and key_matches(token, self.key_hash):
            await self.app(scope, receive, send)
            return
        message = ("missing API key: send the header 'Authorization: Bearer <key>'" if token is None
                   else "incorrect API key")
        await send_error(send, 401, error_body(message, AUTH, code="invalid_api_key"),
                         [(b"www-authenticate", b"Bearer")])
