"""The supervisor's day, read side: load per collector, the day's recovery, blocks and complaints.

Every query takes the cases the caller reaches as a clause on :class:`Case` (the web
passes ``case_clause(principal)``) and the team whose collectors it shows (None: the
whole tenant), so a team lead sees their team and operations the tenant. The
changes (reassign, cap) are :mod:`arrears.strategy.supervision`'s; this module only
checks that the collector named is one the caller may hand work to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, String, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.compliance.enums import OPEN_COMPLAINT_STATUSES
from arrears.compliance.models import Complaint
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.db.base import Money
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, Payment
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.strategy.models import QueueEntry

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Day:
    """One working day of the tenant: its date and its bounds in UTC (``start <= t < end``)."""

    on: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CollectorLoad:
    """Where one collector stands today."""

    user_id: int
    username: str
    display_name: str
    staff_number: str
    cap: int | None
    queued: int
    worked: int
    promises_due: int
    promised_amount: Decimal

    @property
    def over_cap(self) -> bool:
        return self.cap is not None and self.queued > self.cap


@dataclass(frozen=True)
class DayRecovery:
    """Money in today against what was promised for today, on the cases in scope.

    There is no daily recovery target in the book yet, so the day is measured against
    the promises due today: ``paid`` is every payment received today (not reversed),
    ``promised`` the amount of the promises due today, ``promised_paid`` what those
    promises have brought in so far.
    """

    paid: Decimal
    payments: int
    promised: Decimal
    promises: int
    promised_paid: Decimal

    @property
    def share_of_promised(self) -> Decimal | None:
        """Paid today as a share of the amount promised for today (None when nothing was promised)."""
        if self.promised == ZERO:
            return None
        return (self.paid / self.promised).quantize(Decimal("0.001"))


@dataclass(frozen=True)
class BlockedContact:
    """A contact the guard refused today, from its audit entry."""

    at: datetime
    case_id: int
    actor: str
    channel: str
    rules: list[str]
    next_allowed_at: str | None


def collectors(*, db_session: Session, tenant_id: int, team_id: int | None) -> list[User]:
    """The active collectors of ``team_id`` (None: of the tenant), by staff number."""
    stmt = select(User).where(User.tenant_id == tenant_id, User.role == Role.COLLECTOR, User.active.is_(True))
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(db_session.scalars(stmt.order_by(User.staff_number, User.id)))


def collector_in_scope(*, db_session: Session, tenant_id: int, team_id: int | None, user_id: int) -> User:
    """The collector ``user_id`` when the caller may give them work: in the team (or the tenant), active."""
    user = db_session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise InvalidInput(f"there is no collector {user_id} in this tenant", where="collector")
    if team_id is not None and user.team_id != team_id:
        raise InvalidInput(
            f"{user.display_name} ({user.username}) is not a member of your team",
            where="collector",
            hint="you can give cases and set caps only within your own team",
        )
    if user.role is not Role.COLLECTOR or not user.active:
        raise InvalidInput(f"{user.display_name} ({user.username}) is not an active collector", where="collector")
    return user


def collector_loads(*, db_session: Session, tenant_id: int, team_id: int | None, day: Day) -> list[CollectorLoad]:
    """Per collector: cases in the day's queue, cases worked today, the cap, promises due today on their cases."""
    people = collectors(db_session=db_session, tenant_id=tenant_id, team_id=team_id)
    ids = [user.id for user in people]
    if not ids:
        return []
    queued: dict[int, int] = {
        user_id: int(count)
        for user_id, count in db_session.execute(
            select(QueueEntry.user_id, func.count())
            .where(QueueEntry.as_of == day.on, QueueEntry.user_id.in_(ids))
            .group_by(QueueEntry.user_id)
        )
    }
    worked: dict[int | None, int] = {
        user_id: int(count)
        for user_id, count in db_session.execute(
            select(ContactAttempt.user_id, func.count(func.distinct(ContactAttempt.case_id)))
            .where(
                ContactAttempt.user_id.in_(ids),
                ContactAttempt.attempted_at >= day.start,
                ContactAttempt.attempted_at < day.end,
            )
            .group_by(ContactAttempt.user_id)
        )
    }
    promises: dict[int | None, tuple[int, Decimal]] = {
        user_id: (int(count), amount or ZERO)
        for user_id, count, amount in db_session.execute(
            select(
                CaseAssignment.user_id,
                func.count(PromiseToPay.id),
                type_coerce(func.sum(PromiseToPay.amount), Money()),
            )
            .join(CaseAssignment, CaseAssignment.case_id == PromiseToPay.case_id)
            .where(
                CaseAssignment.ended_at.is_(None),
                CaseAssignment.user_id.in_(ids),
                PromiseToPay.due_on == day.on,
                PromiseToPay.status == PromiseStatus.OPEN,
            )
            .group_by(CaseAssignment.user_id)
        )
    }
    return [
        CollectorLoad(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            staff_number=user.staff_number,
            cap=user.daily_case_cap,
            queued=queued.get(user.id, 0),
            worked=worked.get(user.id, 0),
            promises_due=promises.get(user.id, (0, ZERO))[0],
            promised_amount=promises.get(user.id, (0, ZERO))[1],
        )
        for user in people
    ]


