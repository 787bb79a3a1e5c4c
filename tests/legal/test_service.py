"""Referrals, proceedings and their money on both back ends: the checklist gates, the lifecycle refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from arrears.cases.enums import CaseStatus
from arrears.errors import Conflict, InvalidInput
from arrears.legal import service
from arrears.legal.enums import AmountKind, JudgmentOutcome, ProceedingKind, ProceedingStatus, ReferralStatus
from arrears.legal.exceptions import ProceedingTransitionRefused
from arrears.legal.schemas import AmountIn, ProceedingIn, ReferralIn
from tests.factories import Factories
from tests.legal.helpers import (
    CHECKER,
    MAKER,
    REFERRED_ON,
    audit_actions,
    legal_case,
    open_proceeding,
    ready_referral,
    served_payment_order,
    step,
)

K = ProceedingKind
S = ProceedingStatus


def test_a_referral_becomes_ready_only_when_every_item_is_done_and_signed_off_by_someone_else(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = service.refer(
        db_session=db_session,
        referral_in=ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="多次承诺未兑现"),
        actor=MAKER,
    )
    with pytest.raises(Conflict, match="sign off once every other item is done"):
        service.tick(
            db_session=db_session, referral_id=referral.id, item="approver_signoff", on=REFERRED_ON, actor=CHECKER
        )
    for item in ("documents_gathered", "amount_confirmed", "debtor_notified", "non_legal_exhausted"):
        service.tick(db_session=db_session, referral_id=referral.id, item=item, on=REFERRED_ON, actor=MAKER)
    assert referral.status is ReferralStatus.OPEN
    with pytest.raises(Conflict, match="cannot sign off"):
        service.tick(
            db_session=db_session, referral_id=referral.id, item="approver_signoff", on=REFERRED_ON, actor=MAKER
        )
    service.tick(db_session=db_session, referral_id=referral.id, item="approver_signoff", on=REFERRED_ON, actor=CHECKER)
    assert service.get_referral(db_session=db_session, referral_id=referral.id).status is ReferralStatus.READY
    assert referral.checklist["approver_signoff"]["by"] == CHECKER
    actions = audit_actions(db_session, "legal_referral", referral.id)
    assert actions[0] == "legal.referred"
    assert actions.count("legal.checklist_ticked") == 5
    assert actions[-1] == "legal.referral_ready"


def test_referral_refuses_unknown_items_twice_ticked_items_and_a_second_live_referral(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = service.refer(
        db_session=db_session,
        referral_in=ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="r"),
        actor=MAKER,
    )
    with pytest.raises(InvalidInput, match="no checklist item 'lawyer_letter'"):
        service.tick(db_session=db_session, referral_id=referral.id, item="lawyer_letter", on=REFERRED_ON, actor=MAKER)
    service.tick(db_session=db_session, referral_id=referral.id, item="debtor_notified", on=REFERRED_ON, actor=MAKER)
    with pytest.raises(Conflict, match="already done"):
        service.tick(
            db_session=db_session, referral_id=referral.id, item="debtor_notified", on=REFERRED_ON, actor=MAKER
        )
    with pytest.raises(Conflict, match="already referred"):
        service.refer(
            db_session=db_session,
            referral_in=ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="again"),
            actor=MAKER,
        )


def test_a_closed_case_cannot_be_referred_and_a_blank_reason_is_refused(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    subject.case.status = CaseStatus.CLOSED
    with pytest.raises(Conflict, match="is closed"):
        service.refer(
            db_session=db_session,
            referral_in=ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="x"),
            actor=MAKER,
        )
    with pytest.raises(ValidationError, match="a reason is needed"):
        ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="   ")


def test_no_proceeding_starts_before_the_checklist_is_complete(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    referral = service.refer(
        db_session=db_session,
        referral_in=ReferralIn(case_id=subject.case.id, referred_on=REFERRED_ON, reason="r"),
        actor=MAKER,
    )
    with pytest.raises(Conflict, match="checklist is incomplete") as refused:
        open_proceeding(db_session, referral, K.PAYMENT_ORDER)
    assert "documents_gathered" in refused.value.one_line()


def test_serving_a_payment_order_on_a_friday_sets_the_deadline_to_the_monday_after(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    order = served_payment_order(db_session, referral, served_on=date(2026, 3, 6))
    assert order.status is S.SERVED
    assert order.served_on == date(2026, 3, 6)
    assert order.objection_deadline == date(2026, 3, 23)
    with pytest.raises(Conflict, match="runs until 2026-03-23"):
        step(db_session, order, "lapse", date(2026, 3, 23))
    step(db_session, order, "lapse", date(2026, 3, 24))
    assert service.get_proceeding(db_session=db_session, proceeding_id=order.id).status is S.EFFECTIVE
    assert [e.event for e in service.get_events(db_session=db_session, proceeding_id=order.id)] == [
        "open",
        "issue",
        "serve",
        "lapse",
    ]


def test_an_objection_after_the_deadline_does_not_stop_the_order(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    order = served_payment_order(db_session, ready_referral(db_session, subject.case), served_on=date(2026, 3, 6))
    with pytest.raises(Conflict, match="after the deadline 2026-03-23"):
        step(db_session, order, "object", date(2026, 3, 24))
    step(db_session, order, "object", date(2026, 3, 23))
    assert order.status is S.OBJECTED


def test_illegal_transitions_are_refused_and_nothing_changes(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    lawsuit = open_proceeding(db_session, referral, K.LAWSUIT)
    with pytest.raises(ProceedingTransitionRefused, match="cannot 'judge' a lawsuit that is filed"):
        step(db_session, lawsuit, "judge", date(2026, 4, 1), outcome="won")
    assert lawsuit.status is S.FILED
    assert audit_actions(db_session, "legal_proceeding", lawsuit.id) == ["legal.proceeding_opened"]
    with pytest.raises(InvalidInput, match="before the proceeding's last step"):
        step(db_session, lawsuit, "accept", date(2026, 3, 1))


def test_a_lawsuit_runs_to_judgment_then_enforcement_restriction_and_listing_stand_on_it(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    lawsuit = open_proceeding(db_session, referral, K.LAWSUIT)
    with pytest.raises(Conflict, match="not yet a basis"):
        open_proceeding(db_session, referral, K.ENFORCEMENT, parent=lawsuit)
    with pytest.raises(InvalidInput, match="stands on a payment order or lawsuit"):
        open_proceeding(db_session, referral, K.ENFORCEMENT)
    step(db_session, lawsuit, "accept", date(2026, 3, 10))
    step(db_session, lawsuit, "schedule_hearing", date(2026, 3, 12), hearing_on=date(2026, 4, 20))
    step(db_session, lawsuit, "schedule_hearing", date(2026, 4, 10), hearing_on=date(2026, 5, 11))
    assert lawsuit.hearing_on == date(2026, 5, 11)
    step(db_session, lawsuit, "judge", date(2026, 5, 11), outcome="won")
    assert (lawsuit.status, lawsuit.judgment_outcome) == (S.JUDGED, JudgmentOutcome.WON)

    enforcement = open_proceeding(db_session, referral, K.ENFORCEMENT, on=date(2026, 6, 1), parent=lawsuit)
    with pytest.raises(Conflict, match="not yet a basis"):
        open_proceeding(db_session, referral, K.DISHONEST_LISTING, on=date(2026, 6, 1), parent=enforcement)
    step(db_session, enforcement, "accept", date(2026, 6, 3))
    for event in ("freeze", "deduct", "auction"):
        step(db_session, enforcement, event, date(2026, 6, 10))
    restriction = open_proceeding(
        db_session, referral, K.CONSUMPTION_RESTRICTION, on=date(2026, 6, 10), parent=enforcement
    )
    step(db_session, restriction, "order", date(2026, 6, 12))
    listing = open_proceeding(db_session, referral, K.DISHONEST_LISTING, on=date(2026, 6, 10), parent=enforcement)
    step(db_session, listing, "list", date(2026, 6, 15))
    assert (restriction.status, listing.status) == (S.IN_FORCE, S.IN_FORCE)
    with pytest.raises(Conflict, match="still has proceedings under way"):
        service.close_referral(db_session=db_session, referral_id=referral.id, on=date(2026, 7, 1), actor=MAKER)


def test_a_judgment_needs_an_outcome_and_a_hearing_needs_its_day() -> None:
    from arrears.legal.schemas import TransitionIn

    with pytest.raises(ValidationError, match="judge needs outcome"):
        TransitionIn(event="judge", on=date(2026, 5, 1))
    with pytest.raises(ValidationError, match="schedule_hearing needs hearing_on"):
        TransitionIn(event="schedule_hearing", on=date(2026, 5, 1))


def test_fees_and_recoveries_are_exact_and_audited(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    order = served_payment_order(db_session, referral, served_on=date(2026, 3, 6))
    for kind, category, amount in (
        ("fee", "court_fee", "0.10"),
        ("fee", "lawyer_fee", "0.20"),
        ("recovery", "voluntary", "1000.05"),
    ):
        service.record_amount(
            db_session=db_session,
            proceeding_id=order.id,
            amount_in=AmountIn(kind=AmountKind(kind), category=category, amount=Decimal(amount), on=date(2026, 3, 10)),
            actor=MAKER,
        )
    db_session.expire_all()
    amounts = service.get_amounts(db_session=db_session, proceeding_id=order.id)
    assert sum((a.amount for a in amounts if a.kind is AmountKind.FEE), Decimal(0)) == Decimal("0.30")
    assert audit_actions(db_session, "legal_proceeding", order.id).count("legal.fee_recorded") == 2
    with pytest.raises(ValidationError, match="a fee category is one of"):
        AmountIn(kind=AmountKind.FEE, category="auction", amount=Decimal("1"), on=date(2026, 3, 10))
    with pytest.raises(ValidationError, match="more than two decimals"):
        AmountIn(kind=AmountKind.FEE, category="court_fee", amount="1.001", on=date(2026, 3, 10))
    with pytest.raises(ValidationError, match="never as floats"):
        AmountIn(kind=AmountKind.FEE, category="court_fee", amount=0.1, on=date(2026, 3, 10))
    with pytest.raises(InvalidInput, match="before the proceeding opened"):
        service.record_amount(
            db_session=db_session,
            proceeding_id=order.id,
            amount_in=AmountIn(kind=AmountKind.FEE, category="court_fee", amount=Decimal("5"), on=date(2026, 1, 1)),
            actor=MAKER,
        )


def test_a_referral_closes_once_its_proceedings_are_finished(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    order = open_proceeding(db_session, referral, K.PAYMENT_ORDER)
    step(db_session, order, "withdraw", date(2026, 3, 5), note="debtor paid in full")
    service.close_referral(db_session=db_session, referral_id=referral.id, on=date(2026, 3, 6), actor=MAKER)
    assert (referral.status, referral.closed_on) == (ReferralStatus.CLOSED, date(2026, 3, 6))
    with pytest.raises(Conflict, match="is closed"):
        open_proceeding(db_session, referral, K.LAWSUIT)


def test_proceeding_input_refuses_float_and_negative_claims() -> None:
    with pytest.raises(ValidationError, match="never as floats"):
        ProceedingIn(referral_id=1, kind=K.LAWSUIT, opened_on=REFERRED_ON, claimed=10.5)
    with pytest.raises(ValidationError, match="more than zero"):
        ProceedingIn(referral_id=1, kind=K.LAWSUIT, opened_on=REFERRED_ON, claimed="-3")


def test_text_with_nul_characters_and_ids_beyond_an_integer_column_are_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ReferralIn(case_id=1, referred_on=REFERRED_ON, reason="bad\x00reason")
    with pytest.raises(ValidationError, match="less than or equal to 2147483647"):
        ReferralIn(case_id=2**31, referred_on=REFERRED_ON, reason="r")
