"""Month arithmetic as lenders' schedules count it."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
