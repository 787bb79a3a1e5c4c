"""What the policy decides on: each case's facts at an as-of date, read from the database in bulk.

:func:`read_facts` reads a whole range of case ids with a handful of grouped
queries (the end-of-day run calls it per partition); :func:`load_case_facts`
is the same reader on a one-case range, so an explanation can never disagree
with the run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, and_, func, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.contact.enums import Outcome, PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.models import BucketHistory
from arrears.errors import NotFound
from arrears.ledger.models import Loan, LoanPosition, Product
from arrears.money import from_minor
from arrears.strategy.definitions import DELINQUENCY_ENTRY_MAX_DPD, HABITUAL_LATE_ENTRIES
from arrears.strategy.enums import Quadrant
from arrears.strategy.models import CaseSegment

BROKEN_PROMISE_WINDOW_DAYS = 30
ZERO = Decimal("0.00")


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


@dataclass(slots=True)
class _Partial:
    days_past_due: int = 0
    bucket: str | None = None
    overdue_total: Decimal = ZERO
    balance: Decimal = ZERO
    products: set[str] = field(default_factory=set)


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC days: the run's as-of date is a calendar day of the tenant)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _in(column: InstrumentedAttribute[int], case_ids: range) -> ColumnElement[bool]:
    return and_(column >= case_ids.start, column < case_ids.stop)


def read_facts(*, db_session: Session, tenant_id: int, as_of: date, case_ids: range) -> list[CaseFacts]:
    """The facts of the tenant's open cases with ids in ``case_ids``, ordered by case id."""
    cases = dict(
        db_session.execute(
            select(Case.id, Case.borrower_id)
            .where(Case.tenant_id == tenant_id, Case.status == CaseStatus.OPEN)
            .where(_in(Case.id, case_ids))
        ).all()
    )
    if not cases:
        return []
    positions = _positions(db_session, tenant_id, case_ids)
    segments = _segments(db_session, case_ids, as_of)
    holds = _holds(db_session, case_ids, as_of)
    promises = _promises(db_session, case_ids, as_of)
    outcomes = _contact_outcomes(db_session, case_ids, as_of)
    late = _late_entries(db_session, tenant_id, case_ids, as_of)
    facts = []
    for case_id in sorted(cases):
        position = positions.get(case_id, _Partial())
        segment = segments.get(case_id)
        open_, due_today, broken = promises.get(case_id, (False, False, 0))
        last_outcome, failed = outcomes.get(case_id, (None, 0))
        facts.append(
            CaseFacts(
                case_id=case_id,
                as_of=as_of,
                days_past_due=position.days_past_due,
                bucket=position.bucket,
                overdue_total=position.overdue_total,
                balance=position.balance,
                product_codes=frozenset(position.products),
                quadrant=segment.quadrant if segment else None,
                cost_of_default=segment.cost_of_default if segment else None,
                propensity=segment.propensity if segment else None,
                persona=segment.persona if segment else None,
                reason=segment.reason if segment else None,
                active_holds=frozenset(holds.get(case_id, ())),
                promise_open=open_,
                promise_due_today=due_today,
                broken_promises=broken,
                last_outcome=last_outcome,
                failed_attempts=failed,
                habitual_late=late.get(case_id, 0) >= HABITUAL_LATE_ENTRIES,
            )
        )
    return facts


def load_case_facts(*, db_session: Session, case_id: int, as_of: date) -> CaseFacts:
    """One case's facts at the end of ``as_of`` (positions are those of the last pass)."""
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    found = read_facts(
        db_session=db_session, tenant_id=case.tenant_id, as_of=as_of, case_ids=range(case_id, case_id + 1)
    )
    if not found:
        return CaseFacts(case_id=case_id, as_of=as_of, days_past_due=0, bucket=None, overdue_total=ZERO, balance=ZERO)
    return found[0]


def _positions(db_session: Session, tenant_id: int, case_ids: range) -> dict[int, _Partial]:
    """The worst loan's DPD and bucket, the sums and the products of each case; money summed in cents."""
    cents = BigInteger()
    overdue = LoanPosition.overdue_principal + LoanPosition.overdue_interest + LoanPosition.overdue_charges
    stmt = (
        select(
            Case.id,
            LoanPosition.days_past_due,
            LoanPosition.bucket,
            type_coerce(overdue, cents),
            type_coerce(LoanPosition.payoff_amount, cents),
            Product.code,
        )
        .join(Loan, (Loan.borrower_id == Case.borrower_id) & (Loan.tenant_id == Case.tenant_id))
        .join(LoanPosition, LoanPosition.loan_id == Loan.id)
        .join(Product, Product.id == Loan.product_id)
        .where(Case.tenant_id == tenant_id)
    )
    found: dict[int, _Partial] = {}
    sums: dict[int, list[int]] = {}
    for case_id, dpd, bucket, overdue_cents, payoff_cents, product in db_session.execute(
        stmt.where(_in(Case.id, case_ids))
    ):
        partial = found.get(case_id)
        if partial is None:
            partial = found[case_id] = _Partial()
            sums[case_id] = [0, 0]
        if dpd > partial.days_past_due:
            partial.days_past_due, partial.bucket = dpd, bucket
        total = sums[case_id]
        total[0] += overdue_cents
        total[1] += payoff_cents
        partial.products.add(product)
    for case_id, (overdue_cents, payoff_cents) in sums.items():
        partial = found[case_id]
        partial.overdue_total, partial.balance = from_minor(overdue_cents), from_minor(payoff_cents)
    return found


