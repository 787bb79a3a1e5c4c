"""Writing audit records. Called inside the caller's unit of work, never commits."""

from __future__ import annotations

import getpass
import socket
from typing import Any

from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord


def cli_actor() -> str:
    """The actor name for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record(
    *,
    db_session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int | None = None,
    tenant_id: int | None = None,
    actor_user_id: int | None = None,
    details: dict[str, Any] | None = None,
    origin: str | None = None,
) -> AuditRecord:
    entry = AuditRecord(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        details=details or {},
        origin=origin or socket.gethostname(),
    )
    db_session.add(entry)
    return entry
