"""A loan's window (有效期): figures rolled forward inside it equal a replay to that day.

The daily pass stores each loan's figures with the last day they stay a fixed
function of the day, and re-runs only the loans whose window ended; a wrong window
would leave a position silently stale. So every day a window admits is compared
with a replay of the same facts (the replay is itself held to the row engine in
test_columnar.py), for random loans and for a book like the benchmark's.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.ledger.columnar import LoanFigures, LoanInput, compute_figures, figures_of, roll
from arrears.ledger.engine import compute_position
from tests.ledger.test_columnar import benchmark_like_book
from tests.ledger.test_properties import Loan, loans

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _standing(loan: Loan) -> tuple[LoanInput, date]:
    """The loan with only the payments known on its as-of date: a later one is an event of its own."""
    terms, payments, _, as_of = loan
    return LoanInput(7, terms, [payment for payment in payments if payment.value_date <= as_of]), as_of


def _replayed(item: LoanInput, day: date) -> LoanFigures:
    """The replay of the day; by the row engine when the columnar path leaves the loan to it (a later day can make
    a large loan's figures too large for its arrays: both engines give the same figures)."""
    batch = compute_figures([item], as_of=day)
    if batch.figures:
        return batch.figures[0]
    return figures_of(item.key, compute_position(item.terms, item.payments, as_of=day))


@PROPERTY
@given(loan=loans(), data=st.data())
def test_any_day_inside_the_window_rolls_to_the_replay_of_that_day(loan: Loan, data: st.DataObject) -> None:
    item, as_of = _standing(loan)
    batch = compute_figures([item], as_of=as_of)
    if not batch.figures:
        assert 7 not in batch.windows
        return
    figures, window = batch.figures[0], batch.windows[7]
    assert window.valid_until >= as_of
    span = min((window.valid_until - as_of).days, 500)
    day = as_of + timedelta(days=data.draw(st.integers(0, span), label="days ahead"))
    assert roll(figures, window, since=as_of, to=day) == _replayed(item, day)


@PROPERTY
@given(loan=loans())
def test_the_last_day_of_the_window_rolls_to_its_replay(loan: Loan) -> None:
    """The window's end is where an error in it would show first."""
    item, as_of = _standing(loan)
    batch = compute_figures([item], as_of=as_of)
    if not batch.figures or batch.windows[7].valid_until > as_of + timedelta(days=2000):
        return
    window = batch.windows[7]
    rolled = roll(batch.figures[0], window, since=as_of, to=window.valid_until)
    assert rolled == _replayed(item, window.valid_until)


def _book(as_of: date) -> list[LoanInput]:
    return benchmark_like_book(as_of, 90, spacing=5)


def test_a_book_like_the_benchmark_rolls_day_by_day_to_its_replays() -> None:
    as_of = date(2026, 6, 30)
    inputs = _book(as_of)
    batch = compute_figures(inputs, as_of=as_of)
    assert not batch.routed
    for day in range(1, 41):
        to = as_of + timedelta(days=day)
        replayed = {figures.key: figures for figures in compute_figures(inputs, as_of=to).figures}
        for figures in batch.figures:
            window = batch.windows[figures.key]
            if to <= window.valid_until:
                rolled = roll(figures, window, since=as_of, to=to)
                assert rolled == replayed[figures.key], f"loan {figures.key} on {to}"
    # The windows are worth having: most loans in arrears go on for days without an event, and
    # their charges keep growing inside the window.
    overdue = [figures for figures in batch.figures if figures.days_past_due > 0]
    lasting = [figures for figures in overdue if batch.windows[figures.key].valid_until >= as_of + timedelta(days=5)]
    assert len(overdue) >= 20 and len(lasting) >= len(overdue) // 2
    assert any(daily for figures in lasting for *_, daily in batch.windows[figures.key].charges)


def test_a_window_ends_the_day_before_the_next_installment_falls_due() -> None:
    as_of = date(2026, 6, 30)
    inputs = _book(as_of)
    batch = compute_figures(inputs, as_of=as_of)
    accelerated = {figures.key for figures in batch.figures if figures.accelerated_on is not None}
    for item in inputs:
        upcoming = [entry.due_date for entry in item.terms.schedule if entry.due_date >= as_of]
        if upcoming and item.key not in accelerated:  # acceleration made every installment due
            assert batch.windows[item.key].valid_until <= max(as_of, min(upcoming) - timedelta(days=1))


def test_outside_its_window_a_roll_is_refused() -> None:
    as_of = date(2026, 6, 30)
    batch = compute_figures(_book(as_of)[:1], as_of=as_of)
    figures = batch.figures[0]
    window = batch.windows[figures.key]
    try:
        roll(figures, window, since=as_of, to=window.valid_until + timedelta(days=1))
    except ValueError as exc:
        assert "outside the window" in str(exc)
    else:
        raise AssertionError("a day after the window rolled")
