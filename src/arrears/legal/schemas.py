"""What callers hand to the legal services; validated before anything is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.errors import InvalidInput
from arrears.legal.enums import AmountKind, FeeCategory, JudgmentOutcome, ProceedingKind, RecoveryCategory
from arrears.money import parse_amount

RATE_QUANTUM = Decimal("0.000001")


def _parse(value: object, field: str) -> Decimal:
    """An exact amount, or a ValueError that pydantic reports against the field."""
    try:
        return parse_amount(value if isinstance(value, str | int | Decimal) else str(value), field=field)
    except InvalidInput as error:
        raise ValueError(error.one_line()) from None


MAX_ROW_ID = 2**31 - 1
"""Ids are INTEGER columns: larger numbers name no row on any back end."""

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


class ReferralIn(_In):
    case_id: RowId
    referred_on: date
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is needed to refer a case to legal")
        return value.strip()


class ProceedingIn(_In):
    referral_id: RowId
    kind: ProceedingKind
    opened_on: date
    parent_id: RowId | None = Field(default=None, description="the proceeding this one stands on")
    court: str | None = Field(default=None, max_length=200)
    court_reference: str | None = Field(default=None, max_length=100, description="案号")
    claimed: Decimal | None = Field(default=None, description="amount claimed, a decimal string")

    @field_validator("claimed", mode="before")
    @classmethod
    def _money(cls, value: object) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise ValueError("send amounts as strings, never as floats")
        amount = _parse(value, "claimed")
        if amount <= 0:
            raise ValueError("the amount claimed must be more than zero")
        return amount


class TransitionIn(_In):
    event: str
    on: date = Field(description="the day it happened")
    hearing_on: date | None = Field(default=None, description="schedule_hearing: the hearing day")
    outcome: JudgmentOutcome | None = Field(default=None, description="judge: what the court decided")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _needs(self) -> TransitionIn:
        if self.event == "schedule_hearing" and self.hearing_on is None:
            raise ValueError("schedule_hearing needs hearing_on")
        if self.event == "judge" and self.outcome is None:
            raise ValueError("judge needs outcome (won, partly_won or lost)")
        if self.hearing_on is not None and self.event != "schedule_hearing":
            raise ValueError("only schedule_hearing takes hearing_on")
        if self.outcome is not None and self.event != "judge":
            raise ValueError("only judge takes outcome")
        return self


class AmountIn(_In):
    kind: AmountKind
    category: str
    amount: Decimal
    on: date
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("amount", mode="before")
    @classmethod
    def _money(cls, value: object) -> Decimal:
        if isinstance(value, float):
            raise ValueError("send amounts as strings, never as floats")
        amount = _parse(value, "amount")
        if amount <= 0:
            raise ValueError("the amount must be more than zero")
        return amount

    @model_validator(mode="after")
    def _category_fits(self) -> AmountIn:
        choices = FeeCategory if self.kind is AmountKind.FEE else RecoveryCategory
        allowed = [member.value for member in choices]
        if self.category not in allowed:
            raise ValueError(f"a {self.kind.value} category is one of: {', '.join(allowed)}")
        return self


class PlacementIn(_In):
    case_id: RowId
    agency_tenant_id: RowId
    starts_on: date
    ends_on: date
    commission_rate: Decimal = Field(description="share of recoveries as a decimal string, e.g. 0.25")

    @field_validator("commission_rate", mode="before")
    @classmethod
    def _rate(cls, value: object) -> Decimal:
        if isinstance(value, float):
            raise ValueError("send the rate as a string, never as a float")
        try:
            rate = Decimal(str(value))
        except ArithmeticError:
            raise ValueError(f"'{value}' is not a decimal rate") from None
        if not rate.is_finite() or rate < 0 or rate > 1:
            raise ValueError("the commission rate is a share between 0 and 1, e.g. 0.25")
        if rate != rate.quantize(RATE_QUANTUM):
            raise ValueError("the commission rate has at most 6 decimals, e.g. 0.125")
        return rate

    @model_validator(mode="after")
    def _period(self) -> PlacementIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self
