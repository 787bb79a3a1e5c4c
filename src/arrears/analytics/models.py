"""The analytics' tables: a tenant's recovery targets, and the daily aggregates the slow measures add up.

Each aggregate row belongs to one ``day`` of one tenant, and refreshing a day deletes that
day's rows and writes them again (:mod:`arrears.analytics.daily`), so a day can
be aggregated any number of times with the same result. Amounts are integer
minor units (cents), added exactly by the database and by Polars.
docs/metrics.md says what each table holds and how it is kept fresh.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, UtcDateTime, utcnow


class RecoveryTargetVersion(Base):
    """One version of a tenant's recovery targets (回款目标): the recovery curve is judged against the latest.

    Targets are versioned data like policies: setting them adds a version, so a
    figure read last month can be explained with the targets it was read against.
    """

    __tablename__ = "analytics_recovery_targets"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, doc='[{"bucket": null or a name, "day": 7, "share": "3/5"}], shares as exact fractions'
    )
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    set_by: Mapped[str] = mapped_column(String(120))


class AggregatedDay(Base):
    """A tenant's day whose aggregates are written; a measure reads aggregates only for days listed here."""

    __tablename__ = "analytics_days"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BucketEntryDay(Base):
    """Stays that entered a bucket on ``day``: how many, and the amount overdue at entry (the curve's base)."""

    __tablename__ = "analytics_bucket_entries"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    stays: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger, doc="overdue at entry, cents")


class EntryRecoveryDay(Base):
    """What the payments valued on ``day`` recovered for the stays entered on ``entered_on``, capped per stay."""

    __tablename__ = "analytics_entry_recoveries"
    __table_args__ = (Index("ix_analytics_entry_recoveries_entered", "tenant_id", "entered_on"),)

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, doc="the payments' value date")
    entered_on: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    days_since_entry: Mapped[int] = mapped_column(Integer)
    recovered: Mapped[int] = mapped_column(BigInteger, doc="cents, each stay capped at its amount at entry")


class BucketFlowMonth(Base):
    """Loans by bucket on ``month`` (a 1st) against their state on ``day``, the next month's 1st."""

    __tablename__ = "analytics_bucket_flows"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, doc="the 1st the flow is seen on")
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    to_state: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    loans: Mapped[int] = mapped_column(Integer)


class CollectorRecoveryDay(Base):
    """Payments valued on ``day`` credited to the collector holding the case at the end of that day."""

    __tablename__ = "analytics_collector_recoveries"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recovered: Mapped[int] = mapped_column(BigInteger, doc="cents")


class CasePaymentDay(Base):
    """A case whose borrower had a payment (not reversed) valued on ``day`` on one of their loans of the tenant."""

    __tablename__ = "analytics_case_payments"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, doc="the payments' value date")
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ContactDay(Base):
    """Contact attempts made on ``day`` (UTC) by one person about one product, and how many connected."""

    __tablename__ = "analytics_contacts"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, doc="the attempts' UTC day")
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, doc="who made them; 0 for nobody recorded")
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, doc="the loan's product; 0 for no loan")
    attempts: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(Integer)
    right_party: Mapped[int] = mapped_column(Integer)
