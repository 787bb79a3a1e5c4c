"""``arrears audit``: verify the hash chain of the audit log and search it."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from arrears.audit import service
from arrears.audit.chain import canonical_json, canonical_time
from arrears.audit.models import AuditRecord
from arrears.audit.verify import ChainReport, HeadAnchor, count_entries, verify_chain
from arrears.cli import context
from arrears.cli.progress import progress_bar
from arrears.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="Audit log: verify its hash chain, search its entries.")
console = Console(highlight=False, soft_wrap=True)

TAMPERED_EXIT = 3
PROGRESS_FROM = 50_000
"""Below this many entries a verification takes well under a second: no bar."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@app.command("verify")
def verify_command(
    expect_head: Annotated[
        str | None, typer.Option("--expect-head", help="head hash kept from an earlier verify: detects truncation")
    ] = None,
    expect_count: Annotated[
        int | None, typer.Option("--expect-count", min=1, help="entry count (head seq) kept from an earlier verify")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Recompute every hash and link of the audit log; exit 3 if any entry was edited, deleted or moved."""
    anchor = _anchor(expect_head, expect_count)
    with context.session() as db_session, db_session.begin():
        total = count_entries(db_session=db_session)
        if as_json or total < PROGRESS_FROM:
            report = verify_chain(db_session=db_session, anchor=anchor)
        else:
            with progress_bar() as bar:
                task = bar.add_task("audit verify", total=total)
                report = verify_chain(
                    db_session=db_session, anchor=anchor, progress=lambda done: bar.advance(task, done)
                )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(TAMPERED_EXIT)


def _anchor(expect_head: str | None, expect_count: int | None) -> HeadAnchor | None:
    if expect_head is None and expect_count is None:
        return None
    if expect_head is not None and not _SHA256_HEX.fullmatch(expect_head):
        raise InvalidInput(
            "the expected head is not a SHA-256 hash", where="--expect-head", hint="64 lower-case hex digits"
        )
    return HeadAnchor(seq=expect_count, hash=expect_head)


def _print_report(report: ChainReport) -> None:
    for problem in report.problems:
        console.print(problem.one_line())
    if report.more_problems:
        console.print(f"... more problems after the first {len(report.problems)}")
    state = "intact" if report.ok else "TAMPERED"
    noun = "entry" if report.rows_checked == 1 else "entries"
    console.print(f"audit chain {state}: {report.rows_checked} {noun} checked")
    console.print(f"head: seq {report.head_seq} hash {report.head_hash}")


@app.command("log")
def log_command(
    action: Annotated[str | None, typer.Option("--action", help="e.g. payment.reversed")] = None,
    subject_type: Annotated[str | None, typer.Option("--subject-type", help="e.g. loan, case, payment")] = None,
    subject_id: Annotated[str | None, typer.Option("--subject-id", help="the subject's id")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="at most this many entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Search the audit log, newest entry first."""
    with context.session() as db_session, db_session.begin():
        entries = service.search(
            db_session=db_session, action=action, subject_type=subject_type, subject_id=subject_id, limit=limit
        )
        rows = [_entry_dict(entry) for entry in entries]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Audit log: {len(rows)} newest entries")
    for column in ("seq", "when (UTC)", "actor", "action", "subject", "origin", "details"):
        table.add_column(column)
    for row in rows:
        subject = row["subject_type"] + (f" {row['subject_id']}" if row["subject_id"] is not None else "")
        table.add_row(
            str(row["seq"]),
            row["occurred_at"],
            row["actor"],
            row["action"],
            subject,
            row["origin"] or "",
            canonical_json(row["details"]),
        )
    console.print(table)


def _entry_dict(entry: AuditRecord) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "id": entry.id,
        "occurred_at": canonical_time(entry.occurred_at),
        "tenant_id": entry.tenant_id,
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "origin": entry.origin,
        "details": entry.details,
        "hash": entry.hash,
    }
