"""What every database command needs: settings, an engine, a session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.migrate import check_schema
from arrears.db.session import create_db_engine, make_session_factory
from arrears.settings import get_settings


def engine() -> Engine:
    settings = get_settings()
    return create_db_engine(settings.resolved_database_url, echo=settings.echo_sql)


@contextmanager
def session_factory() -> Iterator[sessionmaker[Session]]:
    """A session factory on the configured, migrated database (for work done in many transactions)."""
    db_engine = engine()
    try:
        check_schema(db_engine)
        yield make_session_factory(db_engine)
    finally:
        db_engine.dispose()


@contextmanager
def session() -> Iterator[Session]:
    """A session on the configured database, which must already be migrated."""
    with session_factory() as factory, factory() as db_session:
        yield db_session