def day_recovery(*, db_session: Session, cases: ColumnElement[bool], day: Day) -> DayRecovery:
    """Payments received today on the loans of the cases in scope, against the promises due today on them."""
    borrowers = select(Case.borrower_id).where(cases)
    paid_count, paid = db_session.execute(
        select(func.count(Payment.id), type_coerce(func.sum(Payment.amount), Money()))
        .join(Loan, Loan.id == Payment.loan_id)
        .where(
            Loan.borrower_id.in_(borrowers),
            Payment.received_at >= day.start,
            Payment.received_at < day.end,
            Payment.reversed_at.is_(None),
        )
    ).one()
    promise_count, promised, promised_paid = db_session.execute(
        select(
            func.count(PromiseToPay.id),
            type_coerce(func.sum(PromiseToPay.amount), Money()),
            type_coerce(func.sum(PromiseToPay.amount_paid), Money()),
        ).where(
            PromiseToPay.case_id.in_(select(Case.id).where(cases)),
            PromiseToPay.due_on == day.on,
            PromiseToPay.status != PromiseStatus.CANCELLED,
        )
    ).one()
    return DayRecovery(
        paid=paid or ZERO,
        payments=int(paid_count),
        promised=promised or ZERO,
        promises=int(promise_count),
        promised_paid=promised_paid or ZERO,
    )


def blocked_contacts(
    *, db_session: Session, tenant_id: int, cases: ColumnElement[bool], day: Day, limit: int = 200
) -> list[BlockedContact]:
    """The guard's refusals today on the cases in scope, newest first (from the audit log)."""
    case_ids = select(cast(Case.id, String(64))).where(cases)
    entries = db_session.scalars(
        select(AuditRecord)
        .where(
            AuditRecord.tenant_id == tenant_id,
            AuditRecord.action == "contact.blocked",
            AuditRecord.subject_type == "case",
            AuditRecord.subject_id.in_(case_ids),
            AuditRecord.occurred_at >= day.start,
            AuditRecord.occurred_at < day.end,
        )
        .order_by(AuditRecord.seq.desc())
        .limit(limit)
    )
    return [
        BlockedContact(
            at=entry.occurred_at,
            case_id=int(entry.subject_id or 0),
            actor=entry.actor,
            channel=str(entry.details.get("channel", "")),
            rules=[str(v.get("rule")) for v in entry.details.get("violations", []) if isinstance(v, dict)],
            next_allowed_at=entry.details.get("next_allowed_at"),
        )
        for entry in entries
    ]


def open_complaints(*, db_session: Session, tenant_id: int, cases: ColumnElement[bool]) -> list[Complaint]:
    """Open complaints on the cases in scope, the nearest deadline first."""
    stmt = (
        select(Complaint)
        .where(
            Complaint.tenant_id == tenant_id,
            Complaint.status.in_(OPEN_COMPLAINT_STATUSES),
            Complaint.case_id.in_(select(Case.id).where(cases)),
        )
        .order_by(Complaint.due_at, Complaint.id)
    )
    return list(db_session.scalars(stmt))


def parse_case_ids(text: str) -> list[int]:
    """Case numbers typed as ``12, 13 14``: each once, in the order given."""
    found: list[int] = []
    for part in text.replace(",", " ").replace("，", " ").split():
        if not part.isdigit():
            raise InvalidInput(f"'{part}' is not a case number", where="case_ids", hint="type numbers like 12, 13")
        number = int(part)
        if number not in found:
            found.append(number)
    if not found:
        raise InvalidInput("name at least one case", where="case_ids")
    return found
