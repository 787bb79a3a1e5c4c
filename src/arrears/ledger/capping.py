"""The cost cap solved in closed form over a run of identical days.

Each day the cap lets charges grow by at most the slack left under the ceiling:

    slack_after(k) = slack_after(k-1) + h - a(k),   a(k) = clamp(slack_after(k-1) + h, 0, c)

where ``h`` is what the ceiling grows by per day (cap rate x principal outstanding)
and ``c`` is what the uncapped charges would add per day. Between two ledger events
``h`` and ``c`` are constant, so the days fall into a few *phases* of equal daily
charge: blocked days (the ceiling is behind, nothing accrues), full days, one
partial day, and capped days that accrue exactly ``h``. Computing the phases
instead of looping day by day keeps a long delinquency cheap while giving the
same figures to the last digit (a property test compares both).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

ZERO = Decimal(0)


def _ceil_div(numerator: Decimal, denominator: Decimal) -> int:
    """ceil(n / d) for positive n and d, exactly."""
    quotient = numerator // denominator
    return int(quotient) if quotient * denominator == numerator else int(quotient) + 1


def cap_phases(slack: Decimal, h: Decimal, c: Decimal, days: int) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Split ``days`` days into (count, daily charge) phases; return them and the final slack.

    ``slack`` is the room under the ceiling before the first day (may be negative
    when interest that just fell due used more than the room), ``h >= 0`` the
    ceiling's daily growth and ``c >= 0`` the uncapped daily charge.
    """
    phases: list[tuple[int, Decimal]] = []
    left = days
    while left > 0:
        if slack + h < ZERO:
            if h <= ZERO:
                phases.append((left, ZERO))
                slack += left * h
                break
            blocked = min(left, _ceil_div(-slack, h) - 1)
            phases.append((blocked, ZERO))
            slack += blocked * h
            left -= blocked
            continue
        if slack + h < c:
            if slack == ZERO:
                phases.append((left, h))
                break
            phases.append((1, slack + h))
            slack = ZERO
            left -= 1
            continue
        if h >= c:
            phases.append((left, c))
            slack += left * (h - c)
            break
        full = min(left, int((slack + h - c) // (c - h)) + 1)
        phases.append((full, c))
        slack -= full * (c - h)
        left -= full
    return phases, slack


def share_out(amount: Decimal, rates: Sequence[Decimal]) -> list[Decimal]:
    """Give one day's allowed ``amount`` to the streams in priority order, each up to its rate."""
    shares: list[Decimal] = []
    left = amount
    for rate in rates:
        share = min(rate, left) if left > ZERO else ZERO
        shares.append(share)
        left -= share
    return shares
