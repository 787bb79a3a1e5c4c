"""The request's database session: its writes are committed before the answer leaves."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import anyio.from_thread
from fastapi import FastAPI, HTTPException

from arrears.web.deps import DbSession


class RecordingSession:
    """Stands in for a SQLAlchemy session and notes, in the shared list, when it commits or rolls back."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.events.append("close")

    def commit(self) -> None:
        self.events.append("commit")

    def rollback(self) -> None:
        self.events.append("rollback")


def _app(events: list[str]) -> FastAPI:
    app = FastAPI()
    app.state.session_factory = lambda: RecordingSession(events)

    @app.post("/write")
    def write(db_session: DbSession) -> dict[str, str]:
        return {"written": "yes"}

    @app.post("/refuse")
    def refuse(db_session: DbSession) -> dict[str, str]:
        raise HTTPException(status_code=409, detail="no")

    return app


def _post(app: FastAPI, path: str, events: list[str]) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "server": ("testserver", 80),
        "client": ("testclient", 1234),
        "root_path": "",
    }

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            events.append(f"answer {message['status']}")

    async def answer() -> None:
        await app(scope, receive, send)

    with anyio.from_thread.start_blocking_portal() as portal:  # its own thread: a browser test may hold this one's loop
        portal.call(answer)


def test_a_routes_writes_are_committed_before_its_answer_is_sent() -> None:
    """A client acting on the answer (htmx reloading a timeline) must find the writes there."""
    events: list[str] = []

    _post(_app(events), "/write", events)

    assert events == ["commit", "close", "answer 200"]


def test_a_refused_request_is_rolled_back_before_its_answer_is_sent() -> None:
    events: list[str] = []

    _post(_app(events), "/refuse", events)

    assert events == ["rollback", "close", "answer 409"]
