"""``arrears contact``, ``arrears hold`` and ``arrears complaint``: contacts through the guard, holds, complaints."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.service import cli_actor
from arrears.cases.models import Case
from arrears.cli import context
from arrears.cli.options import parse_date, parse_moment
from arrears.compliance import complaints
from arrears.compliance.complaints import ComplaintIn
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel, HoldType
from arrears.compliance.guard import Decision
from arrears.compliance.holds import HoldIn, lift_hold, place_hold
from arrears.compliance.models import Hold
from arrears.compliance.pack import describe
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.flows import check_contact, record_contact
from arrears.contact.schemas import ContactIn
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants

contact_app = typer.Typer(no_args_is_help=True, help="Contacts: every one asks the compliance guard first.")
hold_app = typer.Typer(no_args_is_help=True, help="Holds on cases: dispute, cease contact, opt-outs ...")
complaint_app = typer.Typer(no_args_is_help=True, help="The complaint register.")
console = Console(highlight=False, soft_wrap=True)

EXIT_BLOCKED = 3

CaseOption = Annotated[int, typer.Option("--case", help="case id")]
ChannelOption = Annotated[ContactChannel, typer.Option("--channel")]
AtOption = Annotated[str | None, typer.Option("--at", help="when, with UTC offset; default now")]
ThirdPartyOption = Annotated[int | None, typer.Option("--third-party", help="third party id; empty = the debtor")]
NumberOption = Annotated[str | None, typer.Option("--number", help="number dialled or messaged")]
LoanOption = Annotated[int | None, typer.Option("--loan", help="loan id the contact is about")]
PurposeOption = Annotated[str | None, typer.Option("--purpose", help="for third parties: location")]
CollectorOption = Annotated[list[str] | None, typer.Option("--collector", help="staff number; repeat for visits")]
ConsentedOption = Annotated[bool, typer.Option("--consented", help="placed with the person's prior consent")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _contact_in(**fields: object) -> ContactIn:
    try:
        return ContactIn.model_validate({key: value for key, value in fields.items() if value is not None})
    except ValidationError as error:
        raise InvalidInput(describe(error), hint="see `arrears contact log --help`") from None


def _print_decision(decision: Decision, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(decision.as_json(), ensure_ascii=False))
        return
    if decision.allowed:
        conditions = f"; conditions: {', '.join(decision.conditions)}" if decision.conditions else ""
        console.print(f"[green]allowed[/] by {decision.pack} {decision.pack_version}{conditions}")
        return
    console.print(f"[bold red]blocked[/] by {decision.pack} {decision.pack_version}")
    for violation in decision.violations:
        console.print(f"  [bold]{violation.rule}[/]: {violation.message}")
    when = decision.next_allowed_at.isoformat() if decision.next_allowed_at else "not until the cause is removed"
    console.print(f"  next allowed: {when}")


@contact_app.command("check")
def check_command(
    case: CaseOption,
    channel: ChannelOption,
    at: AtOption = None,
    third_party: ThirdPartyOption = None,
    number: NumberOption = None,
    loan: LoanOption = None,
    purpose: PurposeOption = None,
    collector: CollectorOption = None,
    consented: ConsentedOption = False,
    as_json: JsonOption = False,
) -> None:
    """Ask the guard before dialling or sending (the decision is audited). Exit 0 allowed, 3 blocked."""
    contact_in = _contact_in(
        case_id=case,
        channel=channel,
        at=parse_moment(at, option="--at"),
        outcome=Outcome.NO_ANSWER,
        third_party_id=third_party,
        number=number,
        loan_id=loan,
        purpose=purpose,
        collectors=collector,
        consented=consented,
    )
    with context.session() as db_session, db_session.begin():
        decision = check_contact(db_session=db_session, contact_in=contact_in, actor=cli_actor())
    _print_decision(decision, as_json)
    if not decision.allowed:
        raise typer.Exit(EXIT_BLOCKED)


@contact_app.command("log")
def log_command(
    case: CaseOption,
    channel: ChannelOption,
    outcome: Annotated[Outcome, typer.Option("--outcome")],
    at: AtOption = None,
    third_party: ThirdPartyOption = None,
    number: NumberOption = None,
    loan: LoanOption = None,
    purpose: PurposeOption = None,
    collector: CollectorOption = None,
    consented: ConsentedOption = False,
    conversation: Annotated[bool, typer.Option("--conversation", help="a conversation about the debt")] = False,
    stop_requested: Annotated[
        bool, typer.Option("--stop-requested", help="the person asked not to be contacted")
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a contact: checked by the guard, written only if allowed. Exit 0 recorded, 3 blocked."""
    contact_in = _contact_in(
        case_id=case,
        channel=channel,
        at=parse_moment(at, option="--at"),
        outcome=outcome,
        third_party_id=third_party,
        number=number,
        loan_id=loan,
        purpose=purpose,
        collectors=collector,
        consented=consented,
        conversation=conversation,
        stop_requested=stop_requested,
        notes=notes,
    )
    with context.session() as db_session, db_session.begin():
        result = record_contact(db_session=db_session, contact_in=contact_in, actor=cli_actor())
    _print_decision(result.decision, as_json)
    if result.attempt is None:
        raise typer.Exit(EXIT_BLOCKED)
    if not as_json:
        flagged = " (notes flagged for compliance review)" if result.attempt.flagged else ""
        console.print(f"recorded contact {result.attempt.id}{flagged}")


