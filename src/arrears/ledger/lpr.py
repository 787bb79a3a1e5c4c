"""The one-year Loan Prime Rate (贷款市场报价利率, LPR) table, by effective date.

The cost ceiling Chinese courts protect is a multiple (four times) of the one-year
LPR in force when the contract was made, so a loan's cap is fixed at its contract
date and never moves afterwards.
"""

from __future__ import annotations

import bisect
from datetime import date
from decimal import Decimal

# (effective from, annual rate), as published monthly since the LPR reform of
# 20 August 2019. Contracts made before the reform fall under transitional court
# rules: products for such loans should state their cost_cap explicitly.
ONE_YEAR_LPR: tuple[tuple[date, Decimal], ...] = (
    (date.min, Decimal("0.0425")),
    (date(2019, 9, 20), Decimal("0.0420")),
    (date(2019, 11, 20), Decimal("0.0415")),
    (date(2020, 2, 20), Decimal("0.0405")),
    (date(2020, 4, 20), Decimal("0.0385")),
    (date(2021, 12, 20), Decimal("0.0380")),
    (date(2022, 1, 20), Decimal("0.0370")),
    (date(2022, 8, 22), Decimal("0.0365")),
    (date(2023, 6, 20), Decimal("0.0355")),
    (date(2023, 8, 21), Decimal("0.0345")),
    (date(2024, 7, 22), Decimal("0.0335")),
    (date(2024, 10, 21), Decimal("0.0310")),
    (date(2025, 5, 20), Decimal("0.0300")),
)

_DATES = [effective for effective, _ in ONE_YEAR_LPR]


def one_year_lpr(on: date) -> Decimal:
    """The one-year LPR in force on ``on``."""
    index = bisect.bisect_right(_DATES, on) - 1
    return ONE_YEAR_LPR[max(index, 0)][1]
