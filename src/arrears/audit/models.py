"""Append-only audit records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, UtcDateTime, utcnow


class AuditRecord(Base):
    """One entry of the audit log, chained to the entry before it (see ``arrears.audit.chain``).

    Rows are never updated or deleted: triggers in the database refuse both.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, index=True, doc="position in the chain: 1, 2, 3...")
    prev_hash: Mapped[str] = mapped_column(String(64), doc="hash of the entry at seq - 1; 64 zeros for the first")
    hash: Mapped[str] = mapped_column(String(64), doc="SHA-256 hex over this entry's fields and prev_hash")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120), doc="who acted: 'user:42', 'cli:root', 'system:pass'")
    action: Mapped[str] = mapped_column(String(80), index=True, doc="e.g. payment.reversed, import.loans")
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    origin: Mapped[str | None] = mapped_column(String(120), doc="host, IP or command the change came from")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
