"""The dashboard's pages as a browser gets them, for ``make bench-analytics``.

The measures' own timings leave out what a page adds: signing the request in,
the filters' choices, the chart's data and the HTML. Here an operations manager
signs in through the login form of the real application (``create_app`` on the
benchmark's database, served in process) and each page is fetched over HTTP:
the dashboard's frame, then every measure's panel (what the dashboard loads
with htmx, one request each) and its drill-down page.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.analytics.measures import MEASURES
from arrears.db.session import create_db_engine
from arrears.org import users
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.settings import Settings
from arrears.web.app import create_app

USERNAME = "bench-manager"
PASSWORD = "a long bench passphrase 42"


def _manager(url: str) -> None:
    """An operations manager of the bench tenant, who sees every measure (kept from an earlier run on a kept
    database)."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as db_session, db_session.begin():
            if db_session.scalar(select(User.id).where(User.username == USERNAME)) is not None:
                return
            tenant = db_session.scalars(select(Tenant).where(Tenant.code == "bench")).one()
            users.create(
                db_session=db_session,
                tenant=tenant,
                username=USERNAME,
                display_name="运营经理",
                role=Role.OPERATIONS,
                staff_number="B-0001",
                password=PASSWORD,
                actor="bench",
            )
    finally:
        engine.dispose()


def _sign_in(client: TestClient) -> None:
    client.get("/login")
    token = client.cookies.get("arrears_login_csrf", path="/login")
    answer = client.post("/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"the bench manager could not sign in: HTTP {answer.status_code}")


def _timed(client: TestClient, path: str, repeats: int) -> dict[str, Any]:
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            return {"error": f"HTTP {answer.status_code} for {path}"}
    return {"median_ms": statistics.median(spent), "worst_ms": max(spent)}


def time_pages(
    url: str, *, month: tuple[date, date], half_year: tuple[date, date], repeats: int
) -> dict[str, dict[str, Any]]:
    """Median and worst of ``repeats`` fetches of each page, in milliseconds, keyed by its path.

    The periods are those of the measures' timings: the month, and the half year
    for roll rates. A page that does not answer 200 is reported with its status.
    """
    _manager(url)
    app = create_app(Settings(database_url=url))
    timings: dict[str, dict[str, Any]] = {}
    try:
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
            _sign_in(client)
            start, end = month
            timings["/analytics"] = _timed(client, f"/analytics?from={start}&to={end}", repeats)
            for name in MEASURES:
                first, last = half_year if name.startswith("roll") else month
                for path in (f"/analytics/{name}/panel", f"/analytics/{name}"):
                    timings[path] = _timed(client, f"{path}?from={first}&to={last}", repeats)
    finally:
        app.state.engine.dispose()
    return timings
