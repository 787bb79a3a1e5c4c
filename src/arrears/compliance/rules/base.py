"""What every rule kind shares: its identity, its messages, its scope, and how it reports a block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arrears.compliance.facts import ContactHistory, Debtor, PlannedContact
from arrears.contact.enums import ContactChannel, Party

ALL_CHANNELS = frozenset(ContactChannel)
ALL_PARTIES = frozenset(Party)


class Messages(BaseModel):
    """A rule's message in each language; ``{name}`` fields are filled from the rule and the block."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Context:
    """One question to the guard."""

    debtor: Debtor
    attempt: PlannedContact
    history: ContactHistory


@dataclass(frozen=True, slots=True)
class Block:
    """A rule says no. ``not_before`` is the first instant it could say yes; ``None`` means no time will do."""

    not_before: datetime | None
    detail: dict[str, Any] = field(default_factory=dict)


class Rule(BaseModel, ABC):
    """A rule of a pack. Subclasses add their parameters, ``check`` and ``loosened_in``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    source: str = Field(min_length=1, description="the law, regulation or guidance the rule comes from")
    message: Messages
    channels: frozenset[ContactChannel] = ALL_CHANNELS
    parties: frozenset[Party] = ALL_PARTIES

    def applies_to(self, context: Context) -> bool:
        return context.attempt.channel in self.channels and context.attempt.party in self.parties

    @abstractmethod
    def check(self, context: Context) -> Block | None:
        """The block this rule puts on the planned contact, if any. Only called when the rule applies."""

    def conditions(self, context: Context) -> list[str]:
        """Obligations an allowed contact carries (e.g. do not disclose the debt); none by default."""
        return []

    def loosened_in(self, other: Rule) -> list[str]:
        """The fields in which ``other`` (a tenant's version of this rule) is less strict than this one."""
        loosened = []
        if not self.channels <= other.channels:
            loosened.append("channels")
        if not self.parties <= other.parties:
            loosened.append("parties")
        if type(other) is not type(self):
            loosened.append("kind")
        return loosened

    def render(self, detail: dict[str, Any]) -> tuple[str, str]:
        """The Chinese and English messages with the rule's parameters and the block's detail filled in."""
        values = {**self.model_dump(exclude={"message", "source", "channels", "parties"}), **detail}
        return self.message.zh.format(**values), self.message.en.format(**values)
