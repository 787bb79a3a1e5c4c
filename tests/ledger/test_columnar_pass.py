"""The daily pass through the columnar path leaves the database exactly as the row engine does.

A synthetic book (two products with different rules, loans paid on time, late,
partly, twice a day, reversed, ahead, not at all, one under a hold) is aged on two
dates through each path, inside a savepoint that is rolled back in between, and
every derived row is compared: positions, charges, allocations, bucket history,
loan statuses and the audit entries of status changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.delinquency import daily_pass
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.models import BucketHistory
from arrears.delinquency.service import upsert_bucket_set
from arrears.ledger import service as ledger
from arrears.ledger.engine import Restructure, ScheduledInstallment
from arrears.ledger.models import Charge, Installment, Loan, LoanPosition, Payment, PaymentAllocation
from arrears.portfolio.models import Borrower
from tests.factories import Factories

BENCH_RULES = {
    "charges": {"penalty_annual_rate": "0.18", "late_fee_daily_rate": "0.0005", "grace_days": 3},
    "cost_cap": {"kind": "annual_rate", "annual_rate": "0.36"},
    "acceleration": {"after_dpd": 30, "demand_days": 3},
}
OTHER_RULES = {
    "charges": {
        "penalty_daily_rate": "0.0005",
        "penalty_base": "principal_and_interest",
        "late_fee_daily_rate": "0.002",
        "late_fee_base": "installment_amount",
        "grace_days": 2,
        "accrue_from": "grace_end",
    },
    "cost_cap": {"kind": "lpr_multiple"},
    "waterfall": {"order": "component_first"},
}
FIRST, SECOND = date(2026, 4, 20), date(2026, 5, 25)
NEXT = SECOND + timedelta(days=1)
"""The night after SECOND: most loans have no event and are rolled forward."""


def _book(db_session: Session, factories: Factories) -> str:
    tenant = factories.tenant()
    bucket_set = upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    products = [factories.product(tenant, **BENCH_RULES), factories.product(tenant, **OTHER_RULES)]
    for product, _ in products:
        product.bucket_set_id = bucket_set.id
    for number in range(24):
        loan = factories.loan(
            tenant=tenant,
            installments=3 + number % 4,
            installment_principal=Decimal(700 + 37 * number),
            installment_interest=Decimal("21.40"),
            disbursed_on=date(2025, 12, 1) + timedelta(days=3 * number),
            product=products[number % 2],
        )
        first_due = date(2026, 1, 1) + timedelta(days=3 * number)
        behaviour = number % 8
        if behaviour == 1:  # on time
            for month in range(5):
                factories.payment(loan, str(700 + 37 * number + Decimal("21.40")), _month(first_due, month))
        elif behaviour == 2:  # a week late, every time
            for month in range(5):
                factories.payment(
                    loan, str(700 + 37 * number + Decimal("21.40")), _month(first_due, month) + timedelta(days=7)
                )
        elif behaviour == 3:  # part of the first installment, then nothing
            factories.payment(loan, "300.00", first_due + timedelta(days=4))
            if number == 3:  # then an approved plan restructures it: the row engine's case
                _restructure(db_session, loan, first_due + timedelta(days=20))
        elif behaviour == 4:  # twice on one day: the row engine's case
            factories.payment(loan, "100.00", first_due + timedelta(days=2))
            factories.payment(loan, "250.00", first_due + timedelta(days=2))
        elif behaviour == 5:  # a payment reversed, another standing
            reversed_payment = factories.payment(loan, "500.00", first_due)
            reversed_payment.reversed_at = datetime(2026, 2, 1, tzinfo=UTC)
            factories.payment(loan, "900.00", first_due + timedelta(days=10))
        elif behaviour == 6:  # pays off early, with more than owed
            factories.payment(loan, "9000.00", first_due + timedelta(days=12))
        elif behaviour == 7:  # under a hold that pauses aging: the row engine's case
            case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
            db_session.add(
                Hold(case_id=case.id, type=HoldType.DISPUTE, starts_on=first_due, ends_on=None, pauses_aging=True)
            )
    db_session.flush()
    return tenant.code


def _restructure(db_session: Session, loan: Loan, effective_on: date) -> None:
    """Two new installments after the loan's own, and a payment that falls on the first."""
    last = max(row.number for row in db_session.scalars(select(Installment).where(Installment.loan_id == loan.id)))
    schedule = tuple(
        ScheduledInstallment(last + n, effective_on + timedelta(days=30 * n), Decimal("1000.00"), Decimal("10.00"))
        for n in (1, 2)
    )
    ledger.add_restructure(
        db_session=db_session,
        loan_id=loan.id,
        restructure=Restructure(effective_on, schedule, waive_charges=Decimal("5.00")),
        source="test",
    )
    db_session.add(
        Payment(
            loan_id=loan.id,
            reference=f"R{loan.id}",
            value_date=effective_on + timedelta(days=31),
            amount=Decimal("700.00"),
        )
    )


def _month(day: date, months: int) -> date:
    from arrears.dates import add_months

    return add_months(day, months)


