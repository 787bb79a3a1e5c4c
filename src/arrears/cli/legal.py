"""``arrears legal`` and ``arrears agency``: referrals, proceedings, deadline alerts, the document pack, placements."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.compliance.pack import describe
from arrears.errors import InvalidInput
from arrears.legal import alerts, outcomes, pack, placements, rules, service
from arrears.legal.enums import AmountKind, JudgmentOutcome, PlacementStatus, ProceedingKind
from arrears.legal.models import AgencyPlacement, Proceeding
from arrears.legal.schemas import AmountIn, PlacementIn, ProceedingIn, ReferralIn, TransitionIn
from arrears.org import service as tenants

_Model = TypeVar("_Model", bound=BaseModel)

legal_app = typer.Typer(no_args_is_help=True, help="Legal escalation: referrals, proceedings, deadlines, packs.")
agency_app = typer.Typer(no_args_is_help=True, help="Cases placed with outside agencies (委外).")
console = Console(highlight=False, soft_wrap=True)

OnOption = Annotated[str, typer.Option("--on", help="the day it happened, YYYY-MM-DD")]
ByOption = Annotated[
    str | None, typer.Option("--by", help="username acting (a sign-off needs someone other than the referrer)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
TenantOption = Annotated[str, typer.Option("--tenant", help="tenant code")]


def _valid(model: type[_Model], **fields: Any) -> _Model:
    try:
        return model.model_validate({key: value for key, value in fields.items() if value is not None})
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None


def _actor(db_session: Session, username: str | None) -> tuple[str, int | None]:
    if username is None:
        return cli_actor(), None
    user = tenants.get_user_by_username(db_session=db_session, username=username)
    return f"user:{user.username}", user.id


def _proceeding_line(proceeding: Proceeding) -> str:
    line = f"proceeding {proceeding.id} ({proceeding.kind.value}) is {proceeding.status.value}"
    if proceeding.objection_deadline and proceeding.served_on:
        line += f"; served {proceeding.served_on}, objections until {proceeding.objection_deadline}"
    if proceeding.hearing_on:
        line += f"; hearing {proceeding.hearing_on}"
    return line


@legal_app.command("refer")
def refer_command(
    case: Annotated[int, typer.Option("--case", help="case id")],
    on: OnOption,
    reason: Annotated[str, typer.Option("--reason", help="why the case goes to legal")],
    by: ByOption = None,
) -> None:
    """Refer a case to legal; its checklist must be completed before any proceeding."""
    referral_in = _valid(ReferralIn, case_id=case, referred_on=parse_date(on, option="--on"), reason=reason)
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        referral = service.refer(db_session=db_session, referral_in=referral_in, actor=actor, actor_user_id=user_id)
    console.print(f"referral {referral.id} opened on case {case}; to do: {', '.join(rules.CHECKLIST_KEYS)}")


@legal_app.command("tick")
def tick_command(
    referral: Annotated[int, typer.Argument(help="referral id")],
    item: Annotated[str, typer.Argument(help="checklist item: " + ", ".join(rules.CHECKLIST_KEYS))],
    on: OnOption,
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: ByOption = None,
) -> None:
    """Mark one checklist item done."""
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        found = service.tick(
            db_session=db_session,
            referral_id=referral,
            item=item,
            on=parse_date(on, option="--on"),
            actor=actor,
            note=note,
            actor_user_id=user_id,
        )
        missing = service.missing_items(found)
    console.print(
        f"referral {referral}: {found.status.value}" + (f"; still open: {', '.join(missing)}" if missing else "")
    )


@legal_app.command("show")
def show_command(referral: Annotated[int, typer.Argument(help="referral id")], as_json: JsonOption = False) -> None:
    """A referral's checklist and proceedings."""
    with context.session() as db_session:
        found = service.get_referral(db_session=db_session, referral_id=referral)
        proceedings = service.get_proceedings(db_session=db_session, referral_id=referral)
        body: dict[str, Any] = {
            "id": found.id,
            "case_id": found.case_id,
            "status": found.status.value,
            "checklist": {key: found.checklist.get(key) for key in rules.CHECKLIST_KEYS},
            "proceedings": [_proceeding_json(p) for p in proceedings],
        }
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    console.print(f"referral {found.id} on case {found.case_id}: {found.status.value}")
    for item in rules.CHECKLIST:
        done = found.checklist.get(item.key)
        console.print(
            f"  \\[{'x' if done else ' '}] {item.key}: {item.zh}" + (f" ({done['on']}, {done['by']})" if done else "")
        )
    for proceeding in proceedings:
        console.print("  " + _proceeding_line(proceeding))


