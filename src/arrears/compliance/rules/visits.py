"""Home and workplace visits (上门催收)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from arrears.compliance.rules.base import Block, Context, Rule
from arrears.contact.enums import ContactChannel


class VisitTeam(Rule):
    """A visit is made by at least ``min_collectors`` named collectors, who are recorded with it."""

    kind: Literal["visit_team"] = "visit_team"
    channels: frozenset[ContactChannel] = frozenset({ContactChannel.VISIT})
    min_collectors: int = Field(ge=1)

    def check(self, context: Context) -> Block | None:
        named = {collector for collector in context.attempt.collectors if collector.strip()}
        if len(named) >= self.min_collectors:
            return None
        return Block(not_before=None, detail={"named": len(named)})

    def loosened_in(self, other: Rule) -> list[str]:
        loosened = super().loosened_in(other)
        if isinstance(other, VisitTeam) and other.min_collectors < self.min_collectors:
            loosened.append("min_collectors")
        return loosened
