"""The pass rolls a position forward inside its window only while nothing but the day has changed.

Night after night, with a payment, a back-dated payment, a reversal, a hold, a
corrected schedule and a changed bucket set arriving on some nights, the pass
that rolls positions forward must leave every derived row as a pass that replays
every loan (the row engine, which has no windows) leaves it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.delinquency import daily_pass
from arrears.delinquency.buckets import BucketSet, BucketSpec
from arrears.delinquency.service import upsert_bucket_set
from arrears.ledger import service as ledger
from arrears.ledger.models import Installment, Loan, LoanPosition, Payment
from arrears.org.models import Tenant
from tests.factories import Factories
from tests.ledger.test_columnar_pass import SECOND, _book, _state

NIGHTS = 21
SILENT = (0, 8, 16)
"""Loans of the book (by creation order) that never pay: overdue and accruing every night."""


def _loan_ids(db_session: Session) -> list[int]:
    return list(db_session.scalars(select(Loan.id).order_by(Loan.id)))


def _pay(db_session: Session, loan_id: int, value_date: date, reference: str) -> None:
    db_session.add(Payment(loan_id=loan_id, reference=reference, value_date=value_date, amount=Decimal("333.00")))


def _events(db_session: Session, tenant_code: str) -> dict[int, Callable[[date], None]]:
    """What happens on which night (the day after SECOND is night 1), each to a loan with no event of its own."""
    ids = _loan_ids(db_session)
    first, second, third = (ids[index] for index in SILENT)
    tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == tenant_code))
    assert tenant_id is not None

    def payment(day: date) -> None:
        _pay(db_session, first, day, "NEW-1")

    def back_dated(day: date) -> None:
        _pay(db_session, second, day - timedelta(days=12), "LATE-ENTERED")

    def reversal(day: date) -> None:
        db_session.execute(update(Payment).where(Payment.reference == "NEW-1").values(reversed_at=datetime.now(UTC)))

    def hold(day: date) -> None:
        borrower_id = db_session.get_one(Loan, third).borrower_id
        case_id = db_session.scalar(select(Case.id).where(Case.borrower_id == borrower_id))
        assert case_id is not None, "the pass opens a case for a loan in arrears"
        db_session.add(Hold(case_id=case_id, type=HoldType.DISPUTE, starts_on=day, ends_on=None, pauses_charges=True))

    def schedule(day: date) -> None:
        """A corrected schedule, as a re-import writes it: the importer clears the loan's window."""
        db_session.execute(
            update(Installment)
            .where(Installment.loan_id == second, Installment.number == 2)
            .values(interest_due=Decimal("5.00"))
        )
        ledger.forget_windows(db_session=db_session, loan_ids=[second])

    def buckets(day: date) -> None:
        shifted = BucketSet(
            name="standard",
            buckets=(
                BucketSpec(name="M1-early", min_dpd=1, max_dpd=5),
                BucketSpec(name="M1-mid", min_dpd=6, max_dpd=10),
                BucketSpec(name="M1-late", min_dpd=11, max_dpd=25),
                BucketSpec(name="M2", min_dpd=26, max_dpd=55),
                BucketSpec(name="M3", min_dpd=56, max_dpd=300),
                BucketSpec(name="M4+", min_dpd=301, max_dpd=None),
            ),
        )
        upsert_bucket_set(db_session=db_session, tenant_id=tenant_id, bucket_set=shifted)

    return {3: payment, 6: back_dated, 9: reversal, 12: hold, 15: schedule, 18: buckets}


def _comparable(state: dict[str, list[tuple[Any, ...]]], first_loan: int) -> dict[str, list[tuple[Any, ...]]]:
    """The state with loans numbered from 0 and without payment references: ids and the factories' numbers run
    on across the two savepoints (PostgreSQL's sequences are not rolled back)."""
    shifted = {
        name: sorted(((row[0] - first_loan, *row[1:]) for row in rows), key=repr)
        for name, rows in state.items()
        if name != "audits"
    }
    shifted["allocations"] = [(loan - first_loan, *rest) for loan, _, *rest in state["allocations"]]
    shifted["audits"] = sorted(
        ((action, int(subject) - first_loan, details) for action, subject, details in state["audits"]), key=repr
    )
    return shifted


def _nights(db_session: Session, factories: Factories, *, columnar: bool) -> tuple[list[object], int]:
    """Every night's derived rows, and how many positions were rolled forward in all."""
    states: list[object] = []
    rolled = 0
    with db_session.begin_nested() as savepoint:
        tenant_code = _book(db_session, factories)
        daily_pass.run_pass(db_session=db_session, as_of=SECOND, tenant_code=tenant_code, columnar=columnar)
        events = _events(db_session, tenant_code)
        first_loan = _loan_ids(db_session)[0]
        for night in range(1, NIGHTS + 1):
            day = SECOND + timedelta(days=night)
            if night in events:
                events[night](day)
                db_session.flush()
            report = daily_pass.run_pass(db_session=db_session, as_of=day, tenant_code=tenant_code, columnar=columnar)
            rolled += report.rolled
            db_session.flush()
            states.append(_comparable(_state(db_session), first_loan))
        savepoint.rollback()
    return states, rolled


def test_rolling_forward_night_after_night_leaves_what_replaying_every_loan_leaves(
    db_session: Session, factories: Factories
) -> None:
    replayed, none_rolled = _nights(db_session, factories, columnar=False)
    rolled, how_many = _nights(db_session, factories, columnar=True)
    assert none_rolled == 0
    assert how_many >= NIGHTS * 8, "most loans of a quiet night are rolled, not replayed"
    for night, (want, got) in enumerate(zip(replayed, rolled, strict=True), start=1):
        assert got == want, f"night {night}"


def test_a_loan_with_an_event_is_replayed_that_night(db_session: Session, factories: Factories) -> None:
    tenant_code = _book(db_session, factories)
    daily_pass.run_pass(db_session=db_session, as_of=SECOND, tenant_code=tenant_code)
    quiet = daily_pass.run_pass(db_session=db_session, as_of=SECOND + timedelta(days=1), tenant_code=tenant_code)
    first = _loan_ids(db_session)[SILENT[0]]
    window = db_session.get_one(LoanPosition, first)
    assert window.valid_until is not None and window.valid_until > SECOND + timedelta(days=2)
    _pay(db_session, first, SECOND + timedelta(days=2), "NEW-1")
    db_session.flush()
    busy = daily_pass.run_pass(db_session=db_session, as_of=SECOND + timedelta(days=2), tenant_code=tenant_code)
    assert quiet.columnar == 0 and busy.columnar >= 1 and busy.rolled < quiet.rolled
    db_session.refresh(window)
    assert window.window_from == SECOND + timedelta(days=2) and window.paid_total == Decimal("333.00")
