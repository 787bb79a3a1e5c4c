"""What a collector or a channel reports about one contact attempt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from arrears.contact.enums import ContactChannel, Outcome

CONNECTED_OUTCOMES = frozenset({Outcome.ANSWERED, Outcome.PROMISE, Outcome.REFUSED, Outcome.WRONG_NUMBER})
"""Call outcomes in which someone picked up (接通)."""


class PromiseIn(BaseModel):
    """A promise to pay taken on the contact: date, amount and how the debtor will pay."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    due_on: date
    channel: str | None = Field(default=None, max_length=40, description="e.g. app, bank_transfer")
    loan_id: int | None = None


class ContactIn(BaseModel):
    """One attempt, to be checked by the guard and then recorded."""

    model_config = ConfigDict(extra="forbid")

    case_id: int
    channel: ContactChannel
    at: AwareDatetime
    outcome: Outcome
    third_party_id: int | None = Field(default=None, description="empty when the debtor is contacted")
    number: str | None = Field(default=None, description="the number dialled or messaged")
    loan_id: int | None = Field(default=None, description="the debt the contact is about")
    conversation: bool = False
    right_party: bool = False
    consented: bool = False
    stop_requested: bool = False
    purpose: str | None = None
    discloses_debt: bool = False
    collectors: list[str] = Field(default_factory=list)
    duration_seconds: int | None = Field(default=None, ge=0)
    reason_code: str | None = Field(default=None, max_length=40)
    persona: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    promise: PromiseIn | None = None

    @field_validator("number")
    @classmethod
    def _e164(cls, number: str | None) -> str | None:
        if number is None:
            return None
        try:
            parsed = phonenumbers.parse(number, "CN")
        except phonenumbers.NumberParseException:
            raise ValueError(f"'{number}' is not a phone number") from None
        if not phonenumbers.is_valid_number(parsed):
            raise ValueError(f"'{number}' is not a valid phone number")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @property
    def connected(self) -> bool:
        if self.channel is ContactChannel.CALL:
            return self.outcome in CONNECTED_OUTCOMES or self.conversation
        return self.channel is ContactChannel.VISIT and self.conversation
