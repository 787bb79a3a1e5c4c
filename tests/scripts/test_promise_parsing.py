"""Promise terms: dates resolved against a fixed today, amounts to the cent, ``None`` when absent or ambiguous."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.scripts.intents import parse_amount, parse_promise_date
from arrears.scripts.intents.promise import PromiseTerms, han_number, parse_promise

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三千", "3000.00"),
        ("两万五", "25000.00"),
        ("一千二", "1200.00"),
        ("一千零五块", "1005.00"),
        ("五百", "500.00"),
        ("十块钱", "10.00"),
        ("3k", "3000.00"),
        ("3K", "3000.00"),
        ("2.5k", "2500.00"),
        ("3,000元", "3000.00"),
        ("¥3000", "3000.00"),
        ("￥３０００", "3000.00"),
        ("3000块", "3000.00"),
        ("RMB 3,000", "3000.00"),
        ("$1,250.50", "1250.50"),
        ("2万", "20000.00"),
        ("1万5", "15000.00"),
        ("3千5", "3500.00"),
        ("3w", "30000.00"),
        ("500 bucks", "500.00"),
        ("下周五还三千", "3000.00"),
        ("I can do 2k on the 15th", "2000.00"),
    ],
)
def test_amounts_are_parsed_to_the_cent(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "下周再说",
        "千万别再打了",
        "万一我忘了呢",
        "15号",
        "周五",
        "三个月",
        "下午3点",
        "等3天",
        "2026-12-01",
        "12月1日",
        "先还两千或者三千",
        "两三千吧",
        "in 3 weeks",
        "30%太高了",
    ],
)
def test_no_amount_or_an_ambiguous_one_is_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("今天", MONDAY, date(2026, 11, 23)),
        ("今晚转", MONDAY, date(2026, 11, 23)),
        ("明天", MONDAY, date(2026, 11, 24)),
        ("tomorrow", MONDAY, date(2026, 11, 24)),
        ("听日还", MONDAY, date(2026, 11, 24)),
        ("后天", MONDAY, date(2026, 11, 25)),
        ("the day after tomorrow", MONDAY, date(2026, 11, 25)),
        ("大后天", MONDAY, date(2026, 11, 26)),
        ("下周五", MONDAY, date(2026, 12, 4)),
        ("下礼拜五", MONDAY, date(2026, 12, 4)),
        ("下禮拜五", MONDAY, date(2026, 12, 4)),
        ("下星期五", MONDAY, date(2026, 12, 4)),
        ("下个星期一", MONDAY, date(2026, 11, 30)),
        ("下周日", date(2026, 11, 29), date(2026, 12, 6)),
        ("next Friday", MONDAY, date(2026, 12, 4)),
        ("这周五", MONDAY, date(2026, 11, 27)),
        ("本周五", MONDAY, date(2026, 11, 27)),
        ("这周五", date(2026, 11, 28), None),
        ("周五", MONDAY, date(2026, 11, 27)),
        ("周五", date(2026, 11, 27), date(2026, 11, 27)),
        ("星期五", date(2026, 11, 28), date(2026, 12, 4)),
        ("Friday", date(2026, 11, 28), date(2026, 12, 4)),
        ("礼拜天", MONDAY, date(2026, 11, 29)),
        ("月底", MONDAY, date(2026, 11, 30)),
        ("月底", date(2026, 11, 30), date(2026, 11, 30)),
        ("月底", date(2026, 12, 31), date(2026, 12, 31)),
        ("月底", date(2028, 2, 10), date(2028, 2, 29)),
        ("end of month", date(2027, 2, 1), date(2027, 2, 28)),
        ("下个月底", MONDAY, date(2026, 12, 31)),
        ("下个月5号", MONDAY, date(2026, 12, 5)),
        ("下月5号", date(2026, 12, 20), date(2027, 1, 5)),
        ("下个月31号", MONDAY, date(2026, 12, 31)),
        ("下个月31号", date(2027, 1, 10), None),
        ("15号", MONDAY, date(2026, 12, 15)),
        ("25号", MONDAY, date(2026, 11, 25)),
        ("23号", MONDAY, date(2026, 11, 23)),
        ("15日", date(2026, 12, 20), date(2027, 1, 15)),
        ("十五号", date(2026, 11, 10), date(2026, 11, 15)),
        ("31号", MONDAY, None),
        ("on the 15th", MONDAY, date(2026, 12, 15)),
        ("the 1st", date(2026, 12, 31), date(2027, 1, 1)),
        ("2026-12-01", MONDAY, date(2026, 12, 1)),
        ("2026/2/30", MONDAY, None),
        ("12月1日", MONDAY, date(2026, 12, 1)),
        ("11月1号", MONDAY, date(2027, 11, 1)),
        ("2027年1月8日", MONDAY, date(2027, 1, 8)),
        ("三天后", MONDAY, date(2026, 11, 26)),
        ("in 10 days", date(2026, 12, 28), date(2027, 1, 7)),
        ("下周", MONDAY, None),
        ("下个月", MONDAY, None),
        ("过几天", MONDAY, None),
        ("明天或者后天", MONDAY, None),
        ("", MONDAY, None),
    ],
)
def test_dates_are_resolved_against_today(text: str, today: date, expected: date | None) -> None:
    assert parse_promise_date(text, today=today) == expected


@pytest.mark.parametrize(
    ("text", "numeral"),
    [("三千", 3000), ("两万五", 25000), ("一万零五百", 10500), ("十五", 15), ("一百二", 120), ("十万", 100000)],
)
def test_chinese_numerals(text: str, numeral: int) -> None:
    assert han_number(text) == numeral


@pytest.mark.parametrize("text", ["千万", "万一", "一二", ""])
def test_words_made_of_numeral_characters_are_not_numbers(text: str) -> None:
    assert han_number(text) is None


def test_a_day_is_never_read_as_an_amount() -> None:
    terms = parse_promise("下个月5号先还1500，15号再说", today=MONDAY)
    assert terms == PromiseTerms(date=None, amount=Decimal("1500.00"))


def test_terms_as_json_are_strings_or_null() -> None:
    assert parse_promise("下周五还三千", today=MONDAY).as_dict() == {"date": "2026-12-04", "amount": "3000.00"}
    assert PromiseTerms().as_dict() == {"date": None, "amount": None}
