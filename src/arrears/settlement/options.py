"""The plan calculator (pure, no I/O): each option's schedule, the debtor's total cost, the lender's expected recovery.

Every option starts from the loan's :class:`Balance` on the plan's effective date
and ends as the same three things: the components waived, the new instalments,
and two figures for comparing options side by side:

- ``debtor_total``: what the debtor pays if they keep the plan (instalments,
  plan interest included);
- ``expected_recovery`` = p x debtor_total + (1 - p) x first instalment, where p
  is the case's propensity to pay from the last segmentation run, or, when the
  case has none, 0.80 for debt under two years past due and 0.20 beyond (the
  recovery rates practitioners quote; see docs/settlement.md). A plan that is
  broken typically brings in its first instalment and no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.dates import add_months
from arrears.errors import InvalidInput
from arrears.money import round_money
from arrears.settlement.enums import PlanKind, Treatment

ZERO = Decimal("0.00")
MAX_PERIODS = 60
"""Five years of monthly instalments: the longest 停息挂账 plans lenders are seen to grant."""
RECOVERABLE_UNDER_TWO_YEARS = Decimal("0.80")
RECOVERABLE_OVER_TWO_YEARS = Decimal("0.20")
TWO_YEARS_DAYS = 730


@dataclass(frozen=True)
class Balance:
    """What the loan owes on the effective date, by component (payable charges only)."""

    principal: Decimal
    interest: Decimal
    charges: Decimal
    overdue: Decimal
    days_past_due: int
    currency: str = "CNY"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.charges


@dataclass(frozen=True)
class Waivers:
    charges: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.charges + self.interest + self.principal


@dataclass(frozen=True)
class PlanTerms:
    """What the proposer asks for. ``amount`` is the sum paid now (pay_now) or the settlement sum."""

    kind: PlanKind
    effective_on: date
    periods: int = 1
    amount: Decimal | None = None
    waivers: Waivers = Waivers()
    annual_rate: Decimal = ZERO
    first_due_on: date | None = None
    pay_within_days: int = 7


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Option:
    kind: PlanKind
    effective_on: date
    waivers: Waivers
    schedule: tuple[Instalment, ...]
    treatments: dict[str, dict[str, str]]
    debtor_total: Decimal
    expected_recovery: Decimal
    propensity: Decimal
    charges_frozen: bool
    annual_rate: Decimal
    periods: int


def default_propensity(days_past_due: int) -> Decimal:
    return RECOVERABLE_UNDER_TWO_YEARS if days_past_due < TWO_YEARS_DAYS else RECOVERABLE_OVER_TWO_YEARS


def generate_schedule(
    amount: Decimal, *, periods: int, first_due_on: date, annual_rate: Decimal, currency: str = "CNY"
) -> tuple[Instalment, ...]:
    """Monthly instalments repaying ``amount``: equal instalments (等额本息) at ``annual_rate``, equal principal at 0.

    Each month's interest is the balance x rate / 12, rounded half up to the cent; the
    last instalment takes whatever principal rounding left, so principal sums exactly.
    """
    if periods < 1 or periods > MAX_PERIODS:
        raise InvalidInput(f"a plan runs 1 to {MAX_PERIODS} periods, not {periods}", where="periods")
    if annual_rate < 0 or annual_rate > 1:
        raise InvalidInput(f"the plan's annual rate {annual_rate} is not between 0 and 1", where="annual_rate")
    if amount <= 0:
        raise InvalidInput("nothing is left to schedule", where="amount")
    monthly = annual_rate / 12
    if monthly == 0:
        payment = round_money(amount / periods, currency)
    else:
        factor = (1 + monthly) ** periods
        payment = round_money(amount * monthly * factor / (factor - 1), currency)
    balance = amount
    rows = []
    for number in range(1, periods + 1):
        interest = round_money(balance * monthly, currency)
        principal = balance if number == periods else min(balance, payment - interest)
        rows.append(Instalment(number, add_months(first_due_on, number - 1), principal, interest))
        balance -= principal
    return tuple(rows)


def _check_waivers(balance: Balance, waivers: Waivers) -> None:
    for name, asked, owed in (
        ("charges", waivers.charges, balance.charges),
        ("interest", waivers.interest, balance.interest),
        ("principal", waivers.principal, balance.principal),
    ):
        if asked < 0:
            raise InvalidInput("a waiver cannot be negative", where=f"waive_{name}")
        if asked > owed:
            raise InvalidInput(
                f"cannot waive {asked} of {name}: only {owed} is owed",
                where=f"waive_{name}",
                hint="waive at most what is owed",
            )


def _discount(balance: Balance, discount: Decimal) -> Waivers:
    """A discount taken from charges first, then interest, then principal."""
    charges = min(discount, balance.charges)
    interest = min(discount - charges, balance.interest)
    return Waivers(charges, interest, discount - charges - interest)


def _treatments(balance: Balance, waivers: Waivers, kept: Treatment) -> dict[str, dict[str, str]]:
    rows = {}
    for name, owed, waived in (
        ("charges", balance.charges, waivers.charges),
        ("interest", balance.interest, waivers.interest),
        ("principal", balance.principal, waivers.principal),
    ):
        rest = owed - waived
        rows[name] = {
            Treatment.WAIVED.value: str(waived),
            Treatment.CAPITALISED.value: str(rest if kept is Treatment.CAPITALISED else ZERO),
            Treatment.CARRIED_FORWARD.value: str(rest if kept is Treatment.CARRIED_FORWARD else ZERO),
        }
    return rows


def build(balance: Balance, terms: PlanTerms, *, propensity: Decimal) -> Option:
    """The option ``terms`` describe, checked against the balance."""
    try:
        return _build(balance, terms, propensity=propensity)
    except (OverflowError, ValueError):
        # Only dates can get here: a plan whose instalments would fall after the year 9999.
        raise InvalidInput(
            f"a plan from {terms.effective_on} over {terms.periods} periods runs past the calendar",
            where="effective_on",
        ) from None


def _build(balance: Balance, terms: PlanTerms, *, propensity: Decimal) -> Option:
    if balance.total <= 0:
        raise InvalidInput("the loan owes nothing on the effective date: there is nothing to plan")
    if terms.pay_within_days < 1 or terms.pay_within_days > 90:
        raise InvalidInput("pay_within_days must be 1 to 90", where="pay_within_days")
    pay_by = terms.effective_on + timedelta(days=terms.pay_within_days)
    first_due = terms.first_due_on or add_months(terms.effective_on, 1)
    if first_due <= terms.effective_on:
        raise InvalidInput("the first instalment must fall after the effective date", where="first_due_on")
    currency = balance.currency
    rate = terms.annual_rate
    frozen = False
    if terms.kind is PlanKind.PAY_NOW:
        amount = _required_amount(terms)
        if amount >= balance.total:
            raise InvalidInput(
                f"{amount} pays the whole balance of {balance.total}: that is a payment, not a plan", where="amount"
            )
        waivers = Waivers()
        later = add_months(terms.effective_on, max(terms.periods, 1))
        schedule: tuple[Instalment, ...] = (
            Instalment(1, pay_by, amount, ZERO),
            Instalment(2, max(later, pay_by + timedelta(days=1)), balance.total - amount, ZERO),
        )
        kept = Treatment.CARRIED_FORWARD
        rate = ZERO
    elif terms.kind is PlanKind.SETTLE_FOR_LESS:
        amount = _required_amount(terms)
        if amount > balance.total:
            raise InvalidInput(f"{amount} is more than the balance of {balance.total}", where="amount")
        waivers = _discount(balance, balance.total - amount)
        schedule = (Instalment(1, pay_by, amount, ZERO),)
        kept = Treatment.CARRIED_FORWARD
        rate = ZERO
    else:
        waivers = terms.waivers
        _check_waivers(balance, waivers)
        if terms.kind is PlanKind.FREEZE:
            rate, frozen = ZERO, True
        kept = Treatment.CAPITALISED if rate > 0 else Treatment.CARRIED_FORWARD
        schedule = generate_schedule(
            balance.total - waivers.total,
            periods=terms.periods,
            first_due_on=first_due,
            annual_rate=rate,
            currency=currency,
        )
    debtor_total = sum((item.total for item in schedule), ZERO)
    first = schedule[0].total
    expected = round_money(propensity * debtor_total + (1 - propensity) * first, currency)
    return Option(
        kind=terms.kind,
        effective_on=terms.effective_on,
        waivers=waivers,
        schedule=schedule,
        treatments=_treatments(balance, waivers, kept),
        debtor_total=debtor_total,
        expected_recovery=expected,
        propensity=propensity,
        charges_frozen=frozen,
        annual_rate=rate,
        periods=len(schedule),
    )


def _required_amount(terms: PlanTerms) -> Decimal:
    if terms.amount is None or terms.amount <= 0:
        raise InvalidInput(f"a {terms.kind.value} plan needs a positive amount", where="amount")
    return terms.amount


def quote(
    balance: Balance,
    *,
    effective_on: date,
    propensity: Decimal,
    periods: int = 12,
    annual_rate: Decimal = ZERO,
    amount_now: Decimal | None = None,
    settlement_amount: Decimal | None = None,
) -> list[Option]:
    """One option of each kind, for the debtor and the collector to compare.

    Defaults: pay the overdue amount now and the rest in ``periods`` months; repay
    everything in ``periods`` instalments at ``annual_rate``; park everything without
    interest or charges over ``periods`` months; settle for principal and interest with
    every charge waived. An option the balance does not allow is left out.
    """
    now = amount_now if amount_now is not None else balance.overdue
    settle = settlement_amount if settlement_amount is not None else balance.principal + balance.interest
    candidates = [
        PlanTerms(PlanKind.PAY_NOW, effective_on, periods=periods, amount=now),
        PlanTerms(PlanKind.INSTALMENTS, effective_on, periods=periods, annual_rate=annual_rate),
        PlanTerms(PlanKind.FREEZE, effective_on, periods=periods),
        PlanTerms(PlanKind.SETTLE_FOR_LESS, effective_on, amount=settle),
    ]
    options = []
    for terms in candidates:
        try:
            options.append(build(balance, terms, propensity=propensity))
        except InvalidInput:
            continue
    return options
