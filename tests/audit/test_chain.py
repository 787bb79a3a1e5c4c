"""The pure hash chain: every covered field changes the hash; only exact JSON values are chainable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from arrears.audit.chain import (
    ENTRY_FIELDS,
    GENESIS_HASH,
    ChainFields,
    DetailsNotChainable,
    canonical_time,
    check_details,
    entry_hash,
    link,
    serialise,
)

ENTRY = ChainFields(
    seq=1,
    prev_hash=GENESIS_HASH,
    occurred_at=datetime(2026, 3, 1, 1, 30, 0, 123456, tzinfo=UTC),
    tenant_id=7,
    actor_user_id=None,
    actor="user:42",
    action="payment.reversed",
    subject_type="payment",
    subject_id="981",
    origin="10.0.0.8",
    details={"reference": "T-1", "amount": "100.00", "lines": [1, 2], "late": True, "note": None},
)


def test_the_genesis_link_is_64_zeros() -> None:
    assert GENESIS_HASH == "0" * 64


def test_the_hash_is_sha256_hex_and_repeatable() -> None:
    digest = entry_hash(ENTRY)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert entry_hash(dataclasses.replace(ENTRY)) == digest


def test_the_serialisation_is_a_compact_json_array_in_chain_order() -> None:
    assert serialise(ENTRY).decode("utf-8") == (
        '[1,"' + GENESIS_HASH + '","2026-03-01T01:30:00.123456Z",7,null,"user:42","payment.reversed",'
        '"payment","981","10.0.0.8",{"amount":"100.00","late":true,"lines":[1,2],"note":null,"reference":"T-1"}]'
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seq", 2),
        ("prev_hash", "f" * 64),
        ("occurred_at", ENTRY.occurred_at + timedelta(microseconds=1)),
        ("tenant_id", 8),
        ("tenant_id", None),
        ("actor_user_id", 42),
        ("actor", "user:43"),
        ("action", "payment.posted"),
        ("subject_type", "loan"),
        ("subject_id", "982"),
        ("subject_id", None),
        ("origin", "10.0.0.9"),
        ("details", {**ENTRY.details, "amount": "100.01"}),
        ("details", {**ENTRY.details, "late": 1}),
    ],
)
def test_changing_any_covered_field_changes_the_hash(name: str, value: Any) -> None:
    assert entry_hash(dataclasses.replace(ENTRY, **{name: value})) != entry_hash(ENTRY)


def test_a_value_cannot_move_between_fields_unnoticed() -> None:
    """Fields are array items, not joined text: 'ab' + 'c' differs from 'a' + 'bc'."""
    moved = dataclasses.replace(ENTRY, actor="user:42payment", action=".reversed")
    assert entry_hash(moved) != entry_hash(ENTRY)


def test_key_order_in_details_does_not_matter() -> None:
    reordered = dict(reversed(list(ENTRY.details.items())))
    assert entry_hash(dataclasses.replace(ENTRY, details=reordered)) == entry_hash(ENTRY)


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    shanghai = ENTRY.occurred_at.astimezone(timezone(timedelta(hours=8)))
    assert entry_hash(dataclasses.replace(ENTRY, occurred_at=shanghai)) == entry_hash(ENTRY)


def test_times_always_carry_microseconds() -> None:
    assert canonical_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        canonical_time(datetime(2026, 1, 1))


def test_non_ascii_text_is_hashed_as_utf8() -> None:
    entry = dataclasses.replace(ENTRY, details={"note": "承诺还款"})
    assert "承诺还款".encode() in serialise(entry)


@pytest.mark.parametrize(
    "details",
    [
        {},
        {"n": 2**62, "neg": -1, "yes": True, "no": False, "none": None},
        {"nested": {"list": [1, "a", None, [True]], "text": "逾期天数"}},
    ],
)
def test_json_values_that_round_trip_are_accepted(details: dict[str, Any]) -> None:
    check_details(details)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"amount": 0.1}, "details.amount is a float.*money goes in as a string"),
        ({"amount": Decimal("0.10")}, "details.amount is a Decimal.*money goes in as a string"),
        ({"due": date(2026, 1, 1)}, "details.due is a date"),
        ({"pair": (1, 2)}, r"details.pair is a tuple"),
        ({"deep": [{"x": 1.5}]}, r"details.deep\[0\].x is a float"),
        ({"by_id": {1: "a"}}, "details.by_id has a non-string key 1"),
    ],
)
def test_values_json_would_change_are_refused(details: dict[str, Any], message: str) -> None:
    with pytest.raises(DetailsNotChainable, match=message):
        check_details(details)


def test_linking_from_a_mapping_gives_the_same_hash_as_the_entry() -> None:
    times: dict[datetime, str] = {}
    values = {name: getattr(ENTRY, name) for name in ENTRY_FIELDS}
    assert link(ENTRY.seq, ENTRY.prev_hash, values, times) == entry_hash(ENTRY)
    shanghai = ENTRY.occurred_at.astimezone(timezone(timedelta(hours=8)))
    later = dataclasses.replace(ENTRY, seq=2, prev_hash=entry_hash(ENTRY), occurred_at=shanghai, details={"x": [1]})
    later_values = {name: getattr(later, name) for name in ENTRY_FIELDS}
    assert link(2, later.prev_hash, later_values, times) == entry_hash(later)
    assert times == {ENTRY.occurred_at: "2026-03-01T01:30:00.123456Z"}
