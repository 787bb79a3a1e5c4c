"""What the guard decides on: the debtor, the planned contact and the contact history.

These are plain, immutable values, built either from the JSON of
``arrears compliance check`` (see :mod:`arrears.compliance.schemas`) or from
the database (see :mod:`arrears.compliance.service`). The guard never reads
the clock or the database itself, so a decision can be replayed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from arrears.compliance.enums import HoldType
from arrears.contact.enums import ContactChannel, Party

UNANSWERED_RESULTS = frozenset({"no_answer", "voicemail", "busy", "not_in_service"})
NOT_CONNECTED_RESULTS = frozenset({"busy", "not_in_service"})
"""Calls that never reached a line: Regulation F does not count them as attempts."""


@dataclass(frozen=True, slots=True)
class HoldFact:
    """A hold on the case: from ``starts_at`` (inclusive) until ``ends_at`` (exclusive; ``None`` = open)."""

    type: HoldType
    starts_at: datetime | None
    ends_at: datetime | None
    channel: ContactChannel | None = None

    def active_at(self, at: datetime) -> bool:
        started = self.starts_at is None or self.starts_at <= at
        return started and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True, slots=True)
class ConsentWindow:
    """A time the debtor agreed to be contacted, even inside quiet hours (约定时间)."""

    starts_at: datetime
    ends_at: datetime
    channels: frozenset[ContactChannel] | None = None

    def covers(self, at: datetime, channel: ContactChannel) -> bool:
        in_channel = self.channels is None or channel in self.channels
        return in_channel and self.starts_at <= at < self.ends_at


@dataclass(frozen=True, slots=True)
class Debtor:
    """The person the case is about: where they may be, their holds and consents."""

    timezones: tuple[ZoneInfo, ...]
    holds: tuple[HoldFact, ...] = ()
    consent_windows: tuple[ConsentWindow, ...] = ()

    @property
    def home_zone(self) -> ZoneInfo:
        """The zone whose calendar days count for daily and weekly limits: the first one listed."""
        return self.timezones[0]

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.home_zone).date()

    def day_start(self, day: date) -> datetime:
        """The instant the debtor's local ``day`` begins."""
        return datetime.combine(day, time(0), tzinfo=self.home_zone)


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """One past contact or attempt, as the history records it."""

    at: datetime
    channel: ContactChannel
    party: Party
    party_id: str | None = None
    number: str | None = None
    debt_id: str | None = None
    result: str | None = None
    conversation: bool = False
    consented: bool = False
    stop_requested: bool = False

    @property
    def connected(self) -> bool:
        """A call a person answered (接通); the China pack counts only these as connected calls."""
        return self.channel is ContactChannel.CALL and (self.result == "answered" or self.conversation)

    @property
    def unanswered(self) -> bool:
        return self.channel is ContactChannel.CALL and not self.connected and self.result in UNANSWERED_RESULTS

    @property
    def reached_a_line(self) -> bool:
        """A call attempt in the Regulation F sense: busy and not-in-service calls do not count."""
        return self.channel is ContactChannel.CALL and self.result not in NOT_CONNECTED_RESULTS

    @property
    def communicated(self) -> bool:
        """Something reached the person: an answered call, or a message, letter or visit."""
        if self.channel is ContactChannel.CALL:
            return self.connected
        return self.result not in {"undelivered", "not_home", "bounced"}


@dataclass(frozen=True, slots=True)
class PlannedContact:
    """The contact the guard is asked about."""

    at: datetime
    channel: ContactChannel
    party: Party
    party_id: str | None = None
    number: str | None = None
    debt_id: str | None = None
    consented: bool = False
    purpose: str | None = None
    discloses_debt: bool = False
    collectors: tuple[str, ...] = ()
    opt_out_notice: bool = True

    def at_time(self, at: datetime) -> PlannedContact:
        """The same contact, moved to ``at`` (used to search for the next allowed time)."""
        return PlannedContact(
            at=at,
            channel=self.channel,
            party=self.party,
            party_id=self.party_id,
            number=self.number,
            debt_id=self.debt_id,
            consented=self.consented,
            purpose=self.purpose,
            discloses_debt=self.discloses_debt,
            collectors=self.collectors,
            opt_out_notice=self.opt_out_notice,
        )