def _proceeding_json(proceeding: Proceeding) -> dict[str, Any]:
    return {
        "id": proceeding.id,
        "kind": proceeding.kind.value,
        "status": proceeding.status.value,
        "parent_id": proceeding.parent_id,
        "opened_on": proceeding.opened_on.isoformat(),
        "served_on": proceeding.served_on.isoformat() if proceeding.served_on else None,
        "objection_deadline": proceeding.objection_deadline.isoformat() if proceeding.objection_deadline else None,
        "hearing_on": proceeding.hearing_on.isoformat() if proceeding.hearing_on else None,
        "allowed_events": rules.allowed_events(proceeding.kind, proceeding.status),
    }


@legal_app.command("proceeding")
def proceeding_command(
    referral: Annotated[int, typer.Argument(help="referral id")],
    kind: Annotated[ProceedingKind, typer.Option("--kind")],
    on: OnOption,
    parent: Annotated[int | None, typer.Option("--parent", help="proceeding it stands on")] = None,
    court: Annotated[str | None, typer.Option("--court")] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="案号")] = None,
    claimed: Annotated[str | None, typer.Option("--claimed", help="amount claimed, e.g. 12000.00")] = None,
    by: ByOption = None,
) -> None:
    """Start a proceeding on a ready referral."""
    proceeding_in = _valid(
        ProceedingIn,
        referral_id=referral,
        kind=kind,
        opened_on=parse_date(on, option="--on"),
        parent_id=parent,
        court=court,
        court_reference=reference,
        claimed=claimed,
    )
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        proceeding = service.open_proceeding(
            db_session=db_session, proceeding_in=proceeding_in, actor=actor, actor_user_id=user_id
        )
        allowed = rules.allowed_events(proceeding.kind, proceeding.status)
    console.print(_proceeding_line(proceeding) + f"; next: {', '.join(allowed)}")


@legal_app.command("advance")
def advance_command(
    proceeding: Annotated[int, typer.Argument(help="proceeding id")],
    event: Annotated[str, typer.Argument(help="e.g. issue, serve, lapse, accept, judge, freeze ...")],
    on: OnOption,
    hearing_on: Annotated[str | None, typer.Option("--hearing-on", help="schedule_hearing: the day")] = None,
    outcome: Annotated[JudgmentOutcome | None, typer.Option("--outcome", help="judge: the result")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: ByOption = None,
) -> None:
    """Move a proceeding on by one event; an event its status does not allow is refused (exit 5)."""
    transition_in = _valid(
        TransitionIn,
        event=event,
        on=parse_date(on, option="--on"),
        hearing_on=parse_date(hearing_on, option="--hearing-on") if hearing_on else None,
        outcome=outcome,
        note=note,
    )
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        found = service.advance(
            db_session=db_session,
            proceeding_id=proceeding,
            transition_in=transition_in,
            actor=actor,
            actor_user_id=user_id,
        )
    console.print(_proceeding_line(found))


@legal_app.command("amount")
def amount_command(
    proceeding: Annotated[int, typer.Argument(help="proceeding id")],
    kind: Annotated[AmountKind, typer.Option("--kind")],
    category: Annotated[str, typer.Option("--category", help="e.g. court_fee, lawyer_fee, deduction, auction")],
    amount: Annotated[str, typer.Option("--amount", help="e.g. 350.00")],
    on: OnOption,
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: ByOption = None,
) -> None:
    """Record a fee paid for, or money recovered through, a proceeding."""
    amount_in = _valid(
        AmountIn, kind=kind, category=category, amount=amount, on=parse_date(on, option="--on"), note=note
    )
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        row = service.record_amount(
            db_session=db_session, proceeding_id=proceeding, amount_in=amount_in, actor=actor, actor_user_id=user_id
        )
    console.print(f"{row.kind.value} {row.amount} {row.currency} ({row.category}) recorded on proceeding {proceeding}")


@legal_app.command("close")
def close_command(
    referral: Annotated[int, typer.Argument(help="referral id")],
    on: OnOption,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="withdrawn rather than closed")] = False,
    by: ByOption = None,
) -> None:
    """End the legal stage once its proceedings are over."""
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        found = service.close_referral(
            db_session=db_session,
            referral_id=referral,
            on=parse_date(on, option="--on"),
            actor=actor,
            withdraw=withdraw,
            actor_user_id=user_id,
        )
    console.print(f"referral {found.id} {found.status.value}")


