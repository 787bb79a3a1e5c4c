"""The complaint register (投诉登记): intake, the service-level clock, resolution.

A complaint names the case, who complained, how, about what and (when known)
which collector and which contacts. Opening one normally places a complaint
hold, so nobody contacts the debtor while it is handled; resolving it lifts
that hold. The deadline comes from the tenant's rule pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.compliance.enums import (
    OPEN_COMPLAINT_STATUSES,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    HoldType,
)
from arrears.compliance.holds import HoldIn, lift_hold, place_hold
from arrears.compliance.models import Complaint, ComplaintContact
from arrears.compliance.service import borrower_zone, pack_for_tenant
from arrears.contact.models import ContactAttempt
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.org.models import Tenant, User
from arrears.portfolio.models import Borrower


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: int
    received_at: AwareDatetime
    channel: ComplaintChannel
    category: ComplaintCategory
    complainant: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=8000)
    collector_id: int | None = None
    contact_attempt_ids: list[int] = Field(default_factory=list)
    hold_case: bool = True


@dataclass(frozen=True)
class ComplaintClock:
    """Where a complaint stands against its deadline."""

    complaint_id: int
    due_at: datetime
    overdue: bool
    remaining: timedelta


def register(
    *, db_session: Session, complaint_in: ComplaintIn, actor: str, recorded_by_id: int | None = None
) -> Complaint:
    """Open a complaint, link the contacts it is about, and (by default) put the case on hold."""
    case = db_session.get(Case, complaint_in.case_id)
    if case is None:
        raise NotFound(f"no case {complaint_in.case_id}")
    _check_collector(db_session, case, complaint_in.collector_id)
    attempts = _contacts_of_case(db_session, case, complaint_in.contact_attempt_ids)
    pack = pack_for_tenant(db_session.get_one(Tenant, case.tenant_id))
    complaint = Complaint(
        tenant_id=case.tenant_id,
        case_id=case.id,
        received_at=complaint_in.received_at,
        channel=complaint_in.channel,
        category=complaint_in.category,
        complainant=complaint_in.complainant,
        collector_id=complaint_in.collector_id,
        description=complaint_in.description,
        due_at=complaint_in.received_at + timedelta(days=pack.complaint_sla_days),
        recorded_by_id=recorded_by_id,
    )
    if complaint_in.hold_case:
        zone = borrower_zone(db_session.get_one(Borrower, case.borrower_id))
        hold_in = HoldIn(
            type=HoldType.COMPLAINT,
            starts_on=complaint_in.received_at.astimezone(zone).date(),
            reason=f"complaint: {complaint_in.category.value}",
        )
        complaint.hold_id = place_hold(db_session=db_session, case=case, hold_in=hold_in, actor=actor).id
    db_session.add(complaint)
    db_session.flush()
    db_session.add_all(ComplaintContact(complaint_id=complaint.id, contact_attempt_id=a.id) for a in attempts)
    _audit(
        db_session,
        complaint,
        "complaint.registered",
        actor,
        {
            "category": complaint.category.value,
            "channel": complaint.channel.value,
            "collector_id": complaint.collector_id,
            "contact_attempt_ids": [a.id for a in attempts],
            "due_at": complaint.due_at.isoformat(),
            "hold_id": complaint.hold_id,
        },
    )
    return complaint


def start_investigation(*, db_session: Session, complaint_id: int, actor: str) -> Complaint:
    complaint = _open_complaint(db_session, complaint_id)
    complaint.status = ComplaintStatus.INVESTIGATING
    _audit(db_session, complaint, "complaint.investigating", actor, {})
    return complaint


def resolve(
    *,
    db_session: Session,
    complaint_id: int,
    resolution: str,
    upheld: bool,
    at: datetime,
    actor: str,
    resolved_by_id: int | None = None,
) -> Complaint:
    """Close a complaint with its finding; the complaint hold, if any, is lifted."""
    if not resolution.strip():
        raise InvalidInput("a resolution must say what was found and done", where="resolution")
    complaint = _open_complaint(db_session, complaint_id)
    complaint.status = ComplaintStatus.RESOLVED if upheld else ComplaintStatus.REJECTED
    complaint.resolution = resolution
    complaint.upheld = upheld
    complaint.resolved_at = at
    if complaint.hold_id is not None:
        lift_hold(
            db_session=db_session,
            hold_id=complaint.hold_id,
            at=at,
            actor=actor,
            lifted_by_id=resolved_by_id,
            reason=f"complaint {complaint.id} closed",
        )
    _audit(
        db_session,
        complaint,
        "complaint.resolved",
        actor,
        {
            "upheld": upheld,
            "late": at > complaint.due_at,
            "resolution": resolution,
        },
    )
    return complaint


def clock(complaint: Complaint, *, now: datetime) -> ComplaintClock:
    end = complaint.resolved_at or now
    return ComplaintClock(complaint.id, complaint.due_at, end > complaint.due_at, complaint.due_at - end)


def get_all(
    *, db_session: Session, tenant_id: int, open_only: bool = False, overdue_at: datetime | None = None
) -> list[Complaint]:
    stmt = select(Complaint).where(Complaint.tenant_id == tenant_id)
    if open_only or overdue_at is not None:
        stmt = stmt.where(Complaint.status.in_(OPEN_COMPLAINT_STATUSES))
    if overdue_at is not None:
        stmt = stmt.where(Complaint.due_at < overdue_at)
    return list(db_session.scalars(stmt.order_by(Complaint.due_at)))


def count_by_collector(*, db_session: Session, tenant_id: int) -> dict[int, int]:
    stmt = (
        select(Complaint.collector_id, func.count())
        .where(Complaint.tenant_id == tenant_id, Complaint.collector_id.is_not(None))
        .group_by(Complaint.collector_id)
    )
    return {row[0]: int(row[1]) for row in db_session.execute(stmt) if row[0] is not None}


def _open_complaint(db_session: Session, complaint_id: int) -> Complaint:
    complaint = db_session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    if complaint.status not in OPEN_COMPLAINT_STATUSES:
        raise Conflict(f"complaint {complaint_id} is already {complaint.status.value}")
    return complaint


def _check_collector(db_session: Session, case: Case, collector_id: int | None) -> None:
    if collector_id is None:
        return
    user = db_session.get(User, collector_id)
    if user is None or user.tenant_id != case.tenant_id:
        raise InvalidInput(f"user {collector_id} is not a collector of this tenant", where="collector")


def _contacts_of_case(db_session: Session, case: Case, ids: list[int]) -> list[ContactAttempt]:
    if not ids:
        return []
    found = list(db_session.scalars(select(ContactAttempt).where(ContactAttempt.id.in_(ids))))
    foreign = sorted(set(ids) - {a.id for a in found if a.case_id == case.id})
    if foreign:
        raise InvalidInput(
            f"contact attempts {', '.join(map(str, foreign))} are not contacts of case {case.id}", where="contacts"
        )
    return found


def _audit(db_session: Session, complaint: Complaint, action: str, actor: str, details: dict[str, object]) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        subject_type="complaint",
        subject_id=complaint.id,
        tenant_id=complaint.tenant_id,
        details={"case_id": complaint.case_id, **details},
    )
