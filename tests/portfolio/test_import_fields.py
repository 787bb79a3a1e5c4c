"""Field parsers of the import: each good value is cleaned, each bad one names its field and why."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from arrears.portfolio.enums import Gender, Relation
from arrears.portfolio.importing import fields
from arrears.portfolio.importing.fields import RowError
from arrears.portfolio.importing.schemas import Party, parse_borrower, parse_contact

VALID_ID = "11010519491231002X"  # born 1949-12-31, even 17th digit: female


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026/3/1", date(2026, 3, 1)),
        (" 2026-03-01 ", date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (datetime(2026, 3, 1), date(2026, 3, 1)),
        ("", None),
        (None, None),
    ],
)
def test_dates_accepted(raw: fields.Cell, expected: date | None) -> None:
    assert fields.day(raw, "due_date") == expected


@pytest.mark.parametrize("raw", ["2026-02-30", "01/03/2026", "20260301", "tomorrow", datetime(2026, 3, 1, 9, 30)])
def test_dates_rejected(raw: fields.Cell) -> None:
    with pytest.raises(RowError) as caught:
        fields.day(raw, "due_date")
    assert caught.value.field == "due_date"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.56", Decimal("1234.56")),
        ("1,234.5", Decimal("1234.50")),
        (1234.56, Decimal("1234.56")),
        (3000, Decimal("3000.00")),
        (3000.0, Decimal("3000.00")),
        ("0", Decimal("0.00")),
    ],
)
def test_amounts_are_exact(raw: fields.Cell, expected: Decimal) -> None:
    assert fields.amount(raw, "principal") == expected


@pytest.mark.parametrize(
    "raw", ["1.005", 1.005, 0.1 + 0.2, "abc", "-5", True, date(2026, 1, 1), "1e400", "1e3", 1e16, "99999999999999"]
)
def test_amounts_rejected(raw: fields.Cell) -> None:
    with pytest.raises(RowError) as caught:
        fields.amount(raw, "principal")
    assert caught.value.field == "principal"


def test_zero_payment_is_rejected() -> None:
    with pytest.raises(RowError, match="greater than zero"):
        fields.amount("0", "amount", positive=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("true", True), ("YES", True), ("1", True), ("是", True), (1, True), (True, True)],
        *[("false", False), ("no", False), ("0", False), ("否", False), (0, False), ("", None)],
    ],
)
def test_booleans(raw: fields.Cell, expected: bool | None) -> None:
    assert fields.boolean(raw, "owns_home") is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2])
def test_booleans_rejected(raw: fields.Cell) -> None:
    with pytest.raises(RowError):
        fields.boolean(raw, "owns_home")


def test_enum_lists_the_allowed_values() -> None:
    assert fields.choice("Spouse", "relation", Relation) is Relation.SPOUSE
    with pytest.raises(RowError, match="spouse, parent"):
        fields.choice("cousin", "relation", Relation)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "checksum"),  # wrong check digit
        ("110105194902300026", "invalid"),  # 30 February
        ("1101051949123100", "length"),
    ],
)
def test_resident_id_rejected(raw: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        fields.resident_id(raw, "resident_id")


def test_resident_id_fills_birth_date_and_gender() -> None:
    record = parse_borrower({"external_id": "C1", "name": "张三", "resident_id": VALID_ID.lower()})
    assert record.resident_id == VALID_ID
    assert record.birth_date == date(1949, 12, 31)
    assert record.gender is Gender.FEMALE


@pytest.mark.parametrize(
    ("column", "value"),
    [("birth_date", "1950-01-01"), ("gender", "male")],
)
def test_birth_date_or_gender_contradicting_resident_id_is_rejected(column: str, value: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_borrower({"external_id": "C1", "name": "张三", "resident_id": VALID_ID, column: value})
    assert caught.value.field == column


def test_matching_birth_date_and_gender_are_accepted() -> None:
    record = parse_borrower(
        {"external_id": "C1", "name": "张三", "resident_id": VALID_ID, "birth_date": "1949/12/31", "gender": "female"}
    )
    assert record.gender is Gender.FEMALE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        (13800138000, "+8613800138000"),
        ("010-12345678", "+861012345678"),
        ("+852 6123 4567", "+85261234567"),
    ],
)
def test_phones_become_e164(raw: fields.Cell, expected: str) -> None:
    assert fields.phone(raw, "value") == expected


@pytest.mark.parametrize("raw", ["12345", "1380013800", "phone", ""])
def test_phones_rejected(raw: str) -> None:
    with pytest.raises(RowError):
        fields.phone(raw, "value")


@pytest.mark.parametrize("raw", ["a@b", "no spaces@x.cn x", "plain"])
def test_emails_rejected(raw: str) -> None:
    with pytest.raises(RowError):
        fields.email(raw, "value")


def test_timezone_must_be_iana() -> None:
    assert fields.timezone("Asia/Urumqi", "timezone") == "Asia/Urumqi"
    with pytest.raises(RowError):
        fields.timezone("GMT+8 Beijing", "timezone")


def test_third_party_contact_needs_name_and_relation() -> None:
    base = {"borrower_external_id": "C1", "party": "third_party", "channel": "phone", "value": "13800138000"}
    with pytest.raises(RowError) as caught:
        parse_contact(base)
    assert caught.value.field == "name"
    with pytest.raises(RowError) as caught:
        parse_contact(base | {"name": "李梅"})
    assert caught.value.field == "relation"
    record = parse_contact(base | {"name": "李梅", "relation": "spouse", "knows_about_loan": "否"})
    assert record.party is Party.THIRD_PARTY
    assert record.knows_about_loan is False
