"""The China pack at the edge of every rule: one case on each side of each boundary."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from arrears.compliance.enums import HoldType
from arrears.contact.enums import ContactChannel, Party
from tests.compliance.checks import NUMBER, ask, at, call, calls_every, consent, hold, planned


@pytest.mark.parametrize(
    ("local_time", "allowed"),
    [("07:59", False), ("08:00", True), ("12:00", True), ("21:59", True), ("22:00", False), ("23:30", False)],
)
def test_quiet_hours_boundaries(local_time: str, allowed: bool) -> None:
    decision = ask("cn", planned(at(f"2026-03-03 {local_time}")))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["quiet_hours"]


def test_a_call_at_ten_at_night_is_allowed_again_at_eight_next_morning() -> None:
    decision = ask("cn", planned(at("2026-03-03 22:00")))
    assert decision.next_allowed_at == at("2026-03-04 08:00")


def test_a_call_before_eight_is_allowed_at_eight_the_same_morning() -> None:
    decision = ask("cn", planned(at("2026-03-03 07:59")))
    assert decision.next_allowed_at == at("2026-03-03 08:00")


def test_next_allowed_time_is_shown_in_the_offset_the_question_used() -> None:
    utc_question = planned(at("2026-03-03 22:30").astimezone(ZoneInfo("UTC")))
    decision = ask("cn", utc_question)
    assert decision.as_json()["next_allowed_at"] == "2026-03-04T00:00:00+00:00"


def test_a_time_the_debtor_agreed_to_lifts_quiet_hours() -> None:
    agreed = consent(at("2026-03-03 22:15"), at("2026-03-03 22:45"))
    assert ask("cn", planned(at("2026-03-03 22:30")), consents=(agreed,)).allowed
    assert not ask("cn", planned(at("2026-03-03 22:50")), consents=(agreed,)).allowed


def test_letters_are_not_held_to_quiet_hours_but_messages_are() -> None:
    assert ask("cn", planned(at("2026-03-03 23:00"), ContactChannel.LETTER)).allowed
    assert not ask("cn", planned(at("2026-03-03 23:00"), ContactChannel.SMS)).allowed


def test_quiet_hours_hold_in_every_zone_the_debtor_may_be_in() -> None:
    london = ZoneInfo("Europe/London")
    zones = (ZoneInfo("Asia/Shanghai"), london)
    decision = ask("cn", planned(at("2026-03-03 09:00")), zones=zones)
    assert decision.rule_ids == ["quiet_hours"]
    assert decision.next_allowed_at == at("2026-03-03 08:00", london)


@pytest.mark.parametrize(("answered_today", "allowed"), [(2, True), (3, False)])
def test_third_connected_call_of_the_day_is_the_last(answered_today: int, allowed: bool) -> None:
    history = calls_every(at("2026-03-03 09:00"), answered_today, result="answered")
    decision = ask("cn", planned(at("2026-03-03 15:00")), history)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["daily_connected_calls"]
        assert decision.next_allowed_at == at("2026-03-04 08:00")


def test_connected_calls_count_every_number_and_every_agency_but_only_today() -> None:
    yesterday = calls_every(at("2026-03-02 20:00"), 3, result="answered")
    today = [call(at("2026-03-03 09:00"), "answered", number="+8613900000000")]
    assert ask("cn", planned(at("2026-03-03 10:00")), yesterday + today).allowed
    today += calls_every(at("2026-03-03 09:30"), 2, result="answered", number="+8613700000000")
    assert ask("cn", planned(at("2026-03-03 10:30")), yesterday + today).rule_ids == ["daily_connected_calls"]


def test_the_debtors_day_is_counted_in_their_own_time_zone() -> None:
    # 23:30 UTC on the 2nd is 07:30 on the 3rd in Shanghai: it belongs to the 3rd.
    early = at("2026-03-02 23:30", ZoneInfo("UTC"))
    history = [call(early, "answered"), *calls_every(at("2026-03-03 08:10"), 2, result="answered")]
    assert not ask("cn", planned(at("2026-03-03 12:00")), history).allowed


def test_calls_to_third_parties_do_not_use_the_debtors_connected_calls() -> None:
    history = calls_every(at("2026-03-03 09:00"), 3, result="answered", party=Party.THIRD_PARTY, party_id="c1")
    assert ask("cn", planned(at("2026-03-03 15:00")), history).allowed


@pytest.mark.parametrize(("unanswered", "allowed"), [(5, True), (6, False)])
def test_sixth_unanswered_dial_to_a_number_is_the_last_of_the_day(unanswered: int, allowed: bool) -> None:
    results = ["no_answer", "busy", "voicemail", "not_in_service", "no_answer", "no_answer"][:unanswered]
    history = [call(at("2026-03-03 09:00") + timedelta(minutes=20 * i), result) for i, result in enumerate(results)]
    decision = ask("cn", planned(at("2026-03-03 15:00")), history)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["daily_unanswered_attempts"]


def test_unanswered_attempts_are_counted_per_number() -> None:
    history = calls_every(at("2026-03-03 09:00"), 6, result="no_answer", number="+8613900000000")
    assert ask("cn", planned(at("2026-03-03 15:00"), number=NUMBER), history).allowed
    assert not ask("cn", planned(at("2026-03-03 15:00"), number="+8613900000000"), history).allowed


def test_a_third_party_may_be_asked_where_the_debtor_is_and_the_guard_forbids_disclosure() -> None:
    decision = ask("cn", planned(at("2026-03-03 10:00"), party=Party.THIRD_PARTY, party_id="c1", purpose="location"))
    assert decision.allowed
    assert "no_debt_disclosure" in decision.conditions


@pytest.mark.parametrize("question", [{"discloses_debt": True}, {"purpose": "collection"}])
def test_a_third_party_is_never_told_about_the_debt(question: dict[str, object]) -> None:
    attempt = planned(at("2026-03-03 10:00"), party=Party.THIRD_PARTY, party_id="c1", **question)
    decision = ask("cn", attempt)
    assert decision.rule_ids == ["third_party_disclosure"]
    assert decision.next_allowed_at is None


@pytest.mark.parametrize(("days_ago", "allowed"), [(2, False), (4, True)])
def test_third_parties_are_only_for_a_debtor_who_cannot_be_reached(days_ago: int, allowed: bool) -> None:
    reached = call(at("2026-03-03 10:00") - timedelta(days=days_ago), "answered")
    attempt = planned(at("2026-03-03 10:00"), party=Party.THIRD_PARTY, party_id="c1")
    decision = ask("cn", attempt, [reached])
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["third_party_debtor_reachable"]


def test_a_contact_who_asked_not_to_be_called_is_never_called_again() -> None:
    asked = call(at("2026-01-10 10:00"), "answered", party=Party.THIRD_PARTY, party_id="c1", stop_requested=True)
    attempt = planned(at("2026-03-03 10:00"), ContactChannel.SMS, party=Party.THIRD_PARTY, party_id="c1")
    decision = ask("cn", attempt, [asked])
    assert decision.rule_ids == ["third_party_stop_request"]
    assert decision.next_allowed_at is None
    other = planned(at("2026-03-03 10:00"), party=Party.THIRD_PARTY, party_id="c2")
    assert ask("cn", other, [asked]).allowed


@pytest.mark.parametrize(
    ("collectors", "allowed"), [((), False), (("u1",), False), (("u1", "u1"), False), (("u1", "u2"), True)]
)
def test_a_visit_needs_two_named_collectors(collectors: tuple[str, ...], allowed: bool) -> None:
    attempt = planned(at("2026-03-03 10:00"), ContactChannel.VISIT, number=None, collectors=collectors)
    assert ask("cn", attempt).allowed is allowed


def test_an_open_cease_contact_hold_blocks_with_no_time_in_sight() -> None:
    decision = ask("cn", planned(at("2026-03-03 10:00")), holds=(hold(HoldType.CEASE_CONTACT, at("2026-03-01 00:00")),))
    assert decision.rule_ids == ["hold_cease_contact"]
    assert decision.next_allowed_at is None


def test_a_hold_that_ends_reopens_contact_at_the_first_hour_allowed() -> None:
    pause = hold(HoldType.HARDSHIP_PAUSE, at("2026-03-01 00:00"), at("2026-03-06 00:00"))
    decision = ask("cn", planned(at("2026-03-04 10:00")), holds=(pause,))
    assert decision.rule_ids == ["hold_hardship_pause"]
    assert decision.next_allowed_at == at("2026-03-06 08:00")
    assert ask("cn", planned(at("2026-03-06 08:00")), holds=(pause,)).allowed


def test_a_hold_not_yet_started_does_not_block() -> None:
    later = hold(HoldType.DISPUTE, at("2026-03-05 00:00"))
    assert ask("cn", planned(at("2026-03-04 10:00")), holds=(later,)).allowed


def test_an_attorney_hold_stops_calls_to_the_debtor_not_to_the_lawyer() -> None:
    represented = (hold(HoldType.ATTORNEY, at("2026-03-01 00:00")),)
    assert ask("cn", planned(at("2026-03-03 10:00")), holds=represented).rule_ids == ["hold_attorney"]
    lawyer = planned(at("2026-03-03 10:00"), party=Party.THIRD_PARTY, party_id="lawyer")
    assert ask("cn", lawyer, holds=represented).allowed


def test_a_channel_opt_out_closes_that_channel_only() -> None:
    no_sms = (hold(HoldType.CHANNEL_OPT_OUT, at("2026-03-01 00:00"), channel=ContactChannel.SMS),)
    assert ask("cn", planned(at("2026-03-03 10:00"), ContactChannel.SMS), holds=no_sms).rule_ids == ["channel_opt_out"]
    assert ask("cn", planned(at("2026-03-03 10:00")), holds=no_sms).allowed


def test_an_opt_out_naming_no_channel_closes_every_electronic_channel() -> None:
    no_messages = (hold(HoldType.CHANNEL_OPT_OUT, at("2026-03-01 00:00")),)
    assert not ask("cn", planned(at("2026-03-03 10:00"), ContactChannel.EMAIL), holds=no_messages).allowed
    assert ask("cn", planned(at("2026-03-03 10:00"), ContactChannel.LETTER), holds=no_messages).allowed


def test_every_violated_rule_is_reported_and_the_search_clears_them_all() -> None:
    history = calls_every(at("2026-03-03 09:00"), 3, result="answered")
    decision = ask("cn", planned(at("2026-03-03 22:30")), history)
    assert decision.rule_ids == ["quiet_hours", "daily_connected_calls"]
    assert decision.next_allowed_at == at("2026-03-04 08:00")
    for violation in decision.violations:
        assert violation.message_zh and violation.message_en and violation.source
