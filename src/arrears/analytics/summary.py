"""Portfolio summary (资产概览): counts and totals computed by SQL aggregates, never loops over loans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.errors import NotFound
from arrears.ledger.models import Installment, Loan, LoanPosition, Payment
from arrears.money import ZERO
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower

CURRENT = "current"


@dataclass(frozen=True)
class StatusLine:
    status: str
    loans: int
    principal: Decimal


@dataclass(frozen=True)
class BucketLine:
    bucket: str  # "current" for loans below the first bucket
    loans: int
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_charges: Decimal

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_charges


@dataclass(frozen=True)
class PortfolioSummary:
    tenant_code: str
    as_of: date
    tenants: int
    borrowers: int
    loans: int
    total_principal: Decimal
    by_status: list[StatusLine]
    loans_past_due: int
    open_cases: int
    buckets: list[BucketLine]  # empty until the daily pass has written loan positions
    positions_as_of: date | None


def summarize(*, db_session: Session, as_of: date, tenant_code: str) -> PortfolioSummary:
    """The tenant's portfolio as of ``as_of``.

    A loan is past due when what fell due before ``as_of`` (principal and interest)
    exceeds what it had paid by then (charges are left to the daily pass).
    """
    tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == tenant_code))
    if tenant_id is None:
        raise NotFound(f"no tenant with code '{tenant_code}'", hint="create a demo with `arrears demo`")

    by_status = [
        StatusLine(status=str(status), loans=count, principal=principal or ZERO)
        for status, count, principal in db_session.execute(
            select(Loan.status, func.count(), func.sum(Loan.principal))
            .where(Loan.tenant_id == tenant_id)
            .group_by(Loan.status)
            .order_by(Loan.status)
        )
    ]

    due = (
        select(
            Installment.loan_id.label("loan_id"),
            (func.sum(Installment.principal_due) + func.sum(Installment.interest_due)).label("amount"),
        )
        .join(Loan, Loan.id == Installment.loan_id)
        .where(Loan.tenant_id == tenant_id, Installment.due_date < as_of)
        .group_by(Installment.loan_id)
        .subquery()
    )
    paid = (
        select(Payment.loan_id.label("loan_id"), func.sum(Payment.amount).label("amount"))
        .join(Loan, Loan.id == Payment.loan_id)
        .where(Loan.tenant_id == tenant_id, Payment.value_date <= as_of, Payment.reversed_at.is_(None))
        .group_by(Payment.loan_id)
        .subquery()
    )
    loans_past_due = db_session.scalar(
        select(func.count())
        .select_from(due)
        .outerjoin(paid, paid.c.loan_id == due.c.loan_id)
        .where(due.c.amount > func.coalesce(paid.c.amount, 0))
    )

    bucket_rows = db_session.execute(
        select(
            LoanPosition.bucket,
            func.count(),
            func.sum(LoanPosition.overdue_principal),
            func.sum(LoanPosition.overdue_interest),
            func.sum(LoanPosition.overdue_charges),
            func.min(LoanPosition.days_past_due),
        )
        .join(Loan, Loan.id == LoanPosition.loan_id)
        .where(Loan.tenant_id == tenant_id)
        .group_by(LoanPosition.bucket)
        .order_by(func.min(LoanPosition.days_past_due))
    ).all()
    buckets = [
        BucketLine(
            bucket=name or CURRENT,
            loans=count,
            overdue_principal=principal or ZERO,
            overdue_interest=interest or ZERO,
            overdue_charges=charges or ZERO,
        )
        for name, count, principal, interest, charges, _ in bucket_rows
    ]

    return PortfolioSummary(
        tenant_code=tenant_code,
        as_of=as_of,
        tenants=db_session.scalar(select(func.count()).select_from(Tenant)) or 0,
        borrowers=db_session.scalar(select(func.count()).where(Borrower.tenant_id == tenant_id)) or 0,
        loans=sum(line.loans for line in by_status),
        total_principal=sum((line.principal for line in by_status), ZERO),
        by_status=by_status,
        loans_past_due=loans_past_due or 0,
        open_cases=db_session.scalar(
            select(func.count()).where(Case.tenant_id == tenant_id, Case.status == CaseStatus.OPEN)
        )
        or 0,
        buckets=buckets,
        positions_as_of=db_session.scalar(
            select(func.max(LoanPosition.as_of))
            .join(Loan, Loan.id == LoanPosition.loan_id)
            .where(Loan.tenant_id == tenant_id)
        ),
    )
