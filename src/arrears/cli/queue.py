"""``arrears queue``: a collector's queue for a day, and a team lead's reassignments and caps."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.org import service as tenants
from arrears.strategy import supervision
from arrears.strategy.models import CaseStrategy, QueueEntry

app = typer.Typer(no_args_is_help=True, help="Daily queues, reassignment and caps.")
console = Console(highlight=False, soft_wrap=True)

UserOption = Annotated[str, typer.Option("--user", help="the collector's username")]


def _user_id(db_session: Session, username: str) -> int:
    return tenants.get_user_by_username(db_session=db_session, username=username).id


@app.command("show")
def show(
    user: UserOption,
    day: Annotated[str, typer.Option("--day", help="the day the queue is worked, YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A collector's cases for the day, in working order."""
    work_day = parse_date(day, option="--day")
    with context.session() as db_session:
        user_id = _user_id(db_session, user)
        rows = db_session.execute(
            select(QueueEntry, CaseStrategy.state)
            .outerjoin(CaseStrategy, CaseStrategy.case_id == QueueEntry.case_id)
            .where(QueueEntry.user_id == user_id, QueueEntry.as_of == work_day)
            .order_by(QueueEntry.rank)
        ).all()
    entries = [
        {
            "rank": entry.rank,
            "case_id": entry.case_id,
            "state": state,
            "expected_value": str(entry.expected_value),
            "promise_due_today": entry.promise_due_today,
            "not_before": entry.not_before.isoformat() if entry.not_before else None,
        }
        for entry, state in rows
    ]
    if as_json:
        typer.echo(json.dumps(entries, ensure_ascii=False))
        return
    table = Table(title=f"{user}, {work_day}")
    for column in ("#", "case", "state", "expected value", "promise today", "not before"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            str(entry["rank"]),
            str(entry["case_id"]),
            str(entry["state"] or ""),
            str(entry["expected_value"]),
            "yes" if entry["promise_due_today"] else "",
            str(entry["not_before"] or "")[:16],
        )
    console.print(table)


@app.command("reassign")
def reassign(
    case: Annotated[int, typer.Option("--case", help="case id")],
    to: Annotated[str, typer.Option("--to", help="username of the collector taking it")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Give a case to another collector now (audited); its queue place and due actions follow."""
    with context.session() as db_session, db_session.begin():
        supervision.reassign(
            db_session=db_session, case_id=case, user_id=_user_id(db_session, to), actor=cli_actor(), reason=reason
        )
    console.print(f"case {case} now with {to}")


@app.command("cap")
def cap(
    user: UserOption,
    cases: Annotated[int | None, typer.Option("--cases", help="most cases a day; leave out for no cap")] = None,
) -> None:
    """Set how many cases a collector takes a day (used from the next run)."""
    with context.session() as db_session, db_session.begin():
        supervision.set_cap(db_session=db_session, user_id=_user_id(db_session, user), cap=cases, actor=cli_actor())
    console.print(f"{user}: " + (f"at most {cases} cases a day" if cases is not None else "no daily cap"))