@hold_app.command("add")
def add_hold(
    case: CaseOption,
    hold_type: Annotated[HoldType, typer.Option("--type")],
    starts: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason")],
    ends: Annotated[str | None, typer.Option("--to", help="last day (inclusive); empty = until lifted")] = None,
    channel: Annotated[ContactChannel | None, typer.Option("--channel", help="for channel_opt_out")] = None,
) -> None:
    """Put a case on hold."""
    try:
        hold_in = HoldIn(
            type=hold_type,
            starts_on=parse_date(starts, option="--from"),
            ends_on=parse_date(ends, option="--to") if ends else None,
            channel=channel,
            reason=reason,
        )
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None
    with context.session() as db_session, db_session.begin():
        found = _case(db_session, case)
        hold = place_hold(db_session=db_session, case=found, hold_in=hold_in, actor=cli_actor())
    console.print(f"hold {hold.id} ({hold.type.value}) placed on case {case}")


@hold_app.command("lift")
def lift_hold_command(
    hold_id: Annotated[int, typer.Argument(help="hold id")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Lift a hold now."""
    with context.session() as db_session, db_session.begin():
        lift_hold(
            db_session=db_session,
            hold_id=hold_id,
            at=parse_moment(None, option="now"),
            actor=cli_actor(),
            reason=reason,
        )
    console.print(f"hold {hold_id} lifted")


@hold_app.command("list")
def list_holds(case: CaseOption) -> None:
    """A case's holds, current and past."""
    with context.session() as db_session:
        _case(db_session, case)
        holds = db_session.scalars(select(Hold).where(Hold.case_id == case).order_by(Hold.starts_on)).all()
    table = Table(title=f"holds on case {case}")
    for column in ("id", "type", "channel", "from", "to", "lifted", "reason"):
        table.add_column(column)
    for hold in holds:
        lifted = hold.lifted_at.isoformat(timespec="minutes") if hold.lifted_at else ""
        table.add_row(
            str(hold.id),
            hold.type.value,
            hold.channel or "",
            str(hold.starts_on),
            str(hold.ends_on or ""),
            lifted,
            hold.reason or "",
        )
    console.print(table)


def _case(db_session: Session, case_id: int) -> Case:
    found = db_session.get(Case, case_id)
    if found is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    return found


def _user_id(db_session: Session, username: str | None) -> int | None:
    if username is None:
        return None
    return tenants.get_user_by_username(db_session=db_session, username=username).id


@complaint_app.command("add")
def add_complaint(
    case: CaseOption,
    channel: Annotated[ComplaintChannel, typer.Option("--channel", help="how it arrived")],
    category: Annotated[ComplaintCategory, typer.Option("--category")],
    complainant: Annotated[str, typer.Option("--complainant", help="who complained")],
    description: Annotated[str, typer.Option("--description")],
    received_at: Annotated[str | None, typer.Option("--received-at", help="with UTC offset; default now")] = None,
    collector: Annotated[
        str | None, typer.Option("--collector", help="username of the collector complained of")
    ] = None,
    contact: Annotated[list[int] | None, typer.Option("--contact", help="contact attempt id; repeat")] = None,
    hold: Annotated[bool, typer.Option("--hold/--no-hold", help="pause contact while it is handled")] = True,
) -> None:
    """Register a complaint; by default the case is on hold until it is resolved."""
    with context.session() as db_session, db_session.begin():
        try:
            complaint_in = ComplaintIn(
                case_id=case,
                received_at=parse_moment(received_at, option="--received-at"),
                channel=channel,
                category=category,
                complainant=complainant,
                description=description,
                collector_id=_user_id(db_session, collector),
                contact_attempt_ids=contact or [],
                hold_case=hold,
            )
        except ValidationError as error:
            raise InvalidInput(describe(error)) from None
        complaint = complaints.register(db_session=db_session, complaint_in=complaint_in, actor=cli_actor())
    held = f", case on hold {complaint.hold_id}" if complaint.hold_id else ""
    console.print(f"complaint {complaint.id} registered, due {complaint.due_at.isoformat(timespec='minutes')}{held}")


@complaint_app.command("resolve")
def resolve_complaint(
    complaint_id: Annotated[int, typer.Argument(help="complaint id")],
    resolution: Annotated[str, typer.Option("--resolution", help="what was found and done")],
    upheld: Annotated[bool, typer.Option("--upheld/--not-upheld", help="was the complaint justified")],
) -> None:
    """Close a complaint with its finding; its hold is lifted."""
    with context.session() as db_session, db_session.begin():
        complaint = complaints.resolve(
            db_session=db_session,
            complaint_id=complaint_id,
            resolution=resolution,
            upheld=upheld,
            at=parse_moment(None, option="now"),
            actor=cli_actor(),
        )
    console.print(f"complaint {complaint.id} {complaint.status.value}")


@complaint_app.command("list")
def list_complaints(
    tenant: Annotated[str, typer.Option("--tenant", help="tenant code")],
    open_only: Annotated[bool, typer.Option("--open", help="only open ones")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="only open ones past their deadline")] = False,
    as_json: JsonOption = False,
) -> None:
    """The register, soonest deadline first."""
    now = parse_moment(None, option="now")
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        found = complaints.get_all(
            db_session=db_session, tenant_id=owner.id, open_only=open_only, overdue_at=now if overdue else None
        )
    rows = [
        {
            "id": c.id,
            "case_id": c.case_id,
            "category": c.category.value,
            "channel": c.channel.value,
            "status": c.status.value,
            "received_at": c.received_at.isoformat(),
            "due_at": c.due_at.isoformat(),
            "overdue": complaints.clock(c, now=now).overdue,
        }
        for c in found
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"complaints of {tenant}")
    for column in ("id", "case", "category", "channel", "status", "due", "overdue"):
        table.add_column(column)
    for row in rows:
        late = "[red]yes[/]" if row["overdue"] else ""
        table.add_row(
            str(row["id"]),
            str(row["case_id"]),
            str(row["category"]),
            str(row["channel"]),
            str(row["status"]),
            str(row["due_at"])[:16],
            late,
        )
    console.print(table)
