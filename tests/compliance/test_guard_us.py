"""The US pack (Regulation F) at the edge of every rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from arrears.compliance.facts import ContactEvent, PlannedContact
from arrears.compliance.guard import Decision
from arrears.contact.enums import ContactChannel, Party
from tests.compliance.checks import ask, at, call, calls_every, planned

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
ZONES = (NEW_YORK,)


def ny(text: str) -> datetime:
    return at(text, NEW_YORK)


def us(
    attempt: PlannedContact, history: list[ContactEvent] | None = None, *, zones: tuple[ZoneInfo, ...] = ZONES
) -> Decision:
    return ask("us", attempt, history, zones=zones)


@pytest.mark.parametrize(
    ("local_time", "allowed"),
    [("07:59", False), ("08:00", True), ("20:59", True), ("21:00", True), ("21:01", False), ("21:00:01", False)],
)
def test_inconvenient_times_are_before_eight_and_after_nine(local_time: str, allowed: bool) -> None:
    decision = us(planned(ny(f"2026-03-03 {local_time}")))
    assert decision.allowed is allowed


def test_an_uncertain_location_needs_a_convenient_time_in_every_zone() -> None:
    decision = us(planned(ny("2026-03-03 08:30")), zones=(NEW_YORK, LOS_ANGELES))
    assert decision.rule_ids == ["quiet_hours"]
    assert decision.next_allowed_at == ny("2026-03-03 11:00")


@pytest.mark.parametrize(("earlier_attempts", "allowed"), [(6, True), (7, False)])
def test_the_seventh_call_in_seven_days_is_the_last(earlier_attempts: int, allowed: bool) -> None:
    history = calls_every(ny("2026-03-01 10:00"), earlier_attempts, step=timedelta(hours=20))
    decision = us(planned(ny("2026-03-07 18:00")), history)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["weekly_call_attempts"]


def test_the_seven_day_window_slides_past_the_oldest_call() -> None:
    history = calls_every(ny("2026-03-01 09:00"), 7, step=timedelta(hours=1))
    assert not us(planned(ny("2026-03-07 12:00")), history).allowed
    decision = us(planned(ny("2026-03-07 12:00")), history)
    assert decision.next_allowed_at == ny("2026-03-08 08:00")
    assert us(planned(ny("2026-03-08 08:00")), history).allowed


@pytest.mark.parametrize("not_connected", ["busy", "not_in_service"])
def test_a_call_that_never_reached_a_line_is_not_counted(not_connected: str) -> None:
    history = [*calls_every(ny("2026-03-02 09:00"), 6), call(ny("2026-03-02 16:00"), not_connected)]
    assert us(planned(ny("2026-03-03 10:00")), history).allowed


def test_unanswered_calls_and_voicemails_are_counted() -> None:
    history = [*calls_every(ny("2026-03-02 09:00"), 6), call(ny("2026-03-02 16:00"), "voicemail")]
    assert us(planned(ny("2026-03-03 10:00")), history).rule_ids == ["weekly_call_attempts"]


def test_calls_made_with_prior_consent_are_not_counted_and_a_consented_call_is_not_limited() -> None:
    history = [*calls_every(ny("2026-03-02 09:00"), 6), call(ny("2026-03-02 16:00"), consented=True)]
    assert us(planned(ny("2026-03-03 10:00")), history).allowed
    full = calls_every(ny("2026-03-02 09:00"), 7)
    assert us(planned(ny("2026-03-03 10:00"), consented=True), full).allowed


def test_calls_about_another_debt_are_counted_for_that_debt() -> None:
    other_debt = calls_every(ny("2026-03-02 09:00"), 7, debt_id="L2")
    assert us(planned(ny("2026-03-03 10:00"), debt_id="L1"), other_debt).allowed
    assert not us(planned(ny("2026-03-03 10:00"), debt_id="L2"), other_debt).allowed


@pytest.mark.parametrize(("day", "allowed"), [("2026-03-08", False), ("2026-03-09", True)])
def test_day_seven_after_a_conversation_is_still_closed_and_day_eight_is_open(day: str, allowed: bool) -> None:
    talked = call(ny("2026-03-02 10:15"), "answered", conversation=True)
    decision = us(planned(ny(f"{day} 09:00")), [talked])
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule_ids == ["post_conversation_wait"]
        assert decision.next_allowed_at == ny("2026-03-09 08:00")


def test_the_wait_after_a_conversation_limits_calls_not_messages() -> None:
    talked = call(ny("2026-03-02 10:15"), "answered", conversation=True)
    assert us(planned(ny("2026-03-03 10:00"), ContactChannel.EMAIL, number=None), [talked]).allowed


def test_a_third_party_asked_for_location_is_contacted_once_only() -> None:
    asked = call(ny("2026-03-02 10:00"), "answered", party=Party.THIRD_PARTY, party_id="neighbour")
    again = planned(ny("2026-03-05 10:00"), party=Party.THIRD_PARTY, party_id="neighbour")
    decision = us(again, [asked])
    assert decision.rule_ids == ["third_party_repeat"]
    assert decision.next_allowed_at is None


def test_an_unanswered_call_to_a_third_party_is_not_a_communication() -> None:
    missed = call(ny("2026-03-02 10:00"), "no_answer", party=Party.THIRD_PARTY, party_id="neighbour")
    again = planned(ny("2026-03-05 10:00"), party=Party.THIRD_PARTY, party_id="neighbour")
    assert us(again, [missed]).allowed


def test_an_electronic_message_without_an_opt_out_is_blocked() -> None:
    message = planned(ny("2026-03-03 10:00"), ContactChannel.SMS, opt_out_notice=False)
    assert us(message).rule_ids == ["electronic_opt_out_notice"]
    assert us(planned(ny("2026-03-03 10:00"), ContactChannel.SMS)).allowed
