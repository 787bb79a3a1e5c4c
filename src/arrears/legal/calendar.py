"""Working days of the mainland courts: weekends and public holidays are rest days,
adjusted working weekends (调休上班日) are working days.

The data is ``holidays_cn.yaml`` beside this module, one entry per year as the
State Council announces it. Asking about a year that is not in the file is refused
(:class:`~arrears.errors.InvalidInput`, naming the file to extend): a legal deadline
computed on a guessed calendar could be a day late, which is worse than no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from arrears.errors import ConfigurationError, InvalidInput

SATURDAY = 5


@dataclass(frozen=True)
class WorkingCalendar:
    """Rest days and worked weekends for a set of years."""

    years: frozenset[int]
    holidays: frozenset[date]
    working_weekends: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            known = ", ".join(str(year) for year in sorted(self.years))
            raise InvalidInput(
                f"the court calendar has no public holidays for {day.year}: no deadline is computed on a guess",
                hint=f"add {day.year} to arrears/legal/holidays_cn.yaml (known years: {known})",
            )
        if day in self.working_weekends:
            return True
        return day.weekday() < SATURDAY and day not in self.holidays

    def next_working_day_from(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            try:
                day += timedelta(days=1)
            except OverflowError:
                raise InvalidInput("no working day follows the end of the calendar") from None
        return day


def _days(entry: Any) -> list[date]:
    if isinstance(entry, date):
        return [entry]
    first, _, last = str(entry).partition("..")
    start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    if end < start:
        raise ConfigurationError(f"holiday range {entry} ends before it starts")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def parse_calendar(raw: dict[Any, Any]) -> WorkingCalendar:
    holidays: set[date] = set()
    working: set[date] = set()
    for year, spec in raw.items():
        for entry in spec.get("holidays", []):
            holidays.update(_days(entry))
        for entry in spec.get("working_weekends", []):
            working.update(_days(entry))
        stray = [day for day in _days_of(spec) if day.year != int(year)]
        if stray:
            raise ConfigurationError(f"{stray[0]} is listed under {year}")
    return WorkingCalendar(
        years=frozenset(int(year) for year in raw),
        holidays=frozenset(holidays),
        working_weekends=frozenset(working),
    )


def _days_of(spec: dict[str, Any]) -> list[date]:
    return [day for key in ("holidays", "working_weekends") for entry in spec.get(key, []) for day in _days(entry)]


@cache
def cn_court_calendar() -> WorkingCalendar:
    """The shipped calendar of mainland China."""
    text = resources.files("arrears.legal").joinpath("holidays_cn.yaml").read_text(encoding="utf-8")
    return parse_calendar(yaml.safe_load(text))
