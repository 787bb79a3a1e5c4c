"""Referrals, proceedings and their money. Run inside the caller's unit of work; audited; never commits.

A case goes to legal through a referral (移交法务) whose checklist must be complete,
and signed off by someone other than the referrer, before any proceeding starts.
Every proceeding moves only through :func:`advance`, which applies the lifecycle
table in :mod:`arrears.legal.rules`, keeps the history and writes the audit entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.legal import rules
from arrears.legal.calendar import WorkingCalendar, cn_court_calendar
from arrears.legal.enums import ProceedingKind, ReferralStatus
from arrears.legal.models import LegalReferral, Proceeding, ProceedingAmount, ProceedingEvent
from arrears.legal.schemas import AmountIn, ProceedingIn, ReferralIn, TransitionIn

LIVE_REFERRAL = (ReferralStatus.OPEN, ReferralStatus.READY)


def get_referral(*, db_session: Session, referral_id: int, tenant_id: int | None = None) -> LegalReferral:
    referral = db_session.get(LegalReferral, referral_id)
    if referral is None or (tenant_id is not None and referral.tenant_id != tenant_id):
        raise NotFound(f"no legal referral {referral_id}", hint="list a case's referrals with its case id")
    return referral


def get_proceeding(*, db_session: Session, proceeding_id: int, tenant_id: int | None = None) -> Proceeding:
    proceeding = db_session.get(Proceeding, proceeding_id)
    if proceeding is None or (tenant_id is not None and proceeding.tenant_id != tenant_id):
        raise NotFound(f"no proceeding {proceeding_id}", hint="list a referral's proceedings first")
    return proceeding


def get_referrals_of_case(*, db_session: Session, case_id: int) -> list[LegalReferral]:
    stmt = select(LegalReferral).where(LegalReferral.case_id == case_id).order_by(LegalReferral.id)
    return list(db_session.scalars(stmt))


def get_referrals(
    *, db_session: Session, tenant_id: int, cases: ColumnElement[bool] | None = None, live_only: bool = True
) -> list[LegalReferral]:
    """Referrals of ``tenant_id`` (live ones by default), newest first; ``cases`` narrows to a case scope."""
    stmt = select(LegalReferral).where(LegalReferral.tenant_id == tenant_id)
    if live_only:
        stmt = stmt.where(LegalReferral.status.in_(LIVE_REFERRAL))
    if cases is not None:
        stmt = stmt.where(LegalReferral.case_id.in_(select(Case.id).where(cases)))
    return list(db_session.scalars(stmt.order_by(LegalReferral.referred_on.desc(), LegalReferral.id.desc())))


def get_proceedings(*, db_session: Session, referral_id: int) -> list[Proceeding]:
    stmt = select(Proceeding).where(Proceeding.referral_id == referral_id).order_by(Proceeding.id)
    return list(db_session.scalars(stmt))


def get_events(*, db_session: Session, proceeding_id: int) -> list[ProceedingEvent]:
    stmt = select(ProceedingEvent).where(ProceedingEvent.proceeding_id == proceeding_id).order_by(ProceedingEvent.id)
    return list(db_session.scalars(stmt))


def get_amounts(*, db_session: Session, proceeding_id: int) -> list[ProceedingAmount]:
    stmt = select(ProceedingAmount).where(ProceedingAmount.proceeding_id == proceeding_id)
    return list(db_session.scalars(stmt.order_by(ProceedingAmount.happened_on, ProceedingAmount.id)))


def refer(
    *, db_session: Session, referral_in: ReferralIn, actor: str, actor_user_id: int | None = None
) -> LegalReferral:
    """Open the legal stage of a case; one live referral per case."""
    # Locked until the unit of work ends, so two requests for the same case cannot both pass the check below.
    case = db_session.get(Case, referral_in.case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case {referral_in.case_id}", hint="check the case id")
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"case {case.id} is closed: nothing is owed to refer", hint="reopen happens after a pass")
    live = db_session.scalar(
        select(LegalReferral.id).where(LegalReferral.case_id == case.id, LegalReferral.status.in_(LIVE_REFERRAL))
    )
    if live is not None:
        raise Conflict(f"case {case.id} is already referred to legal (referral {live})")
    referral = LegalReferral(
        tenant_id=case.tenant_id,
        case_id=case.id,
        status=ReferralStatus.OPEN,
        referred_on=referral_in.referred_on,
        referred_by=actor,
        reason=referral_in.reason,
        checklist={},
    )
    db_session.add(referral)
    db_session.flush()
    _audit_referral(db_session, referral, "legal.referred", actor, actor_user_id, referral_in.model_dump(mode="json"))
    return referral


def missing_items(referral: LegalReferral) -> list[str]:
    return [key for key in rules.CHECKLIST_KEYS if key not in referral.checklist]


def tick(
    *,
    db_session: Session,
    referral_id: int,
    item: str,
    on: date,
    actor: str,
    note: str | None = None,
    actor_user_id: int | None = None,
) -> LegalReferral:
    """Mark one checklist item done; the referral becomes ready once every item is."""
    referral = get_referral(db_session=db_session, referral_id=referral_id)
    if referral.status is not ReferralStatus.OPEN:
        raise Conflict(f"referral {referral.id} is {referral.status.value}: its checklist is settled")
    spec = next((entry for entry in rules.CHECKLIST if entry.key == item), None)
    if spec is None:
        raise InvalidInput(
            f"no checklist item '{item}'", where="item", hint="one of: " + ", ".join(rules.CHECKLIST_KEYS)
        )
    if item in referral.checklist:
        done = referral.checklist[item]
        raise Conflict(f"'{item}' was already done by {done['by']} on {done['on']}")
    if on < referral.referred_on:
        raise InvalidInput(f"{on} is before the referral ({referral.referred_on})", where="on")
    if spec.signoff:
        others = [key for key in missing_items(referral) if key != item]
        if others:
            raise Conflict("sign off once every other item is done", hint="still open: " + ", ".join(others))
        if actor == referral.referred_by:
            raise Conflict(
                "the person who referred the case cannot sign off the referral",
                hint="an approver other than the referrer signs off (maker-checker)",
            )
    referral.checklist = {**referral.checklist, item: {"by": actor, "on": on.isoformat(), "note": note}}
    _audit_referral(
        db_session, referral, "legal.checklist_ticked", actor, actor_user_id, {"item": item, "on": on.isoformat()}
    )
    if not missing_items(referral):
        referral.status = ReferralStatus.READY
        _audit_referral(db_session, referral, "legal.referral_ready", actor, actor_user_id, {"on": on.isoformat()})
    db_session.flush()
    return referral


def close_referral(
    *,
    db_session: Session,
    referral_id: int,
    on: date,
    actor: str,
    withdraw: bool = False,
    actor_user_id: int | None = None,
) -> LegalReferral:
    """End the legal stage: closed once its proceedings are over, or withdrawn before it got that far."""
    referral = get_referral(db_session=db_session, referral_id=referral_id)
    if referral.status not in LIVE_REFERRAL:
        raise Conflict(f"referral {referral.id} is already {referral.status.value}")
    running = [p.id for p in get_proceedings(db_session=db_session, referral_id=referral.id) if is_open(p)]
    if running:
        raise Conflict(
            f"referral {referral.id} still has proceedings under way: {', '.join(map(str, running))}",
            hint="close, settle or withdraw them first",
        )
    referral.status = ReferralStatus.WITHDRAWN if withdraw else ReferralStatus.CLOSED
    referral.closed_on = on
    db_session.flush()
    action = "legal.referral_withdrawn" if withdraw else "legal.referral_closed"
    _audit_referral(db_session, referral, action, actor, actor_user_id, {"on": on.isoformat()})
    return referral


def is_open(proceeding: Proceeding) -> bool:
    return proceeding.status not in rules.TERMINAL


def open_proceeding(
    *, db_session: Session, proceeding_in: ProceedingIn, actor: str, actor_user_id: int | None = None
) -> Proceeding:
    """Start a proceeding on a ready referral, standing on its basis where the law needs one."""
    referral = get_referral(db_session=db_session, referral_id=proceeding_in.referral_id)
    if referral.status is not ReferralStatus.READY:
        if referral.status is ReferralStatus.OPEN:
            raise Conflict(
                f"referral {referral.id} is not ready: its checklist is incomplete",
                hint="still open: " + ", ".join(missing_items(referral)),
            )
        raise Conflict(f"referral {referral.id} is {referral.status.value}")
    if proceeding_in.opened_on < referral.referred_on:
        raise InvalidInput(
            f"{proceeding_in.opened_on} is before the referral ({referral.referred_on})", where="opened_on"
        )
    parent = _check_basis(db_session, referral, proceeding_in)
    proceeding = Proceeding(
        tenant_id=referral.tenant_id,
        referral_id=referral.id,
        case_id=referral.case_id,
        parent_id=parent.id if parent else None,
        kind=proceeding_in.kind,
        status=rules.INITIAL_STATUS[proceeding_in.kind],
        court=proceeding_in.court,
        court_reference=proceeding_in.court_reference,
        claimed=proceeding_in.claimed,
        opened_on=proceeding_in.opened_on,
    )
    db_session.add(proceeding)
    db_session.flush()
    db_session.add(
        ProceedingEvent(
            proceeding_id=proceeding.id,
            event="open",
            from_status=None,
            to_status=proceeding.status,
            happened_on=proceeding.opened_on,
            actor=actor,
        )
    )
    db_session.flush()
    _audit_proceeding(
        db_session, proceeding, "legal.proceeding_opened", actor, actor_user_id, proceeding_in.model_dump(mode="json")
    )
    return proceeding


def _label(kind: ProceedingKind) -> str:
    return kind.value.replace("_", " ")


def _check_basis(db_session: Session, referral: LegalReferral, proceeding_in: ProceedingIn) -> Proceeding | None:
    needs = rules.BASIS_FOR.get(proceeding_in.kind)
    if proceeding_in.parent_id is None:
        if needs:
            kinds = " or ".join(_label(kind) for kind in needs)
            raise InvalidInput(
                f"a {_label(proceeding_in.kind)} stands on a {kinds}",
                where="parent_id",
                hint="give the id of the proceeding it rests on",
            )
        return None
    parent = db_session.get(Proceeding, proceeding_in.parent_id)
    if parent is None or parent.referral_id != referral.id:
        raise InvalidInput(f"no proceeding {proceeding_in.parent_id} in referral {referral.id}", where="parent_id")
    if needs is not None:
        statuses = needs.get(parent.kind)
        if statuses is None:
            raise InvalidInput(
                f"a {_label(proceeding_in.kind)} cannot stand on a {_label(parent.kind)}",
                where="parent_id",
            )
        if parent.status not in statuses:
            raise Conflict(
                f"proceeding {parent.id} is {parent.status.value}: not yet a basis for a {_label(proceeding_in.kind)}",
                hint="needs it to be " + " or ".join(sorted(status.value for status in statuses)),
            )
    return parent


def advance(
    *,
    db_session: Session,
    proceeding_id: int,
    transition_in: TransitionIn,
    actor: str,
    calendar: WorkingCalendar | None = None,
    actor_user_id: int | None = None,
    tenant_id: int | None = None,
) -> Proceeding:
    """Apply one lifecycle event; illegal ones are refused with the events allowed now."""
    proceeding = get_proceeding(db_session=db_session, proceeding_id=proceeding_id, tenant_id=tenant_id)
    target = rules.dry_transition(proceeding.kind, proceeding.status, transition_in.event)
    on = transition_in.on
    last = db_session.scalar(
        select(ProceedingEvent.happened_on)
        .where(ProceedingEvent.proceeding_id == proceeding.id)
        .order_by(ProceedingEvent.id.desc())
        .limit(1)
    )
    if last is not None and on < last:
        raise InvalidInput(f"{on} is before the proceeding's last step ({last})", where="on", hint="steps go in order")
    details: dict[str, Any] = {"event": transition_in.event, "from": proceeding.status.value, "to": target.value}
    details["on"] = on.isoformat()
    match transition_in.event:
        case "serve":
            proceeding.served_on = on
            proceeding.objection_deadline = rules.objection_deadline(on, calendar or cn_court_calendar())
            details["objection_deadline"] = proceeding.objection_deadline.isoformat()
        case "object":
            deadline = proceeding.objection_deadline
            if deadline is not None and on > deadline:
                raise Conflict(
                    f"an objection on {on} is after the deadline {deadline}: the payment order stands",
                    hint="record 'lapse' instead",
                )
        case "lapse":
            deadline = proceeding.objection_deadline
            if deadline is not None and on <= deadline:
                raise Conflict(
                    f"the objection period runs until {deadline}: the order is not effective on {on}",
                    hint="the order can lapse from the day after the deadline",
                )
        case "schedule_hearing":
            assert transition_in.hearing_on is not None
            if transition_in.hearing_on < on:
                raise InvalidInput("the hearing is before the day it was scheduled", where="hearing_on")
            proceeding.hearing_on = transition_in.hearing_on
            details["hearing_on"] = transition_in.hearing_on.isoformat()
        case "judge":
            proceeding.judgment_on = on
            proceeding.judgment_outcome = transition_in.outcome
            details["outcome"] = transition_in.outcome.value if transition_in.outcome else None
    event = ProceedingEvent(
        proceeding_id=proceeding.id,
        event=transition_in.event,
        from_status=proceeding.status,
        to_status=target,
        happened_on=on,
        note=transition_in.note,
        actor=actor,
    )
    proceeding.status = target
    if target in rules.TERMINAL:
        proceeding.closed_on = on
    db_session.add(event)
    db_session.flush()
    if transition_in.note:
        details["note"] = transition_in.note
    _audit_proceeding(db_session, proceeding, "legal.proceeding_advanced", actor, actor_user_id, details)
    return proceeding


def record_amount(
    *,
    db_session: Session,
    proceeding_id: int,
    amount_in: AmountIn,
    actor: str,
    actor_user_id: int | None = None,
    tenant_id: int | None = None,
) -> ProceedingAmount:
    """A fee paid for, or money recovered through, a proceeding (exact, in the proceeding's currency)."""
    proceeding = get_proceeding(db_session=db_session, proceeding_id=proceeding_id, tenant_id=tenant_id)
    if amount_in.on < proceeding.opened_on:
        raise InvalidInput(f"{amount_in.on} is before the proceeding opened ({proceeding.opened_on})", where="on")
    row = ProceedingAmount(
        proceeding_id=proceeding.id,
        kind=amount_in.kind,
        category=amount_in.category,
        amount=amount_in.amount,
        currency=proceeding.currency,
        happened_on=amount_in.on,
        note=amount_in.note,
        actor=actor,
    )
    db_session.add(row)
    db_session.flush()
    _audit_proceeding(
        db_session,
        proceeding,
        f"legal.{amount_in.kind.value}_recorded",
        actor,
        actor_user_id,
        {"amount_id": row.id, **amount_in.model_dump(mode="json"), "currency": proceeding.currency},
    )
    return row


def _audit_referral(
    db_session: Session,
    referral: LegalReferral,
    action: str,
    actor: str,
    actor_user_id: int | None,
    details: dict[str, Any],
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action=action,
        subject_type="legal_referral",
        subject_id=referral.id,
        tenant_id=referral.tenant_id,
        details={"case_id": referral.case_id, **details},
    )


def _audit_proceeding(
    db_session: Session,
    proceeding: Proceeding,
    action: str,
    actor: str,
    actor_user_id: int | None,
    details: dict[str, Any],
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action=action,
        subject_type="legal_proceeding",
        subject_id=proceeding.id,
        tenant_id=proceeding.tenant_id,
        details={"case_id": proceeding.case_id, "kind": proceeding.kind.value, **details},
    )
