"""Champion versus challenger: what each arm's cases went on to do, with confidence intervals.

A case belongs to the arm it entered first in the period (arms are sticky by
construction, so it is the arm it stayed in). Outcomes, each a share of the
arm's cases:

- ``recovered``: a payment (not reversed) valued in the period, on a loan of the case's borrower;
- ``cured``: the case is closed at the end of the period (nothing overdue);
- ``complained``: a complaint was received about the case in the period.

Cost is reported as actions created per case (a mean, not a proportion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, Subquery, case, cast, func, select
from sqlalchemy.orm import Session

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.compliance.models import Complaint
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, Payment
from arrears.strategy.enums import Arm
from arrears.strategy.experiment import ArmComparison, ArmCounts, compare_arms
from arrears.strategy.models import CaseStateHistory, CollectionAction

OUTCOMES = ("recovered", "cured", "complained")


@dataclass(frozen=True)
class ArmReport:
    start: date
    end: date
    cases: dict[Arm, int]
    comparisons: dict[str, ArmComparison]
    """outcome -> comparison (absent when an arm has no cases)"""


ARMS = tuple(Arm)


def _first_arms(start: date, end: date) -> Subquery:
    """Each case in a policy state during the period, with the arm of its first such state (the lowest row id).

    The arm rides along the row id in one number, ``id * len(ARMS) + the arm's
    index``, whose minimum is that of the first state: one pass over the states,
    no second look-up of the first one. The states are grouped before the join to
    the tenant's cases: grouping the states alone lets PostgreSQL share the work
    between its workers, which the join first and then the group did not.
    """
    arm_index = case(*((CaseStateHistory.arm == arm, index) for index, arm in enumerate(ARMS)), else_=0)
    first = func.min(cast(CaseStateHistory.id, BigInteger) * len(ARMS) + arm_index)
    return (
        select(CaseStateHistory.case_id, (first % len(ARMS)).label("arm_index"))
        .where(CaseStateHistory.entered_on <= end)
        .where((CaseStateHistory.left_on.is_(None)) | (CaseStateHistory.left_on >= start))
        .group_by(CaseStateHistory.case_id)
        .subquery()
    )


def paid_cases(tenant_id: int, start: date, end: date) -> Select[Any]:
    """The tenant's cases with a payment (not reversed) valued in the period on a loan of their borrower, from the
    book: one scan of the period's payments. A case paying twice is listed twice: the ids are for ``IN``, which
    does not need them distinct.
    """
    return (
        select(Case.id.label("case_id"))
        .join(Loan, (Loan.borrower_id == Case.borrower_id) & (Loan.tenant_id == Case.tenant_id))
        .join(Payment, Payment.loan_id == Loan.id)
        .where(Case.tenant_id == tenant_id, Payment.reversed_at.is_(None))
        .where(Payment.value_date >= start, Payment.value_date <= end)
    )


def _complained(start: date, end: date) -> Select[Any]:
    since = datetime.combine(start, time(0), tzinfo=ZoneInfo("UTC"))
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=ZoneInfo("UTC"))
    return select(Complaint.case_id).where(Complaint.received_at >= since, Complaint.received_at < until)


def compare(
    *, db_session: Session, tenant_id: int, start: date, end: date, paid: Select[Any] | None = None
) -> ArmReport:
    """Each outcome's rate per arm, and the challenger's difference from the champion with a 95% interval.

    One statement counts each arm's cases and outcomes (no case id leaves the
    database): each outcome is a filtered count whose set of case ids the
    database hashes once, rather than a join per outcome that needs its ids made
    distinct first. ``paid`` selects the ids (column ``case_id``) of the cases
    with a payment in the period: :func:`paid_cases` from the book unless given
    (the analytics give the same ids from their daily aggregates).
    """
    _check_period(start, end)
    first = _first_arms(start, end)
    recovered = paid if paid is not None else paid_cases(tenant_id, start, end)
    counted = db_session.execute(
        select(
            first.c.arm_index,
            func.count(),
            func.count().filter(first.c.case_id.in_(recovered)),
            func.count().filter(Case.status == CaseStatus.CLOSED),
            func.count().filter(first.c.case_id.in_(_complained(start, end))),
        )
        .join(Case, Case.id == first.c.case_id)
        .where(Case.tenant_id == tenant_id)
        .group_by(first.c.arm_index)
    ).all()
    cases = dict.fromkeys(Arm, 0)
    hits: dict[str, dict[Arm, int]] = {outcome: dict.fromkeys(Arm, 0) for outcome in OUTCOMES}
    for index, total, paid_count, closed, complaints in counted:
        arm = ARMS[index]
        cases[arm] = total
        hits["recovered"][arm], hits["cured"][arm], hits["complained"][arm] = paid_count, closed, complaints
    comparisons = {}
    if all(cases.values()):
        for outcome, counts in hits.items():
            comparisons[outcome] = compare_arms(
                ArmCounts(Arm.CHAMPION, counts[Arm.CHAMPION], cases[Arm.CHAMPION]),
                ArmCounts(Arm.CHALLENGER, counts[Arm.CHALLENGER], cases[Arm.CHALLENGER]),
            )
    return ArmReport(start, end, cases, comparisons)


def actions_per_case(*, db_session: Session, report: ArmReport, tenant_id: int) -> dict[Arm, float]:
    """The cost side of the comparison: actions created in the report's period, by the arm that created them, on
    the cases counted in it, per case of that arm (a mean, not a proportion: no interval).
    """
    first = _first_arms(report.start, report.end)
    counted = select(first.c.case_id).join(Case, Case.id == first.c.case_id).where(Case.tenant_id == tenant_id)
    actions = dict(
        db_session.execute(
            select(CollectionAction.arm, func.count())
            .where(
                CollectionAction.case_id.in_(counted),
                CollectionAction.as_of >= report.start,
                CollectionAction.as_of <= report.end,
            )
            .group_by(CollectionAction.arm)
        ).all()
    )
    return {arm: (actions.get(arm, 0) / total) if total else 0.0 for arm, total in report.cases.items()}


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(f"the period ends ({end}) before it starts ({start})", where="--to")
