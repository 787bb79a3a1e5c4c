"""The plan calculator: schedules that sum to the cent, each option's cost to the debtor and expected recovery."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.errors import InvalidInput
from arrears.settlement.enums import PlanKind
from arrears.settlement.options import Balance, PlanTerms, Waivers, build, default_propensity, generate_schedule, quote

D = Decimal
BALANCE = Balance(
    principal=D("3000.00"), interest=D("50.00"), charges=D("105.00"), overdue=D("1155.00"), days_past_due=10
)
START = date(2026, 2, 11)


def test_equal_principal_without_interest_puts_the_rounding_cent_on_the_last_instalment() -> None:
    rows = generate_schedule(D("100.00"), periods=3, first_due_on=date(2026, 3, 31), annual_rate=D("0"))
    assert [row.principal for row in rows] == [D("33.33"), D("33.33"), D("33.34")]
    assert [row.due_on for row in rows] == [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def test_equal_instalments_at_12_percent_match_the_annuity_worked_by_hand() -> None:
    # 1,000.00 over 2 months at 1% a month: payment 1000 x 0.01 x 1.0201 / 0.0201 = 507.51.
    rows = generate_schedule(D("1000.00"), periods=2, first_due_on=date(2026, 3, 1), annual_rate=D("0.12"))
    assert [(row.principal, row.interest) for row in rows] == [(D("497.51"), D("10.00")), (D("502.49"), D("5.02"))]


@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
    periods=st.integers(min_value=1, max_value=60),
    rate=st.decimals(min_value=D("0"), max_value=D("0.36"), places=4),
)
def test_principal_of_any_schedule_sums_exactly_to_the_amount(amount: Decimal, periods: int, rate: Decimal) -> None:
    """Whatever the amount, periods and rate, instalment principal adds up to the amount, none negative."""
    rows = generate_schedule(amount, periods=periods, first_due_on=date(2026, 1, 31), annual_rate=rate)
    assert sum((row.principal for row in rows), D(0)) == amount
    assert all(row.principal >= 0 and row.interest >= 0 for row in rows)


def test_settling_for_less_waives_charges_then_interest_then_principal() -> None:
    option = build(BALANCE, PlanTerms(PlanKind.SETTLE_FOR_LESS, START, amount=D("2900.00")), propensity=D("0.5"))
    assert option.waivers == Waivers(D("105.00"), D("50.00"), D("100.00"))
    assert option.debtor_total == D("2900.00")
    assert option.schedule[0].due_on == date(2026, 2, 18)
    # One instalment: expected recovery is the whole sum times p plus (1 - p) x the same sum.
    assert option.expected_recovery == D("2900.00")
    assert option.treatments["principal"] == {"waived": "100.00", "capitalised": "0.00", "carried_forward": "2900.00"}


def test_expected_recovery_weighs_the_whole_plan_by_propensity_and_a_break_by_the_first_instalment() -> None:
    option = build(BALANCE, PlanTerms(PlanKind.FREEZE, START, periods=10), propensity=D("0.6"))
    assert option.debtor_total == D("3155.00")  # a freeze waives nothing by itself: no interest, no charges
    assert option.schedule[0].total == D("315.50")
    assert option.expected_recovery == D("0.6") * D("3155.00") + D("0.4") * D("315.50")
    assert option.charges_frozen


def test_the_quote_shows_every_kind_with_its_cost_to_the_debtor() -> None:
    options = {option.kind: option for option in quote(BALANCE, effective_on=START, propensity=D("0.8"), periods=12)}
    assert set(options) == set(PlanKind)
    assert options[PlanKind.PAY_NOW].schedule[0].total == D("1155.00")
    assert options[PlanKind.SETTLE_FOR_LESS].debtor_total == D("3050.00")
    with_interest = quote(BALANCE, effective_on=START, propensity=D("0.8"), periods=12, annual_rate=D("0.12"))
    instalments = next(option for option in with_interest if option.kind is PlanKind.INSTALMENTS)
    assert instalments.debtor_total > D("3155.00")


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (PlanTerms(PlanKind.INSTALMENTS, START, periods=3, waivers=Waivers(charges=D("105.01"))), "only 105.00"),
        (PlanTerms(PlanKind.PAY_NOW, START, amount=D("3155.00")), "pays the whole balance"),
        (PlanTerms(PlanKind.SETTLE_FOR_LESS, START), "needs a positive amount"),
        (PlanTerms(PlanKind.INSTALMENTS, START, periods=61), "1 to 60 periods"),
        (PlanTerms(PlanKind.INSTALMENTS, START, periods=2, first_due_on=START), "after the effective date"),
    ],
)
def test_impossible_terms_are_refused_in_one_line(terms: PlanTerms, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(BALANCE, terms, propensity=D("0.5"))


def test_default_propensity_follows_the_age_of_the_debt() -> None:
    assert default_propensity(729) == D("0.80")
    assert default_propensity(730) == D("0.20")
