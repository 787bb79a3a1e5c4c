"""The ledger engine: a loan's position on a date, replayed from its facts.

Given the contract (schedule and product rules), the payments that stand (reversed
ones left out), the holds that pause aging or charges, and an as-of date, the engine
replays the loan from disbursement to that date and returns every figure a
collector needs: days past due, overdue amounts, charges, cap, payoff, and how each
payment was allocated.

Replaying from the facts, instead of updating balances in place, is what makes
accrual idempotent per as-of date and makes a back-dated payment or a reversal
re-compute correctly: there is no stored running balance to go wrong. The replay
moves from event to event (due dates, grace ends, payments, holds, acceleration),
and :mod:`arrears.ledger.capping` solves the days in between in closed form.

Conventions, all documented in docs/ledger.md:
- an installment due on day D is overdue from D+1; a payment on day D+n is n days late;
- a charge for day d is computed on what was overdue at the start of d, so a payment
  on day d pays the charge of day d too;
- charges are kept exact and truncated to the currency's minor unit (the cent, or
  the yen) when they become payable, so a rounded figure can never break the cap;
- interest counts against the cost cap on the day it falls due;
- a restructure (an approved repayment plan) takes effect at the end of its day,
  after that day's payments: see :class:`Restructure`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

from arrears.errors import InvalidInput
from arrears.ledger.capping import cap_phases, share_out
from arrears.ledger.enums import AllocationOrder, ChargeKind, Component, LoanStatus
from arrears.ledger.lpr import one_year_lpr
from arrears.ledger.rules import ProductRules
from arrears.money import quantum, round_money

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ScheduledInstallment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True)
class PostedPayment:
    ref: str
    value_date: date
    amount: Decimal
    reversed: bool = False


@dataclass(frozen=True)
class PauseWindow:
    """A hold's effect on the ledger: from ``start`` to ``end`` inclusive (open if None)."""

    start: date
    end: date | None
    pauses_aging: bool = True
    pauses_charges: bool = False

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Restructure:
    """An approved plan's rewrite of the schedule (债务重组), replayed like any other fact.

    At the end of ``effective_on``, after that day's payments, what is still owed on
    the installments is closed: up to ``waive_charges``, ``waive_interest`` and
    ``waive_principal`` is forgiven (oldest installment first; a waiver larger than
    what is owed forgives what is owed), interest not yet due is dropped, charges
    still inside grace lapse, and everything else is owed on ``schedule``: new
    installments numbered after the old ones. Their principal must add up to what
    was carried; when a back-dated payment changed that, the difference is taken
    from (or added to) the last new installments, so the plan ends sooner (or the
    last installment is larger) instead of the loan failing to replay.

    With ``charges_frozen`` (停息挂账) the new installments accrue no overdue charges
    from the day after ``effective_on`` through ``freeze_ends_on`` (for good when None).
    """

    effective_on: date
    schedule: tuple[ScheduledInstallment, ...]
    waive_charges: Decimal = ZERO
    waive_interest: Decimal = ZERO
    waive_principal: Decimal = ZERO
    charges_frozen: bool = False
    freeze_ends_on: date | None = None


@dataclass(frozen=True)
class LoanTerms:
    principal: Decimal
    disbursed_on: date
    contract_date: date
    schedule: tuple[ScheduledInstallment, ...]
    rules: ProductRules


@dataclass(frozen=True)
class Allocation:
    payment_ref: str
    installment: int | None
    component: Component
    amount: Decimal


@dataclass(frozen=True)
class InstallmentPosition:
    number: int
    due_date: date
    effective_due_date: date
    accelerated: bool
    principal_due: Decimal
    interest_due: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    interest_waived: Decimal
    penalty_accrued: Decimal
    penalty_paid: Decimal
    late_fee_accrued: Decimal
    late_fee_paid: Decimal
    charges_payable: bool
    paid_off_on: date | None
    principal_waived: Decimal = ZERO
    principal_rescheduled: Decimal = ZERO
    interest_rescheduled: Decimal = ZERO
    charges_waived: Decimal = ZERO
    charges_rescheduled: Decimal = ZERO
    rescheduled_on: date | None = None

    @property
    def principal_outstanding(self) -> Decimal:
        return self.principal_due - self.principal_paid - self.principal_waived - self.principal_rescheduled

    @property
    def interest_outstanding(self) -> Decimal:
        return self.interest_due - self.interest_paid - self.interest_waived - self.interest_rescheduled


