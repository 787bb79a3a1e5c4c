"""Field parsers for imported rows: each returns a clean value or raises :class:`RowError`.

A cell may come from a CSV file (always ``str``) or from an XLSX sheet (``str``,
``int``, ``float``, ``bool``, ``date``/``datetime`` or ``None``). Amounts never
pass through ``float`` arithmetic: a numeric XLSX cell is turned into text by its
shortest round-trip ``repr`` and parsed exactly.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from arrears.errors import InvalidInput
from arrears.money import parse_amount
from arrears.portfolio.enums import Gender

Cell = str | int | float | bool | Decimal | date | datetime | None
E = TypeVar("E", bound=StrEnum)

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "f"})
# Stored as integer cents in a BIGINT; far above any real loan, far below the column's limit.
MAX_AMOUNT = Decimal(10) ** 13
_DATE_PATTERN = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RowError(Exception):
    """One problem with one field of one row."""

    def __init__(self, field: str, reason: str, value: Cell = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.value = value


def cell_text(value: Cell) -> str:
    """How a cell reads in an error report."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Cell, field: str, *, required: bool = False, max_length: int = 200) -> str | None:
    if is_blank(value):
        if required:
            raise RowError(field, "is required", value)
        return None
    # an id typed as a number in a spreadsheet comes back as 1234.0
    cleaned = str(int(value)) if isinstance(value, float) and value.is_integer() else cell_text(value).strip()
    if len(cleaned) > max_length:
        raise RowError(field, f"is longer than {max_length} characters", value)
    return cleaned


def required_text(value: Cell, field: str, *, max_length: int = 200) -> str:
    result = text(value, field, required=True, max_length=max_length)
    assert result is not None
    return result


def day(value: Cell, field: str, *, required: bool = False) -> date | None:
    """YYYY-MM-DD or YYYY/MM/DD text, or an Excel date cell."""
    if is_blank(value):
        if required:
            raise RowError(field, "is required", value)
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise RowError(field, "is a date and time; give only the date", value)
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE_PATTERN.match(cell_text(value).strip())
    if match is None:
        raise RowError(field, "is not a date (write YYYY-MM-DD)", value)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RowError(field, "is not a real calendar date", value) from None


def required_day(value: Cell, field: str) -> date:
    result = day(value, field, required=True)
    assert result is not None
    return result


def amount(value: Cell, field: str, *, required: bool = False, positive: bool = False) -> Decimal | None:
    """An exact amount with at most two decimals; never through float arithmetic."""
    if is_blank(value):
        if required:
            raise RowError(field, "is required", value)
        return None
    if isinstance(value, bool | date):
        raise RowError(field, "is not an amount", value)
    source: str | int | Decimal
    if value is None:
        raise RowError(field, "is required", value)
    # repr gives the shortest text that reads back as the same float: 1234.56, not 1234.5599999...
    source = repr(value) if isinstance(value, float) else value
    if isinstance(source, str) and "e" in source.lower():
        raise RowError(field, "is not a plain amount (write it like 1234.56)", value)
    try:
        parsed = parse_amount(source, field=field)
    except InvalidInput as error:
        raise RowError(field, error.message.replace(f"{field} ", "", 1), value) from None
    except ArithmeticError:  # parse_amount lets decimal.InvalidOperation escape for huge numbers
        raise RowError(field, "is too large", value) from None
    if parsed >= MAX_AMOUNT:
        raise RowError(field, f"is too large (at most {MAX_AMOUNT - Decimal('0.01')})", value)
    if parsed < 0 or (positive and parsed == 0):
        raise RowError(field, "must be greater than zero" if positive else "must not be negative", value)
    return parsed


def required_amount(value: Cell, field: str, *, positive: bool = False) -> Decimal:
    result = amount(value, field, required=True, positive=positive)
    assert result is not None
    return result


def rate(value: Cell, field: str) -> Decimal | None:
    """A rate such as 0.1825 (18.25% a year); any number of decimals, never negative."""
    if is_blank(value):
        return None
    source = repr(value) if isinstance(value, float) else cell_text(value).strip().rstrip("%")
    try:
        parsed = Decimal(source)
    except ArithmeticError:
        raise RowError(field, "is not a number", value) from None
    if not parsed.is_finite() or parsed < 0:
        raise RowError(field, "must be a number not below zero", value)
    if cell_text(value).strip().endswith("%"):
        parsed = parsed / 100
    return parsed


def integer(value: Cell, field: str, *, required: bool = False, minimum: int = 0) -> int | None:
    if is_blank(value):
        if required:
            raise RowError(field, "is required", value)
        return None
    if isinstance(value, bool):
        raise RowError(field, "is not a whole number", value)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    else:
        cleaned = cell_text(value).strip()
        if not re.fullmatch(r"[+-]?\d+", cleaned):
            raise RowError(field, "is not a whole number", value)
        result = int(cleaned)
    if result < minimum:
        raise RowError(field, f"must be at least {minimum}", value)
    return result


def required_integer(value: Cell, field: str, *, minimum: int = 0) -> int:
    result = integer(value, field, required=True, minimum=minimum)
    assert result is not None
    return result


def boolean(value: Cell, field: str) -> bool | None:
    """true/false, yes/no, 1/0, 是/否 (any case); blank is unknown."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = cell_text(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowError(field, "is not a yes/no value (true/false, yes/no, 1/0, 是/否)", value)


def choice(value: Cell, field: str, enum: type[E], *, required: bool = False) -> E | None:
    if is_blank(value):
        if required:
            raise RowError(field, "is required", value)
        return None
    word = cell_text(value).strip().lower()
    try:
        return enum(word)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise RowError(field, f"must be one of: {allowed}", value) from None


def timezone(value: Cell, field: str) -> str | None:
    name = text(value, field, max_length=64)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowError(field, "is not an IANA time zone such as Asia/Shanghai", value) from None
    return name


def resident_id(value: Cell, field: str) -> str | None:
    """A Chinese resident ID (居民身份证号码): 18 characters, checksum and birth date checked."""
    number = text(value, field, max_length=32)
    if number is None:
        return None
    try:
        return str(ric.validate(number))
    except StdnumValidationError as error:
        raise RowError(field, f"is not a valid resident ID: {str(error).lower().rstrip('.')}", value) from None


def resident_birth_date(number: str) -> date:
    birth: date = ric.get_birth_date(number)
    return birth


def resident_gender(number: str) -> Gender:
    """The 17th digit is odd for men and even for women."""
    return Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE


def phone(value: Cell, field: str, *, region: str = "CN") -> str:
    """A phone number in E.164 form (+8613800138000); national numbers are read as Chinese."""
    raw = required_text(value, field, max_length=40)
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise RowError(field, "is not a phone number", value) from None
    if not phonenumbers.is_valid_number(parsed):
        raise RowError(field, "is not a valid phone number", value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email(value: Cell, field: str) -> str:
    address = required_text(value, field, max_length=254)
    if not _EMAIL_PATTERN.match(address):
        raise RowError(field, "is not an email address", value)
    return address.lower()
