"""The one-year Loan Prime Rate (贷款市场报价利率, LPR) table, by effective date.

The cost ceiling Chinese courts protect is a multiple (four times) of the one-year
LPR in force when the contract was made, so a loan's cap is fixed at its contract
date and never moves afterwards.
"""

from __future__ import annotations

import bisect
from datetime import date
from decimal import Decimal

# (effective from, annual rate). Dates before the first entry use the first rate.
ONE_YEAR_LPR: tuple[tuple[date, Decimal], ...] = (
    (date.min, Decimal("0.0345")),
    (date(2024, 7, 22), Decimal("0.0335")),
    (date(2024, 10, 21), Decimal("0.0310")),
    (date(2025, 5, 20), Decimal("0.0300")),
)

_DATES = [effective for effective, _ in ONE_YEAR_LPR]


def one_year_lpr(on: date) -> Decimal:
    """The one-year LPR in force on ``on``."""
    index = bisect.bisect_right(_DATES, on) - 1
    return ONE_YEAR_LPR[max(index, 0)][1]