@dataclass(frozen=True)
class LoanPosition:
    as_of: date
    currency: str
    status: LoanStatus
    days_past_due: int
    oldest_unpaid_due_date: date | None
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty_outstanding: Decimal
    late_fee_outstanding: Decimal
    charges_in_grace: Decimal
    charges_accrued: Decimal
    charges_paid: Decimal
    principal_outstanding: Decimal
    payoff_amount: Decimal
    paid_total: Decimal
    overpayment: Decimal
    cap_annual_rate: Decimal | None
    cost_limit: Decimal | None
    interest_counted: Decimal
    cap_cut: Decimal
    accelerated_on: date | None
    installments: tuple[InstallmentPosition, ...]
    allocations: tuple[Allocation, ...]
    charges_waived: Decimal = ZERO
    interest_waived_by_plan: Decimal = ZERO
    principal_waived: Decimal = ZERO

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.charges_outstanding

    @property
    def charges_outstanding(self) -> Decimal:
        return self.penalty_outstanding + self.late_fee_outstanding


@dataclass
class _Stream:
    """One installment's accruing charge of one kind, kept exact and scaled by days_in_year."""

    kind: ChargeKind
    scaled: Decimal = ZERO
    uncapped_scaled: Decimal = ZERO
    daily: Decimal = ZERO  # scaled charge per day while the current segment lasts
    paid: Decimal = ZERO
    waived: Decimal = ZERO  # forgiven by a restructure
    moved: Decimal = ZERO  # carried into a restructure's new installments


@dataclass
class _Installment:
    number: int
    due: date
    effective_due: date
    principal_due: Decimal
    interest_due: Decimal
    principal_left: Decimal
    interest_left: Decimal
    interest_waived: Decimal = ZERO
    accelerated: bool = False
    paid_off_on: date | None = None
    streams: dict[ChargeKind, _Stream] = field(default_factory=dict)
    principal_waived: Decimal = ZERO
    principal_moved: Decimal = ZERO
    interest_moved: Decimal = ZERO
    rescheduled_on: date | None = None
    charge_freeze: PauseWindow | None = None

    @property
    def owed(self) -> Decimal:
        return self.principal_left + self.interest_left


def cap_rate_for(rules: ProductRules, contract_date: date) -> Decimal | None:
    """The annual ceiling on interest + charges, fixed at the contract date."""
    cap = rules.cost_cap
    if cap.kind == "none":
        return None
    if cap.kind == "annual_rate":
        return cap.annual_rate
    return cap.multiple * one_year_lpr(contract_date)


def validate_terms(terms: LoanTerms) -> None:
    """Refuse a contract the engine cannot replay, saying what is wrong."""
    if terms.principal <= ZERO:
        raise InvalidInput("loan principal must be positive", where="principal")
    if not terms.schedule:
        raise InvalidInput("the loan has no installments", where="schedule")
    numbers = [item.number for item in terms.schedule]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("installment numbers repeat", where="schedule")
    ordered = sorted(terms.schedule, key=lambda item: item.number)
    previous = terms.disbursed_on
    for item in ordered:
        where = f"schedule[{item.number}]"
        if item.due_date <= previous:
            raise InvalidInput(
                f"due date {item.due_date} is not after {previous}",
                where=where,
                hint="due dates must rise with the installment number and follow the disbursement date",
            )
        if item.principal < ZERO or item.interest < ZERO:
            raise InvalidInput("installment amounts cannot be negative", where=where)
        previous = item.due_date
    scheduled = sum((item.principal for item in terms.schedule), ZERO)
    if scheduled != terms.principal:
        raise InvalidInput(
            f"installment principal adds up to {scheduled}, not the loan principal {terms.principal}",
            where="schedule",
            hint="correct the schedule or the principal so that they agree",
        )


