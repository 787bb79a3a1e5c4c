"""Holds (暂停) on cases, and the complaint register (投诉登记)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.compliance.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus, HoldType
from arrears.db.base import Base, UtcDateTime, utcnow
from arrears.db.types import enum_column


class Hold(Base):
    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[HoldType] = mapped_column(enum_column(HoldType))
    channel: Mapped[str | None] = mapped_column(String(20), doc="for channel_opt_out: which channel")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, doc="inclusive; open-ended when empty")
    pauses_aging: Mapped[bool] = mapped_column(Boolean, default=False)
    pauses_charges: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Complaint(Base):
    """A complaint about how a case was worked, with its service-level clock and its resolution."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[ComplaintChannel] = mapped_column(enum_column(ComplaintChannel))
    category: Mapped[ComplaintCategory] = mapped_column(enum_column(ComplaintCategory), index=True)
    complainant: Mapped[str] = mapped_column(String(100), doc="the debtor, or who else complained")
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, doc="collector complained of")
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus), default=ComplaintStatus.OPEN, index=True
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, doc="when the SLA clock runs out")
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), doc="the hold placed while it is handled")
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    upheld: Mapped[bool | None] = mapped_column(Boolean, doc="was the complaint found justified")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ComplaintContact(Base):
    """A contact attempt a complaint is about."""

    __tablename__ = "complaint_contacts"
    __table_args__ = (UniqueConstraint("complaint_id", "contact_attempt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    contact_attempt_id: Mapped[int] = mapped_column(ForeignKey("contact_attempts.id"), index=True)
