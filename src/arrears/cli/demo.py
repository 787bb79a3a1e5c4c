"""``arrears demo`` and ``arrears summary``: a synthetic portfolio and a look at it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.analytics.summary import CURRENT, PortfolioSummary, summarize
from arrears.audit.service import cli_actor
from arrears.cli.context import session
from arrears.cli.options import parse_date

console = Console(highlight=False)


def demo_command(
    borrowers: Annotated[int, typer.Option("--borrowers", min=1, help="how many borrowers to create")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="same seed, same portfolio")] = 42,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD the portfolio is seen at (default today)")
    ] = None,
    tenant: Annotated[str, typer.Option("--tenant", help="code of the demo lender")] = "demo",
    replace: Annotated[bool, typer.Option("--replace", help="delete the tenant's data and rebuild it")] = False,
) -> None:
    """Create a realistic synthetic portfolio (one transaction: all or nothing)."""
    from arrears.portfolio.synthetic import generate  # Faker is only needed here

    day = parse_date(as_of, option="--as-of") if as_of else date.today()
    with (
        Progress(
            TextColumn("borrowers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar,
        session() as db_session,
        db_session.begin(),
    ):
        task = bar.add_task("borrowers", total=borrowers)
        result = generate(
            db_session=db_session,
            borrowers=borrowers,
            seed=seed,
            as_of=day,
            tenant_code=tenant,
            replace=replace,
            progress=lambda done: bar.advance(task, done),
            actor=cli_actor(),
        )
    counts = ", ".join(f"{count:,} {name}" for name, count in result.counts.items())
    console.print(f"demo tenant '{tenant}' as of {day}: {counts}")


def summary_command(
    tenant: Annotated[str, typer.Option("--tenant", help="tenant code")] = "demo",
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Print a portfolio summary computed with SQL aggregates."""
    day = parse_date(as_of, option="--as-of") if as_of else date.today()
    with session() as db_session:
        summary = summarize(db_session=db_session, as_of=day, tenant_code=tenant)
    print_summary(summary)


def print_summary(summary: PortfolioSummary) -> None:
    overview = Table(title=f"Portfolio of '{summary.tenant_code}' as of {summary.as_of}", show_header=False)
    overview.add_row("tenants in database", f"{summary.tenants:,}")
    overview.add_row("borrowers", f"{summary.borrowers:,}")
    overview.add_row("loans", f"{summary.loans:,}")
    overview.add_row("total principal", f"{summary.total_principal:,}")
    if summary.buckets:
        in_arrears = sum(line.loans for line in summary.buckets if line.bucket != CURRENT)
        overview.add_row(f"loans in arrears (ledger pass of {summary.positions_as_of})", f"{in_arrears:,}")
    else:
        overview.add_row("loans owing principal or interest past due (not yet aged)", f"{summary.loans_past_due:,}")
    overview.add_row("open cases", f"{summary.open_cases:,}")
    console.print(overview)
    statuses = Table(title="Loans by status")
    statuses.add_column("status")
    statuses.add_column("loans", justify="right")
    statuses.add_column("principal", justify="right")
    for line in summary.by_status:
        statuses.add_row(line.status, f"{line.loans:,}", f"{line.principal:,}")
    console.print(statuses)
    if not summary.buckets:
        console.print(f"no loan positions yet: run `arrears ledger pass --as-of {summary.as_of}` to age the portfolio")
        return
    buckets = Table(title=f"Buckets (loan positions as of {summary.positions_as_of})")
    for name in ("bucket", "loans", "overdue principal", "overdue interest", "overdue charges", "overdue total"):
        buckets.add_column(name, justify="left" if name == "bucket" else "right")
    for bucket in summary.buckets:
        buckets.add_row(
            bucket.bucket,
            f"{bucket.loans:,}",
            f"{bucket.overdue_principal:,}",
            f"{bucket.overdue_interest:,}",
            f"{bucket.overdue_charges:,}",
            f"{bucket.overdue_total:,}",
        )
    console.print(buckets)
