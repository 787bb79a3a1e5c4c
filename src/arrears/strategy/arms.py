"""Champion versus challenger: what each arm's cases went on to do, with confidence intervals.

A case belongs to the arm it entered first in the period (arms are sticky by
construction, so it is the arm it stayed in). Outcomes, each a share of the
arm's cases:

- ``recovered``: a payment (not reversed) was received in the period;
- ``cured``: the case is closed at the end of the period (nothing overdue);
- ``complained``: a complaint was received about the case in the period.

Cost is reported as actions created per case (a mean, not a proportion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Subquery, func, select
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
    actions_per_case: dict[Arm, float]
    comparisons: dict[str, ArmComparison]
    """outcome -> comparison (absent when an arm has no cases)"""


def _first_states(tenant_id: int, start: date, end: date) -> Subquery:
    """Each case of the tenant in a policy state during the period, with its first such state's row id.

    Later queries select from this subquery instead of binding a list of case ids:
    a large book has more cases than a statement may carry parameters.
    """
    return (
        select(CaseStateHistory.case_id, func.min(CaseStateHistory.id).label("first_id"))
        .join(Case, Case.id == CaseStateHistory.case_id)
        .where(Case.tenant_id == tenant_id, CaseStateHistory.entered_on <= end)
        .where((CaseStateHistory.left_on.is_(None)) | (CaseStateHistory.left_on >= start))
        .group_by(CaseStateHistory.case_id)
        .subquery()
    )


def _arms(db_session: Session, first: Subquery) -> dict[int, Arm]:
    rows = db_session.execute(
        select(CaseStateHistory.case_id, CaseStateHistory.arm).join(first, first.c.first_id == CaseStateHistory.id)
    )
    return {row.case_id: row.arm for row in rows}


def _paid(db_session: Session, case_ids: Select[tuple[int]], start: date, end: date) -> set[int]:
    stmt = (
        select(Case.id)
        .join(Loan, (Loan.borrower_id == Case.borrower_id) & (Loan.tenant_id == Case.tenant_id))
        .join(Payment, Payment.loan_id == Loan.id)
        .where(Case.id.in_(case_ids), Payment.reversed_at.is_(None))
        .where(Payment.value_date >= start, Payment.value_date <= end)
        .distinct()
    )
    return set(db_session.scalars(stmt))


def _complained(db_session: Session, case_ids: Select[tuple[int]], start: date, end: date) -> set[int]:
    since = datetime.combine(start, time(0), tzinfo=ZoneInfo("UTC"))
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=ZoneInfo("UTC"))
    stmt = select(Complaint.case_id).where(
        Complaint.case_id.in_(case_ids), Complaint.received_at >= since, Complaint.received_at < until
    )
    return set(db_session.scalars(stmt))


def compare(*, db_session: Session, tenant_id: int, start: date, end: date) -> ArmReport:
    """Each outcome's rate per arm, and the challenger's difference from the champion with a 95% interval."""
    if end < start:
        raise InvalidInput(f"the period ends ({end}) before it starts ({start})", where="--to")
    first = _first_states(tenant_id, start, end)
    arms = _arms(db_session, first)
    ids = select(first.c.case_id)
    outcome_cases = {
        "recovered": _paid(db_session, ids, start, end),
        "cured": set(db_session.scalars(select(Case.id).where(Case.id.in_(ids), Case.status == CaseStatus.CLOSED))),
        "complained": _complained(db_session, ids, start, end),
    }
    actions = dict(
        db_session.execute(
            select(CollectionAction.arm, func.count())
            .where(CollectionAction.case_id.in_(ids), CollectionAction.as_of >= start, CollectionAction.as_of <= end)
            .group_by(CollectionAction.arm)
        ).all()
    )
    cases = {arm: sum(1 for a in arms.values() if a is arm) for arm in Arm}
    comparisons = {}
    if all(cases.values()):
        for outcome, hits in outcome_cases.items():
            counts = {arm: sum(1 for case_id in hits if arms[case_id] is arm) for arm in Arm}
            comparisons[outcome] = compare_arms(
                ArmCounts(Arm.CHAMPION, counts[Arm.CHAMPION], cases[Arm.CHAMPION]),
                ArmCounts(Arm.CHALLENGER, counts[Arm.CHALLENGER], cases[Arm.CHALLENGER]),
            )
    per_case = {arm: (actions.get(arm, 0) / cases[arm]) if cases[arm] else 0.0 for arm in Arm}
    return ArmReport(start, end, cases, per_case, comparisons)
