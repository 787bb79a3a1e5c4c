"""An API client on each back end whose requests share the test's rolled-back session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.db.base import utcnow
from arrears.org.models import Tenant
from arrears.settings import Settings
from arrears.web import tokens
from arrears.web.app import create_app
from arrears.web.deps import get_db

Issue = Callable[..., str]


@pytest.fixture(scope="session")
def api_app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(api_app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    def same_session() -> Iterator[Session]:
        yield db_session

    api_app.dependency_overrides[get_db] = same_session
    try:
        yield TestClient(api_app)
    finally:
        api_app.dependency_overrides.clear()


@pytest.fixture
def issue(db_session: Session) -> Issue:
    """A token's secret for ``tenant`` (a fresh tenant by default) with the scopes given."""

    def make(*scopes: str, tenant: Tenant | None = None) -> str:
        from tests.factories import Factories

        owner = tenant or Factories(db_session).tenant()
        _, secret = tokens.issue(db_session=db_session, tenant_id=owner.id, name="test", scopes=scopes, actor="test")
        return secret

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


PASSWORD = "correct horse battery"
WORK_TIME = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
"""10:00 in Shanghai on a Tuesday: the clock pages see unless a test moves it."""


@pytest.fixture
def browser(api_app: FastAPI, db_session: Session) -> Iterator[TestClient]:
    """A client that behaves like a browser on HTTPS: it keeps the secure session cookie."""

    def same_session() -> Iterator[Session]:
        yield db_session

    api_app.dependency_overrides[get_db] = same_session
    api_app.state.clock = lambda: WORK_TIME
    try:
        yield TestClient(api_app, base_url="https://testserver", follow_redirects=False)
    finally:
        api_app.dependency_overrides.clear()
        api_app.state.clock = utcnow


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form as a person would; the session's CSRF token for later requests."""
    page = client.get("/login")
    token = page.cookies.get("arrears_login_csrf") or client.cookies.get("arrears_login_csrf", path="/login")
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    home = client.get(answer.headers["location"], follow_redirects=True)
    marker = 'X-CSRF-Token": "'
    start = home.text.index(marker) + len(marker)
    return home.text[start : home.text.index('"', start)]