def validate_restructures(terms: LoanTerms, restructures: Sequence[Restructure]) -> None:
    """Refuse restructures the engine cannot replay, saying what is wrong."""
    numbers = {item.number for item in terms.schedule}
    previous_day = terms.disbursed_on
    for index, restructure in enumerate(sorted(restructures, key=lambda entry: entry.effective_on)):
        where = f"restructures[{index}]"
        if restructure.effective_on <= previous_day:
            raise InvalidInput(
                f"a restructure takes effect on {restructure.effective_on}, not after {previous_day}",
                where=where,
                hint="a restructure follows the disbursement date and any earlier restructure",
            )
        if min(restructure.waive_charges, restructure.waive_interest, restructure.waive_principal) < ZERO:
            raise InvalidInput("a waiver cannot be negative", where=where)
        if not restructure.schedule:
            raise InvalidInput("a restructure needs at least one new installment", where=where)
        due_before = restructure.effective_on
        for item in sorted(restructure.schedule, key=lambda entry: entry.number):
            if item.number <= max(numbers):
                raise InvalidInput(
                    f"new installment number {item.number} is not after the existing ones",
                    where=f"{where}.schedule[{item.number}]",
                )
            if item.due_date <= due_before:
                raise InvalidInput(
                    f"due date {item.due_date} is not after {due_before}",
                    where=f"{where}.schedule[{item.number}]",
                    hint="new due dates follow the effective date and rise with the number",
                )
            if item.principal < ZERO or item.interest < ZERO:
                raise InvalidInput("installment amounts cannot be negative", where=f"{where}.schedule[{item.number}]")
            numbers.add(item.number)
            due_before = item.due_date
        previous_day = restructure.effective_on


