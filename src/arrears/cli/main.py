"""The ``arrears`` command: assembles each area's sub-commands."""

from __future__ import annotations

import typer

from arrears.cli import db, ledger
from arrears.cli.errors import run_cli

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Arrears: compliance-first debt collection.",
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(ledger.app, name="ledger")


def run() -> None:
    run_cli(app)


if __name__ == "__main__":
    run()
