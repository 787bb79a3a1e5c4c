"""Calendar arithmetic shared by schedules, generators and tests."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day.

    31 January plus one month is 28 or 29 February, as lenders' schedules count it.
    """
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