class _Replay:
    def __init__(
        self, terms: LoanTerms, holds: Sequence[PauseWindow], restructures: Sequence[Restructure] = ()
    ) -> None:
        self.terms = terms
        self.restructures = {item.effective_on: item for item in restructures}
        self.plan_waivers = [ZERO, ZERO, ZERO]  # charges, interest, principal forgiven by restructures
        self.rules = terms.rules
        self.year = Decimal(self.rules.days_in_year)
        # Charges become payable in whole minor units of the currency (cents, or yen).
        self.unit = quantum(self.rules.currency)
        self.cap_rate = cap_rate_for(self.rules, terms.contract_date)
        self.holds = tuple(holds)
        # Aging pauses sorted by start, so paused days are counted by interval, not day by day.
        self.aging_pauses = sorted(
            ((hold.start, hold.end) for hold in self.holds if hold.pauses_aging),
            key=lambda window: window[0],
        )
        self.items = [
            _Installment(
                number=item.number,
                due=item.due_date,
                effective_due=item.due_date,
                principal_due=item.principal,
                interest_due=item.interest,
                principal_left=item.principal,
                interest_left=item.interest,
                streams={kind: _Stream(kind) for kind in ChargeKind},
            )
            for item in sorted(terms.schedule, key=lambda entry: entry.number)
        ]
        self.principal_days = ZERO
        self.interest_counted = ZERO
        self.accelerated_on: date | None = None
        self.allocations: list[Allocation] = []
        self.overpayment = ZERO
        self.paid_total = ZERO
        self.interest_paid_ahead: tuple[date, Decimal] | None = None
        """Interest of installments not yet due paid on a day the payments did not settle the loan.

        A payment later that day that settles turns it back into principal (the
        day's payments count as their sum), so the payoff quoted for that day is
        lower by this amount."""
        self.charges_paused = False
        self.due_today = False
        self._candidates: list[date] = []
        self._seed_candidates()

    # Event dates ---------------------------------------------------------------

    def _add_candidate(self, day: date) -> None:
        index = bisect.bisect_left(self._candidates, day)
        if index == len(self._candidates) or self._candidates[index] != day:
            self._candidates.insert(index, day)

    def _seed_candidates(self) -> None:
        for item in self.items:
            self._add_candidate(item.effective_due)
        for hold in self.holds:
            self._add_candidate(hold.start)
            if hold.end is not None:
                self._add_candidate(hold.end + ONE_DAY)
        for day in self.restructures:
            # A restructure acts at the end of its day, so that day must end a segment.
            self._add_candidate(day + ONE_DAY)

    def _add_overdue_candidates(self, day: date) -> None:
        """When charges start only at the grace end, that day is an event for an unpaid installment.

        The day after a due day needs no candidate: a due day with money owed is always
        a segment of its own (see ``due_today``). Whether charges are payable is read
        from the date (``is_payable``), so the grace end needs no event otherwise.
        """
        grace = self.rules.charges.grace_days
        if self.rules.charges.accrue_from != "grace_end" or not grace:
            return
        if any(item.effective_due == day and item.owed > ZERO for item in self.items):
            self._add_candidate(day + timedelta(days=grace + 1))

    def next_candidate_after(self, day: date) -> date | None:
        index = bisect.bisect_right(self._candidates, day)
        return self._candidates[index] if index < len(self._candidates) else None

    # Aging ---------------------------------------------------------------------

    def oldest_unpaid_due(self, day: date) -> date | None:
        """Oldest due date before ``day`` whose installment is still unpaid."""
        tolerance = self.rules.dpd_tolerance
        dues = [item.effective_due for item in self.items if item.effective_due < day and item.owed > tolerance]
        return min(dues) if dues else None

    def paused_aging_days(self, first: date, last: date) -> int:
        """Days in [first, last] under a hold that pauses aging (overlapping holds count once)."""
        total = 0
        covered_to = first - ONE_DAY  # last day already counted
        for start, end in self.aging_pauses:
            start = max(start, covered_to + ONE_DAY)
            end = last if end is None else min(end, last)
            if start <= end:
                total += (end - start).days + 1
                covered_to = end
        return total

    def _aging_paused_from(self, day: date) -> bool:
        """True when an open-ended hold pauses aging on ``day`` and every day after it."""
        return any(hold.pauses_aging and hold.end is None and hold.start <= day for hold in self.holds)

    def days_past_due(self, day: date) -> int:
        """DPD counted at ``day``: the days since the oldest unpaid due date, less paused days."""
        oldest = self.oldest_unpaid_due(day)
        if oldest is None:
            return 0
        return (day - oldest).days - self.paused_aging_days(oldest + ONE_DAY, day)

    def _add_acceleration_candidate(self, day: date) -> None:
        limit = self.rules.acceleration.after_dpd
        if limit is None or self.accelerated_on is not None:
            return
        oldest = self.oldest_unpaid_due(day + ONE_DAY)
        if oldest is None:
            return
        target = oldest + timedelta(days=limit + 1)
        while True:
            # The search only moves forward to the first day DPD exceeds the limit, a
            # day that is never paused; once it reaches an open-ended hold that pauses
            # aging, no such day exists (and the search would never stop).
            if self._aging_paused_from(target):
                return
            moved = oldest + timedelta(days=limit + 1 + self.paused_aging_days(oldest + ONE_DAY, target))
            if moved == target:
                break
            target = moved
        if target > day:
            self._add_candidate(target)

    def _accelerate(self, day: date) -> None:
        """Declare the remaining principal due (提前到期); future interest is no longer owed."""
        self.accelerated_on = day
        demand_due = day + timedelta(days=self.rules.acceleration.demand_days)
        for item in self.items:
            if item.effective_due > day and item.owed > ZERO:
                item.accelerated = True
                item.effective_due = min(item.effective_due, demand_due)
                item.interest_waived += item.interest_left
                item.interest_left = ZERO
                if item.owed == ZERO:
                    # An interest-only installment ends here, not at whatever day the
                    # replay's current segment happens to end.
                    item.paid_off_on = day
        self._add_candidate(demand_due)

    # One day's start -----------------------------------------------------------

    def start_day(self, day: date) -> None:
        self.charges_paused = any(hold.pauses_charges and hold.covers(day) for hold in self.holds)
        limit = self.rules.acceleration.after_dpd
        if limit is not None and self.accelerated_on is None and self.days_past_due(day) > limit:
            self._accelerate(day)
        counted = ZERO
        for item in self.items:
            if item.effective_due <= day:
                counted += item.interest_due - item.interest_waived
        self.interest_counted = counted
        self.due_today = any(item.effective_due == day and item.owed > ZERO for item in self.items)
        self._set_daily_rates(day)

    def _set_daily_rates(self, day: date) -> None:
        charges = self.rules.charges
        year = self.year
        grace = timedelta(days=charges.grace_days)
        if charges.penalty_annual_rate is not None:
            penalty_scaled_rate = charges.penalty_annual_rate
        else:
            penalty_scaled_rate = (charges.penalty_daily_rate or ZERO) * year
        late_scaled_rate = charges.late_fee_daily_rate * year
        for item in self.items:
            accruing = (
                not self.charges_paused
                and not (item.charge_freeze is not None and item.charge_freeze.covers(day))
                and item.effective_due < day
                and item.owed > ZERO
                and (charges.accrue_from == "due_date" or day > item.effective_due + grace)
            )
            if not accruing:
                for stream in item.streams.values():
                    stream.daily = ZERO
                continue
            penalty_base = item.principal_left if charges.penalty_base == "principal" else item.owed
            if charges.late_fee_base == "installment_outstanding":
                late_base = item.owed
            else:
                # The installment as now owed: interest dropped on acceleration is no base.
                late_base = item.principal_due + item.interest_due - item.interest_waived
            item.streams[ChargeKind.PENALTY].daily = penalty_scaled_rate * penalty_base
            item.streams[ChargeKind.LATE_FEE].daily = late_scaled_rate * late_base

    # Accrual -------------------------------------------------------------------

    def principal_outstanding(self) -> Decimal:
        return sum((item.principal_left for item in self.items), ZERO)

    def _ordered_streams(self) -> list[_Stream]:
        return [item.streams[kind] for item in self.items for kind in (ChargeKind.PENALTY, ChargeKind.LATE_FEE)]

    def accrue(self, days: int) -> None:
        """Accrue ``days`` identical days, the cap solved in closed form."""
        outstanding = self.principal_outstanding()
        streams = self._ordered_streams()
        rates = [stream.daily for stream in streams]
        total_rate = sum(rates, ZERO)
        for stream in streams:
            stream.uncapped_scaled += stream.daily * days
        if self.cap_rate is None:
            for stream in streams:
                stream.scaled += stream.daily * days
        else:
            growth = self.cap_rate * outstanding
            charged = sum((stream.scaled for stream in streams), ZERO)
            slack = self.cap_rate * self.principal_days - self.year * self.interest_counted - charged
            phases, _ = cap_phases(slack, growth, total_rate, days)
            for count, amount in phases:
                if amount == ZERO:
                    continue
                shares = rates if amount == total_rate else share_out(amount, rates)
                for stream, share in zip(streams, shares, strict=True):
                    stream.scaled += share * count
        self.principal_days += outstanding * days

    # Payments ------------------------------------------------------------------

    def payable_charge(self, stream: _Stream) -> Decimal:
        return self.truncate(stream.scaled) - stream.paid - stream.waived - stream.moved

    def truncate(self, scaled: Decimal) -> Decimal:
        return (scaled / self.year).quantize(self.unit, rounding=ROUND_DOWN)

    def is_payable(self, item: _Installment, day: date) -> bool:
        """Charges can be paid (and are no longer waivable) once the grace days are over."""
        return day > item.effective_due + timedelta(days=self.rules.charges.grace_days)

    def _owing(self, item: _Installment, component: Component, day: date) -> Decimal:
        if component is Component.PRINCIPAL:
            return item.principal_left
        if component is Component.INTEREST:
            return item.interest_left
        if not self.is_payable(item, day):
            return ZERO
        return self.payable_charge(item.streams[ChargeKind(component.value)])

    def _settle(self, item: _Installment, component: Component, amount: Decimal) -> None:
        if component is Component.PRINCIPAL:
            item.principal_left -= amount
        elif component is Component.INTEREST:
            item.interest_left -= amount
        else:
            item.streams[ChargeKind(component.value)].paid += amount

    def pay_day(self, payments: Sequence[PostedPayment], day: date) -> None:
        """Apply one value date's payments, in their listed order.

        Installments already due are paid first, payment by payment. Whether
        the rest settles the loan or pays ahead is decided on the day's total,
        not payment by payment: two payments on one day must leave the loan as
        one payment of their sum would, whichever was posted first.
        """
        leftovers = []
        for payment in payments:
            self.paid_total += payment.amount
            leftovers.append((payment, self._pay_due(payment, day)))
        ahead = [item for item in self.items if item.effective_due > day and item.owed > ZERO]
        remaining = sum((left for _, left in leftovers), ZERO)
        settles = remaining > ZERO and remaining >= sum((item.principal_left for item in ahead), ZERO)
        interest_before = sum((item.interest_left for item in ahead), ZERO)
        leftovers = [(payment, self._pay_ahead(payment, ahead, left, settles=settles)) for payment, left in leftovers]
        if not settles:
            self.interest_paid_ahead = (day, interest_before - sum((item.interest_left for item in ahead), ZERO))
        if self.principal_outstanding() == ZERO:
            # No principal left, so no interest still to fall due is owed: without
            # this an interest-only installment after the last principal would reopen
            # a loan that its payoff had closed.
            for item in self.items:
                if item.effective_due > day:
                    item.interest_waived += item.interest_left
                    item.interest_left = ZERO
        for payment, left in leftovers:
            if left > ZERO:
                self.overpayment += left
                self.allocations.append(Allocation(payment.ref, None, Component.OVERPAYMENT, left))

    def _pay_due(self, payment: PostedPayment, day: date) -> Decimal:
        """Pay what is due by ``day`` in waterfall order; returns what is left of the payment."""
        left = payment.amount
        due = [item for item in self.items if item.effective_due <= day]
        waterfall = self.rules.waterfall
        if waterfall.order is AllocationOrder.INSTALLMENT_FIRST:
            order = [(item, component) for item in due for component in waterfall.components]
        else:
            order = [(item, component) for component in waterfall.components for item in due]
        for item, component in order:
            if left == ZERO:
                break
            left = self._apply(payment, item, component, left)
        return left

    def _pay_ahead(self, payment: PostedPayment, ahead: list[_Installment], left: Decimal, *, settles: bool) -> Decimal:
        if left == ZERO:
            return left
        if settles:
            # Enough to settle (提前结清): the remaining principal is paid and the
            # interest of periods not yet reached is no longer owed.
            for item in ahead:
                left = self._apply(payment, item, Component.PRINCIPAL, left)
            return left
        # Paying ahead (提前还款): the next installments are paid as they stand,
        # interest included, so paying a few days early never waives interest.
        contractual = [c for c in self.rules.waterfall.components if c in (Component.INTEREST, Component.PRINCIPAL)]
        for item, component in [(item, component) for item in ahead for component in contractual]:
            if left == ZERO:
                break
            left = self._apply(payment, item, component, left)
        return left

    def _apply(self, payment: PostedPayment, item: _Installment, component: Component, left: Decimal) -> Decimal:
        owing = self._owing(item, component, payment.value_date)
        if owing <= ZERO or left <= ZERO:  # nothing owed, or the payment is spent: no empty allocation
            return left
        amount = min(owing, left)
        self._settle(item, component, amount)
        self.allocations.append(Allocation(payment.ref, item.number, component, amount))
        return left - amount

    def restructure(self, plan: Restructure, day: date) -> None:
        """Close what the old installments owe and carry it into the plan's installments."""
        waive_charges, waive_interest, waive_principal = plan.waive_charges, plan.waive_interest, plan.waive_principal
        carried = ZERO
        for item in self.items:
            if item.owed == ZERO and all(self.payable_charge(stream) == ZERO for stream in item.streams.values()):
                continue
            item.rescheduled_on = day
            if self.is_payable(item, day):
                for kind in (ChargeKind.PENALTY, ChargeKind.LATE_FEE):
                    stream = item.streams[kind]
                    owing = self.payable_charge(stream)
                    waived = min(owing, waive_charges)
                    waive_charges -= waived
                    stream.waived += waived
                    stream.moved += owing - waived
                    carried += owing - waived
                    self.plan_waivers[0] += waived
            if item.effective_due <= day:
                waived = min(item.interest_left, waive_interest)
                waive_interest -= waived
                item.interest_waived += waived
                item.interest_moved += item.interest_left - waived
                carried += item.interest_left - waived
                self.plan_waivers[1] += waived
            else:
                item.interest_waived += item.interest_left  # not yet earned: the plan sets its own interest
            item.interest_left = ZERO
            waived = min(item.principal_left, waive_principal)
            waive_principal -= waived
            item.principal_waived += waived
            item.principal_moved += item.principal_left - waived
            carried += item.principal_left - waived
            item.principal_left = ZERO
            self.plan_waivers[2] += waived
        freeze = PauseWindow(day + ONE_DAY, plan.freeze_ends_on, False, True) if plan.charges_frozen else None
        principals = [item.principal for item in sorted(plan.schedule, key=lambda entry: entry.number)]
        difference = carried - sum(principals, ZERO)
        if difference > ZERO:
            principals[-1] += difference
        for index in range(len(principals) - 1, -1, -1):
            if difference >= ZERO:
                break
            taken = min(principals[index], -difference)
            principals[index] -= taken
            difference += taken
        for entry, principal in zip(sorted(plan.schedule, key=lambda entry: entry.number), principals, strict=True):
            interest = entry.interest if principal > ZERO else ZERO  # no balance left, no interest on it
            self.items.append(
                _Installment(
                    number=entry.number,
                    due=entry.due_date,
                    effective_due=entry.due_date,
                    principal_due=principal,
                    interest_due=interest,
                    principal_left=principal,
                    interest_left=interest,
                    streams={kind: _Stream(kind) for kind in ChargeKind},
                    charge_freeze=freeze,
                )
            )
            self._add_candidate(entry.due_date)
        if freeze is not None and freeze.end is not None:
            self._add_candidate(freeze.end + ONE_DAY)
        # The plan replaces any demand for the whole balance: the new schedule is the contract now.
        self.accelerated_on = None

    def end_day(self, day: date) -> None:
        """Mark installments paid off today; charges still in grace are waived."""
        plan = self.restructures.get(day)
        if plan is not None:
            self.restructure(plan, day)
        for item in self.items:
            if item.paid_off_on is None and item.owed == ZERO:
                item.paid_off_on = day
                if not self.is_payable(item, day):
                    for stream in item.streams.values():
                        stream.scaled = ZERO
                        stream.uncapped_scaled = ZERO
        self._add_overdue_candidates(day)
        self._add_acceleration_candidate(day)


