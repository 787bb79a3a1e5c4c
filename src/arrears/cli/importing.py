"""``arrears import``: load borrowers, loans, schedules, payments and contacts from CSV/XLSX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from arrears.audit.service import cli_actor
from arrears.cli.context import session
from arrears.portfolio.importing import Kind, import_file

app = typer.Typer(no_args_is_help=True, help="Import files (CSV or XLSX, header row required); see docs/import.md.")
console = Console(highlight=False, stderr=True)

EXIT_INVALID_FILE = 2

FileArgument = Annotated[Path, typer.Argument(help=".csv (UTF-8 or GB18030) or .xlsx file", show_default=False)]
TenantOption = Annotated[
    str | None, typer.Option("--tenant", help="tenant code [default: $ARREARS_TENANT or 'default']")
]
SkipOption = Annotated[bool, typer.Option("--skip-invalid", help="import the good rows and report the bad ones")]
ErrorsOption = Annotated[Path | None, typer.Option("--errors", help="error report path [FILE.errors.csv]")]


def _run(kind: Kind, file: Path, tenant: str | None, skip_invalid: bool, errors: Path | None) -> None:
    tenant_code = tenant or os.environ.get("ARREARS_TENANT") or "default"
    with (
        session() as db_session,
        Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(f"importing {kind}", total=None)
        result = import_file(
            db_session=db_session,
            kind=kind,
            path=file,
            tenant_code=tenant_code,
            actor=cli_actor(),
            skip_invalid=skip_invalid,
            errors_path=errors,
            on_progress=lambda rows: progress.update(task, completed=rows),
        )
    typer.echo(result.summary())
    if not result.imported:
        raise typer.Exit(EXIT_INVALID_FILE)


def _command(kind: Kind) -> None:
    def command(
        file: FileArgument,
        tenant: TenantOption = None,
        skip_invalid: SkipOption = False,
        errors: ErrorsOption = None,
    ) -> None:
        _run(kind, file, tenant, skip_invalid, errors)

    command.__doc__ = f"Import {kind} (columns in docs/import.md). Nothing is imported if any row is invalid."
    app.command(str(kind))(command)


for _kind in Kind:
    _command(_kind)
