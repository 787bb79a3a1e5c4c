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

from sqlalchemy import insert, or_, select, update
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
    borrower); without them every case is checked.
    """
    delinquent = select(Loan.tenant_id, Loan.borrower_id).join(LoanPosition, LoanPosition.loan_id == Loan.id)
    delinquent = delinquent.where(or_(LoanPosition.days_past_due > 0, LoanPosition.overdue_charges > 0))
    cases_stmt = select(Case.id, Case.tenant_id, Case.borrower_id, Case.status)
    if tenant_id is not None:
        delinquent = delinquent.where(Loan.tenant_id == tenant_id)
        cases_stmt = cases_stmt.where(Case.tenant_id == tenant_id)
    if borrower_ids is not None:
        delinquent = delinquent.where(Loan.borrower_id.in_(borrower_ids))
        cases_stmt = cases_stmt.where(Case.borrower_id.in_(borrower_ids))
    owing = {(row[0], row[1]) for row in db_session.execute(delinquent.distinct())}
    existing = {(row.tenant_id, row.borrower_id): (row.id, row.status) for row in db_session.execute(cases_stmt)}

    to_open = sorted(owing - existing.keys())
    to_reopen = sorted(existing[key][0] for key in owing & existing.keys() if existing[key][1] is CaseStatus.CLOSED)
    to_close = sorted(
        case_id for key, (case_id, status) in existing.items() if status is CaseStatus.OPEN and key not in owing
    )
    changes = CaseChanges(opened=len(to_open), reopened=len(to_reopen), closed=len(to_close))
    audits: list[dict[str, Any]] = []
    for start in range(0, len(to_open), BATCH):
        rows = [
            {"tenant_id": tenant, "borrower_id": borrower, "status": CaseStatus.OPEN, "opened_on": as_of}
            for tenant, borrower in to_open[start : start + BATCH]
        ]
        db_session.execute(insert(Case), rows)
    if to_open:
        new_keys = set(to_open)
        for case_id, case_tenant, borrower in db_session.execute(
            select(Case.id, Case.tenant_id, Case.borrower_id).where(
                Case.opened_on == as_of, Case.status == CaseStatus.OPEN
            )
        ):
            if (case_tenant, borrower) in new_keys:
                audits.append(_audit(case_id, case_tenant, "case.opened", as_of, actor))
    _set_status(db_session, to_reopen, CaseStatus.OPEN, as_of)
    _set_status(db_session, to_close, CaseStatus.CLOSED, as_of)
    tenants = {case_id: tenant for (tenant, _), (case_id, _) in existing.items()}
    audits += [_audit(case_id, tenants[case_id], "case.reopened", as_of, actor) for case_id in to_reopen]
    audits += [_audit(case_id, tenants[case_id], "case.closed", as_of, actor) for case_id in to_close]
    for start in range(0, len(audits), BATCH):
        audit.record_many(db_session=db_session, rows=audits[start : start + BATCH])
    return changes


def _set_status(db_session: Session, case_ids: list[int], status: CaseStatus, as_of: date) -> None:
    values: dict[str, Any] = {"status": status}
    values |= {"opened_on": as_of, "closed_on": None} if status is CaseStatus.OPEN else {"closed_on": as_of}
    for start in range(0, len(case_ids), BATCH):
        db_session.execute(
            update(Case).where(Case.id.in_(case_ids[start : start + BATCH])).values(**values),
            execution_options={"synchronize_session": False},
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
