"""``arrears db``: create and migrate the schema."""

from __future__ import annotations

import typer

from arrears.db import migrate
from arrears.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Database schema: upgrade and downgrade.")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Bring the database schema up to date (creates the SQLite file on first use)."""
    url = get_settings().resolved_database_url
    migrate.upgrade(url, revision=revision)
    typer.echo(f"database at revision {revision}: {url}")


@app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. base")) -> None:
    """Roll the schema back to ``revision``."""
    migrate.downgrade(get_settings().resolved_database_url, revision=revision)
    typer.echo(f"database at revision {revision}")
