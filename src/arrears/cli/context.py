"""What every database command needs: settings, an engine, a session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ConfigurationError
from arrears.settings import get_settings


def engine() -> Engine:
    settings = get_settings()
    return create_db_engine(settings.resolved_database_url, echo=settings.echo_sql)


@contextmanager
def session() -> Iterator[Session]:
    """A session on the configured database, which must already be migrated."""
    db_engine = engine()
    try:
        try:
            ready = inspect(db_engine).has_table("alembic_version")
        except OperationalError as exc:
            raise ConfigurationError(
                f"cannot open the database: {exc.orig}", hint="check ARREARS_DATABASE_URL"
            ) from None
        if not ready:
            raise ConfigurationError("the database has no Arrears schema yet", hint="run `arrears db upgrade` first")
        with make_session_factory(db_engine)() as db_session:
            yield db_session
    finally:
        db_engine.dispose()