def compute_position(
    terms: LoanTerms,
    payments: Iterable[PostedPayment],
    *,
    as_of: date,
    holds: Sequence[PauseWindow] = (),
    restructures: Sequence[Restructure] = (),
) -> LoanPosition:
    """The loan's position at the end of ``as_of`` (after that day's payments)."""
    validate_terms(terms)
    validate_restructures(terms, restructures)
    standing = sorted(
        (payment for payment in payments if not payment.reversed and payment.value_date <= as_of),
        key=lambda payment: payment.value_date,
    )
    for payment in standing:
        if payment.amount <= ZERO:
            raise InvalidInput(f"payment {payment.ref} has a non-positive amount", where=f"payments[{payment.ref}]")
        if payment.value_date < terms.disbursed_on:
            raise InvalidInput(
                f"payment {payment.ref} is dated {payment.value_date}, before disbursement on {terms.disbursed_on}",
                where=f"payments[{payment.ref}]",
            )
    with localcontext() as context:
        context.prec = 60
        replay = _Replay(terms, holds, restructures)
        by_day: dict[date, list[PostedPayment]] = {}
        for payment in standing:
            by_day.setdefault(payment.value_date, []).append(payment)
        paydays = sorted(by_day)
        replay.pay_day(by_day.get(terms.disbursed_on, []), terms.disbursed_on)
        replay.end_day(terms.disbursed_on)
        day = terms.disbursed_on + ONE_DAY
        while day <= as_of:
            replay.start_day(day)
            following = replay.next_candidate_after(day)
            index = bisect.bisect_left(paydays, day)
            next_payday = paydays[index] if index < len(paydays) else None
            last = day if replay.due_today else as_of
            if following is not None:
                last = min(last, following - ONE_DAY)
            if next_payday is not None:
                last = min(last, next_payday)
            replay.accrue((last - day).days + 1)
            replay.pay_day(by_day.get(last, []), last)
            replay.end_day(last)
            day = last + ONE_DAY
        return _position(replay, as_of)


