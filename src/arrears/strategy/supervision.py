"""What a team lead changes by hand between runs: who works a case, and how many cases a collector takes.

Both are audited. A reassigned case moves to the end of its new collector's
queue for the day it is queued for; the next run keeps it with that collector
while their team works the case's state.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case, CaseAssignment
from arrears.db.base import utcnow
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.strategy.models import CollectionAction, QueueEntry


def _collector(db_session: Session, user_id: int, tenant_id: int) -> User:
    user = db_session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound(f"no collector {user_id} in this tenant")
    if user.role is not Role.COLLECTOR or not user.active:
        raise InvalidInput(f"user {user.username} is not an active collector", where="user")
    return user


def reassign(*, db_session: Session, case_id: int, user_id: int, actor: str, reason: str) -> CaseAssignment:
    """Give a case to another collector now, with a reason; today's queue and due actions follow it."""
    if not reason.strip():
        raise InvalidInput("a reassignment needs a reason", where="reason")
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    user = _collector(db_session, user_id, case.tenant_id)
    current = db_session.scalar(
        select(CaseAssignment).where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None))
    )
    if current is not None and current.user_id == user.id:
        raise Conflict(f"case {case_id} is already with {user.username}")
    now = utcnow()
    if current is not None:
        current.ended_at = now
    assignment = CaseAssignment(
        case_id=case_id, user_id=user.id, team_id=user.team_id, assigned_at=now, reason=f"reassigned: {reason}"
    )
    db_session.add(assignment)
    _move_queue_entries(db_session, case_id, user.id)
    db_session.execute(
        update(CollectionAction)
        .where(CollectionAction.case_id == case_id, CollectionAction.done_at.is_(None))
        .values(user_id=user.id)
    )
    audit.record(
        db_session=db_session,
        actor=actor,
        action="case.reassigned",
        subject_type="case",
        subject_id=case_id,
        tenant_id=case.tenant_id,
        details={"from_user_id": current.user_id if current else None, "to_user_id": user.id, "reason": reason},
    )
    db_session.flush()
    return assignment


def _move_queue_entries(db_session: Session, case_id: int, user_id: int) -> None:
    for entry in db_session.scalars(select(QueueEntry).where(QueueEntry.case_id == case_id)):
        last = db_session.scalar(
            select(func.max(QueueEntry.rank)).where(QueueEntry.user_id == user_id, QueueEntry.as_of == entry.as_of)
        )
        entry.user_id = user_id
        entry.rank = (last or 0) + 1


def set_cap(*, db_session: Session, user_id: int, cap: int | None, actor: str) -> User:
    """Change how many cases a collector takes a day (``None``: no cap); the next run allocates with it."""
    if cap is not None and cap < 0:
        raise InvalidInput("a daily case cap cannot be negative", where="cap")
    user = db_session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    before = user.daily_case_cap
    user.daily_case_cap = cap
    audit.record(
        db_session=db_session,
        actor=actor,
        action="user.case_cap_changed",
        subject_type="user",
        subject_id=user.id,
        tenant_id=user.tenant_id,
        details={"before": before, "after": cap},
    )
    return user
