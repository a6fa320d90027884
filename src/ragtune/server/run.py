"""``serve``: check the bind address and key, build the app, and run it with uvicorn (blocks until stopped).

uvicorn runs with a header deadline (a connection whose request line and headers have not all arrived within
``HEADER_TIMEOUT_S`` of opening, or of the previous response, gets 408 and is closed; uvicorn bounds their size,
``h11_max_incomplete_event_size``) and a bounded graceful shutdown (``GRACE_S``, then in-flight requests are
cancelled, their generations with them).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ragtune.errors import ConfigError, require
from ragtune.serve_options import ENV_KEY, ServeOptions
from ragtune.server.app import create_app
from ragtune.server.auth import hash_key

HEADER_TIMEOUT_S = 10.0  # for a request's line and headers to arrive
GRACE_S = 5  # for requests in flight to finish on SIGTERM/Ctrl-C before they are cancelled
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (localhost, 127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to any interface


def check_bind(host: str, has_key: bool, allow_no_key: bool = False) -> None:
    """Refuse to listen beyond loopback without an API key (the owner key or ``access.keys``) unless
    ``allow_no_key`` (raises ConfigError)."""
    if has_key or allow_no_key or is_loopback(host):
        return
    raise ConfigError(
        f"refusing to serve on {host!r} without an API key: anyone who can reach this address could use the "
        f"models. Set --api-key KEY (or the environment variable {ENV_KEY}) or access.keys in ragtune.yaml, bind "
        "to 127.0.0.1, or pass --allow-no-key to serve openly on purpose"
    )


def resolve_key(api_key: str | None) -> str | None:
    """The key to require: ``api_key``, else $RAGTUNE_API_KEY, else None; an empty explicit key is an error."""
    if api_key is None:
        api_key = os.environ.get(ENV_KEY) or None
    elif not api_key.strip():
        raise ConfigError("the API key is empty: give a non-empty --api-key, or leave it out")
    return api_key


def header_deadline(protocol: type, timeout_s: float) -> type:
    """uvicorn's HTTP ``protocol`` class (h11 or httptools) with a deadline for each request's head: a connection
    that has not sent a whole request line and headers ``timeout_s`` after it opened, or after it sent the first
    bytes of its next request, gets 408 and is closed (uvicorn itself bounds only idle keep-alive time)."""

    class HeaderDeadline(protocol):  # type: ignore[misc, valid-type]
        _head_timer: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and self._between_requests():
                self._arm()
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a request's head has arrived
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(timeout_s, self._timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _timed_out(self) -> None:
            self._head_timer = None
            if self._between_requests() and not self.transport.is_closing():
                self.transport.write(_TIMED_OUT)
                self.transport.close()

    HeaderDeadline.__name__ = HeaderDeadline.__qualname__ = f"HeaderDeadline{protocol.__name__}"
    return HeaderDeadline


def server_options(header_timeout_s: float = HEADER_TIMEOUT_S) -> dict[str, Any]:
    """The uvicorn Config fields ``serve`` and ``serve_in_thread`` add: the header deadline and the bounded
    graceful shutdown."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return {"http": header_deadline(AutoHTTPProtocol, header_timeout_s), "timeout_graceful_shutdown": GRACE_S}


def serve(project: str | Path, *, overrides: list[str] | None = None, log_level: str = "info",
          say: Callable[[str], None] | None = None, options: ServeOptions | None = None, **settings: Any) -> None:
    """Serve the project's variants as an OpenAI-compatible API at ``http://host:port/v1`` until stopped, with
    ``options`` (default: ServeOptions') changed by ``settings`` (its fields by name: ``host="0.0.0.0"``...).

    ``api_key`` (default: $RAGTUNE_API_KEY) is the owner key, which reads every document; the project's
    ``access.keys`` read as their users or groups. Models load once the bind address and keys are checked.
    """
    o = ServeOptions.of(options, **settings)
    host, port = o.host, o.port
    key = resolve_key(o.api_key)
    uvicorn = require("uvicorn", extra="serve")
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    shown = f"[{host}]" if ":" in host else host

    def ready(models: list[str]) -> None:
        names = ", ".join(k.name for k in app.state.keys)
        say(f"serving {Path(project)} at http://{shown}:{port}/v1 - models: {', '.join(models)}; "
            f"{f'bearer keys: {names}' if names else 'no API key'}")

    app = create_app(project, api_key_hash=hash_key(key) if key else None, options=o, overrides=overrides,
                     preload=True, on_ready=ready)  # loads nothing yet; reads the keys
    check_bind(host, bool(app.state.keys), o.allow_no_key)
    say("loading the models ...")
    # Server(...).run(), not uvicorn.run: a failed start raises instead of exiting the caller's process
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, **server_options())).run()


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = ServeOptions.host, start_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of ``host`` in a background thread (tests, notebooks,
    benchmarks); yields the base URL and stops the server on exit."""
    uvicorn = require("uvicorn", extra="serve")
    sock = socket.socket()
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **server_options()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()
