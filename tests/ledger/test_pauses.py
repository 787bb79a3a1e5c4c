"""Paused aging days are counted by interval, exactly as a day-by-day count would."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.ledger.engine import LoanTerms, PauseWindow, ScheduledInstallment, _Replay
from arrears.ledger.rules import ProductRules

BASE = date(2026, 1, 1)
TERMS = LoanTerms(
    principal=Decimal("100.00"),
    disbursed_on=BASE,
    contract_date=BASE,
    schedule=(ScheduledInstallment(1, BASE + timedelta(days=30), Decimal("100.00"), Decimal("0")),),
    rules=ProductRules(),
)

windows = st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30)), st.booleans()), max_size=5)


def _end(start: int, length: int | None) -> date | None:
    return None if length is None else BASE + timedelta(days=start + length)


@settings(max_examples=300, deadline=None)
@given(windows, st.integers(0, 70), st.integers(0, 70))
def test_interval_count_equals_day_by_day_count(raw: list[tuple[int, int | None, bool]], a: int, b: int) -> None:
    """Overlapping, open-ended and non-pausing holds: the count equals the days covered."""
    holds = [
        PauseWindow(
            BASE + timedelta(days=start), None if length is None else BASE + timedelta(days=start + length), aging
        )
        for start, length, aging in raw
    ]
    first, last = BASE + timedelta(days=min(a, b)), BASE + timedelta(days=max(a, b))
    expected = sum(
        1
        for offset in range((last - first).days + 1)
        if any(hold.pauses_aging and hold.covers(first + timedelta(days=offset)) for hold in holds)
    )
    assert _Replay(TERMS, holds).paused_aging_days(first, last) == expected
