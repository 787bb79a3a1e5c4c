"""Records are kept at least as long as the tenant's pack says (China: 5 years); no delete before then.

Every ORM session checks deletions of contact attempts and complaints at
flush time against the tenant's retention period, and refuses bulk DELETE
statements on those tables outright unless they come from
:func:`purge_expired`, which deletes only what has outlived the period. The
audit log is append-only in the database itself (see the audit package).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from arrears.cases.models import Case
from arrears.compliance.models import Complaint, ComplaintContact
from arrears.compliance.service import pack_for_tenant
from arrears.contact.models import ContactAttempt
from arrears.dates import add_months
from arrears.errors import Conflict
from arrears.org.models import Tenant

_PURGE_OPTION = "arrears_retention_purge"
_KEPT = (ContactAttempt, Complaint)


def retained_until(db_session: Session, *, tenant_id: int, recorded_at: datetime) -> datetime:
    years = pack_for_tenant(db_session.get_one(Tenant, tenant_id)).retention_years
    day = add_months(recorded_at.date(), 12 * years)
    return datetime.combine(day, recorded_at.timetz())


def _recorded(db_session: Session, record: ContactAttempt | Complaint) -> tuple[int, datetime]:
    if isinstance(record, Complaint):
        return record.tenant_id, record.received_at
    return db_session.get_one(Case, record.case_id).tenant_id, record.attempted_at


def _check_deletions(db_session: Session, _context: Any, _instances: Any) -> None:
    now = datetime.now().astimezone()
    with db_session.no_autoflush:
        for record in db_session.deleted:
            if not isinstance(record, _KEPT):
                continue
            tenant_id, recorded_at = _recorded(db_session, record)
            until = retained_until(db_session, tenant_id=tenant_id, recorded_at=recorded_at)
            if now < until:
                raise Conflict(
                    f"{type(record).__tablename__} {record.id} must be kept until {until.date().isoformat()}",
                    hint="records are kept for the retention period of the tenant's rule pack",
                )


def _refuse_bulk_deletes(state: ORMExecuteState) -> None:
    if not state.is_delete or state.execution_options.get(_PURGE_OPTION):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in (*_KEPT, ComplaintContact):
        raise Conflict(
            f"bulk deletes of {mapper.class_.__tablename__} are refused",
            hint="records past their retention period are removed with purge_expired",
        )


def install() -> None:
    """Register the checks on every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _check_deletions):
        event.listen(Session, "before_flush", _check_deletions)
        event.listen(Session, "do_orm_execute", _refuse_bulk_deletes)


def purge_expired(*, db_session: Session, tenant_id: int, now: datetime) -> int:
    """Delete the tenant's contact attempts older than its retention period that no complaint refers to."""
    years = pack_for_tenant(db_session.get_one(Tenant, tenant_id)).retention_years
    cutoff_day = add_months(now.date(), -12 * years)
    cutoff = datetime.combine(cutoff_day, now.timetz())
    referenced = select(ComplaintContact.contact_attempt_id)
    cases = select(Case.id).where(Case.tenant_id == tenant_id)
    stmt = (
        delete(ContactAttempt)
        .where(
            ContactAttempt.case_id.in_(cases),
            ContactAttempt.attempted_at < cutoff,
            ContactAttempt.id.not_in(referenced),
        )
        .execution_options(**{_PURGE_OPTION: True}, synchronize_session=False)
    )
    result = db_session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
