"""Promises to pay are judged at the end of their due day from the payments actually received."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.contact import promises
from arrears.contact.enums import ContactChannel, Outcome, PromiseStatus
from arrears.contact.flows import record_contact
from arrears.contact.models import PromiseToPay
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.portfolio.models import Borrower
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MADE = datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
DUE = date(2026, 3, 6)


@pytest.mark.parametrize(
    ("paid", "as_of", "status"),
    [
        ("0.00", date(2026, 3, 5), PromiseStatus.OPEN),
        ("500.00", date(2026, 3, 5), PromiseStatus.KEPT),
        ("0.00", DUE, PromiseStatus.BROKEN),
        ("0.01", DUE, PromiseStatus.PARTLY_KEPT),
        ("499.99", DUE, PromiseStatus.PARTLY_KEPT),
        ("500.00", DUE, PromiseStatus.KEPT),
        ("700.00", DUE, PromiseStatus.KEPT),
    ],
)
def test_a_promise_is_judged_at_the_end_of_its_due_day(paid: str, as_of: date, status: PromiseStatus) -> None:
    assert promises.judge(amount=Decimal("500.00"), paid=Decimal(paid), due_on=DUE, as_of=as_of) is status


def promised(db_session: Session, factories: Factories, amount: str = "500.00") -> tuple[Case, Loan, PromiseToPay]:
    loan = factories.loan()
    case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
    contact_in = ContactIn(
        case_id=case.id,
        channel=ContactChannel.CALL,
        at=MADE,
        outcome=Outcome.PROMISE,
        conversation=True,
        promise=PromiseIn(amount=Decimal(amount), due_on=DUE, channel="app"),
    )
    record_contact(db_session=db_session, contact_in=contact_in, actor="test").raise_if_blocked()
    promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == case.id)).one()
    return case, loan, promise


def settle(db_session: Session, case: Case, as_of: date) -> dict[str, int]:
    return dict(promises.settle(db_session=db_session, tenant_id=case.tenant_id, as_of=as_of, actor="test:run"))


def test_a_promise_paid_in_full_on_time_is_kept(db_session: Session, factories: Factories) -> None:
    case, loan, promise = promised(db_session, factories)
    factories.payment(loan, "300.00", date(2026, 3, 4))
    factories.payment(loan, "200.00", date(2026, 3, 6))
    assert settle(db_session, case, DUE) == {"kept": 1}
    db_session.refresh(promise)
    assert promise.status is PromiseStatus.KEPT and promise.amount_paid == Decimal("500.00")


def test_nothing_paid_by_the_end_of_the_due_day_breaks_the_promise(db_session: Session, factories: Factories) -> None:
    case, _, promise = promised(db_session, factories)
    assert settle(db_session, case, date(2026, 3, 5)) == {}
    assert settle(db_session, case, DUE) == {"broken": 1}
    db_session.refresh(promise)
    assert promise.status is PromiseStatus.BROKEN and promise.resolved_on == DUE
    broken = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "promise.broken")).one()
    assert broken.subject_id == str(promise.id)


def test_payments_before_the_promise_after_its_date_or_reversed_do_not_count(
    db_session: Session, factories: Factories
) -> None:
    case, loan, promise = promised(db_session, factories)
    factories.payment(loan, "500.00", date(2026, 3, 1))
    factories.payment(loan, "500.00", date(2026, 3, 7))
    reversed_payment = factories.payment(loan, "500.00", date(2026, 3, 5))
    reversed_payment.reversed_at = MADE
    factories.payment(loan, "100.00", date(2026, 3, 5))
    assert settle(db_session, case, DUE) == {"partly_kept": 1}
    db_session.refresh(promise)
    assert promise.amount_paid == Decimal("100.00")


def test_settling_twice_changes_nothing_the_second_time(db_session: Session, factories: Factories) -> None:
    case, _, _ = promised(db_session, factories)
    assert settle(db_session, case, DUE) == {"broken": 1}
    assert settle(db_session, case, DUE) == {}


def test_a_promise_dated_before_the_call_is_refused(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    contact_in = ContactIn(
        case_id=case.id,
        channel=ContactChannel.CALL,
        at=MADE,
        outcome=Outcome.PROMISE,
        promise=PromiseIn(amount=Decimal("10.00"), due_on=date(2026, 3, 1)),
    )
    with pytest.raises(InvalidInput, match="before the contact"):
        record_contact(db_session=db_session, contact_in=contact_in, actor="test")
