"""Property tests of the ledger engine and its closed-form cap.

The only reference implementation here is a naive day-by-day loop of the capping
recurrence; the rest states invariants the engine must keep for any loan, payments,
holds and as-of date (each test says which in its docstring).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, localcontext

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arrears.ledger.capping import cap_phases, share_out
from arrears.ledger.engine import (
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    ScheduledInstallment,
    compute_position,
)
from arrears.ledger.enums import AllocationOrder, Component, LoanStatus
from arrears.ledger.rules import (
    DEFAULT_COMPONENTS,
    Acceleration,
    ChargeRules,
    CostCap,
    ProductRules,
    Waterfall,
)

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)
Loan = tuple[LoanTerms, list[PostedPayment], list[PauseWindow], date]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# The capping recurrence, one day at a time -----------------------------------------


def naive_cap(slack: Decimal, h: Decimal, c: Decimal, days: int) -> tuple[list[Decimal], Decimal]:
    """a_k = clamp(slack_{k-1} + h, 0, c); slack_k = slack_{k-1} + h - a_k, literally."""
    amounts = []
    for _ in range(days):
        allowed = min(max(slack + h, ZERO), c)
        amounts.append(allowed)
        slack = slack + h - allowed
    return amounts, slack


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda units: Decimal(units).scaleb(-places))


@settings(max_examples=1500, deadline=None)
@given(
    slack=decimals(-5_000_000, 5_000_000, 3),
    h=st.one_of(st.just(ZERO), decimals(0, 100_000, 4)),
    c=st.one_of(st.just(ZERO), decimals(0, 100_000, 4)),
    days=st.integers(0, 400),
)
def test_cap_phases_equal_the_day_by_day_recurrence(slack: Decimal, h: Decimal, c: Decimal, days: int) -> None:
    """Expanding the phases day by day gives exactly the naive loop's daily charges, so
    every phase total and the final slack agree to the last digit; phases are
    non-empty and cover exactly ``days`` days."""
    with localcontext() as context:
        context.prec = 60
        phases, final = cap_phases(slack, h, c, days)
        expected, expected_final = naive_cap(slack, h, c, days)
    assert all(count >= 1 for count, _ in phases)
    assert sum(count for count, _ in phases) == days
    daily = [amount for count, amount in phases for _ in range(count)]
    assert daily == expected
    assert final == expected_final
    start = 0
    for count, amount in phases:
        assert count * amount == sum(expected[start : start + count], ZERO)
        start += count


@settings(max_examples=300, deadline=None)
@given(rates=st.lists(decimals(0, 10_000, 2), min_size=1, max_size=6), permille=st.integers(0, 1000))
def test_share_out_gives_the_amount_in_priority_order(rates: list[Decimal], permille: int) -> None:
    """Any amount up to the sum of the rates is given out in full, no stream gets more
    than its rate, and a later stream gets something only when every earlier one is full."""
    total = sum(rates, ZERO)
    amount = total * permille / 1000
    shares = share_out(amount, rates)
    assert sum(shares, ZERO) == amount
    assert all(ZERO <= got <= rate for got, rate in zip(shares, rates, strict=True))
    for index, got in enumerate(shares):
        if got > ZERO:
            assert all(shares[before] == rates[before] for before in range(index))


# Random loans -----------------------------------------------------------------------


def money(low_cents: int, high_cents: int, *, whole: bool) -> st.SearchStrategy[Decimal]:
    if whole:
        return st.integers(low_cents // 100, high_cents // 100).map(
            lambda units: Decimal(units).quantize(Decimal("0.01"))
        )
    return st.integers(low_cents, high_cents).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def product_rules(draw: st.DrawFn, currency: str) -> ProductRules:
    penalty_kind = draw(st.sampled_from(["daily", "annual", "none"]))
    charges = ChargeRules(
        penalty_daily_rate=draw(decimals(1, 10_000, 6)) if penalty_kind == "daily" else None,
        penalty_annual_rate=draw(decimals(1, 3_000, 3)) if penalty_kind == "annual" else None,
        penalty_base=draw(st.sampled_from(["principal", "principal_and_interest"])),
        late_fee_daily_rate=draw(st.one_of(decimals(1, 500, 4), st.just(ZERO))),
        late_fee_base=draw(st.sampled_from(["installment_outstanding", "installment_amount"])),
        grace_days=draw(st.integers(0, 5)),
        accrue_from=draw(st.sampled_from(["due_date", "grace_end"])),
    )
    cap_kind = draw(st.sampled_from(["lpr_multiple", "annual_rate", "none"]))
    cost_cap = CostCap(
        kind=cap_kind,
        annual_rate=draw(decimals(1, 500, 3)) if cap_kind == "annual_rate" else None,
        multiple=draw(st.sampled_from([Decimal(1), Decimal(4)])),
    )
    after_dpd = draw(st.one_of(st.none(), st.integers(1, 40)))
    components = draw(st.permutations(DEFAULT_COMPONENTS))
    return ProductRules(
        currency=currency,
        days_in_year=draw(st.sampled_from([360, 365])),
        charges=charges,
        cost_cap=cost_cap,
        acceleration=Acceleration(after_dpd=after_dpd, demand_days=draw(st.integers(0, 5))),
        waterfall=Waterfall(components=tuple(components), order=draw(st.sampled_from(list(AllocationOrder)))),
        dpd_tolerance=draw(st.sampled_from([ZERO, Decimal("0.50"), Decimal("5.00")])),
    )


@st.composite
def loans(draw: st.DrawFn) -> Loan:
    """A loan of 1-4 installments (some interest-only), 0-5 payments (some reversed,
    some after the as-of date), 0-2 holds and an as-of date up to ~7 months out."""
    currency = draw(st.sampled_from(["CNY", "CNY", "CNY", "JPY"]))
    whole = currency == "JPY"
    disbursed = draw(st.dates(date(2024, 1, 1), date(2028, 12, 31)))
    count = draw(st.integers(1, 4))
    schedule = []
    due = disbursed
    for number in range(1, count + 1):
        due += timedelta(days=draw(st.integers(1, 45)))
        principal = draw(st.one_of(st.just(ZERO), money(1, 500_000_00, whole=whole)))
        if principal == ZERO:
            interest = draw(money(1, 1_000_00, whole=whole))
        else:  # 0-3% of the principal: a period's interest that leaves room under most caps
            interest = (principal * draw(decimals(0, 300, 4))).quantize(Decimal(1) if whole else Decimal("0.01"))
        schedule.append(ScheduledInstallment(number, due, principal, interest))
    total = sum((item.principal for item in schedule), ZERO)
    if total == ZERO:
        schedule[-1] = replace(schedule[-1], principal=Decimal("100.00"))
        total = Decimal("100.00")
    contract = disbursed - timedelta(days=draw(st.integers(0, 10)))
    terms = LoanTerms(total, disbursed, contract, tuple(schedule), draw(product_rules(currency)))
    horizon = (due - disbursed).days + 90

    def some_day() -> date:
        """Any day up to the horizon, or (half the time) a few days around a due date,
        where grace, the first day late and the cap's first bite happen."""
        if draw(st.booleans()):
            return disbursed + timedelta(days=draw(st.integers(0, horizon)))
        near = draw(st.sampled_from(schedule)).due_date + timedelta(days=draw(st.integers(-2, 8)))
        return max(near, disbursed)

    payments = [
        PostedPayment(
            ref=f"P{index}",
            value_date=some_day(),
            amount=draw(money(100, int(total * 100) + 10_000_00, whole=whole)),
            reversed=draw(st.booleans()) and draw(st.booleans()),
        )
        for index in range(draw(st.integers(0, 5)))
    ]
    holds = []
    for _ in range(draw(st.integers(0, 2))):
        start = some_day()
        length = draw(st.one_of(st.none(), st.integers(0, 30)))
        end = None if length is None else start + timedelta(days=length)
        holds.append(PauseWindow(start, end, pauses_aging=draw(st.booleans()), pauses_charges=draw(st.booleans())))
    as_of = some_day()
    return terms, payments, holds, as_of


