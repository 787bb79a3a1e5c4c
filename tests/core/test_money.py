"""Amounts are parsed exactly or refused with one clear reason; storage is exact cents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.errors import InvalidInput
from arrears.money import MAX_AMOUNT, from_minor, parse_amount, round_money, to_minor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.5", "1234.50"),
        ("3000元", "3000.00"),
        ("￥12", "12.00"),
        (" 0.10 ", "0.10"),
        ("-5.00", "-5.00"),
        (7, "7.00"),
        ("9999999999999.99", "9999999999999.99"),
    ],
)
def test_good_amounts_parse_exactly(text: str | int, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.005", "more than two decimals"),
        ("abc", "not a number"),
        ("nine thousand", "not a number"),
        ("1e3", "exponent"),
        ("1E400", "exponent"),
        ("NaN", "finite"),
        ("10000000000000.00", "too large"),
        (True, "must be a number"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str | bool, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_amount(text)  # type: ignore[arg-type]


def test_half_cents_round_up() -> None:
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")


@given(st.integers(min_value=-int(MAX_AMOUNT * 100), max_value=int(MAX_AMOUNT * 100)))
def test_cents_round_trip_for_every_storable_amount(cents: int) -> None:
    """Any amount in range survives Decimal -> cents -> Decimal unchanged."""
    assert to_minor(from_minor(cents)) == cents


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=50))
def test_sums_of_parsed_amounts_are_exact(cents: list[int]) -> None:
    """Adding amounts never drifts the way 0.1 + 0.2 does in floating point."""
    amounts = [parse_amount(f"{value // 100}.{value % 100:02d}") for value in cents]
    assert to_minor(sum(amounts, Decimal(0))) == sum(cents)
