"""The compliance officer's desk, read side and the one review it records: audit search, flagged contacts, holds.

Holds, complaints, scripts and templates change through their own packages; this
module finds what needs a look, within the cases the caller reaches (a clause on
:class:`Case`), and records the review of a flagged contact.

A flagged contact is reviewed once. The review is an audit entry
(``contact.reviewed`` on the contact attempt, with its outcome and note) rather
than a column: the audit log already is the record of who looked at what and when,
it cannot be edited afterwards, and the queue of contacts to review is simply the
flagged ones without such an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, exists, or_, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.compliance.models import Hold
from arrears.contact.models import ContactAttempt
from arrears.errors import Conflict, InvalidInput, NotFound

REVIEWED = "contact.reviewed"
PAGE_SIZE = 50


class ReviewOutcome(StrEnum):
    """What the officer found on a flagged contact."""

    NO_ISSUE = "no_issue"  # the linter was over-cautious: nothing wrong
    COACHING = "coaching"  # within the rules, but the collector is coached
    BREACH = "breach"  # a breach: handled with the collector, may lead to a complaint or hold


@dataclass(frozen=True)
class AuditQuery:
    """What the audit search narrows by; empty fields mean any. Dates are the tenant's, both included."""

    actor: str = ""
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidInput(f"page {self.page} does not exist; pages start at 1", where="page")
        if self.since is not None and self.until is not None and self.until < self.since:
            raise InvalidInput(f"the search ends ({self.until}) before it starts ({self.since})", where="to")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRecord]
    page: int
    has_next: bool


def search_audit(*, db_session: Session, tenant_id: int, query: AuditQuery, zone: ZoneInfo) -> AuditPage:
    """The tenant's audit entries matching every filter, newest first, one page at a time.

    ``actor`` and ``action`` match a prefix (``complaint.`` finds every complaint entry);
    the subject matches exactly.
    """
    stmt = select(AuditRecord).where(AuditRecord.tenant_id == tenant_id)
    if query.actor.strip():
        stmt = stmt.where(AuditRecord.actor.startswith(query.actor.strip(), autoescape=True))
    if query.action.strip():
        stmt = stmt.where(AuditRecord.action.startswith(query.action.strip(), autoescape=True))
    if query.subject_type.strip():
        stmt = stmt.where(AuditRecord.subject_type == query.subject_type.strip())
    if query.subject_id.strip():
        stmt = stmt.where(AuditRecord.subject_id == query.subject_id.strip())
    if query.since is not None:
        stmt = stmt.where(AuditRecord.occurred_at >= datetime.combine(query.since, time(0), zone))
    if query.until is not None:
        stmt = stmt.where(AuditRecord.occurred_at < datetime.combine(query.until + timedelta(days=1), time(0), zone))
    offset = (query.page - 1) * PAGE_SIZE
    rows = list(db_session.scalars(stmt.order_by(AuditRecord.seq.desc()).offset(offset).limit(PAGE_SIZE + 1)))
    return AuditPage(entries=rows[:PAGE_SIZE], page=query.page, has_next=len(rows) > PAGE_SIZE)


def _reviewed() -> ColumnElement[bool]:
    return exists().where(
        AuditRecord.action == REVIEWED,
        AuditRecord.subject_type == "contact_attempt",
        AuditRecord.subject_id == cast(ContactAttempt.id, String(64)),
    )


def flagged_contacts(*, db_session: Session, cases: ColumnElement[bool], limit: int = 100) -> list[ContactAttempt]:
    """Flagged contacts on the cases in scope that nobody has reviewed yet, oldest first (first come, first seen)."""
    stmt = (
        select(ContactAttempt)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(cases, ContactAttempt.flagged.is_(True), ~_reviewed())
        .order_by(ContactAttempt.attempted_at, ContactAttempt.id)
        .limit(limit)
    )
    return list(db_session.scalars(stmt))


def review_contact(
    *,
    db_session: Session,
    cases: ColumnElement[bool],
    attempt_id: int,
    outcome: ReviewOutcome,
    note: str,
    actor: str,
    actor_user_id: int | None = None,
) -> AuditRecord:
    """Record the review of one flagged contact; a breach must say what was done about it."""
    found = db_session.execute(
        select(ContactAttempt, Case.tenant_id)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(ContactAttempt.id == attempt_id, cases)
    ).first()
    if found is None:
        raise NotFound(f"no contact {attempt_id}", hint="only contacts on the cases in your scope can be reviewed")
    attempt, tenant_id = found
    if not attempt.flagged:
        raise Conflict(f"contact {attempt_id} was not flagged by the linter; there is nothing to review")
    if outcome is not ReviewOutcome.NO_ISSUE and not note.strip():
        raise InvalidInput("say what was found and what was done about it", where="note")
    already = Conflict(f"contact {attempt_id} has already been reviewed", hint="see its entry in the audit log")
    if _review_of(db_session, attempt_id) is not None:
        raise already
    with db_session.begin_nested() as savepoint:
        # Appending takes the audit chain's lock, so from here on no other review can be written
        # until this transaction ends; one that was committed meanwhile is now visible.
        entry = audit.record(
            db_session=db_session,
            actor=actor,
            actor_user_id=actor_user_id,
            action=REVIEWED,
            subject_type="contact_attempt",
            subject_id=attempt.id,
            tenant_id=tenant_id,
            details={
                "case_id": attempt.case_id,
                "collector_id": attempt.user_id,
                "outcome": outcome.value,
                "note": note.strip(),
                "rules": sorted({str(finding.get("rule")) for finding in attempt.note_findings}),
            },
        )
        db_session.flush()
        if _review_of(db_session, attempt_id, besides=entry.id) is not None:
            savepoint.rollback()
            raise already
    return entry


def _review_of(db_session: Session, attempt_id: int, besides: int | None = None) -> int | None:
    stmt = select(AuditRecord.id).where(
        AuditRecord.action == REVIEWED,
        AuditRecord.subject_type == "contact_attempt",
        AuditRecord.subject_id == str(attempt_id),
    )
    if besides is not None:
        stmt = stmt.where(AuditRecord.id != besides)
    return db_session.scalar(stmt.limit(1))


def active_holds(*, db_session: Session, cases: ColumnElement[bool], on: date, limit: int = 200) -> list[Hold]:
    """Holds not lifted and not ended before ``on`` on the cases in scope (future ones too), the newest first."""
    stmt = (
        select(Hold)
        .join(Case, Case.id == Hold.case_id)
        .where(cases, Hold.lifted_at.is_(None), or_(Hold.ends_on.is_(None), Hold.ends_on >= on))
        .order_by(Hold.created_at.desc(), Hold.id.desc())
        .limit(limit)
    )
    return list(db_session.scalars(stmt))


def hold_in_scope(*, db_session: Session, cases: ColumnElement[bool], hold_id: int) -> Hold:
    """The hold ``hold_id`` when it is on a case in scope; not found otherwise."""
    hold = db_session.scalar(select(Hold).join(Case, Case.id == Hold.case_id).where(and_(Hold.id == hold_id, cases)))
    if hold is None:
        raise NotFound(f"no hold {hold_id}", hint="only holds on the cases in your scope are visible")
    return hold