@dataclass(frozen=True, slots=True)
class _Segment:
    quadrant: Quadrant
    cost_of_default: int
    propensity: Decimal
    persona: str | None
    reason: str | None


def _segments(db_session: Session, case_ids: range, as_of: date) -> dict[int, _Segment]:
    """Each case's latest segment on or before ``as_of`` (only the columns the facts use)."""
    latest = (
        select(CaseSegment.case_id, func.max(CaseSegment.as_of).label("day"))
        .where(_in(CaseSegment.case_id, case_ids))
        .where(CaseSegment.as_of <= as_of)
        .group_by(CaseSegment.case_id)
        .subquery()
    )
    stmt = select(
        CaseSegment.case_id,
        CaseSegment.quadrant,
        CaseSegment.cost_of_default,
        CaseSegment.propensity,
        CaseSegment.persona,
        CaseSegment.reason,
    ).join(latest, (latest.c.case_id == CaseSegment.case_id) & (latest.c.day == CaseSegment.as_of))
    return {
        case_id: _Segment(quadrant, cost, propensity, persona, reason)
        for case_id, quadrant, cost, propensity, persona, reason in db_session.execute(stmt)
    }


def _holds(db_session: Session, case_ids: range, as_of: date) -> dict[int, set[HoldType]]:
    stmt = select(Hold.case_id, Hold.type).where(
        Hold.lifted_at.is_(None),
        Hold.starts_on <= as_of,
        (Hold.ends_on.is_(None)) | (Hold.ends_on >= as_of),
    )
    found: dict[int, set[HoldType]] = defaultdict(set)
    for case_id, hold_type in db_session.execute(stmt.where(_in(Hold.case_id, case_ids))):
        found[case_id].add(hold_type)
    return found


def _promises(db_session: Session, case_ids: range, as_of: date) -> dict[int, tuple[bool, bool, int]]:
    since = as_of - timedelta(days=BROKEN_PROMISE_WINDOW_DAYS)
    # Only open and broken promises can count; the rest are left in the database.
    stmt = select(PromiseToPay.case_id, PromiseToPay.status, PromiseToPay.due_on, PromiseToPay.resolved_on).where(
        PromiseToPay.status.in_((PromiseStatus.OPEN, PromiseStatus.BROKEN))
    )
    found: dict[int, tuple[bool, bool, int]] = {}
    for case_id, status, due_on, resolved_on in db_session.execute(stmt.where(_in(PromiseToPay.case_id, case_ids))):
        open_, due_today, broken = found.get(case_id, (False, False, 0))
        if status is PromiseStatus.OPEN and due_on >= as_of:
            open_ = True
            due_today = due_today or due_on == as_of
        if status is PromiseStatus.BROKEN and since <= (resolved_on or due_on) <= as_of:
            broken += 1
        found[case_id] = (open_, due_today, broken)
    return found


def _contact_outcomes(db_session: Session, case_ids: range, as_of: date) -> dict[int, tuple[Outcome | None, int]]:
    """The last outcome, and the attempts to the debtor since the last one that reached them."""
    stmt = (
        select(ContactAttempt.case_id, ContactAttempt.outcome, ContactAttempt.connected, ContactAttempt.third_party_id)
        .where(ContactAttempt.attempted_at < _end_of(as_of))
        .order_by(ContactAttempt.case_id, ContactAttempt.attempted_at.desc(), ContactAttempt.id.desc())
    )
    found: dict[int, tuple[Outcome | None, int]] = {}
    reached: set[int] = set()
    for case_id, outcome, connected, third_party_id in db_session.execute(
        stmt.where(_in(ContactAttempt.case_id, case_ids))
    ):
        last, failed = found.get(case_id, (outcome, 0))
        if third_party_id is None and case_id not in reached:
            if connected:
                reached.add(case_id)
            else:
                failed += 1
        found[case_id] = (last, failed)
    return found


def _late_entries(db_session: Session, tenant_id: int, case_ids: range, as_of: date) -> dict[int, int]:
    """How often in the last year each case's borrower fell overdue (entries into delinquency)."""
    stmt = (
        select(Case.id, func.count())
        .join(Loan, (Loan.borrower_id == Case.borrower_id) & (Loan.tenant_id == Case.tenant_id))
        .join(BucketHistory, BucketHistory.loan_id == Loan.id)
        .where(
            Case.tenant_id == tenant_id,
            BucketHistory.dpd_at_entry <= DELINQUENCY_ENTRY_MAX_DPD,
            BucketHistory.entered_on > as_of - timedelta(days=365),
            BucketHistory.entered_on <= as_of,
        )
        .group_by(Case.id)
    )
    return {row[0]: int(row[1]) for row in db_session.execute(stmt.where(_in(Case.id, case_ids)))}
