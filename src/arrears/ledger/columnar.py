"""The ledger engine for many loans at once (列式计算): the same replay, one array row per loan.

:func:`arrears.ledger.engine.compute_position` replays one loan from event to event.
This module replays a whole batch in lockstep: every loan's state (principal and
interest left, exact charges, paid charges, due dates) is a row of a NumPy array,
and each step of the loop does, for every loan at once, what the engine does for
one loan in one segment: start the day (acceleration, the day's charge rates),
accrue the segment's days with the cost cap solved in closed form, apply that
day's payment through the waterfall, and end the day.

Amounts are integers in the currency's minor unit (cents), and the exact charges
are integers in minor units times a power of ten ``scale`` large enough to hold
every rate of the batch exactly, so every figure equals the engine's Decimal one
to the last digit; a test compares the two paths field by field.

Loans this path does not take are left to the row engine and counted (see
:data:`ROUTES`): holds that pause aging or charges, two payments on one day, a
payment on the disbursement day, restructured schedules, amounts finer than the minor unit, contracts the
engine would refuse, and figures too large for 64-bit integers. Correctness never
depends on what the columnar path covers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from arrears.errors import InvalidInput
from arrears.ledger.engine import (
    Allocation,
    InstallmentPosition,
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    Restructure,
    cap_rate_for,
    validate_terms,
)
from arrears.ledger.enums import AllocationOrder, ChargeKind, Component, LoanStatus
from arrears.ledger.rules import ProductRules
from arrears.money import MINOR_UNITS

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# Component slots of the payment arrays.
LATE, PENALTY, INTEREST, PRINCIPAL = 0, 1, 2, 3
SLOT = {
    Component.LATE_FEE: LATE,
    Component.PENALTY: PENALTY,
    Component.INTEREST: INTEREST,
    Component.PRINCIPAL: PRINCIPAL,
}
COMPONENT_OF = {slot: component for component, slot in SLOT.items()}
OVERPAID = 4
COMPONENT_BY_KIND = np.array(
    [COMPONENT_OF.get(kind, Component.OVERPAYMENT) for kind in range(OVERPAID + 1)], dtype=object
)
"""A payment array's kind (its slot, or OVERPAID) to the component it is stored as."""
# Charge streams: 0 penalty, 1 late fee (the engine's stream order within an installment).
STREAM_PENALTY, STREAM_LATE = 0, 1
LIMIT = 2**62
"""Largest exact figure the arrays may hold; a loan that could exceed it goes to the row engine."""
FAR = 10**7
"""A day ordinal beyond any as-of date: no event."""

ROUTES = (
    "restructured",
    "holds",
    "same_day_payments",
    "disbursement_day_payment",
    "sub_unit_amount",
    "invalid",
    "too_large",
)
"""Why a loan is left to the row engine, as counted in :class:`Batch`."""


@dataclass(frozen=True)
class LoanInput:
    """One loan's facts, as the row engine takes them."""

    key: int
    terms: LoanTerms
    payments: Sequence[PostedPayment] = ()
    holds: Sequence[PauseWindow] = ()
    restructures: Sequence[Restructure] = ()
    """Approved plans that rewrite the schedule; a loan with any goes to the row engine."""


class LoanFigures(NamedTuple):
    """What the daily pass stores of a position, in storage form: amounts in integer cents.

    The columnar path builds these straight from its arrays, without a
    :class:`LoanPosition` per loan; :func:`figures_of` builds the same from the
    row engine's position, so both paths write identical rows.
    """

    key: int
    status: LoanStatus
    days_past_due: int
    oldest_unpaid_due_date: date | None
    overdue_principal: int
    overdue_interest: int
    overdue_charges: int
    charges_accrued: int
    cap_cut: int
    principal_outstanding: int
    payoff_amount: int
    paid_total: int
    accelerated_on: date | None
    charges: tuple[tuple[int, ChargeKind, int, int, bool], ...]
    """(installment number, kind, accrued, paid, payable) for each charge accrued or paid."""
    allocations: tuple[tuple[str, int | None, Component, int], ...]
    """(payment ref, installment number, component, amount) in the order the engine allocates."""

    @property
    def overdue_total(self) -> int:
        return self.overdue_principal + self.overdue_interest + self.overdue_charges


class Window(NamedTuple):
    """How long a loan's figures stay a fixed function of the day, and that function (有效期).

    Between two events (a due date, the end of grace, acceleration, a change of cost-cap
    phase, a charge's first minor unit) nothing of a loan changes but its DPD, which
    grows by one a day, and its charges, each of which grows by a fixed exact amount a
    day. On any day ``d`` up to ``valid_until`` the figures are those of :func:`roll`,
    equal to a replay to ``d`` of the same facts, to the last digit: the daily pass
    re-runs only the loans whose window has ended or whose facts changed.

    Exact charges are integers in ``unit`` parts of the currency's minor unit, as in the
    replay; ``minor_cents`` turns minor units into the cents the figures are kept in.
    """

    valid_until: date
    unit: int
    minor_cents: int
    cut_exact: int
    """What the cap cut so far (uncapped less charged), exact."""
    cut_daily: int
    charges: tuple[tuple[int, ChargeKind, int, int], ...]
    """(installment number, kind, exact accrued, exact daily amount) of each row of ``LoanFigures.charges``, in
    the same order."""


def roll(figures: LoanFigures, window: Window, *, since: date, to: date) -> LoanFigures:
    """The figures of ``to`` from those of ``since`` (the day they were computed for), inside the window.

    The daily pass does the same in SQL (``delinquency.rolling``); tests hold both to a replay.
    """
    if not since <= to <= window.valid_until:
        raise ValueError(f"{to} is outside the window {since}..{window.valid_until}")
    days = (to - since).days
    charges = []
    charge_left = accrued_total = 0
    for (number, kind, _, paid, payable), (_, _, exact, daily) in zip(figures.charges, window.charges, strict=True):
        accrued = (exact + days * daily) // window.unit * window.minor_cents
        charges.append((number, kind, accrued, paid, payable))
        accrued_total += accrued
        if payable:
            charge_left += accrued - paid
    first = figures.oldest_unpaid_due_date
    return figures._replace(
        days_past_due=(to - first).days if first is not None else 0,
        overdue_charges=charge_left,
        charges_accrued=accrued_total,
        cap_cut=(window.cut_exact + days * window.cut_daily) // window.unit * window.minor_cents,
        payoff_amount=figures.payoff_amount - figures.overdue_charges + charge_left,
        charges=tuple(charges),
    )