def _position(replay: _Replay, as_of: date) -> LoanPosition:
    currency = replay.rules.currency
    installments: list[InstallmentPosition] = []
    overdue_principal = overdue_interest = penalty_left = late_left = in_grace = ZERO
    accrued = charges_paid = principal_left = payoff = cap_cut = ZERO
    for item in replay.items:
        penalty, late = item.streams[ChargeKind.PENALTY], item.streams[ChargeKind.LATE_FEE]
        penalty_accrued, late_accrued = replay.truncate(penalty.scaled), replay.truncate(late.scaled)
        installments.append(
            InstallmentPosition(
                number=item.number,
                due_date=item.due,
                effective_due_date=item.effective_due,
                accelerated=item.accelerated,
                principal_due=item.principal_due,
                interest_due=item.interest_due,
                principal_paid=item.principal_due - item.principal_left - item.principal_waived - item.principal_moved,
                interest_paid=item.interest_due - item.interest_left - item.interest_waived - item.interest_moved,
                interest_waived=item.interest_waived,
                penalty_accrued=penalty_accrued,
                penalty_paid=penalty.paid,
                late_fee_accrued=late_accrued,
                late_fee_paid=late.paid,
                charges_payable=replay.is_payable(item, as_of),
                paid_off_on=item.paid_off_on,
                principal_waived=item.principal_waived,
                principal_rescheduled=item.principal_moved,
                interest_rescheduled=item.interest_moved,
                charges_waived=penalty.waived + late.waived,
                charges_rescheduled=penalty.moved + late.moved,
                rescheduled_on=item.rescheduled_on,
            )
        )
        accrued += penalty_accrued + late_accrued
        charges_paid += penalty.paid + late.paid
        cap_cut += penalty.uncapped_scaled + late.uncapped_scaled - penalty.scaled - late.scaled
        principal_left += item.principal_left
        if item.effective_due < as_of:
            overdue_principal += item.principal_left
            overdue_interest += item.interest_left
        if replay.is_payable(item, as_of):
            penalty_left += penalty_accrued - penalty.paid - penalty.waived - penalty.moved
            late_left += late_accrued - late.paid - late.waived - late.moved
        else:
            in_grace += penalty_accrued + late_accrued
        payoff += item.principal_left
        if item.effective_due <= as_of:
            payoff += item.interest_left
    payoff += penalty_left + late_left
    if replay.interest_paid_ahead is not None and replay.interest_paid_ahead[0] == as_of:
        payoff -= replay.interest_paid_ahead[1]
    dpd = replay.days_past_due(as_of)
    oldest = replay.oldest_unpaid_due(as_of)
    cost_limit = None
    if replay.cap_rate is not None:
        cost_limit = replay.truncate(replay.cap_rate * replay.principal_days)
    return LoanPosition(
        as_of=as_of,
        currency=currency,
        status=_status(replay, principal_left, payoff, dpd),
        days_past_due=dpd,
        oldest_unpaid_due_date=oldest,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        penalty_outstanding=penalty_left,
        late_fee_outstanding=late_left,
        charges_in_grace=in_grace,
        charges_accrued=accrued,
        charges_paid=charges_paid,
        principal_outstanding=principal_left,
        payoff_amount=round_money(payoff, currency),
        paid_total=replay.paid_total,
        overpayment=replay.overpayment,
        cap_annual_rate=replay.cap_rate,
        cost_limit=cost_limit,
        interest_counted=replay.interest_counted,
        cap_cut=replay.truncate(cap_cut),
        accelerated_on=replay.accelerated_on,
        installments=tuple(installments),
        allocations=tuple(replay.allocations),
        charges_waived=replay.plan_waivers[0],
        interest_waived_by_plan=replay.plan_waivers[1],
        principal_waived=replay.plan_waivers[2],
    )


def _status(replay: _Replay, principal_left: Decimal, payoff: Decimal, dpd: int) -> LoanStatus:
    if principal_left == ZERO and payoff == ZERO:
        return LoanStatus.CLOSED
    if replay.accelerated_on is not None:
        return LoanStatus.ACCELERATED
    if dpd > 0:
        return LoanStatus.OVERDUE
    return LoanStatus.ACTIVE
