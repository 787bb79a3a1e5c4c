"""The database pass: same figures as the engine, idempotent per date, atomic, history forward-only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.delinquency import daily_pass, flows
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.models import BucketHistory
from arrears.delinquency.service import upsert_bucket_set
from arrears.errors import Conflict, InvalidInput
from arrears.ledger.enums import LoanStatus
from arrears.ledger.models import Charge, Loan, LoanPosition, PaymentAllocation
from tests.factories import Factories

# Three installments of 1,000 principal + 50 interest, due on the 1st of Feb, Mar, Apr 2026;
# late fee 1% of the outstanding installment per day, no cap.
RULES = {"charges": {"late_fee_daily_rate": "0.01"}, "cost_cap": {"kind": "none"}}


@pytest.fixture
def loan(db_session: Session, factories: Factories) -> Loan:
    tenant = factories.tenant()
    bucket_set = upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    product, version = factories.product(tenant, **RULES)
    product.bucket_set_id = bucket_set.id
    return factories.loan(tenant=tenant, product=(product, version))


def _pay(db_session: Session, loan: Loan, reference: str, amount: str, value_date: date) -> None:
    flows.post_payment(
        db_session=db_session,
        tenant_id=loan.tenant_id,
        account_number=loan.account_number,
        reference=reference,
        amount=Decimal(amount),
        value_date=value_date,
        actor="test",
        today=date(2026, 12, 31),
    )


def _snapshot(db_session: Session, loan_id: int) -> tuple[object, ...]:
    position = db_session.get(LoanPosition, loan_id)
    assert position is not None
    charges = db_session.execute(
        select(Charge.installment_number, Charge.kind, Charge.accrued, Charge.paid).where(Charge.loan_id == loan_id)
    ).all()
    history = db_session.execute(
        select(BucketHistory.bucket, BucketHistory.entered_on, BucketHistory.left_on).where(
            BucketHistory.loan_id == loan_id
        )
    ).all()
    return (
        position.days_past_due,
        position.bucket,
        position.overdue_total,
        position.payoff_amount,
        sorted(charges),
        sorted(history),
    )


def test_pass_ages_an_unpaid_loan_into_its_bucket(db_session: Session, loan: Loan) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 11))
    position = db_session.get(LoanPosition, loan.id)
    assert position is not None
    assert position.days_past_due == 10
    assert position.bucket == "M1-mid"
    # 1,050 x 1% x 10 days = 105.00 of late fee on the first installment.
    assert position.overdue_charges == Decimal("105.00")
    assert position.overdue_total == Decimal("1155.00")
    db_session.refresh(loan)
    assert loan.status is LoanStatus.OVERDUE


def test_running_the_same_date_twice_changes_nothing(db_session: Session, loan: Loan) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 20))
    first = _snapshot(db_session, loan.id)
    report = daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 20))
    assert _snapshot(db_session, loan.id) == first
    assert report.bucket_moves == 0
    assert report.status_changes == 0


def test_bucket_history_records_each_move_with_dates(db_session: Session, loan: Loan) -> None:
    for day in (date(2026, 2, 3), date(2026, 2, 8), date(2026, 2, 20), date(2026, 3, 10)):
        daily_pass.run_pass(db_session=db_session, as_of=day)
    stays = db_session.execute(
        select(BucketHistory.bucket, BucketHistory.entered_on, BucketHistory.left_on, BucketHistory.left_to)
        .where(BucketHistory.loan_id == loan.id)
        .order_by(BucketHistory.entered_on)
    ).all()
    assert [tuple(stay) for stay in stays] == [
        ("M1-early", date(2026, 2, 3), date(2026, 2, 8), "M1-mid"),
        ("M1-mid", date(2026, 2, 8), date(2026, 2, 20), "M1-late"),
        ("M1-late", date(2026, 2, 20), date(2026, 3, 10), "M2"),
        ("M2", date(2026, 3, 10), None, None),
    ]


def test_a_cure_closes_the_stay_as_current(db_session: Session, loan: Loan, factories: Factories) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 5))
    _pay(db_session, loan, "CURE", "1092.00", date(2026, 2, 5))
    stay = db_session.scalar(select(BucketHistory).where(BucketHistory.loan_id == loan.id))
    assert stay is not None
    assert (stay.left_on, stay.left_to) == (date(2026, 2, 5), "current")
    db_session.refresh(loan)
    assert loan.status is LoanStatus.ACTIVE


def test_back_dated_payment_recomputes_as_if_posted_on_time(
    db_session: Session, loan: Loan, factories: Factories
) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 20))
    _pay(db_session, loan, "LATE-POSTED", "1050.00", date(2026, 2, 1))
    position = db_session.get(LoanPosition, loan.id)
    assert position is not None
    assert (position.days_past_due, position.overdue_total, position.bucket) == (0, Decimal("0.00"), None)
    assert db_session.scalar(select(func.sum(Charge.accrued)).where(Charge.loan_id == loan.id)) is None


def test_reversal_brings_back_the_arrears(db_session: Session, loan: Loan) -> None:
    _pay(db_session, loan, "BOUNCED", "1050.00", date(2026, 2, 1))
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 11))
    assert db_session.scalar(select(func.count()).where(PaymentAllocation.loan_id == loan.id)) == 2
    flows.reverse_payment(
        db_session=db_session,
        tenant_id=loan.tenant_id,
        account_number=loan.account_number,
        reference="BOUNCED",
        reason="cheque returned",
        actor="test",
    )
    position = db_session.get(LoanPosition, loan.id)
    assert position is not None
    assert (position.days_past_due, position.overdue_total) == (10, Decimal("1155.00"))
    assert db_session.scalar(select(func.count()).where(PaymentAllocation.loan_id == loan.id)) == 0
    with pytest.raises(Conflict, match="already reversed"):
        flows.reverse_payment(
            db_session=db_session,
            tenant_id=loan.tenant_id,
            account_number=loan.account_number,
            reference="BOUNCED",
            reason="again",
            actor="test",
        )


def test_a_hold_that_pauses_aging_holds_back_dpd(db_session: Session, loan: Loan) -> None:
    case = Case(tenant_id=loan.tenant_id, borrower_id=loan.borrower_id, opened_on=date(2026, 2, 2))
    db_session.add(case)
    db_session.flush()
    db_session.add(
        Hold(
            case_id=case.id,
            type=HoldType.DISPUTE,
            starts_on=date(2026, 2, 5),
            ends_on=date(2026, 2, 8),
            pauses_aging=True,
        )
    )
    db_session.flush()
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 11))
    position = db_session.get(LoanPosition, loan.id)
    assert position is not None
    assert position.days_past_due == 10 - 4


def test_a_pass_for_an_earlier_date_is_refused(db_session: Session, loan: Loan) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 20))
    with pytest.raises(Conflict, match="only moves forward"):
        daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 10))


def test_a_crash_mid_pass_leaves_the_database_as_it_was(
    db_session: Session, loan: Loan, factories: Factories, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = factories.loan(tenant=None)
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 5))
    before = (_snapshot(db_session, loan.id), _snapshot(db_session, second.id))
    monkeypatch.setattr(daily_pass, "CHUNK", 1)
    real = daily_pass._process
    calls = {"n": 0}

    def crash_on_second_chunk(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(daily_pass, "_process", crash_on_second_chunk)
    savepoint = db_session.begin_nested()
    with pytest.raises(RuntimeError, match="killed"):
        daily_pass.run_pass(db_session=db_session, as_of=date(2026, 3, 5))
    savepoint.rollback()
    assert (_snapshot(db_session, loan.id), _snapshot(db_session, second.id)) == before


def _case(db_session: Session, loan: Loan) -> Case | None:
    return db_session.scalar(select(Case).where(Case.tenant_id == loan.tenant_id, Case.borrower_id == loan.borrower_id))


def test_a_newly_overdue_borrower_gets_an_open_case_once(db_session: Session, loan: Loan) -> None:
    first = daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 3))
    case = _case(db_session, loan)
    assert case is not None
    assert (case.status, case.opened_on) == (CaseStatus.OPEN, date(2026, 2, 3))
    assert first.cases.opened == 1
    opened = db_session.scalar(
        select(func.count()).where(AuditRecord.action == "case.opened", AuditRecord.subject_id == str(case.id))
    )
    assert opened == 1
    again = daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 3))
    assert (again.cases.opened, again.cases.reopened, again.cases.closed) == (0, 0, 0)


def test_a_borrower_who_pays_up_has_the_case_closed_and_reopened_on_the_next_miss(
    db_session: Session, loan: Loan
) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 3))
    # 1,050 due on 1 Feb plus two days of 1% late fee (21.00).
    _pay(db_session, loan, "CURE", "1071.00", date(2026, 2, 3))
    case = _case(db_session, loan)
    assert case is not None
    db_session.refresh(case)
    assert (case.status, case.closed_on) == (CaseStatus.CLOSED, date(2026, 2, 3))
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 3, 2))
    db_session.refresh(case)
    assert (case.status, case.opened_on, case.closed_on) == (CaseStatus.OPEN, date(2026, 3, 2), None)


def test_a_current_borrower_gets_no_case(db_session: Session, loan: Loan) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 1, 20))
    assert _case(db_session, loan) is None


def test_one_broken_loan_is_reported_and_the_rest_are_aged(
    db_session: Session, loan: Loan, factories: Factories
) -> None:
    broken = factories.loan(tenant=None)
    broken.principal = Decimal("5000.00")  # the schedule adds up to 3,000.00
    db_session.flush()
    report = daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 11))
    assert [account for account, _ in report.failed] == [broken.account_number]
    assert "not the loan principal 5000.00" in report.failed[0][1]
    assert db_session.get(LoanPosition, broken.id) is None
    aged = db_session.get(LoanPosition, loan.id)
    assert aged is not None
    assert aged.days_past_due == 10
    failures = db_session.scalars(select(AuditRecord.subject_id).where(AuditRecord.action == "loan.pass_failed"))
    assert list(failures) == [str(broken.id)]


def test_a_payment_after_the_last_pass_shows_at_once(db_session: Session, loan: Loan) -> None:
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 5))
    # 1,050 due on 1 Feb plus nine days of 1% late fee (94.50) clears it on 10 Feb.
    _pay(db_session, loan, "LATER", "1144.50", date(2026, 2, 10))
    position = db_session.get(LoanPosition, loan.id)
    assert position is not None
    assert (position.as_of, position.days_past_due, position.overdue_total) == (date(2026, 2, 10), 0, Decimal("0.00"))


def test_a_future_dated_payment_is_refused(db_session: Session, loan: Loan) -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        flows.post_payment(
            db_session=db_session,
            tenant_id=loan.tenant_id,
            account_number=loan.account_number,
            reference="FUTURE",
            amount=Decimal("10.00"),
            value_date=date(2026, 3, 2),
            actor="test",
            today=date(2026, 3, 1),
        )