@dataclass
class Batch:
    """The positions (or figures) the columnar path computed, and the loans it left to the row engine."""

    positions: dict[int, LoanPosition] = field(default_factory=dict)
    figures: list[LoanFigures] = field(default_factory=list)
    windows: dict[int, Window] = field(default_factory=dict)
    """The window of each loan in ``figures`` (by key); loans of the row engine have none."""
    routed: list[int] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def figures_of(key: int, position: LoanPosition) -> LoanFigures:
    """The stored figures of a row-engine position, as :func:`compute_figures` gives them."""
    charges = []
    for item in position.installments:
        for kind, accrued, paid in (
            (ChargeKind.PENALTY, item.penalty_accrued, item.penalty_paid),
            (ChargeKind.LATE_FEE, item.late_fee_accrued, item.late_fee_paid),
        ):
            if accrued or paid:
                charges.append((item.number, kind, _cents(accrued), _cents(paid), item.charges_payable))
    return LoanFigures(
        key=key,
        status=position.status,
        days_past_due=position.days_past_due,
        oldest_unpaid_due_date=position.oldest_unpaid_due_date,
        overdue_principal=_cents(position.overdue_principal),
        overdue_interest=_cents(position.overdue_interest),
        overdue_charges=_cents(position.charges_outstanding),
        charges_accrued=_cents(position.charges_accrued),
        cap_cut=_cents(position.cap_cut),
        principal_outstanding=_cents(position.principal_outstanding),
        payoff_amount=_cents(position.payoff_amount),
        paid_total=_cents(position.paid_total),
        accelerated_on=position.accelerated_on,
        charges=tuple(charges),
        allocations=tuple(
            (item.payment_ref, item.installment, item.component, _cents(item.amount)) for item in position.allocations
        ),
    )


def _minor(amount: Decimal, places: int) -> int | None:
    """The amount in minor units, or None when it has a finer part."""
    scaled = amount.scaleb(places)
    whole = int(scaled)
    return whole if scaled == whole else None


