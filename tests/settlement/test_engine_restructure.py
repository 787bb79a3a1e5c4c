"""The engine replays an approved plan's restructure: figures worked out by hand, cent for cent.

The loan: 3 x (1,000.00 principal + 50.00 interest), disbursed 2026-01-01, due on the
1st of February, March and April; a late fee of 1% of the installment outstanding per
day late; no cost cap, no penalty, so every figure below is simple arithmetic.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.errors import InvalidInput
from arrears.ledger import LoanStatus
from arrears.ledger.engine import LoanTerms, PostedPayment, Restructure, ScheduledInstallment, compute_position
from arrears.ledger.rules import ProductRules

D = Decimal
RULES = ProductRules.model_validate({"charges": {"late_fee_daily_rate": "0.01"}, "cost_cap": {"kind": "none"}})
SCHEDULE = tuple(ScheduledInstallment(n, date(2026, n + 1, 1), D("1000.00"), D("50.00")) for n in (1, 2, 3))
TERMS = LoanTerms(D("3000.00"), date(2026, 1, 1), date(2026, 1, 1), SCHEDULE, RULES)
EFFECTIVE = date(2026, 2, 11)  # installment 1 is 10 days late: late fee 1,050.00 x 1% x 10 = 105.00


def plan(principal: str = "762.50", waive_charges: str = "105.00", **fields: object) -> Restructure:
    """Four monthly instalments from 2026-03-11 repaying 3,050.00 (principal 3,000 + interest 50 due)."""
    new = tuple(ScheduledInstallment(3 + k, date(2026, 2 + k, 11), D(principal), D("0")) for k in (1, 2, 3, 4))
    return Restructure(EFFECTIVE, new, waive_charges=D(waive_charges), **fields)  # type: ignore[arg-type]


def test_before_the_plan_the_loan_owes_principal_interest_due_and_ten_days_of_late_fee() -> None:
    position = compute_position(TERMS, [], as_of=EFFECTIVE)
    assert (position.late_fee_outstanding, position.days_past_due, position.payoff_amount) == (
        D("105.00"),
        10,
        D("3155.00"),
    )


def test_an_approved_waiver_of_all_charges_leaves_3050_owed_on_the_new_schedule_and_the_loan_current() -> None:
    position = compute_position(TERMS, [], as_of=EFFECTIVE, restructures=[plan()])
    assert position.payoff_amount == D("3050.00")  # 3,155.00 - 105.00 waived; interest of periods 2-3 dropped
    assert position.charges_waived == D("105.00")
    assert position.days_past_due == 0
    assert position.status is LoanStatus.ACTIVE
    old = position.installments[0]
    assert (old.principal_rescheduled, old.interest_rescheduled, old.rescheduled_on) == (
        D("1000.00"),
        D("50.00"),
        EFFECTIVE,
    )
    assert old.principal_outstanding == 0 and old.interest_outstanding == 0


def test_a_missed_plan_instalment_ages_and_charges_from_its_own_due_date() -> None:
    paid_first = [PostedPayment("p1", date(2026, 3, 11), D("762.50"))]
    position = compute_position(TERMS, paid_first, as_of=date(2026, 4, 20), restructures=[plan()])
    # Instalment 5 (762.50, due 04-11) is 9 days late: 762.50 x 1% x 9 = 68.625, truncated to 68.62.
    assert position.days_past_due == 9
    assert position.late_fee_outstanding == D("68.62")
    assert position.payoff_amount == D("2287.50") + D("68.62")


def test_a_charge_freeze_stops_charges_on_missed_instalments_until_it_ends() -> None:
    frozen = compute_position(TERMS, [], as_of=date(2026, 3, 21), restructures=[plan(charges_frozen=True)])
    assert (frozen.days_past_due, frozen.late_fee_outstanding) == (10, D("0.00"))
    ended = plan(charges_frozen=True, freeze_ends_on=date(2026, 3, 16))
    thawed = compute_position(TERMS, [], as_of=date(2026, 3, 21), restructures=[ended])
    # Charges run from 03-17 to 03-21: 5 days x 762.50 x 1% = 38.125 -> 38.12.
    assert thawed.late_fee_outstanding == D("38.12")


def test_a_payment_on_the_effective_day_counts_first_and_a_waiver_larger_than_owed_forgives_only_what_is_owed() -> None:
    # 500.00 pays the late fee 105.00, interest 50.00, then principal 345.00 of installment 1.
    paid = [PostedPayment("p0", EFFECTIVE, D("500.00"))]
    position = compute_position(TERMS, paid, as_of=EFFECTIVE, restructures=[plan()])
    assert position.charges_waived == D("0.00")
    # 2,655.00 principal is carried; the plan asked 3,050.00, so its last instalments shrink from the end.
    new = [item for item in position.installments if item.number > 3]
    assert [item.principal_due for item in new] == [D("762.50"), D("762.50"), D("762.50"), D("367.50")]
    assert position.payoff_amount == D("2655.00")


def test_principal_and_interest_waivers_come_off_the_oldest_installment_first() -> None:
    restructure = plan(
        principal="500.00", waive_charges="105.00", waive_interest=D("50.00"), waive_principal=D("1000.00")
    )
    position = compute_position(TERMS, [], as_of=EFFECTIVE, restructures=[restructure])
    assert (position.interest_waived_by_plan, position.principal_waived) == (D("50.00"), D("1000.00"))
    assert position.installments[0].principal_waived == D("1000.00")
    assert position.payoff_amount == D("2000.00")  # 3,155.00 - 105.00 - 50.00 - 1,000.00


def test_a_restructure_the_engine_cannot_replay_is_refused_with_where() -> None:
    clash = Restructure(EFFECTIVE, (ScheduledInstallment(3, date(2026, 3, 11), D("3050.00"), D("0")),))
    with pytest.raises(InvalidInput, match="not after the existing ones"):
        compute_position(TERMS, [], as_of=EFFECTIVE, restructures=[clash])
    early = Restructure(EFFECTIVE, (ScheduledInstallment(4, EFFECTIVE, D("3050.00"), D("0")),))
    with pytest.raises(InvalidInput, match="is not after 2026-02-11"):
        compute_position(TERMS, [], as_of=EFFECTIVE, restructures=[early])


def test_without_restructures_positions_are_exactly_as_before() -> None:
    payments = [PostedPayment("p", date(2026, 2, 5), D("1000.00"))]
    before = compute_position(TERMS, payments, as_of=date(2026, 3, 15))
    assert before == compute_position(TERMS, payments, as_of=date(2026, 3, 15), restructures=())
    assert before.charges_waived == 0 and before.principal_waived == 0


@given(
    days_late=st.integers(min_value=1, max_value=80),
    paid=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=120), st.decimals(min_value=D("0.01"), max_value=D("900"), places=2)
        ),
        max_size=4,
    ),
    waive=st.tuples(*(st.decimals(min_value=D("0"), max_value=D("1500"), places=2) for _ in range(3))),
    grace=st.integers(min_value=0, max_value=5),
)
@settings(max_examples=150, deadline=None)
def test_a_restructure_leaves_exactly_what_was_owed_less_what_was_waived(
    days_late: int, paid: list[tuple[int, Decimal]], waive: tuple[Decimal, Decimal, Decimal], grace: int
) -> None:
    """Whatever was paid before, whatever is waived: the balance carried equals the payoff before, less the
    waivers actually applied (never more than each component owed), and the new schedule owes it to the cent."""
    rules = ProductRules.model_validate(
        {"charges": {"late_fee_daily_rate": "0.01", "penalty_daily_rate": "0.0005", "grace_days": grace}}
    )
    terms = LoanTerms(D("3000.00"), date(2026, 1, 1), date(2026, 1, 1), SCHEDULE, rules)
    effective = date(2026, 2, 1) + timedelta(days=days_late)
    payments = [
        PostedPayment(f"p{n}", date(2026, 1, 1) + timedelta(days=offset), amount)
        for n, (offset, amount) in enumerate(paid)
        if date(2026, 1, 1) + timedelta(days=offset) < effective
    ]
    before = compute_position(terms, payments, as_of=effective)
    if before.principal_outstanding == 0:
        return
    new = (ScheduledInstallment(9, effective + timedelta(days=30), D("1.00"), D("0")),)
    restructure = Restructure(effective, new, waive_charges=waive[0], waive_interest=waive[1], waive_principal=waive[2])
    after = compute_position(terms, payments, as_of=effective, restructures=[restructure])
    waived = after.charges_waived + after.interest_waived_by_plan + after.principal_waived
    assert after.charges_waived == min(waive[0], before.charges_outstanding)
    assert after.principal_waived == min(waive[2], before.principal_outstanding)
    assert after.payoff_amount == before.payoff_amount - waived
    assert after.installments[-1].principal_due == after.payoff_amount  # the one new instalment owes it all
    assert after.days_past_due == 0
