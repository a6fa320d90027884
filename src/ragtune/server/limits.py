"""Back-pressure: a concurrency limit with a bounded waiting line (503 beyond it) and a request body size limit.

The model work of a request (retrieval, generation, embedding) runs on a thread pool of ``concurrency`` threads;
a slot is held until that work has finished, even when the client went away, so the pool never queues. Work
started with a cancel event is told to stop when the limiter closes (server shutdown).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ragtune.errors import InputError
from ragtune.server.errors import SERVER, ApiError, error_body, send_error

T = TypeVar("T")


class Limiter:
    """At most ``concurrency`` model calls at a time; at most ``max_queue`` requests waiting for a slot."""

    def __init__(self, concurrency: int, max_queue: int) -> None:
        """``concurrency`` and ``max_queue`` as ``check`` accepts them."""
        self.concurrency, self.max_queue = concurrency, max_queue
        self.waiting = 0
        self.running = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._pool = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="ragtune-serve")
        self._cancels: set[threading.Event] = set()

    @staticmethod
    def check(concurrency: int, max_queue: int) -> None:
        """An InputError for limits the Limiter cannot work with (``create_app`` checks before any model loads)."""
        if concurrency < 1:
            raise InputError(f"max_concurrency must be at least 1, got {concurrency}")
        if max_queue < 0:
            raise InputError(f"max_queue must be 0 or more, got {max_queue}")

    async def acquire(self) -> None:
        """Take a slot, waiting in line; raises a 503 ApiError when the line is full."""
        if self._slots.locked() and self.waiting >= self.max_queue:
            raise ApiError(503, f"the server is busy ({self.running} requests running, {self.waiting} waiting): "
                                "retry in a moment", SERVER, code="overloaded", headers={"Retry-After": "1"})
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    def release(self) -> None:
        """Give a slot back (on the event loop's thread)."""
        self.running -= 1
        self._slots.release()

    async def start(self, work: Callable[[], T], cancel: threading.Event | None = None
                    ) -> concurrent.futures.Future[T]:
        """Wait for a slot and run ``work`` on the pool; the slot is released when ``work`` has finished.

        ``cancel``: an event ``work`` watches to stop early; ``close`` sets it.
        """
        await self.acquire()
        loop = asyncio.get_running_loop()
        if cancel is not None:
            self._cancels.add(cancel)
        try:
            future = self._pool.submit(work)
        except BaseException:
            self._cancels.discard(cancel)
            self.release()
            raise

        def finished(_: concurrent.futures.Future) -> None:
            self._cancels.discard(cancel)
            loop.call_soon_threadsafe(self.release)

        future.add_done_callback(finished)
        return future

    async def run(self, work: Callable[[], T]) -> T:
        """Wait for a slot, run ``work`` on the pool and return its result."""
        return await asyncio.wrap_future(await self.start(work))

    def close(self) -> None:
        """Stop the pool: work not started is dropped, running work is cancelled (its events set) and waited for."""
        for cancel in list(self._cancels):
            cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class BodySizeLimit:
    """ASGI middleware: a request body over ``max_bytes`` is answered 413 before the app sees it.

    A declared Content-Length over the limit is refused at once; otherwise the body is read (at most ``max_bytes``
    kept) and handed on to the app.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(send)
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    async def _too_large(self, send: Callable) -> None:
        body = error_body(f"the request body is larger than the limit of {self.max_bytes} bytes",
                          code="request_too_large")
        await send_error(send, 413, body, close=True)