def _digits(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def compute_positions(loans: Sequence[LoanInput], *, as_of: date) -> Batch:
    """Every loan's position at the end of ``as_of``; the loans it cannot take are listed in ``routed``."""
    return _compute(loans, as_of=as_of, figures=False)


def compute_figures(loans: Sequence[LoanInput], *, as_of: date) -> Batch:
    """Every loan's stored figures at the end of ``as_of`` (``Batch.figures``), without building positions.

    The daily pass's path: the figures come straight from the arrays, which is most
    of the saving on a large book.
    """
    return _compute(loans, as_of=as_of, figures=True)


def _compute(loans: Sequence[LoanInput], *, as_of: date, figures: bool) -> Batch:
    batch = Batch()
    groups: dict[ProductRules, list[tuple[LoanInput, list[PostedPayment]]]] = defaultdict(list)
    for loan in loans:
        reason, standing = _route(loan, as_of)
        if reason is not None:
            batch.routed.append(loan.key)
            batch.reasons[reason] += 1
            continue
        groups[loan.terms.rules].append((loan, standing))
    for rules, members in groups.items():
        _Group(rules, members, as_of, batch).run(figures=figures)
    return batch


def _route(loan: LoanInput, as_of: date) -> tuple[str | None, list[PostedPayment]]:
    terms = loan.terms
    if loan.restructures:
        return "restructured", []
    if loan.holds:
        return "holds", []
    try:
        validate_terms(terms)
    except InvalidInput:
        return "invalid", []
    standing = sorted(
        (payment for payment in loan.payments if not payment.reversed and payment.value_date <= as_of),
        key=lambda payment: payment.value_date,
    )
    days = set()
    for payment in standing:
        if payment.amount <= 0 or payment.value_date < terms.disbursed_on:
            return "invalid", []
        if payment.value_date == terms.disbursed_on:
            return "disbursement_day_payment", []
        if payment.value_date in days:
            return "same_day_payments", []
        days.add(payment.value_date)
    return None, standing


class _Group:
    """Loans of one product rule version, replayed together."""

    def __init__(
        self,
        rules: ProductRules,
        members: list[tuple[LoanInput, list[PostedPayment]]],
        as_of: date,
        batch: Batch,
    ) -> None:
        self.rules = rules
        self.as_of = as_of
        self.batch = batch
        self.places = MINOR_UNITS[rules.currency]
        self.year = rules.days_in_year
        charges = rules.charges
        penalty = (
            charges.penalty_annual_rate
            if charges.penalty_annual_rate is not None
            else (charges.penalty_daily_rate or Decimal(0)) * self.year
        )
        late = charges.late_fee_daily_rate * self.year
        caps = {id(loan): cap_rate_for(rules, loan.terms.contract_date) for loan, _ in members}
        digits = max([_digits(penalty), _digits(late)] + [_digits(cap) for cap in caps.values() if cap is not None])
        self.scale = 10**digits
        self.penalty_rate = int(penalty * self.scale)
        self.late_rate = int(late * self.scale)
        self.caps = caps
        self.minor: dict[Decimal, int | None] = {}
        """Amounts already converted to minor units: a book repeats its installment and payment amounts."""
        self.members: list[tuple[LoanInput, list[PostedPayment]]] = []
        self.packed: list[tuple[list[int], list[int], list[int], list[int], list[int], list[int]]] = []
        for loan, standing in members:
            packed = self._pack(loan, standing, caps[id(loan)])
            if isinstance(packed, str):
                batch.routed.append(loan.key)
                batch.reasons[packed] += 1
            else:
                self.members.append((loan, standing))
                self.packed.append(packed)

    def _pack(
        self, loan: LoanInput, standing: list[PostedPayment], cap: Decimal | None
    ) -> tuple[list[int], list[int], list[int], list[int], list[int], list[int]] | str:
        """The loan's numbers, due days, principal, interest, payment days and amounts in minor units;
        or why it goes to the row engine (an amount finer than the minor unit, or too large)."""
        schedule = sorted(loan.terms.schedule, key=lambda item: item.number)
        principal = [self._minor(item.principal) for item in schedule]
        interest = [self._minor(item.interest) for item in schedule]
        paid = [self._minor(payment.amount) for payment in standing]
        whole_principal = [value for value in principal if value is not None]
        whole_interest = [value for value in interest if value is not None]
        whole_paid = [value for value in paid if value is not None]
        if len(whole_principal) + len(whole_interest) + len(whole_paid) < len(principal) + len(interest) + len(paid):
            return "sub_unit_amount"
        total = sum(whole_principal) + sum(whole_interest) + sum(whole_paid)
        days = (self.as_of - loan.terms.disbursed_on).days + 2
        rate = max(self.penalty_rate + self.late_rate, int((cap or 0) * self.scale), self.year * self.scale)
        if total * days * rate * 4 >= LIMIT:
            return "too_large"
        return (
            [item.number for item in schedule],
            [item.due_date.toordinal() for item in schedule],
            whole_principal,
            whole_interest,
            [payment.value_date.toordinal() for payment in standing],
            whole_paid,
        )

    def _minor(self, amount: Decimal) -> int | None:
        try:
            return self.minor[amount]
        except KeyError:
            found = self.minor[amount] = _minor(amount, self.places)
            return found

    # Packing -------------------------------------------------------------------

    def run(self, *, figures: bool = False) -> None:
        if not self.members:
            return
        count = len(self.members)
        width = max(len(loan.terms.schedule) for loan, _ in self.members)
        paid_width = max([len(standing) for _, standing in self.members] + [1])
        self.count, self.width = count, width
        self.due = np.full((count, width), FAR, dtype=np.int64)
        self.principal_due = np.zeros((count, width), dtype=np.int64)
        self.interest_due = np.zeros((count, width), dtype=np.int64)
        self.real = np.zeros((count, width), dtype=np.bool_)
        self.pay_day = np.full((count, paid_width + 1), FAR, dtype=np.int64)
        self.pay_amount = np.zeros((count, paid_width + 1), dtype=np.int64)
        self.disbursed = np.zeros(count, dtype=np.int64)
        self.cap = np.zeros(count, dtype=np.int64)
        self.numbers = [packed[0] for packed in self.packed]
        lengths = np.array([len(numbers) for numbers in self.numbers], dtype=np.int64)
        rows = np.repeat(np.arange(count), lengths)
        columns = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        self.due[rows, columns] = [day for packed in self.packed for day in packed[1]]
        self.principal_due[rows, columns] = [value for packed in self.packed for value in packed[2]]
        self.interest_due[rows, columns] = [value for packed in self.packed for value in packed[3]]
        self.real[rows, columns] = True
        counts = np.array([len(packed[4]) for packed in self.packed], dtype=np.int64)
        rows = np.repeat(np.arange(count), counts)
        columns = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        self.pay_day[rows, columns] = [day for packed in self.packed for day in packed[4]]
        self.pay_amount[rows, columns] = [value for packed in self.packed for value in packed[5]]
        self.disbursed[:] = [loan.terms.disbursed_on.toordinal() for loan, _ in self.members]
        self.cap[:] = [
            int(cap * self.scale) if (cap := self.caps[id(loan)]) is not None else 0 for loan, _ in self.members
        ]
        self._replay()
        if figures:
            self._figures()
            self._windows()
        else:
            self._collect()

    # The replay ----------------------------------------------------------------

    def _replay(self) -> None:
        rules = self.rules
        count, width = self.count, self.width
        as_of = self.as_of.toordinal()
        self.eff = self.due.copy()
        self.principal_left = self.principal_due.copy()
        self.interest_left = self.interest_due.copy()
        self.waived = np.zeros((count, width), dtype=np.int64)
        self.accelerated = np.zeros((count, width), dtype=np.bool_)
        self.paid_off = np.full((count, width), -1, dtype=np.int64)
        self.scaled = np.zeros((count, width, 2), dtype=np.int64)
        self.uncapped = np.zeros((count, width, 2), dtype=np.int64)
        self.charge_paid = np.zeros((count, width, 2), dtype=np.int64)
        self.principal_days = np.zeros(count, dtype=np.int64)
        self.interest_counted = np.zeros(count, dtype=np.int64)
        self.accelerated_on = np.full(count, -1, dtype=np.int64)
        self.overpayment = np.zeros(count, dtype=np.int64)
        self.paid_total = np.zeros(count, dtype=np.int64)
        self.ahead_day = np.full(count, -1, dtype=np.int64)
        self.ahead_interest = np.zeros(count, dtype=np.int64)
        self.pointer = np.zeros(count, dtype=np.int64)
        self.allocations: list[tuple[Ints, ...]] = []
        self.step = 0
        self.tolerance = int(rules.dpd_tolerance.scaleb(self.places))  # owed > tolerance, in whole minor units
        self.grace = rules.charges.grace_days
        self.has_cap = rules.cost_cap.kind != "none"
        rows = np.arange(count)
        # The disbursement day: nothing is paid (such loans go to the row engine); it only ends.
        self._end_day(self.disbursed, np.ones(count, dtype=np.bool_))
        day = self.disbursed + 1
        active = day <= as_of
        while active.any():
            due_today = self._start_day(day, active)
            following = self._following(day)
            next_payday = self.pay_day[rows, self.pointer]
            last = np.where(due_today, day, as_of)
            last = np.minimum(last, following - 1)
            last = np.minimum(last, next_payday)
            days = np.where(active, last - day + 1, 0)
            self._accrue(days)
            paying = active & (next_payday == last)
            if paying.any():
                self._pay(paying, last)
            self._end_day(last, active)
            day = np.where(active, last + 1, day)
            active = day <= as_of
            self.step += 1

    def _owed(self) -> Ints:
        owed: Ints = self.principal_left + self.interest_left
        return owed

    def _oldest(self, day: Ints, *, inclusive: bool = False) -> Ints:
        """Oldest effective due date before ``day`` (or on it) still unpaid beyond the tolerance; FAR if none."""
        before = self.eff <= day[:, None] if inclusive else self.eff < day[:, None]
        unpaid = before & (self._owed() > self.tolerance)
        oldest: Ints = np.where(unpaid, self.eff, FAR).min(axis=1)
        return oldest

    def _start_day(self, day: Ints, active: Bools) -> Bools:
        acceleration = self.rules.acceleration
        if acceleration.after_dpd is not None:
            oldest = self._oldest(day)
            now = active & (self.accelerated_on < 0) & (oldest < FAR) & (day - oldest > acceleration.after_dpd)
            if now.any():
                self._accelerate(now, day, acceleration.demand_days)
        counted = np.where(self.eff <= day[:, None], self.interest_due - self.waived, 0).sum(axis=1)
        self.interest_counted = np.where(active, counted, self.interest_counted)
        owed = self._owed()
        due_today: Bools = active & ((self.eff == day[:, None]) & (owed > 0)).any(axis=1)
        self.daily = self._rates(day)
        return due_today

    def _rates(self, day: Ints) -> Ints:
        """Each charge's exact amount for ``day`` (loan x installment x stream), from what is owed at its start."""
        charges = self.rules.charges
        owed = self._owed()
        accruing = (self.eff < day[:, None]) & (owed > 0)
        if charges.accrue_from == "grace_end":
            accruing &= day[:, None] > self.eff + self.grace
        penalty_base = self.principal_left if charges.penalty_base == "principal" else owed
        if charges.late_fee_base == "installment_outstanding":
            late_base = owed
        else:
            late_base = self.principal_due + self.interest_due - self.waived
        rates = np.zeros((self.count, self.width, 2), dtype=np.int64)
        rates[:, :, STREAM_PENALTY] = np.where(accruing, self.penalty_rate * penalty_base, 0)
        rates[:, :, STREAM_LATE] = np.where(accruing, self.late_rate * late_base, 0)
        return rates

    def _accelerate(self, now: Bools, day: Ints, demand_days: int) -> None:
        """提前到期, as the engine's ``_accelerate``: future installments fall due, their interest is dropped."""
        demand = day + demand_days
        moved = now[:, None] & (self.eff > day[:, None]) & (self._owed() > 0)
        self.accelerated |= moved
        self.eff = np.where(moved, np.minimum(self.eff, demand[:, None]), self.eff)
        self.waived = np.where(moved, self.waived + self.interest_left, self.waived)
        self.interest_left = np.where(moved, 0, self.interest_left)
        ended = moved & (self._owed() == 0)
        self.paid_off = np.where(ended, day[:, None], self.paid_off)
        self.accelerated_on = np.where(now, day, self.accelerated_on)

    def _following(self, day: Ints) -> Ints:
        """The next event after ``day``: a due date, a grace end that starts charges, an acceleration."""
        later = np.where(self.eff > day[:, None], self.eff, FAR).min(axis=1)
        owed = self._owed()
        charges = self.rules.charges
        if charges.accrue_from == "grace_end" and self.grace:
            grace_end = self.eff + self.grace + 1
            later = np.minimum(later, np.where((owed > 0) & (grace_end > day[:, None]), grace_end, FAR).min(axis=1))
        limit = self.rules.acceleration.after_dpd
        if limit is not None:
            oldest = self._oldest(day, inclusive=True)
            target = np.where((oldest < FAR) & (self.accelerated_on < 0), oldest + limit + 1, FAR)
            later = np.minimum(later, np.where(target > day, target, FAR))
        following: Ints = later
        return following

    def _accrue(self, days: Ints) -> None:
        outstanding = self.principal_left.sum(axis=1)
        rates = self.daily.reshape(self.count, self.width * 2)
        total_rate = rates.sum(axis=1)
        self.uncapped += self.daily * days[:, None, None]
        if not self.has_cap:
            self.scaled += self.daily * days[:, None, None]
        else:
            scaled = self.scaled.reshape(self.count, self.width * 2)
            growth = self.cap * outstanding
            charged = scaled.sum(axis=1)
            slack = self.cap * self.principal_days - self.year * self.scale * self.interest_counted - charged
            before = np.cumsum(rates, axis=1) - rates
            left = days.copy()
            while True:
                going = left > 0
                if not going.any():
                    break
                count, amount, slack, left = _cap_phase(going, slack, growth, total_rate, left)
                shares = np.clip(amount[:, None] - before, 0, rates)
                scaled += shares * count[:, None]
            self.scaled = scaled.reshape(self.count, self.width, 2)
        self.principal_days += outstanding * days

    def _payable(self, day: Ints) -> Bools:
        payable: Bools = day[:, None] > self.eff + self.grace
        return payable

    def _pay(self, paying: Bools, day: Ints) -> None:
        """One payment per paying loan, on ``day``, as the engine's ``pay_day``.

        Only the paying loans' rows are taken out, worked on and put back: on most
        days of a replay few loans pay.
        """
        rows = np.flatnonzero(paying)
        today = day[rows][:, None]
        payment = self.pointer[rows]
        amount = self.pay_amount[rows, payment]
        self.paid_total[rows] += amount
        eff = self.eff[rows]
        principal_left, interest_left = self.principal_left[rows], self.interest_left[rows]
        charge_paid = self.charge_paid[rows]
        # Installments due: the waterfall, charges only once payable.
        payable = today > eff + self.grace
        truncated = self.scaled[rows] // (self.scale * self.year)
        owing = np.zeros((len(rows), self.width, 4), dtype=np.int64)
        owing[:, :, LATE] = np.where(payable, truncated[:, :, STREAM_LATE] - charge_paid[:, :, STREAM_LATE], 0)
        owing[:, :, PENALTY] = np.where(payable, truncated[:, :, STREAM_PENALTY] - charge_paid[:, :, STREAM_PENALTY], 0)
        owing[:, :, INTEREST] = interest_left
        owing[:, :, PRINCIPAL] = principal_left
        owing = np.where((eff <= today)[:, :, None], np.maximum(owing, 0), 0)
        components = [SLOT[component] for component in self.rules.waterfall.components]
        settled, left = self._fill(rows, owing, components, amount, payment, self.rules.waterfall.order)
        principal_left -= settled[:, :, PRINCIPAL]
        interest_left -= settled[:, :, INTEREST]
        charge_paid[:, :, STREAM_PENALTY] += settled[:, :, PENALTY]
        charge_paid[:, :, STREAM_LATE] += settled[:, :, LATE]
        # What is left pays ahead, or settles the loan when it covers the principal still to fall due.
        ahead = (eff > today) & (principal_left + interest_left > 0)
        ahead_principal = np.where(ahead, principal_left, 0)
        settles = (left > 0) & (left >= ahead_principal.sum(axis=1))
        interest_before = np.where(ahead, interest_left, 0).sum(axis=1)
        owing = np.zeros((len(rows), self.width, 4), dtype=np.int64)
        owing[:, :, PRINCIPAL] = ahead_principal
        owing[:, :, INTEREST] = np.where(ahead & ~settles[:, None], interest_left, 0)
        contractual = [slot for slot in components if slot in (INTEREST, PRINCIPAL)]
        settled, left = self._fill(rows, owing, contractual, left, payment, AllocationOrder.INSTALLMENT_FIRST)
        principal_left -= settled[:, :, PRINCIPAL]
        interest_left -= settled[:, :, INTEREST]
        interest_after = np.where(ahead, interest_left, 0).sum(axis=1)
        self.ahead_day[rows] = np.where(settles, self.ahead_day[rows], day[rows])
        self.ahead_interest[rows] = np.where(settles, self.ahead_interest[rows], interest_before - interest_after)
        # No principal left: interest still to fall due is no longer owed.
        future = (principal_left.sum(axis=1) == 0)[:, None] & (eff > today)
        self.waived[rows] = np.where(future, self.waived[rows] + interest_left, self.waived[rows])
        interest_left = np.where(future, 0, interest_left)
        self.principal_left[rows] = principal_left
        self.interest_left[rows] = interest_left
        self.charge_paid[rows] = charge_paid
        over = np.flatnonzero(left > 0)
        if len(over):
            self.overpayment[rows[over]] += left[over]
            self._record(rows[over], payment[over], np.full(len(over), -1), np.full(len(over), OVERPAID), left[over])
        self.pointer[rows] += 1

    def _fill(
        self, rows: Ints, owing: Ints, components: list[int], amount: Ints, payment: Ints, order: AllocationOrder
    ) -> tuple[Ints, Ints]:
        """Pay ``owing`` (paying loan x installment x component) in waterfall order.

        Returns what each component got and what is left of ``amount``; records the allocations.
        """
        count = len(rows)
        picked = owing[:, :, components]  # loan x installment x component, in waterfall order
        if order is AllocationOrder.COMPONENT_FIRST:
            sequence = picked.transpose(0, 2, 1).reshape(count, -1)
        else:
            sequence = picked.reshape(count, -1)
        before = np.cumsum(sequence, axis=1) - sequence
        paid = np.clip(amount[:, None] - before, 0, sequence)
        if order is AllocationOrder.COMPONENT_FIRST:
            laid = paid.reshape(count, len(components), self.width).transpose(0, 2, 1)
        else:
            laid = paid.reshape(count, self.width, len(components))
        settled = np.zeros_like(owing)
        settled[:, :, components] = laid
        loans, positions = np.nonzero(paid)
        if len(loans):
            if order is AllocationOrder.COMPONENT_FIRST:
                slot, column = np.divmod(positions, self.width)
            else:
                column, slot = np.divmod(positions, len(components))
            kinds = np.asarray(components, dtype=np.int64)[slot]
            self._record(rows[loans], payment[loans], column, kinds, paid[loans, positions])
        left: Ints = amount - paid.sum(axis=1)
        return settled, left

    def _record(self, loans: Ints, payments: Ints, columns: Ints, kinds: Ints, amounts: Ints) -> None:
        step = np.full(len(loans), self.step, dtype=np.int64)
        self.allocations.append((loans, step, payments, columns, kinds, amounts))

    def _end_day(self, day: Ints, active: Bools) -> None:
        """Installments paid off today; their charges are waived while still in grace."""
        ended = active[:, None] & (self.paid_off < 0) & (self._owed() == 0)
        if not ended.any():
            return
        self.paid_off = np.where(ended, day[:, None], self.paid_off)
        waived = ended & ~self._payable(day)
        self.scaled = np.where(waived[:, :, None], 0, self.scaled)
        self.uncapped = np.where(waived[:, :, None], 0, self.uncapped)

    # Results -------------------------------------------------------------------

    def _collect(self) -> None:
        as_of = self.as_of
        day = np.full(self.count, as_of.toordinal(), dtype=np.int64)
        unit = self.scale * self.year
        accrued = self.scaled // unit
        payable = self._payable(day)
        oldest = self._oldest(day)
        cut = (self.uncapped - self.scaled).sum(axis=(1, 2)) // unit
        cost_limit = self.cap * self.principal_days // unit
        allocations = self._allocations_by_loan()
        places = -self.places
        for row, (loan, standing) in enumerate(self.members):
            refs = [payment.ref for payment in standing]
            paid = tuple(
                Allocation(
                    refs[payment],
                    self.numbers[row][column] if column >= 0 else None,
                    COMPONENT_OF.get(kind, Component.OVERPAYMENT),
                    Decimal(amount).scaleb(places),
                )
                for payment, column, kind, amount in allocations.get(row, ())
            )
            self.batch.positions[loan.key] = self._position(
                row, loan, accrued, payable, oldest, cut, cost_limit, places, paid
            )

    def _figures(self) -> None:
        """The stored figures of every loan, from whole-array sums (amounts in cents)."""
        today = self.as_of.toordinal()
        day = np.full(self.count, today, dtype=np.int64)
        unit = self.scale * self.year
        to_cents = 10 ** (2 - self.places)
        accrued = self.scaled // unit
        payable = self._payable(day) & self.real
        oldest = self._oldest(day)
        overdue = self.eff < today
        charge_left = np.where(payable[:, :, None], accrued - self.charge_paid, 0).sum(axis=(1, 2))
        principal = self.principal_left.sum(axis=1)
        payoff = principal + np.where(self.eff <= today, self.interest_left, 0).sum(axis=1) + charge_left
        payoff -= np.where(self.ahead_day == today, self.ahead_interest, 0)
        dpd = np.where(oldest < FAR, today - oldest, 0)
        closed = (principal == 0) & (payoff == 0)
        status = np.select([closed, self.accelerated_on >= 0, dpd > 0], [0, 1, 2], 3)
        statuses = (LoanStatus.CLOSED, LoanStatus.ACCELERATED, LoanStatus.OVERDUE, LoanStatus.ACTIVE)
        columns = [
            np.where(overdue, self.principal_left, 0).sum(axis=1),
            np.where(overdue, self.interest_left, 0).sum(axis=1),
            charge_left,
            accrued.sum(axis=(1, 2)),
            (self.uncapped - self.scaled).sum(axis=(1, 2)) // unit,
            principal,
            payoff,
            self.paid_total,
        ]
        money = [(column * to_cents).tolist() for column in columns]
        charges = self._charge_rows(accrued, payable, to_cents)
        allocations = self._allocation_rows(to_cents)
        for row, (loan, _) in enumerate(self.members):
            first, since = int(oldest[row]), int(self.accelerated_on[row])
            owed_principal, owed_interest, owed_charges, charged, cut, left, payoff_row, paid = (
                column[row] for column in money
            )
            self.batch.figures.append(
                LoanFigures(
                    loan.key,
                    statuses[status[row]],
                    int(dpd[row]),
                    date.fromordinal(first) if first < FAR else None,
                    owed_principal,
                    owed_interest,
                    owed_charges,
                    charged,
                    cut,
                    left,
                    payoff_row,
                    paid,
                    date.fromordinal(since) if since >= 0 else None,
                    charges.get(row, ()),
                    allocations.get(row, ()),
                )
            )

    def _windows(self) -> None:
        """Each loan's :class:`Window` from the end of the as-of day: the last day before its next event, and
        the exact daily amount of each charge until then (the rates of the day after, through the cap)."""
        today = self.as_of.toordinal()
        unit = self.scale * self.year
        count = self.count
        rates = self._rates(np.full(count, today + 1, dtype=np.int64))  # the day after's, as _start_day sets them
        last = self._last_calm_day(today, unit)
        shares, last = self._capped(rates, today, last)
        # A charge with no stored row yet gets one with its first minor unit: that day is an event too.
        stored = ((self.scaled // unit != 0) | (self.charge_paid != 0)) & self.real[:, :, None]
        starting = ~stored & (shares > 0)
        first = np.where(starting, (unit - self.scaled + shares - 1) // np.maximum(shares, 1), FAR)
        last = np.minimum(last, today + first.min(axis=(1, 2)) - 1)
        # Exact figures must stay inside 64 bits for the whole window.
        growth = np.maximum(rates.sum(axis=(1, 2)), 1)
        room = (LIMIT - np.maximum(self.uncapped.sum(axis=(1, 2)), self.scaled.sum(axis=(1, 2)))) // growth
        last = np.clip(np.minimum(last, today + room), today, date.max.toordinal())
        cut_exact = (self.uncapped - self.scaled).sum(axis=(1, 2))
        cut_daily = rates.sum(axis=(1, 2)) - shares.sum(axis=(1, 2))
        minor_cents = 10 ** (2 - MINOR_UNITS[self.rules.currency])
        loans, columns, streams = np.nonzero(stored)
        exact_rows: dict[int, list[tuple[int, ChargeKind, int, int]]] = defaultdict(list)
        kinds = (ChargeKind.PENALTY, ChargeKind.LATE_FEE)
        for index, column, stream, exact, daily in zip(
            loans.tolist(),
            columns.tolist(),
            streams.tolist(),
            self.scaled[loans, columns, streams].tolist(),
            shares[loans, columns, streams].tolist(),
            strict=True,
        ):
            exact_rows[index].append((self.numbers[index][column], kinds[stream], exact, daily))
        for row, (member, _) in enumerate(self.members):
            self.batch.windows[member.key] = Window(
                date.fromordinal(int(last[row])),
                unit,
                minor_cents,
                int(cut_exact[row]),
                int(cut_daily[row]),
                tuple(exact_rows.get(row, ())),
            )

    def _last_calm_day(self, today: int, unit: int) -> Ints:
        """Each loan's last day before a due date, a grace end, acceleration or a payment shown ahead."""
        eff, owed, real = self.eff, self._owed(), self.real
        # A due date changes what is overdue and what the cap counts (one due today is overdue tomorrow);
        # a grace end what is payable, which matters to an installment still owed or with a charge row.
        last = np.where(real & (eff >= today), eff - 1, FAR).min(axis=1)
        flip = eff + self.grace
        with_charges = ((self.scaled // unit != 0) | (self.charge_paid != 0)).any(axis=2)
        flipping = real & (flip >= today) & ((owed > 0) | with_charges)
        last = np.minimum(last, np.where(flipping, flip, FAR).min(axis=1))
        after_dpd = self.rules.acceleration.after_dpd
        if after_dpd is not None:
            oldest = self._oldest(np.full(self.count, today, dtype=np.int64), inclusive=True)
            due = (oldest < FAR) & (self.accelerated_on < 0)
            last = np.minimum(last, np.where(due, oldest + after_dpd, FAR))
        last = np.where(self.ahead_day == today, today, last)  # a payment ahead shows only on its day
        calm: Ints = np.maximum(last, today)
        return calm

    def _capped(self, rates: Ints, today: int, last: Ints) -> tuple[Ints, Ints]:
        """What each charge really adds a day under the cost cap, and the window cut at the end of the cap's phase.

        The cap's phase (accruing freely, catching up with the limit, held at its growth, waiting below it) is
        what the replay's closed form would run from tomorrow; inside one phase each charge adds a fixed amount.
        """
        if not self.has_cap:
            return rates, last
        count, width = self.count, self.width
        flat = rates.reshape(count, width * 2)
        outstanding = self.principal_left.sum(axis=1)
        counted = np.where(self.eff <= today, self.interest_due - self.waived, 0).sum(axis=1)
        charged = self.scaled.reshape(count, width * 2).sum(axis=1)
        slack = self.cap * self.principal_days - self.year * self.scale * counted - charged
        left = last - today
        going = left > 0
        days, amount, _, _ = _cap_phase(going, slack, self.cap * outstanding, flat.sum(axis=1), left)
        before = np.cumsum(flat, axis=1) - flat
        shares: Ints = np.clip(amount[:, None] - before, 0, flat).reshape(count, width, 2)
        return shares, np.where(going, today + days, last)

    def _charge_rows(
        self, accrued: Ints, payable: Bools, to_cents: int
    ) -> dict[int, tuple[tuple[int, ChargeKind, int, int, bool], ...]]:
        kept = (accrued != 0) | (self.charge_paid != 0)
        kept &= self.real[:, :, None]
        loans, columns, streams = np.nonzero(kept)
        found: dict[int, list[tuple[int, ChargeKind, int, int, bool]]] = defaultdict(list)
        kinds = (ChargeKind.PENALTY, ChargeKind.LATE_FEE)
        for loan, column, stream, amount, paid, can_pay in zip(
            loans.tolist(),
            columns.tolist(),
            streams.tolist(),
            (accrued[loans, columns, streams] * to_cents).tolist(),
            (self.charge_paid[loans, columns, streams] * to_cents).tolist(),
            payable[loans, columns].tolist(),
            strict=True,
        ):
            found[loan].append((self.numbers[loan][column], kinds[stream], amount, paid, bool(can_pay)))
        return {loan: tuple(rows) for loan, rows in found.items()}

    def _allocation_rows(self, to_cents: int) -> dict[int, tuple[tuple[str, int | None, Component, int], ...]]:
        """Each loan's allocations in the order paid, as (payment reference, installment number or None for an
        overpayment, component, cents): looked up over whole arrays and zipped, not built element by element."""
        if not self.allocations:
            return {}
        loans, steps, payments, columns, kinds, amounts = (
            np.concatenate([part[index] for part in self.allocations]) for index in range(6)
        )
        order = np.lexsort((steps, loans))  # stable: within a step, the order they were paid in
        loans, payments, columns, kinds = loans[order], payments[order], columns[order], kinds[order]
        paid_counts = np.array([len(standing) for _, standing in self.members], dtype=np.int64)
        refs = np.array([payment.ref for _, standing in self.members for payment in standing], dtype=object)
        refs = refs[(np.cumsum(paid_counts) - paid_counts)[loans] + payments]
        schedule_counts = np.array([len(numbers) for numbers in self.numbers], dtype=np.int64)
        flat_numbers = np.array([number for numbers in self.numbers for number in numbers], dtype=object)
        numbers = np.full(len(loans), None, dtype=object)
        due = columns >= 0
        numbers[due] = flat_numbers[(np.cumsum(schedule_counts) - schedule_counts)[loans[due]] + columns[due]]
        rows = list(
            zip(
                refs.tolist(),
                numbers.tolist(),
                COMPONENT_BY_KIND[kinds].tolist(),
                (amounts[order] * to_cents).tolist(),
                strict=True,
            )
        )
        ends = [*(np.flatnonzero(np.diff(loans)) + 1).tolist(), len(rows)]
        found, start = {}, 0
        for end in ends:
            found[int(loans[start])] = tuple(rows[start:end])
            start = end
        return found

    def _allocations_by_loan(self) -> dict[int, list[tuple[int, int, int, int]]]:
        found: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
        if not self.allocations:
            return found
        loans, steps, payments, columns, kinds, amounts = (
            np.concatenate([part[index] for part in self.allocations]) for index in range(6)
        )
        order = np.lexsort((steps, loans))  # stable: within a step, the order they were paid in
        for loan, payment, column, kind, amount in zip(
            loans[order].tolist(),
            payments[order].tolist(),
            columns[order].tolist(),
            kinds[order].tolist(),
            amounts[order].tolist(),
            strict=True,
        ):
            found[loan].append((payment, column, kind, amount))
        return found

    def _position(
        self,
        row: int,
        loan: LoanInput,
        accrued: Ints,
        payable: Bools,
        oldest: Ints,
        cut: Ints,
        cost_limit: Ints,
        places: int,
        allocations: tuple[Allocation, ...],
    ) -> LoanPosition:
        as_of = self.as_of
        today = as_of.toordinal()
        count = len(self.numbers[row])
        due, eff = self.due[row].tolist(), self.eff[row].tolist()
        principal_due, interest_due = self.principal_due[row].tolist(), self.interest_due[row].tolist()
        principal_left, interest_left = self.principal_left[row].tolist(), self.interest_left[row].tolist()
        waived, accelerated = self.waived[row].tolist(), self.accelerated[row].tolist()
        paid_off, charges_payable = self.paid_off[row].tolist(), payable[row].tolist()
        penalty_accrued, late_accrued = accrued[row, :, STREAM_PENALTY].tolist(), accrued[row, :, STREAM_LATE].tolist()
        penalty_paid = self.charge_paid[row, :, STREAM_PENALTY].tolist()
        late_paid = self.charge_paid[row, :, STREAM_LATE].tolist()
        installments = []
        overdue_principal = overdue_interest = penalty_left = late_left = in_grace = 0
        charges_accrued = charges_paid = principal_total = payoff = 0
        for k in range(count):
            installments.append(
                InstallmentPosition(
                    number=self.numbers[row][k],
                    due_date=date.fromordinal(due[k]),
                    effective_due_date=date.fromordinal(eff[k]),
                    accelerated=bool(accelerated[k]),
                    principal_due=Decimal(principal_due[k]).scaleb(places),
                    interest_due=Decimal(interest_due[k]).scaleb(places),
                    principal_paid=Decimal(principal_due[k] - principal_left[k]).scaleb(places),
                    interest_paid=Decimal(interest_due[k] - interest_left[k] - waived[k]).scaleb(places),
                    interest_waived=Decimal(waived[k]).scaleb(places),
                    penalty_accrued=Decimal(penalty_accrued[k]).scaleb(places),
                    penalty_paid=Decimal(penalty_paid[k]).scaleb(places),
                    late_fee_accrued=Decimal(late_accrued[k]).scaleb(places),
                    late_fee_paid=Decimal(late_paid[k]).scaleb(places),
                    charges_payable=bool(charges_payable[k]),
                    paid_off_on=date.fromordinal(paid_off[k]) if paid_off[k] >= 0 else None,
                )
            )
            charges_accrued += penalty_accrued[k] + late_accrued[k]
            charges_paid += penalty_paid[k] + late_paid[k]
            principal_total += principal_left[k]
            if eff[k] < today:
                overdue_principal += principal_left[k]
                overdue_interest += interest_left[k]
            if charges_payable[k]:
                penalty_left += penalty_accrued[k] - penalty_paid[k]
                late_left += late_accrued[k] - late_paid[k]
            else:
                in_grace += penalty_accrued[k] + late_accrued[k]
            payoff += principal_left[k]
            if eff[k] <= today:
                payoff += interest_left[k]
        payoff += penalty_left + late_left
        if int(self.ahead_day[row]) == today:
            payoff -= int(self.ahead_interest[row])
        first = int(oldest[row])
        dpd = today - first if first < FAR else 0
        accelerated_on = int(self.accelerated_on[row])
        cap = self.caps[id(loan)]
        if principal_total == 0 and payoff == 0:
            status = LoanStatus.CLOSED
        elif accelerated_on >= 0:
            status = LoanStatus.ACCELERATED
        elif dpd > 0:
            status = LoanStatus.OVERDUE
        else:
            status = LoanStatus.ACTIVE
        return LoanPosition(
            as_of=as_of,
            currency=self.rules.currency,
            status=status,
            days_past_due=dpd,
            oldest_unpaid_due_date=date.fromordinal(first) if first < FAR else None,
            overdue_principal=Decimal(overdue_principal).scaleb(places),
            overdue_interest=Decimal(overdue_interest).scaleb(places),
            penalty_outstanding=Decimal(penalty_left).scaleb(places),
            late_fee_outstanding=Decimal(late_left).scaleb(places),
            charges_in_grace=Decimal(in_grace).scaleb(places),
            charges_accrued=Decimal(charges_accrued).scaleb(places),
            charges_paid=Decimal(charges_paid).scaleb(places),
            principal_outstanding=Decimal(principal_total).scaleb(places),
            payoff_amount=Decimal(payoff).scaleb(places),
            paid_total=Decimal(int(self.paid_total[row])).scaleb(places),
            overpayment=Decimal(int(self.overpayment[row])).scaleb(places),
            cap_annual_rate=cap,
            cost_limit=Decimal(int(cost_limit[row])).scaleb(places) if cap is not None else None,
            interest_counted=Decimal(int(self.interest_counted[row])).scaleb(places),
            cap_cut=Decimal(int(cut[row])).scaleb(places),
            accelerated_on=date.fromordinal(accelerated_on) if accelerated_on >= 0 else None,
            installments=tuple(installments),
            allocations=allocations,
        )


def _cap_phase(going: Bools, slack: Ints, h: Ints, c: Ints, left: Ints) -> tuple[Ints, Ints, Ints, Ints]:
    """One phase of :func:`arrears.ledger.capping.cap_phases` for every loan still with days ``left``.

    Returns each loan's (days, daily charge) of the phase and its slack and days left after it.
    """
    room = slack + h
    blocked = going & (room < 0)
    stuck = blocked & (h <= 0)
    waiting = blocked & (h > 0)
    short = going & ~blocked & (room < c)
    short_exact = short & (slack == 0)
    short_partial = short & (slack != 0)
    free = going & ~blocked & ~short & (h >= c)
    catching = going & ~blocked & ~short & ~free
    safe_h = np.where(h > 0, h, 1)
    wait_days = np.minimum(left, -(slack // safe_h) - 1)  # ceil(-slack / h) - 1
    gap = np.where(catching, c - h, 1)
    full = np.minimum(left, np.where(catching, (room - c) // gap + 1, 0))
    count = np.select(
        [stuck, waiting, short_exact, short_partial, free, catching], [left, wait_days, left, 1, left, full], 0
    )
    amount = np.select([short_exact, short_partial, free, catching], [h, room, c, c], 0)
    new_slack = np.select(
        [stuck, waiting, short_partial, free, catching],
        [slack + left * h, slack + wait_days * h, 0, slack + left * (h - c), slack - full * (c - h)],
        slack,
    )
    new_left = np.select([stuck, short_exact, free], [0, 0, 0], left - count)
    return count.astype(np.int64), amount.astype(np.int64), new_slack.astype(np.int64), new_left.astype(np.int64)
