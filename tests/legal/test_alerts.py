"""Deadline alerts: listed within the window, past ones kept until acted on, raised and audited once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.errors import InvalidInput
from arrears.legal.alerts import alerts_due
from arrears.legal.enums import AlertKind, ProceedingKind
from tests.factories import Factories
from tests.legal.helpers import legal_case, open_proceeding, ready_referral, served_payment_order, step


def raised(db_session: Session, tenant_id: int) -> int:
    stmt = select(func.count()).where(AuditRecord.action == "legal.alert_raised", AuditRecord.tenant_id == tenant_id)
    return int(db_session.scalar(stmt) or 0)


def test_an_objection_deadline_is_alerted_inside_the_window_and_audited_once(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    order = served_payment_order(db_session, ready_referral(db_session, subject.case), served_on=date(2026, 3, 6))
    tenant = subject.tenant.id
    assert alerts_due(db_session=db_session, tenant_id=tenant, as_of=date(2026, 3, 15), within_days=7) == []
    first = alerts_due(db_session=db_session, tenant_id=tenant, as_of=date(2026, 3, 16), within_days=7)
    assert [(a.proceeding_id, a.kind, a.due_on, a.days_left, a.newly_raised) for a in first] == [
        (order.id, AlertKind.OBJECTION_DEADLINE, date(2026, 3, 23), 7, True)
    ]
    assert "2026-03-23" in first[0].message_zh
    assert raised(db_session, tenant) == 1
    again = alerts_due(db_session=db_session, tenant_id=tenant, as_of=date(2026, 3, 20), within_days=7)
    assert [(a.days_left, a.newly_raised) for a in again] == [(3, False)]
    assert raised(db_session, tenant) == 1


def test_a_passed_deadline_stays_listed_until_the_order_lapses(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    order = served_payment_order(db_session, ready_referral(db_session, subject.case), served_on=date(2026, 3, 6))
    late = alerts_due(db_session=db_session, tenant_id=subject.tenant.id, as_of=date(2026, 3, 25), within_days=0)
    assert [a.days_left for a in late] == [-2]
    step(db_session, order, "lapse", date(2026, 3, 25))
    assert alerts_due(db_session=db_session, tenant_id=subject.tenant.id, as_of=date(2026, 3, 25)) == []


def test_a_rescheduled_hearing_is_a_new_alert_and_other_tenants_see_none(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    lawsuit = open_proceeding(db_session, referral, ProceedingKind.LAWSUIT)
    step(db_session, lawsuit, "accept", date(2026, 3, 10))
    step(db_session, lawsuit, "schedule_hearing", date(2026, 3, 10), hearing_on=date(2026, 4, 1))
    tenant = subject.tenant.id
    assert [a.kind for a in alerts_due(db_session=db_session, tenant_id=tenant, as_of=date(2026, 3, 30))] == [
        AlertKind.HEARING
    ]
    step(db_session, lawsuit, "schedule_hearing", date(2026, 3, 31), hearing_on=date(2026, 4, 3))
    moved = alerts_due(db_session=db_session, tenant_id=tenant, as_of=date(2026, 3, 31))
    assert [(a.due_on, a.newly_raised) for a in moved] == [(date(2026, 4, 3), True)]
    assert raised(db_session, tenant) == 2
    other = factories.tenant()
    assert alerts_due(db_session=db_session, tenant_id=other.id, as_of=date(2026, 3, 31)) == []


def test_a_window_outside_0_to_366_days_is_refused(db_session: Session, factories: Factories) -> None:
    with pytest.raises(InvalidInput, match="within_days must be 0 to 366"):
        alerts_due(db_session=db_session, tenant_id=factories.tenant().id, as_of=date(2026, 3, 1), within_days=-1)
