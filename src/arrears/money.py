"""Exact money: Decimal amounts, one rounding rule, integer minor units in storage.

Amounts never pass through ``float``. Rounding happens here and only here, with
``ROUND_HALF_UP`` (四舍五入), the convention of Chinese lenders' statements.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from arrears.errors import InvalidInput

ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_EXPONENT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
MAX_AMOUNT = Decimal("9999999999999.99")
"""The largest amount Arrears accepts: well inside a BIGINT of cents on every back end."""

# Minor units of the currencies Arrears accepts. Storage keeps integer cents, so
# currencies with more than two decimals are refused rather than silently rounded.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "MYR": 2,
    "PHP": 2,
    "THB": 2,
    "IDR": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
}


def check_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise if Arrears cannot hold it."""
    upper = code.strip().upper()
    if upper not in MINOR_UNITS:
        raise InvalidInput(
            f"currency '{code}' is not supported",
            hint="use an ISO 4217 code with at most two decimals, such as CNY or USD",
        )
    return upper


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str = "CNY") -> Decimal:
    """Round to the currency's minor unit, half up."""
    return amount.quantize(quantum(currency), rounding=ROUNDING)


def to_minor(amount: Decimal) -> int:
    """Decimal in major units (at most two decimals) -> integer cents."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise InvalidInput(f"amount {amount} has more than two decimals")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(f"amount {amount} is too large to store", hint=f"amounts go up to {MAX_AMOUNT:,}")
    return int(cents)


def from_minor(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def parse_amount(text: str | int | Decimal, *, field: str = "amount") -> Decimal:
    """Parse a user-given amount exactly: plain digits, at most two decimals, within range.

    Exponent notation ('1e3') is refused: nobody writes money that way, and it is how
    float output sneaks into files.
    """
    if isinstance(text, bool):
        raise InvalidInput(f"{field} must be a number, not {text!r}")
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    else:
        cleaned = str(text).strip().replace(",", "").replace("，", "")
        for suffix in ("元", "¥", "￥"):
            cleaned = cleaned.replace(suffix, "")
        if _EXPONENT.fullmatch(cleaned):
            raise InvalidInput(f"{field} '{text}' uses exponent notation", hint="write the amount out, like 1000.00")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidInput(
                f"{field} '{text}' is not a number",
                hint="write it like 1234.56, without letters",
            ) from None
    if not value.is_finite():
        raise InvalidInput(f"{field} '{text}' is not a finite number")
    if abs(value) > MAX_AMOUNT:
        raise InvalidInput(f"{field} '{text}' is too large", hint=f"amounts go up to {MAX_AMOUNT:,}")
    if value != value.quantize(CENT):
        raise InvalidInput(
            f"{field} '{text}' has more than two decimals",
            hint="amounts are in yuan (or the currency's unit) with at most two decimals",
        )
    return value.quantize(CENT)
