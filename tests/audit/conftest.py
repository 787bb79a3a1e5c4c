"""Audit fixtures: tampering as an attacker with database access would, and databases of their own.

Tampering first switches off the append-only triggers. DDL is transactional on SQLite and
PostgreSQL alike, so the rollback that ends every ``db_session`` test puts them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from arrears.db.migrate import upgrade
from tests.conftest import POSTGRES_URL, backends

Tamper = Callable[..., None]


@pytest.fixture
def tamper(db_session: Session) -> Tamper:
    """Run raw SQL on audit_log with the append-only triggers off, inside the test's transaction."""

    def run(sql: str, **params: Any) -> None:
        if db_session.get_bind().dialect.name == "postgresql":
            db_session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            db_session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            db_session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        db_session.execute(text(sql), params)
        db_session.expunge_all()  # the identity map no longer describes the rows

    return run


@pytest.fixture(params=backends())
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database for tests that must commit, so the shared test database stays clean."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/audit.sqlite3"
        upgrade(url)
        yield url
        return
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"arrears_audit_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