def _rolled(accrued: Decimal, exact: int | None, daily: int | None, days: int, unit: int, cents: int) -> Decimal:
    """A charge as it stands on its position's day: a loan rolled forward keeps the charges of its last replay."""
    if exact is None or daily is None:
        assert days == 0, "a charge without exact figures belongs to a loan replayed every night"
        return accrued
    return Decimal((exact + days * daily) // unit * cents).scaleb(-2)


def _state(db_session: Session) -> dict[str, list[tuple[object, ...]]]:
    payments = {row.id: row.reference for row in db_session.execute(select(Payment.id, Payment.reference))}
    positions = [
        (
            row.loan_id,
            row.as_of,
            row.days_past_due,
            row.bucket,
            row.oldest_unpaid_due_date,
            row.overdue_principal,
            row.overdue_interest,
            row.overdue_charges,
            row.charges_accrued,
            row.cap_cut,
            row.principal_outstanding,
            row.payoff_amount,
            row.paid_total,
            row.accelerated_on,
        )
        for row in db_session.scalars(select(LoanPosition))
    ]
    charges = [
        (loan_id, number, kind, _rolled(accrued, exact, daily, (day - since).days, unit, cents), paid, payable, day)
        for loan_id, number, kind, accrued, paid, payable, since, exact, daily, day, unit, cents in db_session.execute(
            select(
                Charge.loan_id,
                Charge.installment_number,
                Charge.kind,
                Charge.accrued,
                Charge.paid,
                Charge.payable,
                Charge.as_of,
                Charge.exact,
                Charge.daily,
                LoanPosition.as_of,
                LoanPosition.exact_unit,
                LoanPosition.minor_cents,
            ).join(LoanPosition, LoanPosition.loan_id == Charge.loan_id)
        )
    ]
    allocations: list[tuple[object, ...]] = [
        (loan_id, payments[payment_id], number, component, amount)
        for loan_id, payment_id, number, component, amount in db_session.execute(
            select(
                PaymentAllocation.loan_id,
                PaymentAllocation.payment_id,
                PaymentAllocation.installment_number,
                PaymentAllocation.component,
                PaymentAllocation.amount,
            ).order_by(PaymentAllocation.id)
        )
    ]
    history = db_session.execute(
        select(
            BucketHistory.loan_id,
            BucketHistory.bucket,
            BucketHistory.entered_on,
            BucketHistory.left_on,
            BucketHistory.left_to,
            BucketHistory.dpd_at_entry,
            BucketHistory.overdue_at_entry,
        )
    ).all()
    statuses = db_session.execute(select(Loan.id, Loan.status)).all()
    audits = db_session.execute(
        select(AuditRecord.action, AuditRecord.subject_id, AuditRecord.details).where(
            AuditRecord.subject_type == "loan"
        )
    ).all()
    return {
        "positions": sorted(positions),
        "charges": sorted(tuple(row) for row in charges),
        "allocations": allocations,
        "history": sorted((tuple(row) for row in history), key=repr),
        "statuses": sorted(tuple(row) for row in statuses),
        "audits": sorted((tuple(row) for row in audits), key=repr),
    }


def _age(
    db_session: Session, tenant_code: str, *, columnar: bool
) -> tuple[dict[str, list[tuple[object, ...]]], list[daily_pass.PassReport]]:
    with db_session.begin_nested() as savepoint:
        reports = [
            daily_pass.run_pass(db_session=db_session, as_of=day, tenant_code=tenant_code, columnar=columnar)
            for day in (FIRST, SECOND, NEXT)
        ]
        db_session.flush()
        state = _state(db_session)
        savepoint.rollback()
    return state, reports


def test_the_pass_writes_the_same_rows_through_both_paths(db_session: Session, factories: Factories) -> None:
    tenant_code = _book(db_session, factories)
    by_engine, engine_reports = _age(db_session, tenant_code, columnar=False)
    by_columns, column_reports = _age(db_session, tenant_code, columnar=True)
    assert by_columns == by_engine
    # The comparison compares something: every kind of row was written, and most loans went columnar.
    assert all(by_engine[name] for name in ("positions", "charges", "allocations", "history", "audits"))
    assert {status for _, status in by_engine["statuses"]} >= {"overdue", "closed", "accelerated"}
    assert engine_reports[0].columnar == 0 and engine_reports[0].row_engine == 24
    first = column_reports[0]
    assert first.columnar + first.row_engine == first.loans == 24
    assert first.routed == {"holds": 3, "same_day_payments": 3, "restructured": 1}
    # On the second day the loans with no event were rolled forward inside their windows, not replayed,
    # and still wrote what the row engine's replay of every loan wrote.
    after = column_reports[2]
    assert after.rolled >= 8 and after.rolled + after.columnar + after.row_engine == after.loans == 24
    # The restructured loan was replayed with its plan: the late payment went to a new installment.
    assert any(
        str(reference).startswith("R") and number == 7 for _, reference, number, _, _ in by_engine["allocations"]
    )
    assert [report.overdue_total for report in column_reports] == [report.overdue_total for report in engine_reports]
    assert [report.bucket_moves for report in column_reports] == [report.bucket_moves for report in engine_reports]
    assert [report.status_changes for report in column_reports] == [report.status_changes for report in engine_reports]
