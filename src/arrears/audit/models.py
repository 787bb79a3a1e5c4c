"""Append-only audit records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, UtcDateTime, utcnow


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120), doc="who acted: 'user:42', 'cli:root', 'system:pass'")
    action: Mapped[str] = mapped_column(String(80), index=True, doc="e.g. payment.reversed, import.loans")
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    origin: Mapped[str | None] = mapped_column(String(120), doc="host, IP or command the change came from")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
