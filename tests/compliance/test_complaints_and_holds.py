"""Holds and the complaint register on the database: a complaint holds the case until it is resolved."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.compliance import complaints
from arrears.compliance.complaints import ComplaintIn
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus, HoldType
from arrears.compliance.holds import HoldIn, lift_hold, place_hold
from arrears.compliance.service import set_tenant_pack
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.flows import record_contact
from arrears.contact.schemas import ContactIn
from arrears.errors import Conflict, InvalidInput
from arrears.org.models import Tenant
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def call(case_id: int, when: str) -> ContactIn:
    return ContactIn(case_id=case_id, channel=ContactChannel.CALL, at=local(when), outcome=Outcome.ANSWERED)


def allowed(db_session: Session, case_id: int, when: str) -> bool:
    return record_contact(db_session=db_session, contact_in=call(case_id, when), actor="test").attempt is not None


def complaint_in(case_id: int, **fields: object) -> ComplaintIn:
    data: dict[str, object] = {
        "case_id": case_id,
        "received_at": local("2026-03-05 10:00"),
        "channel": ComplaintChannel.PHONE,
        "category": ComplaintCategory.HARASSMENT,
        "complainant": "借款人本人",
        "description": "一天内接到多次电话",
    }
    return ComplaintIn.model_validate({**data, **fields})


def test_a_complaint_holds_the_case_until_it_is_resolved(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    assert allowed(db_session, case.id, "2026-03-04 10:00")
    complaint = complaints.register(db_session=db_session, complaint_in=complaint_in(case.id), actor="test")
    assert complaint.status is ComplaintStatus.OPEN
    assert complaint.due_at == local("2026-03-20 10:00")  # 15 days in the China pack
    assert not allowed(db_session, case.id, "2026-03-06 10:00")
    complaints.resolve(
        db_session=db_session,
        complaint_id=complaint.id,
        resolution="核实通话记录，频次符合规定，已向客户解释",
        upheld=False,
        at=local("2026-03-07 09:00"),
        actor="test",
    )
    assert complaint.status is ComplaintStatus.REJECTED
    assert allowed(db_session, case.id, "2026-03-07 10:00")


def test_a_complaint_links_the_contacts_it_is_about_and_its_collector(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    collector = factories.user(db_session.get_one(Tenant, case.tenant_id))
    attempt = record_contact(db_session=db_session, contact_in=call(case.id, "2026-03-04 10:00"), actor="t").attempt
    assert attempt is not None
    complaint = complaints.register(
        db_session=db_session,
        complaint_in=complaint_in(case.id, contact_attempt_ids=[attempt.id], collector_id=collector.id),
        actor="test",
    )
    assert complaints.count_by_collector(db_session=db_session, tenant_id=case.tenant_id) == {collector.id: 1}
    audit = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "complaint.registered")).one()
    assert audit.details["contact_attempt_ids"] == [attempt.id]
    assert complaint.hold_id is not None


def test_contacts_of_another_case_cannot_be_linked(db_session: Session, factories: Factories) -> None:
    case, other = factories.case(), factories.case()
    foreign = record_contact(db_session=db_session, contact_in=call(other.id, "2026-03-04 10:00"), actor="t").attempt
    assert foreign is not None
    with pytest.raises(InvalidInput, match="not contacts of case"):
        complaints.register(
            db_session=db_session, complaint_in=complaint_in(case.id, contact_attempt_ids=[foreign.id]), actor="t"
        )


def test_the_sla_clock_shows_overdue_open_complaints(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    complaint = complaints.register(
        db_session=db_session, complaint_in=complaint_in(case.id, hold_case=False), actor="test"
    )
    later = local("2026-03-25 10:00")
    assert complaints.clock(complaint, now=later).overdue
    assert complaints.clock(complaint, now=local("2026-03-19 10:00")).remaining == timedelta(days=1)
    overdue = complaints.get_all(db_session=db_session, tenant_id=case.tenant_id, overdue_at=later)
    assert [c.id for c in overdue] == [complaint.id]


def test_a_closed_complaint_cannot_be_closed_again(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    complaint = complaints.register(db_session=db_session, complaint_in=complaint_in(case.id), actor="t")
    done = {"resolution": "已道歉并调整催收员", "upheld": True, "at": local("2026-03-06 10:00"), "actor": "t"}
    complaints.resolve(db_session=db_session, complaint_id=complaint.id, **done)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="already resolved"):
        complaints.resolve(db_session=db_session, complaint_id=complaint.id, **done)  # type: ignore[arg-type]


def test_a_tenants_tighter_sla_applies(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    set_tenant_pack(
        db_session=db_session,
        tenant=db_session.get_one(Tenant, case.tenant_id),
        pack_id="cn",
        overrides={"complaint_sla_days": 7},
        actor="t",
    )
    complaint = complaints.register(db_session=db_session, complaint_in=complaint_in(case.id), actor="t")
    assert complaint.due_at == local("2026-03-12 10:00")


def test_a_hold_with_an_end_date_reopens_the_day_after(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    pause = HoldIn(
        type=HoldType.HARDSHIP_PAUSE,
        starts_on=local("2026-03-01 00:00").date(),
        ends_on=local("2026-03-05 00:00").date(),
    )
    place_hold(db_session=db_session, case=case, hold_in=pause, actor="test")
    assert not allowed(db_session, case.id, "2026-03-05 21:00")
    assert allowed(db_session, case.id, "2026-03-06 08:00")


def test_a_lifted_hold_stops_blocking_from_the_moment_it_is_lifted(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    stop = HoldIn(type=HoldType.CEASE_CONTACT, starts_on=local("2026-03-01 00:00").date())
    hold = place_hold(db_session=db_session, case=case, hold_in=stop, actor="test")
    assert not allowed(db_session, case.id, "2026-03-04 10:00")
    lift_hold(db_session=db_session, hold_id=hold.id, at=local("2026-03-04 11:00"), actor="test", reason="客户撤回")
    assert allowed(db_session, case.id, "2026-03-04 11:30")
    with pytest.raises(Conflict, match="already lifted"):
        lift_hold(db_session=db_session, hold_id=hold.id, at=local("2026-03-04 12:00"), actor="t", reason="again")


def test_a_tenant_cannot_loosen_its_pack_and_nothing_changes(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    with pytest.raises(InvalidInput, match="loosen max"):
        set_tenant_pack(
            db_session=db_session,
            tenant=tenant,
            pack_id="cn",
            overrides={"rules": {"daily_connected_calls": {"max": 5}}},
            actor="t",
        )
    assert tenant.compliance_pack == "cn" and tenant.compliance_overrides is None
