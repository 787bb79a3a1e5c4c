"""What the policy decides on: a case's facts at an as-of date, read from the database.

The end-of-day run builds these in bulk; :func:`load_case_facts` builds one
case's, for ``arrears policy explain`` and for tests. Both must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.contact.enums import Outcome, PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.models import BucketHistory
from arrears.errors import NotFound
from arrears.ledger.models import Loan, LoanPosition, Product
from arrears.strategy.enums import Quadrant
from arrears.strategy.models import CaseSegment

BROKEN_PROMISE_WINDOW_DAYS = 30
HABITUAL_LATE_ENTRIES = 3
"""A borrower whose loans entered delinquency this many times in a year is a habitual late payer."""


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: int
    as_of: date
    days_past_due: int
    bucket: str | None
    overdue_total: Decimal
    balance: Decimal
    product_codes: frozenset[str] = frozenset()
    quadrant: Quadrant | None = None
    cost_of_default: int | None = None
    propensity: Decimal | None = None
    persona: str | None = None
    reason: str | None = None
    active_holds: frozenset[HoldType] = frozenset()
    promise_open: bool = False
    promise_due_today: bool = False
    broken_promises: int = 0
    last_outcome: Outcome | None = None
    failed_attempts: int = 0
    habitual_late: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def load_case_facts(*, db_session: Session, case_id: int, as_of: date) -> CaseFacts:
    """One case's facts at the end of ``as_of`` (positions are those of the last pass)."""
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    positions = db_session.execute(
        select(LoanPosition, Product.code)
        .join(Loan, Loan.id == LoanPosition.loan_id)
        .join(Product, Product.id == Loan.product_id)
        .where(Loan.borrower_id == case.borrower_id, Loan.tenant_id == case.tenant_id)
    ).all()
    worst = max((row[0] for row in positions), key=lambda p: p.days_past_due, default=None)
    segment = db_session.scalars(
        select(CaseSegment)
        .where(CaseSegment.case_id == case_id, CaseSegment.as_of <= as_of)
        .order_by(CaseSegment.as_of.desc())
    ).first()
    promises = list(db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == case_id)))
    since = as_of - timedelta(days=BROKEN_PROMISE_WINDOW_DAYS)
    return CaseFacts(
        case_id=case_id,
        as_of=as_of,
        days_past_due=worst.days_past_due if worst else 0,
        bucket=worst.bucket if worst else None,
        overdue_total=sum((row[0].overdue_total for row in positions), Decimal("0.00")),
        balance=sum((row[0].payoff_amount for row in positions), Decimal("0.00")),
        product_codes=frozenset(row[1] for row in positions),
        quadrant=segment.quadrant if segment else None,
        cost_of_default=segment.cost_of_default if segment else None,
        propensity=segment.propensity if segment else None,
        persona=segment.persona if segment else None,
        reason=segment.reason if segment else None,
        active_holds=_active_holds(db_session, case_id, as_of),
        promise_open=any(p.status is PromiseStatus.OPEN and p.due_on >= as_of for p in promises),
        promise_due_today=any(p.status is PromiseStatus.OPEN and p.due_on == as_of for p in promises),
        broken_promises=sum(
            1 for p in promises if p.status is PromiseStatus.BROKEN and (p.resolved_on or p.due_on) >= since
        ),
        last_outcome=_last_outcome(db_session, case_id, as_of),
        failed_attempts=_failed_attempts_since_contact(db_session, case_id, as_of),
        habitual_late=_entries_in_year(db_session, case, as_of) >= HABITUAL_LATE_ENTRIES,
    )


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC days: the run's as-of date is a calendar day of the tenant)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _active_holds(db_session: Session, case_id: int, as_of: date) -> frozenset[HoldType]:
    holds = db_session.scalars(
        select(Hold.type).where(
            Hold.case_id == case_id,
            Hold.lifted_at.is_(None),
            Hold.starts_on <= as_of,
            (Hold.ends_on.is_(None)) | (Hold.ends_on >= as_of),
        )
    )
    return frozenset(holds)


def _last_outcome(db_session: Session, case_id: int, as_of: date) -> Outcome | None:
    return db_session.scalars(
        select(ContactAttempt.outcome)
        .where(ContactAttempt.case_id == case_id, ContactAttempt.attempted_at < _end_of(as_of))
        .order_by(ContactAttempt.attempted_at.desc())
        .limit(1)
    ).first()


def _failed_attempts_since_contact(db_session: Session, case_id: int, as_of: date) -> int:
    """Attempts to the debtor since the last one that reached them (connected), up to ``as_of``."""
    outcomes = db_session.execute(
        select(ContactAttempt.connected)
        .where(ContactAttempt.case_id == case_id, ContactAttempt.third_party_id.is_(None))
        .where(ContactAttempt.attempted_at < _end_of(as_of))
        .order_by(ContactAttempt.attempted_at.desc())
    ).scalars()
    failed = 0
    for connected in outcomes:
        if connected:
            break
        failed += 1
    return failed


def _entries_in_year(db_session: Session, case: Case, as_of: date) -> int:
    return (
        db_session.scalar(
            select(func.count())
            .select_from(BucketHistory)
            .join(Loan, Loan.id == BucketHistory.loan_id)
            .where(
                Loan.borrower_id == case.borrower_id,
                BucketHistory.dpd_at_entry <= 1,
                BucketHistory.entered_on > as_of - timedelta(days=365),
                BucketHistory.entered_on <= as_of,
            )
        )
        or 0
    )
