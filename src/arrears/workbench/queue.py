"""Today's queue of one collector (or of a team), as the end-of-day run ranked it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, select, type_coerce
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.contact.models import ContactAttempt
from arrears.db.base import Money, utcnow
from arrears.ledger.models import Loan, LoanPosition
from arrears.portfolio.models import Borrower
from arrears.strategy.models import CaseStrategy, QueueEntry


@dataclass(frozen=True)
class QueueRow:
    rank: int
    case_id: int
    user_id: int
    borrower_name: str
    state: str | None
    days_past_due: int
    overdue_total: Decimal
    expected_value: Decimal
    promise_due_today: bool
    not_before: datetime | None
    worked_today: bool

    def waiting(self, now: datetime) -> bool:
        """The guard's earliest time for this case has not come yet."""
        return self.not_before is not None and self.not_before > now


def queue_rows(
    *, db_session: Session, day: date, scope: ColumnElement[bool], day_start: datetime, limit: int = 500
) -> list[QueueRow]:
    """The queue entries of ``day`` for the cases ``scope`` keeps, in working order.

    ``day_start`` is the start of the working day in UTC: a contact since then marks
    the case as worked today.
    """
    queued_borrowers = (
        select(Case.borrower_id).join(QueueEntry, QueueEntry.case_id == Case.id).where(QueueEntry.as_of == day, scope)
    )
    worst = (
        select(
            Loan.borrower_id.label("borrower_id"),
            func.max(LoanPosition.days_past_due).label("dpd"),
            func.sum(
                LoanPosition.overdue_principal + LoanPosition.overdue_interest + LoanPosition.overdue_charges
            ).label("overdue"),
        )
        .join(LoanPosition, LoanPosition.loan_id == Loan.id)
        # Only the queued borrowers: without this the figures of the whole portfolio are summed on every page load.
        .where(Loan.borrower_id.in_(queued_borrowers))
        .group_by(Loan.borrower_id)
        .subquery()
    )
    worked = exists().where(ContactAttempt.case_id == QueueEntry.case_id, ContactAttempt.attempted_at >= day_start)
    rows = db_session.execute(
        select(
            QueueEntry,
            Borrower.name,
            CaseStrategy.state,
            func.coalesce(worst.c.dpd, 0),
            type_coerce(func.coalesce(worst.c.overdue, 0), Money()),
            worked,
        )
        .join(Case, Case.id == QueueEntry.case_id)
        .join(Borrower, Borrower.id == Case.borrower_id)
        .outerjoin(CaseStrategy, CaseStrategy.case_id == Case.id)
        .outerjoin(worst, worst.c.borrower_id == Case.borrower_id)
        .where(and_(QueueEntry.as_of == day, scope))
        .order_by(QueueEntry.user_id, QueueEntry.rank)
        .limit(limit)
    ).all()
    return [
        QueueRow(
            rank=entry.rank,
            case_id=entry.case_id,
            user_id=entry.user_id,
            borrower_name=name,
            state=state,
            days_past_due=int(dpd),
            overdue_total=overdue,
            expected_value=entry.expected_value,
            promise_due_today=entry.promise_due_today,
            not_before=entry.not_before,
            worked_today=bool(done),
        )
        for entry, name, state, dpd, overdue, done in rows
    ]


def next_case(rows: Sequence[QueueRow], now: datetime | None = None) -> QueueRow | None:
    """The next best case: the first not worked today whose guard time has come."""
    moment = now or utcnow()
    for row in rows:
        if not row.worked_today and not row.waiting(moment):
            return row
    return None
