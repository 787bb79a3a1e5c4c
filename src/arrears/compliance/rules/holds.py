"""Holds set on the case (暂停): cease contact, attorney, dispute, deceased, ... and channel opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from arrears.compliance.enums import HoldType
from arrears.compliance.facts import HoldFact
from arrears.compliance.rules.base import Block, Context, Rule
from arrears.contact.enums import ContactChannel

ELECTRONIC = frozenset({ContactChannel.SMS, ContactChannel.EMAIL})


def _block_until_lifted(holds: list[HoldFact], at: datetime) -> Block:
    """Blocked until the last of ``holds`` ends; open-ended holds block with no end in sight."""
    ends = [hold.ends_at for hold in holds]
    not_before = None if any(end is None for end in ends) else max(end for end in ends if end is not None)
    return Block(not_before=not_before, detail={"hold": holds[0].type.value, "since": _since(holds[0], at)})


def _since(hold: HoldFact, at: datetime) -> str:
    return (hold.starts_at or at).date().isoformat()


class HoldBlocks(Rule):
    """Any active hold of the listed types blocks the contact while it lasts."""

    kind: Literal["hold"] = "hold"
    hold_types: frozenset[HoldType] = Field(min_length=1)

    def check(self, context: Context) -> Block | None:
        at = context.attempt.at
        active = [h for h in context.debtor.holds if h.type in self.hold_types and h.active_at(at)]
        return _block_until_lifted(active, at) if active else None

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, HoldBlocks) and not self.hold_types <= other.hold_types:
            loosened.append("hold_types")
        return loosened


class ChannelOptOut(Rule):
    """A channel the debtor opted out of is not used; an opt-out naming no channel covers every electronic one."""

    kind: Literal["channel_opt_out"] = "channel_opt_out"
    unnamed_covers: frozenset[ContactChannel] = ELECTRONIC

    def check(self, context: Context) -> Block | None:
        at, channel = context.attempt.at, context.attempt.channel
        active = [
            hold
            for hold in context.debtor.holds
            if hold.type is HoldType.CHANNEL_OPT_OUT
            and hold.active_at(at)
            and (hold.channel == channel if hold.channel is not None else channel in self.unnamed_covers)
        ]
        if not active:
            return None
        block = _block_until_lifted(active, at)
        return Block(not_before=block.not_before, detail={**block.detail, "channel": channel.value})

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, ChannelOptOut) and not self.unnamed_covers <= other.unnamed_covers:
            loosened.append("unnamed_covers")
        return loosened
