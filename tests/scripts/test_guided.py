"""The guided call: steps in order, the four core tasks, what the debtor said, recorded through the guard."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.contact.enums import Outcome
from arrears.contact.flows import record_contact
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.errors import Conflict, InvalidInput
from arrears.portfolio.enums import Relation
from arrears.scripts.guided import STEPS, AgreedPromise, CallKind, CoreTask, GuidedCall, start
from arrears.scripts.intents import Classification, Intent, PromiseTerms, classify
from arrears.scripts.library.enums import CallStep, Objection, Persona
from tests.factories import Factories

TODAY = date(2026, 3, 3)  # a Tuesday
AT = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def said(call: GuidedCall, text: str) -> tuple[GuidedCall, Objection | None]:
    return call.hear(text, classify(text, today=TODAY))


def test_a_first_call_walks_the_method_of_the_first_call_in_order() -> None:
    call = start(CallKind.FIRST_CALL, case_id=1)
    seen = []
    while not call.finished:
        seen.append(call.step)
        call = call.complete_step()
    assert seen == list(STEPS[CallKind.FIRST_CALL])
    assert seen[:3] == [CallStep.VERIFY_IDENTITY, CallStep.INTRODUCE, CallStep.ASK_PAYMENT_TODAY]
    with pytest.raises(Conflict):
        call.complete_step()


def test_the_checklist_needs_the_reason_and_the_promise_not_just_the_steps() -> None:
    call = start(CallKind.FIRST_CALL, case_id=1)
    while not call.finished:
        call = call.complete_step()
    assert call.checklist == {
        CoreTask.ASK_PAYMENT_TODAY: True,
        CoreTask.LEARN_REASON: False,
        CoreTask.COSTS_AND_BENEFITS: True,
        CoreTask.PROMISE: False,
    }


def test_what_the_debtor_says_gives_the_objection_the_reason_and_the_promise() -> None:
    call = start(CallKind.FIRST_CALL, case_id=1)
    call, objection = call.hear("被裁员了", Classification(Intent.HARDSHIP_JOB_LOSS, 0.9, PromiseTerms()))
    assert objection is Objection.HARDSHIP_JOB_LOSS
    assert call.reason == "job_loss"
    call, objection = said(call, "下周五还三千")  # the classifier end to end
    assert objection is Objection.PROMISE_TO_PAY
    assert call.promise == AgreedPromise(due_on=date(2026, 3, 13), amount=Decimal("3000"))
    assert call.checklist[CoreTask.PROMISE] and call.checklist[CoreTask.LEARN_REASON]


def test_a_third_party_call_has_no_payment_steps_no_promise_and_records_a_stop_request() -> None:
    call = start(CallKind.THIRD_PARTY, case_id=1, third_party_id=9)
    assert CallStep.ASK_PAYMENT_TODAY not in call.steps and call.checklist == {}
    with pytest.raises(InvalidInput, match="never asked to promise"):
        call.agree(AgreedPromise(due_on=TODAY, amount=Decimal("1")))
    call, _ = said(call, "别再打电话给我了，他的事跟我没关系")
    contact = call.contact_in(at=AT, number=None)
    assert contact.purpose == "location" and contact.promise is None
    assert contact.conversation is False


def test_a_third_party_call_must_name_the_third_party() -> None:
    with pytest.raises(InvalidInput):
        start(CallKind.THIRD_PARTY, case_id=1)
    with pytest.raises(InvalidInput):
        start(CallKind.FIRST_CALL, case_id=1, third_party_id=3)


def test_the_call_is_recorded_through_the_guard_with_reason_persona_and_promise(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    call = start(CallKind.FIRST_CALL, case_id=case.id).tag(reason="illness", persona=Persona.VICTIM)
    call = call.agree(AgreedPromise(due_on=date(2026, 3, 10), amount=Decimal("800.00"), channel="app"))
    result = record_contact(db_session=db_session, contact_in=call.contact_in(at=AT, number=None), actor="t")
    attempt = result.raise_if_blocked()
    assert (attempt.outcome, attempt.reason_code, attempt.persona) == (Outcome.PROMISE, "illness", "victim")
    promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.contact_attempt_id == attempt.id)).one()
    assert (promise.amount, promise.due_on, promise.channel) == (Decimal("800.00"), date(2026, 3, 10), "app")


def test_a_third_party_stop_request_blocks_the_next_call_to_them(db_session: Session, factories: Factories) -> None:
    borrower = factories.borrower()
    case = factories.case(borrower)
    sister = factories.third_party(borrower, Relation.SIBLING)
    call = start(CallKind.THIRD_PARTY, case_id=case.id, third_party_id=sister.id)
    call, _ = said(call, "别再打电话给我了")
    assert call.stop_requested
    record_contact(db_session=db_session, contact_in=call.contact_in(at=AT, number=None), actor="t")
    again = start(CallKind.THIRD_PARTY, case_id=case.id, third_party_id=sister.id)
    later = again.contact_in(at=datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")), number=None)
    assert record_contact(db_session=db_session, contact_in=later, actor="t").attempt is None
    assert db_session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case.id)).all()
