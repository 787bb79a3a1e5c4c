"""``arrears analytics refresh``: the backfill of the daily aggregates, and its refusals."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine
from arrears.org import service as tenants

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/arrears.sqlite3"
    upgrade(url)
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        tenants.get_or_create(db_session=db_session, code="acme")
    engine.dispose()
    return url


@pytest.fixture
def run(tmp_path: Path, url: str) -> Run:
    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "arrears.cli.main", *args],
            capture_output=True,
            text=True,
            env={"ARREARS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
            check=False,
        )

    return invoke


def _days(url: str) -> int:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM analytics_days")).scalar_one()
    engine.dispose()
    return int(count)


def test_refresh_aggregates_each_day_once_however_often_it_runs(run: Run, url: str) -> None:
    for _ in range(2):
        done = run("analytics", "refresh", "--tenant", "acme", "--from", "2026-03-01", "--to", "2026-03-31")
        assert done.returncode == 0, done.stderr
        assert "aggregated 31 days of acme (2026-03-01 to 2026-03-31)" in done.stdout
    assert _days(url) == 31


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tenant", "acme", "--from", "2026-03-31", "--to", "2026-03-01"), "before they start"),
        (("--tenant", "acme", "--from", "2020-01-01", "--to", "2026-03-01"), "more than three years"),
        (("--tenant", "acme", "--from", "2026-03-01", "--to", "March"), "is not a date"),
        (("--tenant", "nobody", "--from", "2026-03-01", "--to", "2026-03-02"), "nobody"),
    ],
)
def test_refresh_refuses_bad_input_and_writes_nothing(run: Run, url: str, args: tuple[str, ...], message: str) -> None:
    done = run("analytics", "refresh", *args)

    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert _days(url) == 0
