"""Bearer keys: the owner key (``--api-key``: reads every document) and ``access.keys`` (each reads as a user and/or
groups, kept apart: a key's groups never expand through ``access.users``). The server keeps only SHA-256 hashes
and compares in constant time; the middleware hands the matched key to the routes in the ASGI scope
(``request_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from ragtune.access import ReaderSpec, reader_labels
from ragtune.config import AccessConfig
from ragtune.errors import ConfigError
from ragtune.server.errors import AUTH, PERMISSION, ApiError, error_body, send_error

OWNER = "owner"
SCOPE_KEY = "ragtune.key"
MISSING = "missing API key: send the header 'Authorization: Bearer <key>'"


@dataclass(frozen=True)
class ServerKey:
    """A key the server accepts: its name, its hash, and whom it reads as (``reader`` None: the owner)."""

    name: str
    key_hash: str
    reader: ReaderSpec | None = None
    labels: frozenset[str] | None = None

    @property
    def owner(self) -> bool:
        """Whether the key reads every document (and may open the compare report)."""
        return self.reader is None

    def describe(self) -> dict[str, Any]:
        """What /api/status shows about the key: name, and the reader and labels of a restricted key."""
        return {"name": self.name, "owner": self.owner, "reader": self.reader.names if self.reader else None,
                "labels": sorted(self.labels) if self.labels is not None else None}


def hash_key(key: str) -> str:
    """The hex SHA-256 of an API key (what the server stores instead of the key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def find_key(given: str, keys: Sequence[ServerKey]) -> ServerKey | None:
    """The key ``given`` is, or None (every hash is compared, each in constant time)."""
    digest = hash_key(given).encode("ascii")
    found = None
    for key in keys:
        if hmac.compare_digest(digest, key.key_hash.encode("ascii")):
            found = key
    return found


def server_keys(owner_hash: str | None, access: AccessConfig,
                environ: Mapping[str, str] | None = None) -> list[ServerKey]:
    """The owner key (when ``owner_hash`` is given) and one key per ``access.keys`` entry, ``env:`` keys read from
    ``environ`` (default: the process environment) now; a ConfigError for an unset variable or a repeated key."""
    environ = os.environ if environ is None else environ
    keys = [ServerKey(OWNER, owner_hash.lower())] if owner_hash else []
    for i, entry in enumerate(access.keys):
        if entry.env is not None:
            secret = environ.get(entry.env, "").strip()
            if not secret:
                raise ConfigError(f"access.keys[{i}] ({entry.name}) reads its key from the environment variable "
                                  f"{entry.env}, which is not set: export {entry.env}=<key> before serving, or "
                                  "give the key's sha256 instead")
            key_hash = hash_key(secret)
        else:
            key_hash = str(entry.sha256).lower()
        reader = ReaderSpec((entry.user,) if entry.user else (), tuple(entry.groups))
        keys.append(ServerKey(entry.name, key_hash, reader, reader_labels(access, reader)))
    names: dict[str, str] = {}
    for key in keys:
        if key.key_hash in names:
            raise ConfigError(f"the keys {names[key.key_hash]!r} and {key.name!r} are the same key: give each its "
                              "own (the server tells readers apart by their key)")
        names[key.key_hash] = key.name
    return keys


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class BearerKey:
    """ASGI middleware: with keys set, every request under one of ``prefixes`` must carry one of them; the matched
    key travels in the scope under ``SCOPE_KEY``.

    It runs before anything else reads the request, so an unauthenticated client gets 401 whatever it sent.
    """

    def __init__(self, app: Any, keys: Sequence[ServerKey], prefixes: Sequence[str] = ("/v1",)) -> None:
        self.app, self.keys, self.prefixes = app, tuple(keys), tuple(prefixes)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "")
        guarded = any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)
        if not self.keys or scope["type"] != "http" or not guarded:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        token = bearer_token(header)
        key = find_key(token, self.keys) if token is not None else None
        if key is not None:
            await self.app({**scope, SCOPE_KEY: key}, receive, send)
            return
        await send_error(send, 401, error_body(MISSING if token is None else "incorrect API key", AUTH,
                                               code="invalid_api_key"), [(b"www-authenticate", b"Bearer")])


def request_key(request: Request) -> ServerKey | None:
    """The key a request came with; None on a server without keys (the owner's view). On a server with keys, a
    route the middleware does not guard gets 401 here rather than the owner's view."""
    key = request.scope.get(SCOPE_KEY)
    if key is None and request.app.state.keys:
        raise ApiError(401, MISSING, AUTH, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    return key


def request_reader(request: Request) -> ReaderSpec | None:
    """Whom a request reads as, for ``ragtune.answer.ask(reader=...)`` (None: every document)."""
    key = request_key(request)
    return key.reader if key is not None else None


def require_owner(request: Request, what: str) -> None:
    """403 unless the request came with the owner key (or the server has no keys): ``what`` shows every document."""
    key = request_key(request)
    if key is not None and not key.owner:
        raise ApiError(403, f"the key {key.name!r} may read only documents labelled "
                            f"{', '.join(sorted(key.labels or ()))}; {what} shows chunks of every document, so only "
                            "the owner key (--api-key) may open it", PERMISSION, code="owner_key_required")
