"""The web worker lets in no more requests at once than it has database connections; the rest queue."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from arrears.settings import Settings
from arrears.web.app import create_app
from arrears.web.concurrency import ConcurrencyLimit

T = TypeVar("T")


def _counting_app() -> tuple[Starlette, dict[str, int]]:
    seen = {"now": 0, "most": 0}

    async def slow(_request: Request) -> PlainTextResponse:
        seen["now"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        await asyncio.sleep(0.02)
        seen["now"] -= 1
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/work", slow), Route("/static/x", slow)]), seen


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` in a thread of its own: the browser tests keep an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _burst(app: ConcurrencyLimit, path: str, count: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = await asyncio.gather(*(client.get(path) for _ in range(count)))
    return [answer.status_code for answer in answers]


def test_a_burst_waits_its_turn_instead_of_failing() -> None:
    inner, seen = _counting_app()
    statuses = _run(_burst(ConcurrencyLimit(inner, limit=3), "/work", 20))
    assert statuses == [200] * 20
    assert seen["most"] == 3


def test_static_files_are_not_held_back() -> None:
    inner, seen = _counting_app()
    _run(_burst(ConcurrencyLimit(inner, limit=1), "/static/x", 5))
    assert seen["most"] == 5


def test_a_limit_below_one_is_refused() -> None:
    inner, _ = _counting_app()
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrencyLimit(inner, limit=0)


def test_the_app_pool_holds_exactly_the_configured_connections(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, web_connections=7))
    try:
        pool = app.state.engine.pool
        assert pool.size() == 7
        assert pool._max_overflow == 0
    finally:
        app.state.engine.dispose()
