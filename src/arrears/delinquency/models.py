"""Bucket sets and the history of every loan's moves between buckets (roll rates come from it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow


class BucketSetRow(Base):
    """A named, validated set of DPD ranges (see :class:`arrears.delinquency.buckets.BucketSet`)."""

    __tablename__ = "bucket_sets"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    buckets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BucketHistory(Base):
    """A loan's stay in one bucket: entered on one pass date, left on a later one."""

    __tablename__ = "bucket_history"
    __table_args__ = (Index("ix_bucket_history_open", "loan_id", "left_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    bucket: Mapped[str] = mapped_column(String(40), index=True)
    entered_on: Mapped[date] = mapped_column(Date, index=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    left_to: Mapped[str | None] = mapped_column(String(40), doc="next bucket, 'current' when cured, 'closed'")
    dpd_at_entry: Mapped[int] = mapped_column(Integer)
    overdue_at_entry: Mapped[Decimal] = mapped_column(Money)
