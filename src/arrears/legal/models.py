"""Tables of legal escalation and agency placement. Money in integer cents, times in UTC."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import DecimalText, enum_column
from arrears.legal.enums import (
    AlertKind,
    AmountKind,
    JudgmentOutcome,
    PlacementStatus,
    ProceedingKind,
    ProceedingStatus,
    ReferralStatus,
)


class LegalReferral(Base):
    """A case sent to legal (移交法务): its checklist and the proceedings that follow."""

    __tablename__ = "legal_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus), default=ReferralStatus.OPEN)
    referred_on: Mapped[date] = mapped_column(Date)
    referred_by: Mapped[str] = mapped_column(String(80), doc="actor who referred the case")
    reason: Mapped[str] = mapped_column(Text)
    checklist: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc="item key -> {by, on, note} once done; keys from rules.CHECKLIST"
    )
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Proceeding(Base):
    """One court proceeding of a referral, with the dates its lifecycle needs."""

    __tablename__ = "legal_proceedings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("legal_referrals.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("legal_proceedings.id"), doc="the proceeding this one stands on (e.g. the judgment enforced)"
    )
    kind: Mapped[ProceedingKind] = mapped_column(enum_column(ProceedingKind))
    status: Mapped[ProceedingStatus] = mapped_column(enum_column(ProceedingStatus), index=True)
    court: Mapped[str | None] = mapped_column(String(200))
    court_reference: Mapped[str | None] = mapped_column(String(100), doc="案号")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    claimed: Mapped[Decimal | None] = mapped_column(Money, doc="amount claimed in this proceeding")
    opened_on: Mapped[date] = mapped_column(Date)
    served_on: Mapped[date | None] = mapped_column(Date, doc="payment order: the day it reached the debtor")
    objection_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    hearing_on: Mapped[date | None] = mapped_column(Date, index=True)
    judgment_on: Mapped[date | None] = mapped_column(Date)
    judgment_outcome: Mapped[JudgmentOutcome | None] = mapped_column(enum_column(JudgmentOutcome))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProceedingEvent(Base):
    """Each step of a proceeding, in order: the lifecycle's history."""

    __tablename__ = "legal_proceeding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(ForeignKey("legal_proceedings.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[ProceedingStatus | None] = mapped_column(enum_column(ProceedingStatus))
    to_status: Mapped[ProceedingStatus] = mapped_column(enum_column(ProceedingStatus))
    happened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProceedingAmount(Base):
    """A fee paid for, or an amount recovered through, a proceeding."""

    __tablename__ = "legal_amounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(ForeignKey("legal_proceedings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AmountKind] = mapped_column(enum_column(AmountKind))
    category: Mapped[str] = mapped_column(String(40), doc="a FeeCategory or RecoveryCategory value")
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    happened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LegalAlert(Base):
    """A deadline alert, kept once per proceeding, kind and date so that raising it is audited once."""

    __tablename__ = "legal_alerts"
    __table_args__ = (UniqueConstraint("proceeding_id", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    proceeding_id: Mapped[int] = mapped_column(ForeignKey("legal_proceedings.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    due_on: Mapped[date] = mapped_column(Date)
    raised_on: Mapped[date] = mapped_column(Date, doc="the as-of date of the run that first raised it")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgencyPlacement(Base):
    """A case placed with an outside agency (委外) for a period, on commission."""

    __tablename__ = "agency_placements"
    __table_args__ = (Index("ix_agency_placements_agency_live", "agency_tenant_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True, doc="the lender")
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    status: Mapped[PlacementStatus] = mapped_column(enum_column(PlacementStatus), default=PlacementStatus.LIVE)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, doc="last day of the placement, inclusive")
    commission_rate: Mapped[Decimal] = mapped_column(DecimalText, doc="share of recoveries, e.g. 0.25")
    recalled_on: Mapped[date | None] = mapped_column(Date, doc="last day the agency held the case, if cut short")
    recall_reason: Mapped[str | None] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
