"""Case facts read in bulk agree with what happened on the case: positions, holds, promises, contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.holds import HoldIn, place_hold
from arrears.contact.enums import ContactChannel, Outcome, PromiseStatus
from arrears.contact.flows import record_contact
from arrears.contact.models import PromiseToPay
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.delinquency.daily_pass import run_pass
from arrears.ledger.models import Loan, Product
from arrears.org.models import Tenant
from arrears.strategy.facts import load_case_facts, read_facts
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 2, 20)  # the first installment fell due on 2026-02-01


def overdue_case(db_session: Session, factories: Factories) -> tuple[Case, Loan]:
    loan = factories.loan()
    tenant = db_session.get_one(Tenant, loan.tenant_id)
    run_pass(db_session=db_session, as_of=AS_OF, tenant_code=tenant.code)
    case = db_session.scalars(select(Case).where(Case.borrower_id == loan.borrower_id)).one()
    return case, loan


def call(case: Case, when: str, outcome: Outcome, **fields: object) -> ContactIn:
    at = datetime.fromisoformat(when).replace(tzinfo=SHANGHAI)
    return ContactIn.model_validate(
        {"case_id": case.id, "channel": ContactChannel.CALL, "at": at, "outcome": outcome, **fields}
    )


def test_positions_give_the_worst_dpd_the_products_and_the_sums(db_session: Session, factories: Factories) -> None:
    case, loan = overdue_case(db_session, factories)
    facts = load_case_facts(db_session=db_session, case_id=case.id, as_of=AS_OF)
    assert facts.days_past_due == 19
    assert facts.product_codes == {db_session.get_one(Product, loan.product_id).code}
    assert facts.overdue_total >= Decimal("1050.00")
    assert facts.balance > facts.overdue_total


def test_holds_promises_and_failed_attempts_are_counted(db_session: Session, factories: Factories) -> None:
    case, _ = overdue_case(db_session, factories)
    place_hold(db_session=db_session, case=case, hold_in=HoldIn(type=HoldType.DISPUTE, starts_on=AS_OF), actor="t")
    record_contact(db_session=db_session, contact_in=call(case, "2026-02-18 10:00", Outcome.ANSWERED), actor="t")
    for hour in (10, 11):
        record_contact(
            db_session=db_session, contact_in=call(case, f"2026-02-19 {hour}:00", Outcome.NO_ANSWER), actor="t"
        )
    promise = PromiseIn(amount=Decimal("100.00"), due_on=AS_OF)
    record_contact(
        db_session=db_session,
        contact_in=call(case, "2026-02-19 15:00", Outcome.PROMISE, conversation=True, promise=promise),
        actor="t",
    )
    facts = load_case_facts(db_session=db_session, case_id=case.id, as_of=AS_OF)
    assert facts.active_holds == {HoldType.DISPUTE}
    assert facts.promise_open and facts.promise_due_today
    assert facts.last_outcome is Outcome.PROMISE
    assert facts.failed_attempts == 0


def test_failed_attempts_run_since_the_last_answered_call(db_session: Session, factories: Factories) -> None:
    case, _ = overdue_case(db_session, factories)
    record_contact(db_session=db_session, contact_in=call(case, "2026-02-18 10:00", Outcome.ANSWERED), actor="t")
    for hour in (10, 11, 12):
        record_contact(
            db_session=db_session, contact_in=call(case, f"2026-02-19 {hour}:00", Outcome.NO_ANSWER), actor="t"
        )
    facts = load_case_facts(db_session=db_session, case_id=case.id, as_of=AS_OF)
    assert facts.failed_attempts == 3 and facts.last_outcome is Outcome.NO_ANSWER


def test_a_broken_promise_counts_for_thirty_days(db_session: Session, factories: Factories) -> None:
    case, _ = overdue_case(db_session, factories)
    db_session.add(
        PromiseToPay(case_id=case.id, amount=Decimal("10.00"), due_on=date(2026, 2, 1), status=PromiseStatus.BROKEN)
    )
    db_session.flush()
    assert load_case_facts(db_session=db_session, case_id=case.id, as_of=AS_OF).broken_promises == 1
    assert load_case_facts(db_session=db_session, case_id=case.id, as_of=date(2026, 3, 5)).broken_promises == 0


def test_the_bulk_reader_returns_every_open_case_in_the_range_in_order(
    db_session: Session, factories: Factories
) -> None:
    first, _ = overdue_case(db_session, factories)
    tenant_id = first.tenant_id
    found = read_facts(
        db_session=db_session, tenant_id=tenant_id, as_of=AS_OF, case_ids=range(first.id, first.id + 1000)
    )
    assert [f.case_id for f in found] == [first.id]
    assert read_facts(db_session=db_session, tenant_id=tenant_id, as_of=AS_OF, case_ids=range(first.id)) == []
