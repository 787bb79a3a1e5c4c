"""Schema migrations, run from code so that the installed package carries them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from arrears.errors import InvalidInput

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
