"""What the CLI and the API send in and get back: money as strings, dates as ISO dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.options import MAX_PERIODS, Instalment, Option

MAX_ROW_ID = 2**31 - 1
"""Row ids are 32-bit integers in the database: a larger one is refused as input, not sent to a query."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteIn(_In):
    """The options to compare, from the loan's position on ``effective_on``."""

    effective_on: date
    loan_id: int | None = Field(None, ge=1, le=MAX_ROW_ID, description="which of the case's loans, if several")
    periods: int = Field(12, ge=1, le=MAX_PERIODS)
    annual_rate: Decimal = Field(Decimal("0"), ge=0, le=1)
    amount_now: Decimal | None = Field(
        None, gt=0, description="pay_now: the sum paid now (default: the overdue amount)"
    )
    settlement_amount: Decimal | None = Field(None, gt=0, description="settle_for_less: the sum (default: no charges)")


class PlanIn(_In):
    """A plan proposal. Waivers apply to instalments and freeze plans; settle_for_less derives them from amount."""

    kind: PlanKind
    effective_on: date
    reason: str = Field(min_length=1, max_length=2000, description="the hardship, in the proposer's words")
    loan_id: int | None = Field(None, ge=1, le=MAX_ROW_ID)
    periods: int = Field(1, ge=1, le=MAX_PERIODS)
    amount: Decimal | None = Field(None, gt=0)
    waive_charges: Decimal = Field(Decimal("0"), ge=0)
    waive_interest: Decimal = Field(Decimal("0"), ge=0)
    waive_principal: Decimal = Field(Decimal("0"), ge=0)
    annual_rate: Decimal = Field(Decimal("0"), ge=0, le=1)
    first_due_on: date | None = None
    pay_within_days: int = Field(7, ge=1, le=90)


class DecisionIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class VerifyIn(_In):
    status: EvidenceStatus
    note: str | None = Field(None, max_length=2000)


class InstalmentOut(BaseModel):
    number: int
    due_on: date
    principal: Decimal
    interest: Decimal
    total: Decimal

    @field_serializer("principal", "interest", "total")
    def _money(self, value: Decimal) -> str:
        return str(value)

    @classmethod
    def of(cls, item: Instalment) -> InstalmentOut:
        return cls(
            number=item.number, due_on=item.due_on, principal=item.principal, interest=item.interest, total=item.total
        )


class OptionOut(BaseModel):
    kind: PlanKind
    periods: int
    annual_rate: str
    waive_charges: str
    waive_interest: str
    waive_principal: str
    charges_frozen: bool
    debtor_total: str
    expected_recovery: str
    treatments: dict[str, dict[str, str]]
    schedule: list[InstalmentOut]

    @classmethod
    def of(cls, option: Option) -> OptionOut:
        return cls(
            kind=option.kind,
            periods=option.periods,
            annual_rate=str(option.annual_rate),
            waive_charges=str(option.waivers.charges),
            waive_interest=str(option.waivers.interest),
            waive_principal=str(option.waivers.principal),
            charges_frozen=option.charges_frozen,
            debtor_total=str(option.debtor_total),
            expected_recovery=str(option.expected_recovery),
            treatments=option.treatments,
            schedule=[InstalmentOut.of(item) for item in option.schedule],
        )


class QuoteOut(BaseModel):
    case_id: int
    loan_id: int
    effective_on: date
    balance: dict[str, Any]
    propensity: str
    propensity_source: str
    options: list[OptionOut]


class PlanOut(BaseModel):
    """A plan as stored. ``status`` says whether anything is granted: only approved, active or kept plans are."""

    id: int
    case_id: int
    loan_id: int
    kind: PlanKind
    status: PlanStatus
    granted: bool
    effective_on: date
    periods: int
    annual_rate: str
    waive_charges: str
    waive_interest: str
    waive_principal: str
    debtor_total: str
    expected_recovery: str
    propensity: str
    propensity_source: str
    snapshot: dict[str, Any]
    treatments: dict[str, Any]
    schedule: list[dict[str, Any]]
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    authority: str | None
    watch_until: date | None
    instalments_kept: int
    resolved_on: date | None
    broken_instalment: int | None

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(
            id=plan.id,
            case_id=plan.case_id,
            loan_id=plan.loan_id,
            kind=plan.kind,
            status=plan.status,
            granted=plan.status in {PlanStatus.APPROVED, PlanStatus.ACTIVE, PlanStatus.KEPT},
            effective_on=plan.effective_on,
            periods=plan.periods,
            annual_rate=str(plan.annual_rate),
            waive_charges=str(plan.waive_charges),
            waive_interest=str(plan.waive_interest),
            waive_principal=str(plan.waive_principal),
            debtor_total=str(plan.debtor_total),
            expected_recovery=str(plan.expected_recovery),
            propensity=str(plan.propensity),
            propensity_source=plan.propensity_source,
            snapshot=plan.snapshot,
            treatments=plan.treatments,
            schedule=plan.schedule,
            reason=plan.reason,
            proposed_by=plan.proposed_by,
            proposed_at=plan.proposed_at,
            decided_by=plan.decided_by,
            decided_at=plan.decided_at,
            decision_reason=plan.decision_reason,
            authority=plan.authority,
            watch_until=plan.watch_until,
            instalments_kept=plan.instalments_kept,
            resolved_on=plan.resolved_on,
            broken_instalment=plan.broken_instalment,
        )


class EvidenceOut(BaseModel):
    id: int
    case_id: int
    plan_id: int | None
    kind: EvidenceKind
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    status: EvidenceStatus
    uploaded_by: str
    uploaded_at: datetime
    verified_by: str | None
    verified_at: datetime | None
    verification_note: str | None

    @classmethod
    def of(cls, row: Evidence) -> EvidenceOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            plan_id=row.plan_id,
            kind=row.kind,
            filename=row.filename,
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            status=row.status,
            uploaded_by=row.uploaded_by,
            uploaded_at=row.uploaded_at,
            verified_by=row.verified_by,
            verified_at=row.verified_at,
            verification_note=row.verification_note,
        )
