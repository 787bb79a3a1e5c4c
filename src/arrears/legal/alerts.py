"""Deadline alerts: payment-order objection periods ending and hearings coming up.

:func:`alerts_due` lists what falls due within the next N days of ``as_of`` (and
what is already past but not yet acted on). An alert is raised, and audited, once
per proceeding, kind and date: asking again the next day lists it without a second
audit entry; a rescheduled hearing is a new date and so a new alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.errors import InvalidInput
from arrears.legal.enums import AlertKind, ProceedingKind, ProceedingStatus
from arrears.legal.models import LegalAlert, Proceeding

DEFAULT_WITHIN_DAYS = 7
MAX_WITHIN_DAYS = 366

_MESSAGES = {
    AlertKind.OBJECTION_DEADLINE: (
        "支付令异议期于 {due} 届满",
        "the debtor's time to object to the payment order ends on {due}",
    ),
    AlertKind.HEARING: ("{due} 开庭", "hearing on {due}"),
}


@dataclass(frozen=True)
class Alert:
    proceeding_id: int
    case_id: int
    kind: AlertKind
    due_on: date
    days_left: int
    """Negative once the day has passed without the proceeding moving on."""
    newly_raised: bool
    message_zh: str
    message_en: str


def alerts_due(
    *,
    db_session: Session,
    tenant_id: int,
    as_of: date,
    within_days: int = DEFAULT_WITHIN_DAYS,
    actor: str = "system:legal-alerts",
) -> list[Alert]:
    """Deadlines of ``tenant_id`` falling on or before ``as_of + within_days``, soonest first."""
    if not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise InvalidInput(f"within_days must be 0 to {MAX_WITHIN_DAYS}, not {within_days}", where="within_days")
    try:
        horizon = as_of + timedelta(days=within_days)
    except OverflowError:
        horizon = date.max
    found: list[tuple[Proceeding, AlertKind, date]] = []
    objections = select(Proceeding).where(
        Proceeding.tenant_id == tenant_id,
        Proceeding.kind == ProceedingKind.PAYMENT_ORDER,
        Proceeding.status == ProceedingStatus.SERVED,
        Proceeding.objection_deadline <= horizon,
    )
    for proceeding in db_session.scalars(objections):
        assert proceeding.objection_deadline is not None
        found.append((proceeding, AlertKind.OBJECTION_DEADLINE, proceeding.objection_deadline))
    hearings = select(Proceeding).where(
        Proceeding.tenant_id == tenant_id,
        Proceeding.kind == ProceedingKind.LAWSUIT,
        Proceeding.status == ProceedingStatus.HEARING_SCHEDULED,
        Proceeding.hearing_on <= horizon,
    )
    for proceeding in db_session.scalars(hearings):
        assert proceeding.hearing_on is not None
        found.append((proceeding, AlertKind.HEARING, proceeding.hearing_on))
    alerts = [_raise(db_session, proceeding, kind, due, as_of, actor) for proceeding, kind, due in found]
    return sorted(alerts, key=lambda alert: (alert.due_on, alert.proceeding_id, alert.kind.value))


def _raise(db_session: Session, proceeding: Proceeding, kind: AlertKind, due: date, as_of: date, actor: str) -> Alert:
    known = db_session.scalar(
        select(LegalAlert.id).where(
            LegalAlert.proceeding_id == proceeding.id, LegalAlert.kind == kind, LegalAlert.due_on == due
        )
    )
    newly = False
    if known is None:
        newly = _insert_once(db_session, proceeding, kind, due, as_of)
    zh, en = _MESSAGES[kind]
    alert = Alert(
        proceeding_id=proceeding.id,
        case_id=proceeding.case_id,
        kind=kind,
        due_on=due,
        days_left=(due - as_of).days,
        newly_raised=newly,
        message_zh=zh.format(due=due.isoformat()),
        message_en=en.format(due=due.isoformat()),
    )
    if newly:
        audit.record(
            db_session=db_session,
            actor=actor,
            action="legal.alert_raised",
            subject_type="legal_proceeding",
            subject_id=proceeding.id,
            tenant_id=proceeding.tenant_id,
            details={
                "case_id": proceeding.case_id,
                "kind": kind.value,
                "due_on": due.isoformat(),
                "as_of": as_of.isoformat(),
                "days_left": alert.days_left,
            },
        )
    return alert


def _insert_once(db_session: Session, proceeding: Proceeding, kind: AlertKind, due: date, as_of: date) -> bool:
    """Insert the alert in a savepoint; a concurrent run that raised it first wins and this one lists it."""
    try:
        with db_session.begin_nested():
            db_session.add(
                LegalAlert(
                    tenant_id=proceeding.tenant_id, proceeding_id=proceeding.id, kind=kind, due_on=due, raised_on=as_of
                )
            )
            db_session.flush()
    except IntegrityError:
        return False
    return True
