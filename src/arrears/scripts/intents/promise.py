"""The terms inside a promise to pay (承诺还款): a date and an amount, parsed by rules.

Pure functions of the text and of ``today`` (no clock is read). Dates are
resolved by an ordered table of patterns (docs/classifier.md lists them); the
spans a date pattern took are blanked before amounts are looked for, so that
``15号`` or ``周五`` is never read as an amount. When the text names two
different dates, or two different amounts, or a date that cannot be placed
(``这周五`` said on a Saturday, ``31号`` in a 30-day month), the answer is
``None``: a wrong promise is worse than none.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from arrears.dates import add_months
from arrears.money import round_money
from arrears.scripts.intents.normalise import normalise

_T = TypeVar("_T")
_HAN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000}
_HAN_NUMBER = "[零〇一二两三四五六七八九十百千万]+"
_DAY = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAYS_EN = {"mon": 0, "tues": 1, "wednes": 2, "thurs": 3, "fri": 4, "satur": 5, "sun": 6}
_WEEKDAY_ZH = "(?:周|星期|礼拜)([一二三四五六日天七])"
_WEEKDAY_EN = r"(mon|tues|wednes|thurs|fri|satur|sun)day\b"

Resolver = Callable[["Groups", date], date | None]


@dataclass(frozen=True)
class PromiseTerms:
    """What a debtor committed to: either part is ``None`` when the text does not say it unambiguously."""

    date: date | None = None
    amount: Decimal | None = None

    def as_dict(self) -> dict[str, str | None]:
        """JSON shape: ISO date and the amount as a decimal string."""
        return {
            "date": self.date.isoformat() if self.date else None,
            "amount": str(self.amount) if self.amount is not None else None,
        }


class Groups:
    """A match's groups; ``value`` is the first one present (each alternative of a rule captures one)."""

    def __init__(self, match: re.Match[str]) -> None:
        self.all: tuple[str | None, ...] = match.groups()

    @property
    def value(self) -> str:
        return next(group for group in self.all if group is not None)


def han_number(text: str) -> int | None:
    """A Chinese numeral as an integer: 三千 3000, 两万五 25000, 一千二 1200, 一千零五 1005, 十五 15.

    A digit that ends the numeral right after 万, 千 or 百 counts in the next
    lower unit, as it is spoken (一千二 is 1200, not 1002). ``None`` for text
    that is not a numeral (千万 as in 千万别, 一二).
    """
    if not text or text[0] not in "一二两三四五六七八九十":
        return None
    total = section = digit = 0
    last_unit = 1
    previous = ""
    for char in text:
        if char in _HAN_DIGITS:
            if _HAN_DIGITS.get(previous):
                return None
            digit = _HAN_DIGITS[char]
        elif char in _HAN_UNITS:
            section += (digit or (1 if previous in ("", "万") else 0)) * _HAN_UNITS[char]
            digit, last_unit = 0, _HAN_UNITS[char]
        else:
            total += (section + digit) * 10_000
            section = digit = 0
            last_unit = 10_000
        previous = char
    if digit and previous in _HAN_DIGITS and len(text) > 1 and text[-2] in "十百千万":
        section += digit * last_unit // 10 if last_unit >= 100 else digit
    else:
        section += digit
    return total + section


def _day_number(text: str) -> int | None:
    return int(text) if text.isdigit() else han_number(text)


def _on_day(year: int, month: int, day: int | None) -> date | None:
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _iso(match: Groups, today: date) -> date | None:
    year, month, day = (int(part or 0) for part in match.all)
    return _on_day(year, month, day) if 1 <= month <= 12 else None


def _month_day(match: Groups, today: date) -> date | None:
    """``12月1日``: this year, or next year when that day is already past."""
    year_text, month_text, day_text = match.all
    month, day = _day_number(month_text or ""), _day_number(day_text or "")
    if month is None or not 1 <= month <= 12:
        return None
    if year_text:
        return _on_day(int(year_text), month, day)
    found = _on_day(today.year, month, day)
    if found is not None and found < today:
        return _on_day(today.year + 1, month, day)
    return found


def _next_month_day(match: Groups, today: date) -> date | None:
    following = add_months(today.replace(day=1), 1)
    return _on_day(following.year, following.month, _day_number(match.value))


def _next_month_end(match: Groups, today: date) -> date | None:
    return _month_end(add_months(today.replace(day=1), 1))


def _this_month_end(match: Groups, today: date) -> date | None:
    return _month_end(today)


def _day_of_month(match: Groups, today: date) -> date | None:
    """``15号``: this month's 15th unless it is past, then next month's."""
    day = _day_number(match.value)
    if day is not None and day >= today.day:
        return _on_day(today.year, today.month, day)
    following = add_months(today.replace(day=1), 1)
    return _on_day(following.year, following.month, day)


def _weekday_index(name: str) -> int:
    return _WEEKDAYS_ZH[name] if name in _WEEKDAYS_ZH else _WEEKDAYS_EN[name]


def _next_week(match: Groups, today: date) -> date | None:
    """``下周五``: the Friday of next week (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    return monday + timedelta(days=_weekday_index(match.value))


def _this_week(match: Groups, today: date) -> date | None:
    """``这周五``: this week's Friday; ``None`` when it is already past."""
    found = today - timedelta(days=today.weekday()) + timedelta(days=_weekday_index(match.value))
    return found if found >= today else None


def _coming(match: Groups, today: date) -> date | None:
    """``周五``, ``Friday``: the next Friday on or after today."""
    return today + timedelta(days=(_weekday_index(match.value) - today.weekday()) % 7)


