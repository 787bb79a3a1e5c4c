"""Tenants (a lender or an agency), their teams and users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, UtcDateTime, utcnow
from arrears.db.types import enum_column
from arrears.org.enums import Role, TenantKind


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TenantKind] = mapped_column(enum_column(TenantKind), default=TenantKind.LENDER)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    compliance_pack: Mapped[str] = mapped_column(String(20), default="cn", doc="the rule pack the guard applies")
    compliance_overrides: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="the tenant's tightening of its pack (PackOverrides); never loosens it"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    stages: Mapped[list[str]] = mapped_column(JSON, default=list, doc="strategy states the team works; empty = any")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "staff_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    staff_number: Mapped[str] = mapped_column(String(40), doc="工号: given on every call so the debtor can verify")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    daily_case_cap: Mapped[int | None] = mapped_column(Integer, doc="most cases in the queue per day")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list, doc="e.g. zh, yue, en")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list, doc="e.g. hardship, legal, business")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", doc="wrong passwords since the last sign-in, unlock or lock"
    )
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="no sign-in before this time")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
