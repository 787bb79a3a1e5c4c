"""The one-year LPR in force on a contract date, at each change and the day before it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.ledger.lpr import ONE_YEAR_LPR, one_year_lpr


@pytest.mark.parametrize(
    ("on", "rate"),
    [
        (date(2025, 5, 20), "0.0300"),
        (date(2025, 5, 19), "0.0310"),
        (date(2024, 10, 21), "0.0310"),
        (date(2024, 10, 20), "0.0335"),
        (date(2024, 7, 22), "0.0335"),
        (date(2024, 7, 21), "0.0345"),
        (date(2023, 8, 21), "0.0345"),
        (date(2023, 8, 20), "0.0355"),
        (date(2022, 3, 1), "0.0370"),
        (date(2019, 8, 20), "0.0425"),
        (date(2031, 1, 1), "0.0300"),
    ],
)
def test_rate_in_force_on_a_date(on: date, rate: str) -> None:
    assert one_year_lpr(on) == Decimal(rate)


def test_table_is_in_date_order_without_repeats() -> None:
    dates = [effective for effective, _ in ONE_YEAR_LPR]
    assert dates == sorted(set(dates))
