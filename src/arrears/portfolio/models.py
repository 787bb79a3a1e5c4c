"""Borrowers (借款人), their contact points and third parties (联系人)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import enum_column
from arrears.portfolio.enums import (
    Channel,
    ContactLabel,
    ContactStatus,
    Education,
    Gender,
    MaritalStatus,
    Relation,
)


class Borrower(Base):
    __tablename__ = "borrowers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        UniqueConstraint("tenant_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64), doc="the lender's customer number: the natural key")
    name: Mapped[str] = mapped_column(String(100))
    resident_id: Mapped[str | None] = mapped_column(String(32), doc="居民身份证号码, checksum-validated")
    gender: Mapped[Gender] = mapped_column(enum_column(Gender), default=Gender.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(Date)
    marital_status: Mapped[MaritalStatus] = mapped_column(enum_column(MaritalStatus), default=MaritalStatus.UNKNOWN)
    children: Mapped[int | None] = mapped_column(Integer)
    owns_home: Mapped[bool | None] = mapped_column(Boolean)
    is_local: Mapped[bool | None] = mapped_column(Boolean, doc="本地户籍/常住: part of the cost of default")
    employer: Mapped[str | None] = mapped_column(String(200))
    monthly_income: Mapped[Decimal | None] = mapped_column(Money)
    education: Mapped[Education] = mapped_column(enum_column(Education), default=Education.UNKNOWN)
    address: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ThirdParty(Base):
    """Someone other than the borrower who may be contacted: family, employer, guarantor."""

    __tablename__ = "third_parties"
    __table_args__ = (UniqueConstraint("borrower_id", "name", "relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[Relation] = mapped_column(enum_column(Relation))
    knows_about_loan: Mapped[bool] = mapped_column(
        Boolean, default=False, doc="only a party who already knows may hear the debt mentioned"
    )
    status: Mapped[ContactStatus] = mapped_column(enum_column(ContactStatus), default=ContactStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ContactPoint(Base):
    """A phone number, email or address of the borrower or of one of their third parties."""

    __tablename__ = "contact_points"
    __table_args__ = (UniqueConstraint("borrower_id", "third_party_id", "channel", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id", ondelete="CASCADE"), index=True)
    third_party_id: Mapped[int | None] = mapped_column(ForeignKey("third_parties.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    label: Mapped[ContactLabel] = mapped_column(enum_column(ContactLabel), default=ContactLabel.MOBILE)
    value: Mapped[str] = mapped_column(String(300), doc="E.164 for phones")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ContactStatus] = mapped_column(enum_column(ContactStatus), default=ContactStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
