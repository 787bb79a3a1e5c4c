"""Reads and writes of contact attempts. Never commits; only :mod:`arrears.contact.flows` creates attempts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.contact.enums import Party
from arrears.contact.models import ContactAttempt
from arrears.contact.schemas import ContactIn


def create(
    *,
    db_session: Session,
    contact_in: ContactIn,
    user_id: int | None,
    pack_version: str,
    conditions: list[str],
    note_findings: list[dict[str, Any]],
) -> ContactAttempt:
    """Store an attempt the guard allowed (the flow has asked it; nothing else may call this)."""
    attempt = ContactAttempt(
        case_id=contact_in.case_id,
        user_id=user_id,
        channel=contact_in.channel,
        party=contact_in_party(contact_in),
        third_party_id=contact_in.third_party_id,
        loan_id=contact_in.loan_id,
        number=contact_in.number,
        attempted_at=contact_in.at,
        outcome=contact_in.outcome,
        connected=contact_in.connected,
        conversation=contact_in.conversation,
        right_party=contact_in.right_party,
        consented=contact_in.consented,
        stop_requested=contact_in.stop_requested,
        purpose=contact_in.purpose,
        collectors=list(contact_in.collectors),
        pack_version=pack_version,
        conditions=conditions,
        note_findings=note_findings,
        flagged=bool(note_findings),
        duration_seconds=contact_in.duration_seconds,
        reason_code=contact_in.reason_code,
        persona=contact_in.persona,
        notes=contact_in.notes,
    )
    db_session.add(attempt)
    db_session.flush()
    return attempt


def contact_in_party(contact_in: ContactIn) -> Party:
    return Party.THIRD_PARTY if contact_in.third_party_id is not None else Party.DEBTOR


def get_by_case(*, db_session: Session, case_id: int) -> list[ContactAttempt]:
    stmt = select(ContactAttempt).where(ContactAttempt.case_id == case_id).order_by(ContactAttempt.attempted_at)
    return list(db_session.scalars(stmt))


def get_flagged(*, db_session: Session, limit: int = 100) -> list[ContactAttempt]:
    """Attempts whose notes the linter flagged, newest first, for compliance review."""
    stmt = (
        select(ContactAttempt)
        .where(ContactAttempt.flagged.is_(True))
        .order_by(ContactAttempt.attempted_at.desc())
        .limit(limit)
    )
    return list(db_session.scalars(stmt))
