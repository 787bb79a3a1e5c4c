"""Records are kept for the pack's retention period: no delete before then, by any route."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from arrears.compliance.retention import purge_expired
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.flows import record_contact
from arrears.contact.models import ContactAttempt
from arrears.contact.schemas import ContactIn
from arrears.errors import Conflict
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def recorded(db_session: Session, case_id: int, when: datetime) -> ContactAttempt:
    contact_in = ContactIn(case_id=case_id, channel=ContactChannel.LETTER, at=when, outcome=Outcome.DELIVERED)
    return record_contact(db_session=db_session, contact_in=contact_in, actor="test").raise_if_blocked()


def test_a_recent_contact_record_cannot_be_deleted(db_session: Session, factories: Factories) -> None:
    attempt = recorded(db_session, factories.case().id, datetime(2026, 3, 3, 10, tzinfo=SHANGHAI))
    db_session.delete(attempt)
    with pytest.raises(Conflict, match="must be kept until 2031-03-03"):
        db_session.flush()
    db_session.rollback()


def test_bulk_deletes_of_contact_records_are_refused(db_session: Session, factories: Factories) -> None:
    recorded(db_session, factories.case().id, datetime(2026, 3, 3, 10, tzinfo=SHANGHAI))
    with pytest.raises(Conflict, match="bulk deletes"):
        db_session.execute(delete(ContactAttempt))


def test_only_records_past_the_retention_period_are_purged(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    old = recorded(db_session, case.id, datetime(2020, 3, 1, 10, tzinfo=SHANGHAI))
    recent = recorded(db_session, case.id, datetime(2022, 3, 1, 10, tzinfo=SHANGHAI))
    purged = purge_expired(db_session=db_session, tenant_id=case.tenant_id, now=datetime(2026, 11, 23, tzinfo=SHANGHAI))
    assert purged == 1
    remaining = db_session.scalars(select(ContactAttempt.id).where(ContactAttempt.case_id == case.id)).all()
    assert remaining == [recent.id]
    assert db_session.scalar(select(func.count()).where(ContactAttempt.id == old.id)) == 0
