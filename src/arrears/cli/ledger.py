"""``arrears ledger``: quotes and ledger passes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.cli.progress import progress_bar
from arrears.delinquency import daily_pass, flows
from arrears.delinquency.quote import QuoteResult, load_request, quote
from arrears.money import parse_amount
from arrears.org import service as tenants

app = typer.Typer(no_args_is_help=True, help="Loan ledger: quotes, payments and the daily pass.")
console = Console(highlight=False)


@app.command("quote")
def quote_command(
    loan_file: Annotated[Path, typer.Option("--loan-file", help="loan as JSON (docs/quote.md)")],
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: the position at the end of this day")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Compute DPD, bucket, overdue amounts, charges, cap and payoff of a loan file, without a database."""
    result = quote(load_request(loan_file), as_of=parse_date(as_of, option="--as-of"))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_quote(result)


def _print_quote(result: QuoteResult) -> None:
    table = Table(title=f"{result.loan_id} as of {result.as_of}", show_header=False)
    rows: list[tuple[str, object]] = [
        ("status", result.status),
        ("days past due", result.days_past_due),
        ("bucket", result.bucket or "current"),
        ("overdue principal", result.overdue_principal),
        ("overdue interest", result.overdue_interest),
        ("overdue penalty", result.overdue_penalty),
        ("overdue late fee", result.overdue_late_fee),
        ("overdue total", result.overdue_total),
        ("charges accrued", result.charges_accrued),
        ("cap cut", result.cap.cut),
        ("payoff", f"{result.payoff_amount} {result.currency}"),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)


@app.command("pass")
def pass_command(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: age and accrue to the end of this day")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="only this tenant's loans")] = None,
) -> None:
    """Accrue charges, age and bucket every loan as of a date, in one unit of work."""
    day = parse_date(as_of, option="--as-of")
    with context.session() as db_session, db_session.begin():
        total = daily_pass.count_loans(db_session=db_session, tenant_code=tenant)
        with progress_bar() as bar:
            task = bar.add_task("ledger pass", total=total)
            report = daily_pass.run_pass(
                db_session=db_session,
                as_of=day,
                tenant_code=tenant,
                progress=lambda done: bar.advance(task, done),
                actor=cli_actor(),
            )
    table = Table(title=f"Ledger pass as of {day}")
    table.add_column("bucket")
    table.add_column("loans", justify="right")
    for name, count in sorted(report.by_bucket.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(
        f"{report.loans:,} loans aged ({report.rolled:,} rolled forward, nothing new since their last replay); "
        f"{report.bucket_moves:,} bucket moves; "
        f"{report.status_changes:,} status changes; overdue total {report.overdue_total:,.2f}"
    )
    console.print(
        f"cases: {report.cases.opened:,} opened, {report.cases.reopened:,} reopened, {report.cases.closed:,} closed"
    )
    if report.failed:
        console.print(f"[yellow]{len(report.failed):,} loans could not be aged and kept their last position:[/]")
        for account, why in report.failed[:10]:
            console.print(f"  {account}: {why}", markup=False)
        if len(report.failed) > 10:
            console.print(f"  ... and {len(report.failed) - 10:,} more (audit action loan.pass_failed)")


@app.command("post-payment")
def post_payment_command(
    loan: Annotated[str, typer.Option("--loan", help="account number")],
    reference: Annotated[str, typer.Option("--reference", help="payment reference (unique per loan)")],
    amount: Annotated[str, typer.Option("--amount", help="e.g. 1200.50")],
    value_date: Annotated[str, typer.Option("--value-date", help="YYYY-MM-DD the money counts from")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
) -> None:
    """Post a payment (back-dating allowed) and recompute the loan."""
    with context.session() as db_session, db_session.begin():
        payment = flows.post_payment(
            db_session=db_session,
            tenant_id=tenants.get_by_code(db_session=db_session, code=tenant).id,
            account_number=loan,
            reference=reference,
            amount=parse_amount(amount, field="--amount"),
            value_date=parse_date(value_date, option="--value-date"),
            actor=cli_actor(),
            today=date.today(),
        )
    console.print(f"payment {payment.reference} of {payment.amount} posted to {loan}")


@app.command("reverse-payment")
def reverse_payment_command(
    loan: Annotated[str, typer.Option("--loan", help="account number")],
    reference: Annotated[str, typer.Option("--reference")],
    reason: Annotated[str, typer.Option("--reason", help="why the payment is reversed")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
) -> None:
    """Reverse a payment: it stays on record but no longer counts; the loan is recomputed."""
    with context.session() as db_session, db_session.begin():
        flows.reverse_payment(
            db_session=db_session,
            tenant_id=tenants.get_by_code(db_session=db_session, code=tenant).id,
            account_number=loan,
            reference=reference,
            reason=reason,
            actor=cli_actor(),
        )
    console.print(f"payment {reference} on {loan} reversed")