def position(terms: LoanTerms, payments: list[PostedPayment], holds: list[PauseWindow], as_of: date) -> LoanPosition:
    return compute_position(terms, payments, as_of=as_of, holds=holds)


def allocation_totals(pos: LoanPosition) -> dict[tuple[int | None, Component], Decimal]:
    totals: dict[tuple[int | None, Component], Decimal] = defaultdict(lambda: ZERO)
    for item in pos.allocations:
        totals[(item.installment, item.component)] += item.amount
    return dict(totals)


def without_allocations(pos: LoanPosition) -> LoanPosition:
    return replace(pos, allocations=())


# Invariants -------------------------------------------------------------------------


@FAST
@given(loans())
def test_allocations_add_up_and_nothing_goes_negative(loan: Loan) -> None:
    """Every standing payment up to the as-of date is allocated in full (overpayment
    included) and no balance, paid amount or charge is ever negative or above what
    it belongs to."""
    terms, payments, holds, as_of = loan
    pos = position(terms, payments, holds, as_of)
    standing = sum((p.amount for p in payments if not p.reversed and p.value_date <= as_of), ZERO)
    assert pos.paid_total == standing
    assert sum((item.amount for item in pos.allocations), ZERO) == standing
    assert all(item.amount > ZERO for item in pos.allocations)
    for name in (
        "overdue_principal",
        "overdue_interest",
        "penalty_outstanding",
        "late_fee_outstanding",
        "charges_in_grace",
        "charges_accrued",
        "charges_paid",
        "principal_outstanding",
        "payoff_amount",
        "overpayment",
        "interest_counted",
        "cap_cut",
    ):
        assert getattr(pos, name) >= ZERO, name
    assert pos.days_past_due >= 0
    for item in pos.installments:
        assert ZERO <= item.principal_paid <= item.principal_due
        assert item.interest_paid >= ZERO and item.interest_waived >= ZERO
        assert item.interest_paid + item.interest_waived <= item.interest_due
        assert ZERO <= item.penalty_paid <= item.penalty_accrued
        assert ZERO <= item.late_fee_paid <= item.late_fee_accrued
    assert pos.charges_paid <= pos.charges_accrued