@legal_app.command("alerts")
def alerts_command(
    tenant: TenantOption,
    as_of: Annotated[str, typer.Option("--as-of", help="the day to look from, YYYY-MM-DD")],
    within: Annotated[int, typer.Option("--within", help="days ahead")] = alerts.DEFAULT_WITHIN_DAYS,
    as_json: JsonOption = False,
) -> None:
    """Deadlines due within the window (and past ones not yet acted on); new ones are audited."""
    day = parse_date(as_of, option="--as-of")
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        found = alerts.alerts_due(
            db_session=db_session, tenant_id=owner.id, as_of=day, within_days=within, actor=cli_actor()
        )
    rows = [
        {
            "proceeding_id": a.proceeding_id,
            "case_id": a.case_id,
            "kind": a.kind.value,
            "due_on": a.due_on.isoformat(),
            "days_left": a.days_left,
            "new": a.newly_raised,
            "message": a.message_zh,
        }
        for a in found
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        console.print(f"no legal deadlines within {within} days of {day}")
        return
    table = Table(title=f"legal deadlines of {tenant} as of {day}")
    for column in ("proceeding", "case", "kind", "due", "days left", "new", ""):
        table.add_column(column)
    for row in rows:
        late = int(str(row["days_left"])) < 0
        table.add_row(
            str(row["proceeding_id"]),
            str(row["case_id"]),
            str(row["kind"]),
            str(row["due_on"]),
            f"[red]{row['days_left']}[/]" if late else str(row["days_left"]),
            "yes" if row["new"] else "",
            str(row["message"]),
        )
    console.print(table)


@legal_app.command("pack")
def pack_command(
    referral: Annotated[int, typer.Argument(help="referral id")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write")],
    by: ByOption = None,
) -> None:
    """Write the referral's document pack (one PDF); the export is audited."""
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        pdf = pack.build_pack(
            db_session=db_session, referral_id=referral, at=datetime.now(UTC), actor=actor, actor_user_id=user_id
        )
    out.write_bytes(pdf)
    console.print(f"wrote {out} ({len(pdf):,} bytes)")


@legal_app.command("outcomes")
def outcomes_command(tenant: TenantOption, as_json: JsonOption = False) -> None:
    """Fees and recoveries per kind of proceeding."""
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        summary = outcomes.summary_by_kind(db_session=db_session, tenant_id=owner.id)
    rows = [
        {
            "kind": s.kind.value,
            "proceedings": s.proceedings,
            "open": s.open,
            "fees": str(s.fees),
            "recovered": str(s.recovered),
            "currency": s.currency,
        }
        for s in summary
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"legal outcomes of {tenant}")
    for column in ("kind", "proceedings", "open", "fees", "recovered", "currency"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)


@agency_app.command("place")
def place_command(
    case: Annotated[int, typer.Option("--case", help="case id")],
    agency: Annotated[str, typer.Option("--agency", help="the agency tenant's code")],
    starts: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    ends: Annotated[str, typer.Option("--to", help="last day (inclusive), YYYY-MM-DD")],
    rate: Annotated[str, typer.Option("--rate", help="commission on recoveries, e.g. 0.25")],
    by: ByOption = None,
) -> None:
    """Place a case with an agency for a period, on commission."""
    with context.session() as db_session, db_session.begin():
        firm = tenants.get_by_code(db_session=db_session, code=agency)
        placement_in = _valid(
            PlacementIn,
            case_id=case,
            agency_tenant_id=firm.id,
            starts_on=parse_date(starts, option="--from"),
            ends_on=parse_date(ends, option="--to"),
            commission_rate=rate,
        )
        actor, user_id = _actor(db_session, by)
        placement = placements.place(
            db_session=db_session, placement_in=placement_in, actor=actor, actor_user_id=user_id
        )
    console.print(
        f"placement {placement.id}: case {case} with {agency} from {placement.starts_on} to {placement.ends_on}"
        f" at {placement.commission_rate}"
    )


@agency_app.command("recall")
def recall_command(
    placement: Annotated[int, typer.Argument(help="placement id")],
    on: OnOption,
    reason: Annotated[str, typer.Option("--reason")],
    by: ByOption = None,
) -> None:
    """Take a case back from the agency (it holds the case through that day)."""
    with context.session() as db_session, db_session.begin():
        actor, user_id = _actor(db_session, by)
        found = placements.recall(
            db_session=db_session,
            placement_id=placement,
            on=parse_date(on, option="--on"),
            reason=reason,
            actor=actor,
            actor_user_id=user_id,
        )
    console.print(f"placement {found.id} recalled on {found.recalled_on}")


@agency_app.command("expire")
def expire_command(
    as_of: Annotated[str, typer.Option("--as-of", help="the day to look from, YYYY-MM-DD")],
) -> None:
    """Recall automatically every placement whose period ended before the day."""
    with context.session() as db_session, db_session.begin():
        expired = placements.expire_due(
            db_session=db_session, as_of=parse_date(as_of, option="--as-of"), actor=cli_actor()
        )
        ids = [p.id for p in expired]
    console.print(f"{len(ids)} placement(s) recalled at their period's end" + (f": {ids}" if ids else ""))


@agency_app.command("list")
def list_command(
    tenant: TenantOption,
    as_of: Annotated[str, typer.Option("--as-of", help="count recoveries up to this day")],
    status: Annotated[PlacementStatus | None, typer.Option("--status")] = None,
    as_json: JsonOption = False,
) -> None:
    """Placements made by (or with) a tenant, with recoveries and commission."""
    day = parse_date(as_of, option="--as-of")
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        found = placements.get_all(db_session=db_session, tenant_id=owner.id, status=status)
        rows = [_placement_row(db_session, placement, day) for placement in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"placements of {tenant}")
    for column in ("id", "case", "agency", "status", "from", "to", "recalled", "rate", "recovered", "commission"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[key] or "") for key in row))
    console.print(table)


def _placement_row(db_session: Session, placement: AgencyPlacement, as_of: date) -> dict[str, Any]:
    statement = placements.statement(db_session=db_session, placement_id=placement.id, as_of=as_of)
    return {
        "id": placement.id,
        "case_id": placement.case_id,
        "agency_tenant_id": placement.agency_tenant_id,
        "status": placement.status.value,
        "starts_on": placement.starts_on.isoformat(),
        "ends_on": placement.ends_on.isoformat(),
        "recalled_on": placement.recalled_on.isoformat() if placement.recalled_on else None,
        "commission_rate": str(placement.commission_rate),
        "recovered": str(statement.recovered),
        "commission": str(statement.commission),
    }
