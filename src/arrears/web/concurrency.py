"""At most as many requests in the app at once as the worker has database connections.

A request holds its database connection from its first query until its response
is sent, and routes run in a thread pool larger than the connection pool. Without
a limit, a burst of requests took every connection, the threads of the next
requests waited for one, and the requests holding them could not get a thread to
finish: everything stalled until the pool timed out (seen in `make bench-web`).
Requests over the limit now wait their turn in the event loop, holding nothing.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

UNLIMITED_PREFIXES = ("/static/",)
"""Paths that never touch the database."""


class ConcurrencyLimit:
    """ASGI middleware: at most ``limit`` HTTP requests past it at any moment; the others queue."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created inside the running loop it guards
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
