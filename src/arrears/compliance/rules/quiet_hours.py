"""No contact at unreasonable hours, judged in every zone the debtor may be in (禁止催收时段)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import model_validator

from arrears.compliance.rules.base import Block, Context, Rule

_SEARCH_DAYS = 3


class QuietHours(Rule):
    """Contact is allowed from ``allowed_from`` until ``allowed_until`` local time, every day.

    ``until_inclusive`` decides whether the closing minute itself is allowed:
    the China pack closes at 22:00 (22:00 is already quiet), Regulation F at
    21:00 (21:00 itself is still convenient, 21:00:01 is not).
    """

    kind: Literal["quiet_hours"] = "quiet_hours"
    allowed_from: time
    allowed_until: time
    until_inclusive: bool = False
    honour_consent: bool = True

    @model_validator(mode="after")
    def _window_is_a_day_part(self) -> QuietHours:
        if self.allowed_from >= self.allowed_until:
            raise ValueError("allowed_from must be earlier than allowed_until")
        return self

    def allowed_in(self, at: datetime, zone: ZoneInfo) -> bool:
        local = at.astimezone(zone).time().replace(tzinfo=None)
        if local < self.allowed_from:
            return False
        return local <= self.allowed_until if self.until_inclusive else local < self.allowed_until

    def allowed_everywhere(self, context: Context, at: datetime) -> bool:
        if self.honour_consent and any(w.covers(at, context.attempt.channel) for w in context.debtor.consent_windows):
            return True
        return all(self.allowed_in(at, zone) for zone in context.debtor.timezones)

    def check(self, context: Context) -> Block | None:
        at = context.attempt.at
        if self.allowed_everywhere(context, at):
            return None
        zones = ", ".join(zone.key for zone in context.debtor.timezones)
        return Block(not_before=self._next_allowed(context, at), detail={"zones": zones})

    def _next_allowed(self, context: Context, at: datetime) -> datetime | None:
        """The first opening of the window (or of a consent window) after ``at`` that suits every zone."""
        candidates = [w.starts_at for w in context.debtor.consent_windows if w.starts_at > at]
        for zone in context.debtor.timezones:
            local_day = at.astimezone(zone).date()
            for offset in range(_SEARCH_DAYS + 1):
                day = local_day + timedelta(days=offset)
                candidates.append(datetime.combine(day, self.allowed_from, tzinfo=zone))
        for candidate in sorted(c for c in candidates if c > at):
            if self.allowed_everywhere(context, candidate):
                return candidate
        return None

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, QuietHours):
            if other.allowed_from < self.allowed_from:
                loosened.append("allowed_from")
            if other.allowed_until > self.allowed_until or (
                other.allowed_until == self.allowed_until and other.until_inclusive and not self.until_inclusive
            ):
                loosened.append("allowed_until")
            if other.honour_consent and not self.honour_consent:
                loosened.append("honour_consent")
        return loosened