@dataclass(slots=True)
class ContactHistory:
    """Every past contact on the case, sorted by time and indexed for the guard's questions.

    Built once per case; each decision then only looks at the events inside
    its rules' windows (found by bisection), which keeps a decision on a long
    history well under a millisecond.
    """

    events: list[ContactEvent]
    _instants: list[float] = field(init=False, repr=False)
    _by_party: dict[str, list[ContactEvent]] = field(init=False, repr=False)
    _party_instants: dict[str, list[float]] = field(init=False, repr=False)
    _debtor_calls: dict[tuple[str | None, str], tuple[list[float], list[ContactEvent]]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.events = sorted(self.events, key=lambda event: event.at)
        self._instants = [event.at.timestamp() for event in self.events]
        self._by_party = defaultdict(list)
        self._party_instants = defaultdict(list)
        for event, instant in zip(self.events, self._instants, strict=True):
            if event.party_id is not None:
                self._by_party[event.party_id].append(event)
                self._party_instants[event.party_id].append(instant)

    @classmethod
    def of(cls, events: Iterable[ContactEvent]) -> ContactHistory:
        return cls(list(events))

    def __len__(self) -> int:
        return len(self.events)

    def between(self, start: datetime, end: datetime) -> Sequence[ContactEvent]:
        """Events with ``start <= at < end``."""
        low = bisect_left(self._instants, start.timestamp())
        high = bisect_left(self._instants, end.timestamp())
        return self.events[low:high]

    def with_party(self, party_id: str, before: datetime) -> list[ContactEvent]:
        """Every event with this party before ``before``, oldest first."""
        events = self._by_party.get(party_id)
        if not events:
            return []
        return events[: bisect_left(self._party_instants[party_id], before.timestamp())]

    def debtor_calls(self, *, debt_id: str | None, kind: str, start: datetime, end: datetime) -> Sequence[ContactEvent]:
        """Calls to the debtor about ``debt_id`` (any debt when ``None``) with ``start <= at < end``.

        ``kind`` is ``attempts`` (calls that reached a line, placed without prior
        consent: what Regulation F counts) or ``conversations``. Each list is
        built once per history, so a rolling-window count is two bisections.
        """
        instants, events = self._calls_index(debt_id, kind)
        return events[bisect_left(instants, start.timestamp()) : bisect_left(instants, end.timestamp())]

    def _calls_index(self, debt_id: str | None, kind: str) -> tuple[list[float], list[ContactEvent]]:
        cached = self._debtor_calls.get((debt_id, kind))
        if cached is None:
            wanted = _is_conversation if kind == "conversations" else _is_counted_attempt
            pairs = [
                (instant, event)
                for instant, event in zip(self._instants, self.events, strict=True)
                if event.channel is ContactChannel.CALL
                and event.party is Party.DEBTOR
                and (debt_id is None or event.debt_id is None or event.debt_id == debt_id)
                and wanted(event)
            ]
            cached = ([instant for instant, _ in pairs], [event for _, event in pairs])
            self._debtor_calls[(debt_id, kind)] = cached
        return cached


def _is_conversation(event: ContactEvent) -> bool:
    return event.conversation


def _is_counted_attempt(event: ContactEvent) -> bool:
    return event.reached_a_line and not event.consented


def next_day_start(debtor: Debtor, at: datetime, *, days: int = 1) -> datetime:
    """Midnight, debtor local time, ``days`` days after the local day of ``at``."""
    return debtor.day_start(debtor.local_date(at) + timedelta(days=days))
