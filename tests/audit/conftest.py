"""Audit fixtures: tampering as an attacker with database access would (a database of its own: ``fresh_database_url``).

Tampering first switches off the append-only triggers. DDL is transactional on SQLite and
PostgreSQL alike, so the rollback that ends every ``db_session`` test puts them back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

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
