"""Keeping cases in step with the ledger. Never commits.

A case (案件) is open while its borrower owes anything overdue on any loan of the
tenant, and closed once nothing is: collectors work cases, not loans, so this is
what puts a newly delinquent borrower in front of someone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, literal, or_, select, update
from sqlalchemy.orm import Session

from arrears import audit
from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.db.base import utcnow
from arrears.ledger.models import Loan, LoanPosition

BATCH = 5000


@dataclass
class CaseChanges:
    opened: int = 0
    reopened: int = 0
    closed: int = 0


def sync_with_positions(
    *,
    db_session: Session,
    as_of: date,
    actor: str,
    tenant_id: int | None = None,
    borrower_ids: Collection[int] | None = None,
) -> CaseChanges:
    """Open, reopen or close cases from the loan positions of the last pass.

    ``tenant_id`` and ``borrower_ids`` narrow the work (a single payment touches one
    borrower); without them every case is checked. Each change is one set-wise
    statement that returns the cases it touched (for their audit entries): a book's
    borrowers never travel to Python and back.
    """
    owing = select(Loan.tenant_id, Loan.borrower_id).join(LoanPosition, LoanPosition.loan_id == Loan.id)
    owing = owing.where(or_(LoanPosition.days_past_due > 0, LoanPosition.overdue_charges > 0))
    cases_in_scope: list[Any] = []
    if tenant_id is not None:
        owing = owing.where(Loan.tenant_id == tenant_id)
        cases_in_scope.append(Case.tenant_id == tenant_id)
    if borrower_ids is not None:
        borrowers = sorted(set(borrower_ids))
        owing = owing.where(Loan.borrower_id.in_(borrowers))
        cases_in_scope.append(Case.borrower_id.in_(borrowers))
    owes = owing.where(Loan.tenant_id == Case.tenant_id, Loan.borrower_id == Case.borrower_id).exists()

    # New cases take ids in (tenant, borrower) order, as a clean run gives them: arms hash the case id.
    has_case = select(Case.id).where(Case.tenant_id == Loan.tenant_id, Case.borrower_id == Loan.borrower_id).exists()
    new_cases = (
        owing.where(~has_case)
        .with_only_columns(
            Loan.tenant_id,
            Loan.borrower_id,
            literal(CaseStatus.OPEN, Case.status.type),
            literal(as_of, Case.opened_on.type),
            literal(utcnow(), Case.created_at.type),
        )
        .distinct()
        .order_by(Loan.tenant_id, Loan.borrower_id)
    )
    opened = _changed(
        db_session,
        insert(Case)
        .from_select(["tenant_id", "borrower_id", "status", "opened_on", "created_at"], new_cases)
        .returning(Case.id, Case.tenant_id),
    )
    reopened = _changed(
        db_session,
        update(Case)
        .where(*cases_in_scope, Case.status == CaseStatus.CLOSED, owes)
        .values(status=CaseStatus.OPEN, opened_on=as_of, closed_on=None)
        .returning(Case.id, Case.tenant_id),
    )
    closed = _changed(
        db_session,
        update(Case)
        .where(*cases_in_scope, Case.status == CaseStatus.OPEN, ~owes)
        .values(status=CaseStatus.CLOSED, closed_on=as_of)
        .returning(Case.id, Case.tenant_id),
    )
    audits = [
        _audit(case_id, case_tenant, action, as_of, actor)
        for action, changed in (("case.opened", opened), ("case.reopened", reopened), ("case.closed", closed))
        for case_id, case_tenant in changed
    ]
    for start in range(0, len(audits), BATCH):
        audit.record_many(db_session=db_session, rows=audits[start : start + BATCH])
    return CaseChanges(opened=len(opened), reopened=len(reopened), closed=len(closed))


def _changed(db_session: Session, statement: Any) -> list[tuple[int, int]]:
    """Run a set-wise change; the (case id, tenant id) of the cases it touched, in id order."""
    return sorted(
        (case_id, case_tenant)
        for case_id, case_tenant in db_session.execute(statement, execution_options={"synchronize_session": False})
    )


def _audit(case_id: int, tenant_id: int, action: str, as_of: date, actor: str) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "actor": actor,
        "action": action,
        "subject_type": "case",
        "subject_id": str(case_id),
        "details": {"as_of": as_of.isoformat()},
        "occurred_at": utcnow(),
    }