def _days_later(match: Groups, today: date) -> date | None:
    days = _day_number(match.value)
    return today + timedelta(days=days) if days is not None else None


def _offset(days: int) -> Resolver:
    def resolve(match: Groups, today: date) -> date | None:
        return today + timedelta(days=days)

    return resolve


DATE_RULES: tuple[tuple[str, re.Pattern[str], Resolver], ...] = tuple(
    (name, re.compile(pattern), resolver)
    for name, pattern, resolver in (
        ("iso date", r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", _iso),
        ("month and day", rf"(?:(\d{{4}})年)?{_DAY}月{_DAY}[日号]", _month_day),
        ("next month's day", rf"下个?月(?:的)?{_DAY}[号日]", _next_month_day),
        ("end of next month", r"下个?月(?:底|末)", _next_month_end),
        ("end of this month", r"月底|月末|end of (?:the |this )?month|month end", _this_month_end),
        ("next week's weekday", rf"下个?{_WEEKDAY_ZH}|next {_WEEKDAY_EN}", _next_week),
        ("this week's weekday", rf"(?:这|本)个?{_WEEKDAY_ZH}", _this_week),
        ("coming weekday", rf"{_WEEKDAY_ZH}|(?:this )?{_WEEKDAY_EN}", _coming),
        ("in n days", r"(\d{1,2}|[一二两三四五六七八九十]{1,2})天(?:之?后|以后|之?内)|in (\d{1,2}) days", _days_later),
        ("day of month", rf"{_DAY}[号日](?!子)|(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th)\b", _day_of_month),
        ("day after tomorrow", r"大后天", _offset(3)),
        ("two days", r"后天|day after tomorrow", _offset(2)),
        ("tomorrow", r"明天|明日|明早|明晚|听日|tomorrow|tmrw|tmr", _offset(1)),
        ("today", r"今天|今日|今晚|today|tonight", _offset(0)),
    )
)
"""Ordered: a span taken by one rule is blanked before the next looks."""


class _Scan:
    """The dates found, in rule order, and the text with their spans blanked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.dates: list[date | None] = []


def _scan_dates(normalised: str, today: date) -> _Scan:
    scan = _Scan(normalised)
    for _name, pattern, resolver in DATE_RULES:
        for match in list(pattern.finditer(scan.text)):
            scan.dates.append(resolver(Groups(match), today))
            start, end = match.span()
            scan.text = scan.text[:start] + " " * (end - start) + scan.text[end:]
    return scan


def parse_promise_date(text: str, *, today: date) -> date | None:
    """The one date ``text`` names, resolved against ``today``; ``None`` when absent or ambiguous."""
    return _single(_scan_dates(normalise(text), today).dates)


_ARABIC = re.compile(
    r"(?P<currency>¥|\$|rmb|cny|usd)?\s*"
    r"(?<![\d.])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d])"
    r"\s*(?:(?P<magnitude>[kw](?![a-z])|万|千|百)(?P<tail>\d(?!\d))?)?"
    r"\s*(?P<unit>块钱|块|元|rmb|dollars?|bucks|usd)?"
)
_HAN = re.compile(rf"(?P<number>{_HAN_NUMBER})(?P<unit>块钱|块|元)?")
_NOT_MONEY = re.compile(r"\s*(?:[号日月年点天个周次期岁%:]|分钟|小时|days?\b|weeks?\b|months?\b|years?\b|am\b|pm\b)")
_MAGNITUDES = {"k": 1000, "千": 1000, "w": 10_000, "万": 10_000, "百": 100}


def _arabic_amounts(text: str) -> list[Decimal]:
    amounts = []
    for match in _ARABIC.finditer(text):
        magnitude, unit = match.group("magnitude"), match.group("unit")
        if not (magnitude or unit) and _NOT_MONEY.match(text, match.end()):
            continue
        try:
            value = Decimal(match.group("number").replace(",", ""))
        except InvalidOperation:
            continue
        scale = _MAGNITUDES.get(magnitude or "", 1)
        tail = match.group("tail")
        amounts.append(value * scale + (int(tail) * scale // 10 if tail and scale >= 1000 else 0))
    return amounts


def _han_amounts(text: str) -> list[Decimal]:
    """Chinese numerals count as money only with 百/千/万 in them or 块/元 after them (not 三个月, 一下)."""
    amounts = []
    for match in _HAN.finditer(text):
        numeral, unit = match.group("number"), match.group("unit")
        if not (unit or any(char in numeral for char in "百千万")):
            continue
        value = han_number(numeral)
        if value:
            amounts.append(Decimal(value))
    return amounts


def parse_amount(text: str) -> Decimal | None:
    """The one amount ``text`` names (三千, 3k, 3,000元, ¥3000, RMB 3,000), to the cent; ``None`` if none or several."""
    blanked = _scan_dates(normalise(text), date(2000, 1, 1)).text
    amounts = [round_money(value) for value in _arabic_amounts(blanked) + _han_amounts(blanked) if value > 0]
    return _single(amounts)


def parse_promise(text: str, *, today: date) -> PromiseTerms:
    """Date and amount together, from one normalisation and one date scan."""
    found = _scan_dates(normalise(text), today)
    amounts = [round_money(value) for value in _arabic_amounts(found.text) + _han_amounts(found.text) if value > 0]
    return PromiseTerms(date=_single(found.dates), amount=_single(amounts))


def _single(values: Sequence[_T | None]) -> _T | None:
    """The value when all agree, else ``None`` (nothing found, or two different answers)."""
    distinct = set(values)
    if len(distinct) != 1:
        return None
    return distinct.pop()
