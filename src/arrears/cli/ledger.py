"""``arrears ledger``: quotes and ledger passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arrears.cli.options import parse_date
from arrears.delinquency.quote import QuoteResult, load_request, quote

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
