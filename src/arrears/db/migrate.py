"""Schema migrations, run from code so that the installed package carries them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from arrears.errors import ConfigurationError, InvalidInput

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, *, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, *, revision: str = "head", connection: Connection | None = None) -> None:
    try:
        command.upgrade(alembic_config(url, connection=connection), revision)
    except CommandError as exc:
        raise InvalidInput(str(exc), where="revision", hint="use head, base or a revision id") from None


def downgrade(url: str, *, revision: str = "base", connection: Connection | None = None) -> None:
    try:
        command.downgrade(alembic_config(url, connection=connection), revision)
    except CommandError as exc:
        raise InvalidInput(str(exc), where="revision", hint="use base or a revision id") from None


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def check_schema(db_engine: Engine) -> None:
    """Refuse to work on a database that cannot be opened or is not migrated to the latest schema."""
    try:
        with db_engine.connect() as connection:
            current = current_revision(connection)
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot open the database: {' '.join(str(exc.orig).split())}", hint="check ARREARS_DATABASE_URL"
        ) from None
    if current is None:
        raise ConfigurationError("the database has no Arrears schema yet", hint="run `arrears db upgrade` first")
    if current != head_revision():
        raise ConfigurationError(
            f"the database schema is at revision {current}, not the latest",
            hint="run `arrears db upgrade`",
        )
