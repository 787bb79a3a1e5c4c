"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright.

The server runs the real app (uvicorn, in a thread) on a migrated SQLite file the
tests fill and commit to; its clock stands at a weekday morning in Shanghai unless
a test moves it. Chromium comes from Debian (``make test`` installs it): without it
the browser tests are skipped, except under CI=true, where they must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from arrears.db.base import utcnow
from arrears.db.session import create_db_engine
from arrears.settings import Settings
from arrears.web.app import create_app
from tests.conftest import copy_sqlite

CHROMIUM = "/usr/bin/chromium"
MORNING = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
"""10:00 in Shanghai on a Tuesday."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Clock:
    at: datetime = MORNING

    def __call__(self) -> datetime:
        return self.at


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    engine: Engine
    clock: Clock = field(default_factory=Clock)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("e2e") / "arrears.sqlite3")
    app = create_app(Settings(database_url=url))
    clock = Clock()
    app.state.clock = clock
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start within 20 seconds")
        time.sleep(0.05)
    engine = create_db_engine(url)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, engine, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        app.state.clock = utcnow


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is missing: `make system-deps` installs Debian's chromium")
        pytest.skip("Chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: object, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context (no cookies) per test, its clock back at the morning."""
    live_server.clock.at = MORNING
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN")  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


SignIn = Callable[[object, str], None]