@FAST
@given(loans())
def test_each_days_accrual_stays_within_the_cap(loan: Loan) -> None:
    """The cap guarantee, day by day: a day either adds no charge, or leaves interest
    counted + charges within the cost limit. With C(d) the charges accrued (truncated
    to the unit) at the end of day d, L(d) the cost limit and I(d) the interest
    counted: C(d) <= max(C(d-1), L(d) - I(d)). Truncation needs no allowance: truncated
    charges never exceed the exact ones, and L is truncated too."""
    terms, payments, holds, as_of = loan
    assume(terms.rules.cost_cap.kind != "none" and as_of > terms.disbursed_on)
    today = position(terms, payments, holds, as_of)
    yesterday = position(terms, payments, holds, as_of - ONE_DAY)
    assert today.cost_limit is not None
    assert today.charges_accrued <= max(yesterday.charges_accrued, today.cost_limit - today.interest_counted)


@FAST
@given(loans(), st.data())
def test_replay_is_idempotent_and_extra_boundaries_change_nothing(loan: Loan, data: st.DataObject) -> None:
    """The same facts give the same position every time; splitting the replay at
    extra days (a hold that pauses nothing), adding a reversed payment or a payment
    dated after the as-of date changes nothing."""
    terms, payments, holds, as_of = loan
    first = position(terms, payments, holds, as_of)
    assert position(terms, payments, holds, as_of) == first
    span = (as_of - terms.disbursed_on).days
    cuts = data.draw(st.lists(st.integers(0, span), max_size=4))
    no_ops = [
        PauseWindow(
            terms.disbursed_on + timedelta(days=cut),
            None if cut % 2 else terms.disbursed_on + timedelta(days=cut + 3),
            False,
            False,
        )
        for cut in cuts
    ]
    assert position(terms, payments, holds + no_ops, as_of) == first
    extra = [
        PostedPayment("REV", as_of, Decimal("123.45"), reversed=True),
        PostedPayment("LATER", as_of + ONE_DAY, Decimal("99.00")),
    ]
    assert position(terms, payments + extra, holds, as_of) == first


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loans())
def test_closed_form_equals_one_segment_per_day(loan: Loan) -> None:
    """Cutting the replay into one segment per day (a pause-nothing hold on each day)
    gives the same position as the closed-form segments: the cap solved over a run of
    days equals the cap applied day after day inside the engine."""
    terms, payments, holds, as_of = loan
    as_of = min(as_of, terms.disbursed_on + timedelta(days=120))
    daily = [
        PauseWindow(
            terms.disbursed_on + timedelta(days=offset), terms.disbursed_on + timedelta(days=offset), False, False
        )
        for offset in range((as_of - terms.disbursed_on).days + 1)
    ]
    assert position(terms, payments, holds + daily, as_of) == position(terms, payments, holds, as_of)


@FAST
@given(loans())
def test_paying_the_payoff_closes_the_loan(loan: Loan) -> None:
    """Paying exactly the payoff amount on the as-of date closes the loan: status
    closed and payoff 0 that day, and still closed, current and owing nothing 60
    days later (no interest or charge revives it)."""
    terms, payments, holds, as_of = loan
    payments = [p for p in payments if p.value_date <= as_of]
    before = position(terms, payments, holds, as_of)
    assume(before.payoff_amount > ZERO)
    paid = [*payments, PostedPayment("PAYOFF", as_of, before.payoff_amount)]
    after = position(terms, paid, holds, as_of)
    assert after.status is LoanStatus.CLOSED
    assert after.payoff_amount == ZERO
    assert after.overpayment == before.overpayment
    later = position(terms, paid, holds, as_of + timedelta(days=60))
    assert later.status is LoanStatus.CLOSED
    assert later.payoff_amount == ZERO
    assert later.days_past_due == 0
    assert later.charges_accrued == after.charges_accrued


@FAST
@given(loans(), st.randoms(use_true_random=False))
def test_payment_order_in_the_list_does_not_matter(loan: Loan, rng: random.Random) -> None:
    """Payments are replayed by value date, so a back-dated payment listed (posted)
    after later ones gives the same position. Only payments sharing a value date keep
    their listed order, which can move money between those payments' allocation rows
    but not the totals per installment and component."""
    terms, payments, holds, as_of = loan
    shuffled = list(payments)
    rng.shuffle(shuffled)
    first = position(terms, payments, holds, as_of)
    second = position(terms, shuffled, holds, as_of)
    assert without_allocations(first) == without_allocations(second)
    assert allocation_totals(first) == allocation_totals(second)
    if len({p.value_date for p in payments}) == len(payments):
        assert first.allocations == second.allocations
