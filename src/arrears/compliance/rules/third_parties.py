"""Third parties (family, employer, emergency contacts): reached only to locate the debtor, never told of the debt."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from arrears.compliance.rules.base import Block, Context, Rule
from arrears.contact.enums import Party

THIRD_PARTIES = frozenset({Party.THIRD_PARTY})


class ThirdPartyPurpose(Rule):
    """A third party may be contacted only for an allowed purpose and never told about the debt.

    Every allowed third-party contact carries the obligation not to disclose
    the debt, which the guard returns as a condition and the audit records.
    """

    kind: Literal["third_party_purpose"] = "third_party_purpose"
    parties: frozenset[Party] = THIRD_PARTIES
    allowed_purposes: frozenset[str] = frozenset({"location"})
    condition: str = "no_debt_disclosure"

    def check(self, context: Context) -> Block | None:
        attempt = context.attempt
        if attempt.discloses_debt:
            return Block(not_before=None, detail={"purpose": attempt.purpose or "location"})
        if attempt.purpose is not None and attempt.purpose not in self.allowed_purposes:
            return Block(not_before=None, detail={"purpose": attempt.purpose})
        return None

    def conditions(self, context: Context) -> list[str]:
        return [self.condition]

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, ThirdPartyPurpose) and not other.allowed_purposes <= self.allowed_purposes:
            loosened.append("allowed_purposes")
        return loosened


class ThirdPartyRepeat(Rule):
    """A third party is communicated with at most ``max_communications`` times (in ``window_days``, or ever)."""

    kind: Literal["third_party_repeat"] = "third_party_repeat"
    parties: frozenset[Party] = THIRD_PARTIES
    max_communications: int = Field(ge=0)
    window_days: int | None = Field(default=None, ge=1)

    def check(self, context: Context) -> Block | None:
        attempt = context.attempt
        if attempt.party_id is None:
            return None
        past = [e for e in context.history.with_party(attempt.party_id, attempt.at) if e.communicated]
        if self.window_days is not None:
            since = attempt.at - timedelta(days=self.window_days)
            past = [event for event in past if event.at >= since]
        if len(past) < self.max_communications:
            return None
        not_before = None
        if self.window_days is not None:
            not_before = past[len(past) - self.max_communications].at + timedelta(days=self.window_days)
        return Block(not_before=not_before, detail={"used": len(past)})

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, ThirdPartyRepeat):
            if other.max_communications > self.max_communications:
                loosened.append("max_communications")
            if (self.window_days is None and other.window_days is not None) or (
                self.window_days is not None and other.window_days is not None and other.window_days < self.window_days
            ):
                loosened.append("window_days")
        return loosened


class ThirdPartyStopRequest(Rule):
    """A contact who asked not to be contacted again is never contacted again, on any channel."""

    kind: Literal["third_party_stop_request"] = "third_party_stop_request"
    parties: frozenset[Party] = THIRD_PARTIES

    def check(self, context: Context) -> Block | None:
        attempt = context.attempt
        if attempt.party_id is None:
            return None
        for event in context.history.with_party(attempt.party_id, attempt.at):
            if event.stop_requested:
                return Block(not_before=None, detail={"asked_on": event.at.date().isoformat()})
        return None


class ThirdPartyOnlyIfUnreachable(Rule):
    """Third parties are for finding a debtor who cannot be reached (失联): not after a recent answered call."""

    kind: Literal["third_party_only_if_unreachable"] = "third_party_only_if_unreachable"
    parties: frozenset[Party] = THIRD_PARTIES
    lookback_days: int = Field(ge=1)

    def check(self, context: Context) -> Block | None:
        attempt = context.attempt
        since = attempt.at - timedelta(days=self.lookback_days)
        reached = [
            event
            for event in context.history.between(since, attempt.at)
            if event.party is Party.DEBTOR and (event.connected or event.conversation)
        ]
        if not reached:
            return None
        return Block(
            not_before=reached[-1].at + timedelta(days=self.lookback_days),
            detail={"reached_on": reached[-1].at.date().isoformat()},
        )

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, ThirdPartyOnlyIfUnreachable) and other.lookback_days < self.lookback_days:
            loosened.append("lookback_days")
        return loosened
