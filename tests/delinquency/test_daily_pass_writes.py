"""The pass writes only the derived rows that changed, and leaves what rewriting every row would leave.

The mixed book of the columnar pass test is aged on a first date; then one loan
has a standing payment reversed, one gets a payment back-dated before the first
date (a charge it had accrued vanishes), one pays between the two dates. The
second date is aged twice from there, inside savepoints rolled back in between:
once over the stored rows (the incremental path) and once after deleting every
position, charge and allocation (every row written afresh). Both must leave the
same rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arrears.delinquency import daily_pass
from arrears.ledger.models import Charge, Loan, LoanPosition, Payment, PaymentAllocation
from arrears.org.models import Tenant
from tests.factories import Factories
from tests.ledger.test_columnar_pass import FIRST, SECOND, _book, _state

State = dict[str, list[tuple[object, ...]]]


def _compared(state: State) -> State:
    """Allocations in the engine's order within each loan: a loan rewritten later has later ids."""
    return {**state, "allocations": sorted(state["allocations"], key=lambda row: str(row[0]))}


def _ids(db_session: Session) -> dict[str, list[tuple[object, ...]]]:
    """Which stored rows are which: row ids and write times, unchanged only if the row was not rewritten."""
    return {
        "positions": sorted(
            tuple(row) for row in db_session.execute(select(LoanPosition.loan_id, LoanPosition.computed_at))
        ),
        "charges": sorted(tuple(row) for row in db_session.execute(select(Charge.id, Charge.loan_id))),
        "allocations": sorted(
            tuple(row) for row in db_session.execute(select(PaymentAllocation.id, PaymentAllocation.loan_id))
        ),
    }


def _change_facts(db_session: Session, factories: Factories, loans: list[Loan]) -> dict[str, int]:
    """Between the two dates: a reversal, a back-dated payment, a payment dated in between."""
    on_time, never_paid, also_never_paid = loans[1], loans[0], loans[8]
    reversed_payment = db_session.scalars(
        select(Payment).where(Payment.loan_id == on_time.id).order_by(Payment.value_date).offset(2)
    ).first()
    assert reversed_payment is not None
    reversed_payment.reversed_at = datetime(2026, 5, 2, tzinfo=UTC)
    # 700 + 21.40, on loan 0's first due date: that installment never went late after all.
    factories.payment(never_paid, "721.40", date(2026, 1, 1))
    factories.payment(also_never_paid, "500.00", date(2026, 5, 10))
    db_session.flush()
    return {"reversed": on_time.id, "back_dated": never_paid.id, "in_between": also_never_paid.id}


def test_writing_only_changed_rows_leaves_what_rewriting_every_row_leaves(
    db_session: Session, factories: Factories
) -> None:
    tenant_code = _book(db_session, factories)
    tenant_id = db_session.scalars(select(Tenant.id).where(Tenant.code == tenant_code)).one()
    loans = list(db_session.scalars(select(Loan).where(Loan.tenant_id == tenant_id).order_by(Loan.id)))
    daily_pass.run_pass(db_session=db_session, as_of=FIRST, tenant_code=tenant_code)
    db_session.flush()
    first = _ids(db_session)
    first_charges = {(row.loan_id, row.installment_number, row.kind) for row in db_session.scalars(select(Charge))}
    changed = _change_facts(db_session, factories, loans)

    with db_session.begin_nested() as savepoint:
        daily_pass.run_pass(db_session=db_session, as_of=SECOND, tenant_code=tenant_code)
        db_session.flush()
        incremental, second = _state(db_session), _ids(db_session)
        daily_pass.run_pass(db_session=db_session, as_of=SECOND, tenant_code=tenant_code)
        db_session.flush()
        again, rerun = _state(db_session), _ids(db_session)
        savepoint.rollback()

    with db_session.begin_nested() as savepoint:
        for model in (LoanPosition, Charge, PaymentAllocation):
            db_session.execute(delete(model))
        daily_pass.run_pass(db_session=db_session, as_of=SECOND, tenant_code=tenant_code)
        db_session.flush()
        rewritten = _state(db_session)
        savepoint.rollback()

    assert _compared(incremental) == _compared(rewritten)
    # Running the date again writes nothing: not one row is rewritten.
    assert again == incremental and rerun == second
    # The comparison compares something: the allocations of the three loans whose facts changed were
    # rewritten (with those of loans paying between the dates); the other loans kept their rows, and
    # charges were updated where they stood.
    before, after = _by_loan(first["allocations"]), _by_loan(second["allocations"])
    rewritten_loans = {loan_id for loan_id in before.keys() | after.keys() if before.get(loan_id) != after.get(loan_id)}
    assert set(changed.values()) <= rewritten_loans < before.keys() | after.keys()
    assert sum(len(before[loan_id]) for loan_id in before.keys() - rewritten_loans) > 20
    untouched = {row for row in first["charges"] if row[1] not in rewritten_loans}
    assert untouched and untouched <= set(second["charges"])
    # The back-dated payment took away the charges loan 0 had accrued on its first installment.
    assert any(key[:2] == (changed["back_dated"], 1) for key in first_charges)
    assert not any(row[:2] == (changed["back_dated"], 1) for row in incremental["charges"])


def _by_loan(rows: list[tuple[object, ...]]) -> dict[object, list[object]]:
    found: dict[object, list[object]] = {}
    for row_id, loan_id in rows:
        found.setdefault(loan_id, []).append(row_id)
    return found
