"""What every database command needs: settings, an engine, a session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from arrears.db import migrate
from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ConfigurationError
from arrears.settings import get_settings


def engine() -> Engine:
    settings = get_settings()
    return create_db_engine(settings.resolved_database_url, echo=settings.echo_sql)


def check_schema(db_engine: Engine) -> None:
    """Refuse to work on a database that cannot be opened or is not migrated to the latest schema."""
    try:
        with db_engine.connect() as connection:
            current = migrate.current_revision(connection)
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot open the database: {' '.join(str(exc.orig).split())}", hint="check ARREARS_DATABASE_URL"
        ) from None
    if current is None:
        raise ConfigurationError("the database has no Arrears schema yet", hint="run `arrears db upgrade` first")
    if current != migrate.head_revision():
        raise ConfigurationError(
            f"the database schema is at revision {current}, not the latest",
            hint="run `arrears db upgrade`",
        )


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
