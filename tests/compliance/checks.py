"""Builders for guard questions: a debtor, past contacts and the planned contact, in a few words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from arrears.compliance.enums import HoldType
from arrears.compliance.facts import ConsentWindow, ContactEvent, ContactHistory, Debtor, HoldFact, PlannedContact
from arrears.compliance.guard import Decision, decide
from arrears.compliance.pack import RulePack, load_pack
from arrears.contact.enums import ContactChannel, Party

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = "+8613800000000"


def at(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """A local time in ``zone``: at("2026-03-02 10:15")."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def call(
    when: datetime,
    result: str = "no_answer",
    *,
    party: Party = Party.DEBTOR,
    party_id: str = "p1",
    number: str = NUMBER,
    debt_id: str = "L1",
    conversation: bool = False,
    consented: bool = False,
    stop_requested: bool = False,
) -> ContactEvent:
    return ContactEvent(
        at=when,
        channel=ContactChannel.CALL,
        party=party,
        party_id=party_id,
        number=number,
        debt_id=debt_id,
        result=result,
        conversation=conversation,
        consented=consented,
        stop_requested=stop_requested,
    )


def calls_every(
    start: datetime, count: int, *, step: timedelta = timedelta(minutes=30), **kwargs: object
) -> list[ContactEvent]:
    return [call(start + step * index, **kwargs) for index in range(count)]  # type: ignore[arg-type]


def planned(
    when: datetime,
    channel: ContactChannel = ContactChannel.CALL,
    *,
    party: Party = Party.DEBTOR,
    party_id: str = "p1",
    number: str | None = NUMBER,
    debt_id: str = "L1",
    **kwargs: object,
) -> PlannedContact:
    return PlannedContact(
        at=when,
        channel=channel,
        party=party,
        party_id=party_id,
        number=number,
        debt_id=debt_id,
        **kwargs,  # type: ignore[arg-type]
    )


def hold(
    kind: HoldType, start: datetime | None = None, end: datetime | None = None, channel: ContactChannel | None = None
) -> HoldFact:
    return HoldFact(type=kind, starts_at=start, ends_at=end, channel=channel)


def consent(start: datetime, end: datetime) -> ConsentWindow:
    return ConsentWindow(starts_at=start, ends_at=end)


def ask(
    pack: str | RulePack,
    attempt: PlannedContact,
    history: list[ContactEvent] | None = None,
    *,
    zones: tuple[ZoneInfo, ...] = (SHANGHAI,),
    holds: tuple[HoldFact, ...] = (),
    consents: tuple[ConsentWindow, ...] = (),
) -> Decision:
    rule_pack = load_pack(pack) if isinstance(pack, str) else pack
    debtor = Debtor(timezones=zones, holds=holds, consent_windows=consents)
    return decide(rule_pack, debtor, attempt, ContactHistory.of(history or []))
