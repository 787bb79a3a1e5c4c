"""The JSON an integration sends to ``arrears compliance check``, validated and turned into facts.

Every time carries its UTC offset; a naive time is refused, because the guard
could not know which moment it means. Holds may give dates (whole local days,
``to`` inclusive) or times (``to`` exclusive).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from arrears.compliance.enums import HoldType
from arrears.compliance.facts import ConsentWindow, ContactEvent, ContactHistory, Debtor, HoldFact, PlannedContact
from arrears.contact.enums import ContactChannel, Party
from arrears.errors import InvalidInput

CallResult = Literal["answered", "no_answer", "voicemail", "busy", "not_in_service"]
Moment = AwareDatetime | date


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HoldIn(_Strict):
    type: HoldType
    from_: Moment | None = Field(default=None, alias="from")
    to: Moment | None = None
    channel: ContactChannel | None = None


class ConsentWindowIn(_Strict):
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    channels: list[ContactChannel] | None = None


class DebtorIn(_Strict):
    timezones: list[str] = Field(min_length=1)
    holds: list[HoldIn] = Field(default_factory=list)
    consent_windows: list[ConsentWindowIn] = Field(default_factory=list)
    party_id: str | None = None

    @field_validator("timezones")
    @classmethod
    def _known_zones(cls, zones: list[str]) -> list[str]:
        for zone in zones:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{zone}' (use an IANA name such as Asia/Shanghai)") from None
        return zones


class EventIn(_Strict):
    at: AwareDatetime
    channel: ContactChannel
    party: Party
    party_id: str | None = None
    number: str | None = None
    debt_id: str | None = None
    result: CallResult | Literal["delivered", "undelivered", "not_home", "bounced"] | None = None
    conversation: bool = False
    consented: bool = False
    stop_requested: bool = False


class AttemptIn(_Strict):
    at: AwareDatetime
    channel: ContactChannel
    party: Party
    party_id: str | None = None
    number: str | None = None
    debt_id: str | None = None
    consented: bool = False
    purpose: str | None = None
    discloses_debt: bool = False
    collectors: list[str] = Field(default_factory=list)
    opt_out_notice: bool = True


class CheckInput(_Strict):
    """The whole question: who the debtor is, what happened before, and what is planned."""

    debtor: DebtorIn
    history: list[EventIn] = Field(default_factory=list)
    attempt: AttemptIn

    def to_facts(self) -> tuple[Debtor, PlannedContact, ContactHistory]:
        zones = tuple(ZoneInfo(zone) for zone in self.debtor.timezones)
        debtor = Debtor(
            timezones=zones,
            holds=tuple(_hold(hold, zones[0]) for hold in self.debtor.holds),
            consent_windows=tuple(_consent(window) for window in self.debtor.consent_windows),
        )
        history = ContactHistory.of(ContactEvent(**event.model_dump()) for event in self.history)
        data = self.attempt.model_dump()
        attempt = PlannedContact(**{**data, "collectors": tuple(data["collectors"])})
        return debtor, attempt, history


def _start(moment: Moment | None, zone: ZoneInfo) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=zone)


def _end(moment: Moment | None, zone: ZoneInfo) -> datetime | None:
    """A date ``to`` includes its whole day: the hold ends when the next local day begins."""
    if moment is None or isinstance(moment, datetime):
        return moment
    following = moment + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=zone)


def _hold(hold: HoldIn, zone: ZoneInfo) -> HoldFact:
    return HoldFact(
        type=hold.type, starts_at=_start(hold.from_, zone), ends_at=_end(hold.to, zone), channel=hold.channel
    )


def _consent(window: ConsentWindowIn) -> ConsentWindow:
    channels = frozenset(window.channels) if window.channels is not None else None
    return ConsentWindow(starts_at=window.from_, ends_at=window.to, channels=channels)


def parse_check_input(data: Any, *, where: str) -> CheckInput:
    """Validate the JSON of a check; the first problem becomes one line naming the field."""
    try:
        return CheckInput.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "top level"
        raise InvalidInput(
            f"{field}: {first['msg']}", where=where, hint="see docs/compliance.md for the shape"
        ) from None
