"""The portfolio summary on a hand-built book with known answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from arrears.analytics.summary import summarize
from arrears.errors import NotFound
from arrears.ledger.enums import LoanStatus
from arrears.ledger.models import LoanPosition
from tests.factories import Factories

# Each loan: 3 installments of 1,000 principal + 50 interest, due 2026-02-01, 03-01, 04-01.
AS_OF = date(2026, 3, 15)


def _position(db_session: Session, loan_id: int, *, dpd: int, bucket: str | None, overdue: str) -> None:
    zero = Decimal("0.00")
    db_session.add(
        LoanPosition(
            loan_id=loan_id,
            as_of=AS_OF,
            days_past_due=dpd,
            bucket=bucket,
            overdue_principal=Decimal(overdue),
            overdue_interest=Decimal("50.00") if dpd else zero,
            overdue_charges=zero,
            charges_accrued=zero,
            cap_cut=zero,
            principal_outstanding=Decimal("3000.00"),
            payoff_amount=Decimal("3000.00"),
            paid_total=zero,
        )
    )


def test_summary_counts_a_small_book(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant("sum-test")
    other = factories.tenant("sum-other")
    product = factories.product(tenant)
    paid_up = factories.loan(tenant=tenant, product=product)
    factories.payment(paid_up, "1050.00", date(2026, 2, 1))
    factories.payment(paid_up, "1050.00", date(2026, 3, 1))
    partly = factories.loan(tenant=tenant, product=product)
    factories.payment(partly, "1050.00", date(2026, 2, 1))
    factories.payment(partly, "500.00", date(2026, 3, 2))
    unpaid = factories.loan(tenant=tenant, product=product)
    unpaid.status = LoanStatus.OVERDUE
    paid_after_as_of = factories.loan(tenant=tenant, product=product)
    factories.payment(paid_after_as_of, "2100.00", date(2026, 3, 20))
    factories.loan(tenant=other)

    summary = summarize(db_session=db_session, as_of=AS_OF, tenant_code="sum-test")

    assert summary.borrowers == 4
    assert summary.loans == 4
    assert summary.total_principal == Decimal("12000.00")
    assert {line.status: line.loans for line in summary.by_status} == {"active": 3, "overdue": 1}
    assert summary.loans_past_due == 3
    assert summary.buckets == []
    assert summary.tenants >= 2


def test_summary_groups_loan_positions_by_bucket(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant("sum-buckets")
    product = factories.product(tenant)
    loans = [factories.loan(tenant=tenant, product=product) for _ in range(4)]
    _position(db_session, loans[0].id, dpd=0, bucket=None, overdue="0.00")
    _position(db_session, loans[1].id, dpd=3, bucket="M1-early", overdue="1000.00")
    _position(db_session, loans[2].id, dpd=4, bucket="M1-early", overdue="1000.00")
    _position(db_session, loans[3].id, dpd=40, bucket="M2", overdue="2000.00")
    db_session.flush()

    summary = summarize(db_session=db_session, as_of=AS_OF, tenant_code="sum-buckets")

    assert [(line.bucket, line.loans, line.overdue_total) for line in summary.buckets] == [
        ("current", 1, Decimal("0.00")),
        ("M1-early", 2, Decimal("2100.00")),
        ("M2", 1, Decimal("2050.00")),
    ]
    assert summary.positions_as_of == AS_OF


def test_unknown_tenant_is_not_found(db_session: Session) -> None:
    with pytest.raises(NotFound):
        summarize(db_session=db_session, as_of=AS_OF, tenant_code="nobody")
