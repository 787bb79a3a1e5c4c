"""Rule packs are data: both load, and a tenant may tighten its pack but never loosen it."""

from __future__ import annotations

from typing import Any

import pytest

from arrears.compliance.pack import PackOverrides, load_pack, parse_pack, tighten
from arrears.errors import InvalidInput
from tests.compliance.checks import ask, at, calls_every, planned

REQUIRED_IDS = {
    "quiet_hours",
    "daily_connected_calls",
    "daily_unanswered_attempts",
    "weekly_call_attempts",
    "post_conversation_wait",
    "third_party_disclosure",
    "third_party_repeat",
    "hold_cease_contact",
    "hold_attorney",
    "channel_opt_out",
}


def test_the_two_packs_together_use_every_documented_rule_id() -> None:
    ids = set(load_pack("cn").rule_ids) | set(load_pack("us").rule_ids)
    assert ids >= REQUIRED_IDS


def test_every_rule_names_its_source_and_speaks_both_languages() -> None:
    for pack_id in ("cn", "us"):
        for rule in load_pack(pack_id).rules:
            assert rule.source and rule.message.zh and rule.message.en


def test_china_keeps_records_five_years() -> None:
    assert load_pack("cn").retention_years == 5


def overrides(**data: Any) -> PackOverrides:
    return PackOverrides.model_validate(data)


def test_a_tenant_may_lower_a_limit_and_the_guard_follows_it() -> None:
    stricter = tighten(load_pack("cn"), overrides(rules={"daily_connected_calls": {"max": 2}}))
    history = calls_every(at("2026-03-03 09:00"), 2, result="answered")
    assert ask("cn", planned(at("2026-03-03 15:00")), history).allowed
    assert ask(stricter, planned(at("2026-03-03 15:00")), history).rule_ids == ["daily_connected_calls"]
    assert stricter.version.startswith("2026.11.1+")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"daily_connected_calls": {"max": 4}}, "max"),
        ({"quiet_hours": {"allowed_from": "07:30"}}, "allowed_from"),
        ({"quiet_hours": {"allowed_until": "22:00", "until_inclusive": True}}, "allowed_until"),
        ({"quiet_hours": {"channels": ["call"]}}, "channels"),
        ({"hold_attorney": {"hold_types": []}}, "hold_types"),
        ({"third_party_debtor_reachable": {"lookback_days": 1}}, "lookback_days"),
    ],
)
def test_a_tenant_may_not_loosen_its_pack(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        tighten(load_pack("cn"), overrides(rules=changes))
    assert field in str(raised.value) or "hold_types" in raised.value.one_line()


def test_a_tenant_may_add_a_rule_from_another_pack() -> None:
    repeat = load_pack("us").rule("third_party_repeat").model_dump()
    stricter = tighten(load_pack("cn"), overrides(add=[repeat]))
    assert "third_party_repeat" in stricter.rule_ids


def test_overrides_must_name_rules_the_pack_has() -> None:
    with pytest.raises(InvalidInput, match="weekly_call_attempts"):
        tighten(load_pack("cn"), overrides(rules={"weekly_call_attempts": {"max": 3}}))


def test_records_may_be_kept_longer_but_not_shorter() -> None:
    assert tighten(load_pack("cn"), overrides(retention_years=7)).retention_years == 7
    with pytest.raises(InvalidInput, match="retention"):
        tighten(load_pack("cn"), overrides(retention_years=3))


def test_a_pack_with_a_repeated_rule_id_is_refused_naming_it() -> None:
    data = load_pack("cn").model_dump(mode="json")
    data["rules"].append(data["rules"][0])
    with pytest.raises(InvalidInput, match="quiet_hours"):
        parse_pack(data, where="test")


def test_a_pack_with_an_unknown_rule_kind_is_refused() -> None:
    data = load_pack("cn").model_dump(mode="json")
    data["rules"][0]["kind"] = "lunar_phase"
    with pytest.raises(InvalidInput, match=r"rules\.0"):
        parse_pack(data, where="test")
