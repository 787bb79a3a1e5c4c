"""A team lead reassigns a case (its queue place and actions follow) and changes caps; both audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import CaseAssignment
from arrears.errors import Conflict, InvalidInput
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.strategy.models import CollectionAction, QueueEntry, Run
from arrears.strategy.supervision import reassign, set_cap
from tests.factories import Factories
from tests.strategy.test_run import day, portfolio


def test_a_reassigned_case_takes_its_queue_place_and_actions_along(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    day(db_session, tenant)
    entry = db_session.scalars(select(QueueEntry).order_by(QueueEntry.id)).first()
    assert entry is not None
    newcomer = factories.user(tenant)
    reassign(db_session=db_session, case_id=entry.case_id, user_id=newcomer.id, actor="lead", reason="语言匹配")
    db_session.refresh(entry)
    assert entry.user_id == newcomer.id and entry.rank == 1
    owners = db_session.scalars(
        select(CaseAssignment.user_id).where(CaseAssignment.case_id == entry.case_id, CaseAssignment.ended_at.is_(None))
    ).all()
    assert owners == [newcomer.id]
    actions = db_session.scalars(select(CollectionAction.user_id).where(CollectionAction.case_id == entry.case_id))
    assert set(actions) == {newcomer.id}
    audit = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "case.reassigned")).one()
    assert audit.details["to_user_id"] == newcomer.id


def test_reassigning_needs_a_reason_an_active_collector_and_a_change(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    day(db_session, tenant)
    entry = db_session.scalars(select(QueueEntry)).first()
    assert entry is not None
    with pytest.raises(InvalidInput, match="reason"):
        reassign(db_session=db_session, case_id=entry.case_id, user_id=entry.user_id, actor="lead", reason=" ")
    with pytest.raises(Conflict, match="already"):
        reassign(db_session=db_session, case_id=entry.case_id, user_id=entry.user_id, actor="lead", reason="x")
    lead = factories.user(db_session.get_one(Tenant, tenant.id), role=Role.TEAM_LEAD)
    with pytest.raises(InvalidInput, match="not an active collector"):
        reassign(db_session=db_session, case_id=entry.case_id, user_id=lead.id, actor="lead", reason="x")


def test_a_cap_change_is_audited_and_used_by_the_next_run(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    users = db_session.scalars(select(User).where(User.tenant_id == tenant.id)).all()
    for user in users:
        set_cap(db_session=db_session, user_id=user.id, cap=1, actor="lead")
    changes = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "user.case_cap_changed")).all()
    assert len(changes) == len(users)
    allocated = db_session.get_one(Run, day(db_session, tenant)).report["stages"]["allocate"]
    assert allocated["queued"] == min(allocated["worked_cases"], len(users))
    assert allocated["unallocated"] == allocated["worked_cases"] - allocated["queued"]


def test_a_cap_cannot_be_negative(db_session: Session, factories: Factories) -> None:
    with pytest.raises(InvalidInput, match="negative"):
        set_cap(db_session=db_session, user_id=factories.user().id, cap=-1, actor="lead")
