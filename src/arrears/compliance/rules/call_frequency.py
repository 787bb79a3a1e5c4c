"""How often a debtor may be called: per day, per rolling week, and after a conversation."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from arrears.compliance.facts import ContactEvent, next_day_start
from arrears.compliance.rules.base import Block, Context, Rule
from arrears.contact.enums import ContactChannel, Party

CALLS = frozenset({ContactChannel.CALL})


class DailyCalls(Rule):
    """At most ``max`` calls of one kind per debtor-local day.

    ``scope: debtor`` counts every call to the debtor, whoever placed it (the
    lender and all its agencies together); ``scope: number`` counts calls to
    the planned number, whoever was called on it. ``counts`` says which calls
    count: ``connected`` (answered, 接通) or ``unanswered`` (no answer,
    voicemail, busy, not in service).
    """

    kind: Literal["daily_calls"] = "daily_calls"
    channels: frozenset[ContactChannel] = CALLS
    scope: Literal["debtor", "number"]
    counts: Literal["connected", "unanswered"]
    max: int = Field(ge=0)

    def check(self, context: Context) -> Block | None:
        attempt, debtor = context.attempt, context.debtor
        if self.scope == "number" and attempt.number is None:
            return None
        day_start = debtor.day_start(debtor.local_date(attempt.at))
        used = sum(1 for event in context.history.between(day_start, attempt.at) if self._counts(event, context))
        if used < self.max:
            return None
        return Block(not_before=next_day_start(debtor, attempt.at), detail={"used": used})

    def _counts(self, event: ContactEvent, context: Context) -> bool:
        if event.channel is not ContactChannel.CALL:
            return False
        if self.scope == "debtor" and event.party is not Party.DEBTOR:
            return False
        if self.scope == "number" and event.number != context.attempt.number:
            return False
        return event.connected if self.counts == "connected" else event.unanswered

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, DailyCalls):
            if (other.scope, other.counts) != (self.scope, self.counts):
                loosened.append("scope/counts")
            if other.max > self.max:
                loosened.append("max")
        return loosened


class RollingCallAttempts(Rule):
    """At most ``max`` call attempts per debt within ``window_days`` consecutive days (Regulation F 7-in-7).

    Days are the debtor's local calendar days, the planned day being the last
    of the window. Calls that never reached a line (busy, not in service) do
    not count; unanswered calls and voicemails do; calls placed with the
    debtor's prior direct consent do not count, and a planned call made with
    consent is not limited.
    """

    kind: Literal["rolling_call_attempts"] = "rolling_call_attempts"
    channels: frozenset[ContactChannel] = CALLS
    parties: frozenset[Party] = frozenset({Party.DEBTOR})
    max: int = Field(ge=0)
    window_days: int = Field(ge=1)
    per_debt: bool = True

    def check(self, context: Context) -> Block | None:
        attempt, debtor = context.attempt, context.debtor
        if attempt.consented:
            return None
        first_day = debtor.local_date(attempt.at) - timedelta(days=self.window_days - 1)
        counted = context.history.debtor_calls(
            debt_id=attempt.debt_id if self.per_debt else None,
            kind="attempts",
            start=debtor.day_start(first_day),
            end=attempt.at,
        )
        if len(counted) < self.max:
            return None
        # The window must slide past the oldest calls until fewer than ``max`` remain in it.
        pivot = counted[len(counted) - self.max]
        reopen_day = debtor.local_date(pivot.at) + timedelta(days=self.window_days)
        return Block(not_before=debtor.day_start(reopen_day), detail={"used": len(counted)})

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, RollingCallAttempts):
            if other.max > self.max:
                loosened.append("max")
            if other.window_days < self.window_days:
                loosened.append("window_days")
            if self.per_debt is False and other.per_debt:
                loosened.append("per_debt")
        return loosened


class PostConversationWait(Rule):
    """No call within ``days`` consecutive days of a telephone conversation about the debt.

    The conversation day is day 1, so with 7 days a conversation on the 2nd
    blocks calls until the 8th inclusive and the 9th is free. A planned call
    made with the debtor's prior direct consent is not limited.
    """

    kind: Literal["post_conversation_wait"] = "post_conversation_wait"
    channels: frozenset[ContactChannel] = CALLS
    parties: frozenset[Party] = frozenset({Party.DEBTOR})
    days: int = Field(ge=1)
    per_debt: bool = True

    def check(self, context: Context) -> Block | None:
        attempt, debtor = context.attempt, context.debtor
        if attempt.consented:
            return None
        first_day = debtor.local_date(attempt.at) - timedelta(days=self.days - 1)
        conversations = context.history.debtor_calls(
            debt_id=attempt.debt_id if self.per_debt else None,
            kind="conversations",
            start=debtor.day_start(first_day),
            end=attempt.at,
        )
        if not conversations:
            return None
        conversation_day = debtor.local_date(conversations[-1].at)
        return Block(
            not_before=debtor.day_start(conversation_day + timedelta(days=self.days)),
            detail={"conversation_on": conversation_day.isoformat()},
        )

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, PostConversationWait):
            if other.days < self.days:
                loosened.append("days")
            if self.per_debt is False and other.per_debt:
                loosened.append("per_debt")
        return loosened
