"""Plans (还款方案) and hardship evidence. The plan is a document: once proposed its figures never change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import DecimalText, enum_column
from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus


class Plan(Base):
    """A repayment plan for one loan of a case: proposed by one person, decided by another."""

    __tablename__ = "settlement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind))
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.PROPOSED, index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    periods: Mapped[int] = mapped_column(Integer)
    annual_rate: Mapped[Decimal] = mapped_column(DecimalText, doc="the plan's interest on what is capitalised")
    waive_charges: Mapped[Decimal] = mapped_column(Money)
    waive_interest: Mapped[Decimal] = mapped_column(Money)
    waive_principal: Mapped[Decimal] = mapped_column(Money)
    waived_total: Mapped[Decimal] = mapped_column(Money)
    debtor_total: Mapped[Decimal] = mapped_column(Money, doc="what the debtor pays under the plan")
    expected_recovery: Mapped[Decimal] = mapped_column(Money, doc="what the lender expects to recover")
    propensity: Mapped[Decimal] = mapped_column(DecimalText)
    propensity_source: Mapped[str] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the loan position before the plan; money as strings")
    treatments: Mapped[dict[str, Any]] = mapped_column(JSON, doc="per component: waived, capitalised, carried forward")
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="the plan's instalments; money as strings")
    reason: Mapped[str] = mapped_column(Text, doc="the hardship as the proposer recorded it")
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(120), doc="the authority matrix rule that allowed it")
    restructure_id: Mapped[int | None] = mapped_column(ForeignKey("loan_restructures.id"))
    watch_until: Mapped[date | None] = mapped_column(Date)
    instalments_kept: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    broken_instalment: Mapped[int | None] = mapped_column(Integer)


class Evidence(Base):
    """A hardship document (收入证明, 诊断证明 ...), stored under the data directory by its SHA-256."""

    __tablename__ = "hardship_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_plans.id"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind))
    filename: Mapped[str] = mapped_column(String(255), doc="the name it was uploaded under, for display only")
    media_type: Mapped[str] = mapped_column(String(40), doc="from the file's first bytes, not its name")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[EvidenceStatus] = mapped_column(enum_column(EvidenceStatus), default=EvidenceStatus.PENDING)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    verified_by: Mapped[str | None] = mapped_column(String(80))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verification_note: Mapped[str | None] = mapped_column(Text)
