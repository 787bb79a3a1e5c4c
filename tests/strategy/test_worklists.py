"""The allocate stage, set-based, ends where the plain reading of the rules ends, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.org.models import Team, Tenant, User
from arrears.strategy.allocation import CaseToAllocate, Collector, allocate_by_scan
from arrears.strategy.enums import ActionStatus, Arm, Timing, Treatment
from arrears.strategy.models import CaseStrategy, CollectionAction, QueueEntry
from arrears.strategy.queues import QueueCandidate, rank_queues
from arrears.strategy.worklists import allocate_day
from tests.factories import Factories

AS_OF = date(2026, 3, 10)
TOMORROW = AS_OF + timedelta(days=1)
STATES = ("early", "middle", "late")


def _varied_book(db_session: Session, factories: Factories, seed: int) -> Tenant:
    """Teams of different states and skills, collectors with caps, cases with calls, visits or only SMS, owners."""
    rng = random.Random(seed)
    tenant = factories.tenant()
    teams = [
        Team(tenant_id=tenant.id, name=name, stages=stages)
        for name, stages in (("any", []), ("early", ["early"]), ("later", ["middle", "late"]))
    ]
    db_session.add_all(teams)
    db_session.flush()
    collectors = [
        factories.user(
            tenant,
            team_id=rng.choice([None, *(team.id for team in teams)]),
            skills=rng.choice([[], ["hardship"]]),
            daily_case_cap=rng.choice([None, 2, 4, 9]),
            active=rng.random() > 0.1,
        )
        for _ in range(7)
    ]
    for _ in range(40):
        case = factories.case(factories.borrower(tenant))
        state = rng.choice(STATES)
        facts: dict[str, Any] = {
            "overdue_total": rng.choice(["0.00", "150.50", "1200.00", "1200.00", "98765.43"]),
            "propensity": rng.choice([None, "0.1234", "0.5", "0.9800"]),
            "reason": rng.choice([None, "job_loss", "salary_late", "illness"]),
            "broken_promises": rng.choice([0, 0, 1, 3]),
        }
        db_session.add(
            CaseStrategy(
                case_id=case.id,
                as_of=AS_OF,
                policy_code="consumer-cn",
                policy_version=1,
                arm=Arm.CHAMPION,
                state=state,
                stage=STATES.index(state) + 1,
                state_since=rng.choice([AS_OF, AS_OF - timedelta(days=4)]),
                explanation={"facts": facts},
            )
        )
        treatments = rng.choice(
            [[Treatment.CALL], [Treatment.SMS_REMINDER], [Treatment.SMS_REMINDER, Treatment.CALL], [Treatment.VISIT]]
        )
        for index, treatment in enumerate(treatments):
            db_session.add(
                CollectionAction(
                    key=f"{case.id}:{AS_OF}:{treatment.value}:{index}",
                    case_id=case.id,
                    as_of=AS_OF,
                    treatment=treatment,
                    timing=Timing.FIRST_PASS,
                    plan={},
                    state=state,
                    arm=Arm.CHAMPION,
                    status=ActionStatus.DUE,
                    not_before=rng.choice(
                        [None, datetime(2026, 3, 11, 1, 0, tzinfo=UTC), datetime(2026, 3, 11, 7, 30, tzinfo=UTC)]
                    ),
                )
            )
        owner = rng.choice([None, None, *collectors])
        if owner is not None:
            db_session.add(CaseAssignment(case_id=case.id, user_id=owner.id, team_id=owner.team_id, reason="earlier"))
        if rng.random() < 0.2:
            db_session.add(PromiseToPay(case_id=case.id, amount=Decimal("100.00"), due_on=TOMORROW))
    db_session.flush()
    return tenant


def _plain_reading(db_session: Session, tenant: Tenant) -> tuple[dict[int, int], dict[int, tuple[int, int, Decimal]]]:
    """Owners and queue places the way the rules read: ORM rows, every collector scanned, every case on its own."""
    strategies = {
        strategy.case_id: strategy
        for strategy in db_session.scalars(select(CaseStrategy).join(Case).where(Case.tenant_id == tenant.id))
        if any(
            action.treatment in (Treatment.CALL, Treatment.VISIT)
            for action in db_session.scalars(
                select(CollectionAction).where(
                    CollectionAction.case_id == strategy.case_id, CollectionAction.as_of == AS_OF
                )
            )
        )
    }
    owners = {
        assignment.case_id: assignment.user_id
        for assignment in db_session.scalars(select(CaseAssignment).where(CaseAssignment.ended_at.is_(None)))
        if assignment.user_id is not None
    }
    collectors = [
        Collector(
            user_id=user.id,
            team_id=user.team_id,
            stages=frozenset(db_session.get_one(Team, user.team_id).stages) if user.team_id else frozenset(),
            languages=frozenset(user.languages),
            skills=frozenset(user.skills),
            cap=user.daily_case_cap,
        )
        for user in db_session.scalars(select(User).where(User.tenant_id == tenant.id, User.active.is_(True)))
    ]

    def facts(case_id: int) -> dict[str, Any]:
        return dict(strategies[case_id].explanation["facts"])

    cases = [
        CaseToAllocate(
            case_id=case_id,
            state=strategy.state,
            difficulty=round(
                float(Decimal(facts(case_id)["overdue_total"]))
                * (1 - float(Decimal(facts(case_id)["propensity"] or "0.5")))
                / 1000,
                6,
            ),
            current_user_id=owners.get(case_id),
            skill="hardship" if facts(case_id)["reason"] in {"illness", "job_loss", "accident"} else None,
        )
        for case_id, strategy in strategies.items()
    ]
    assigned = allocate_by_scan(cases, collectors).assigned
    candidates = []
    for case_id, user_id in assigned.items():
        moments = [
            action.not_before
            for action in db_session.scalars(
                select(CollectionAction).where(CollectionAction.case_id == case_id, CollectionAction.as_of == AS_OF)
            )
            if action.not_before is not None
        ]
        promised = db_session.scalars(
            select(PromiseToPay).where(
                PromiseToPay.case_id == case_id,
                PromiseToPay.due_on == TOMORROW,
                PromiseToPay.status == PromiseStatus.OPEN,
            )
        ).first()
        candidates.append(
            QueueCandidate(
                case_id=case_id,
                user_id=user_id,
                overdue_total=Decimal(facts(case_id)["overdue_total"]),
                propensity=Decimal(facts(case_id)["propensity"] or "0.5"),
                entered_state_today=strategies[case_id].state_since == AS_OF,
                broken_promise=int(facts(case_id)["broken_promises"]) > 0,
                promise_due_today=promised is not None,
                not_before=min(moments, default=None),
            )
        )
    opens_at = datetime.combine(TOMORROW, datetime.min.time().replace(hour=9), tzinfo=ZoneInfo(tenant.timezone))
    queues = {
        ranked.candidate.case_id: (user_id, ranked.rank, ranked.expected_value)
        for user_id, queue in rank_queues(candidates, opens_at=opens_at).items()
        for ranked in queue
    }
    return assigned, queues


def _stored(db_session: Session) -> tuple[dict[int, int], dict[int, tuple[int, int, Decimal]], dict[int, int | None]]:
    owners = {
        assignment.case_id: assignment.user_id
        for assignment in db_session.scalars(select(CaseAssignment).where(CaseAssignment.ended_at.is_(None)))
        if assignment.user_id is not None
    }
    queues = {
        entry.case_id: (entry.user_id, entry.rank, entry.expected_value)
        for entry in db_session.scalars(select(QueueEntry).where(QueueEntry.as_of == TOMORROW))
    }
    stamped = {
        action.case_id: action.user_id
        for action in db_session.scalars(select(CollectionAction).where(CollectionAction.as_of == AS_OF))
    }
    return owners, queues, stamped


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_allocate_stage_gives_the_owners_and_queues_the_plain_reading_gives(
    db_session: Session, factories: Factories, seed: int
) -> None:
    """Bulk reads, heaps, a staging table and COPY change how the day is allocated, never the result."""
    tenant = _varied_book(db_session, factories, seed)
    assigned, queues = _plain_reading(db_session, tenant)
    held_before = {
        assignment.case_id: assignment.user_id
        for assignment in db_session.scalars(select(CaseAssignment).where(CaseAssignment.ended_at.is_(None)))
    }

    outcome = allocate_day(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, actor="test")
    db_session.expire_all()
    owners, stored_queues, stamped = _stored(db_session)

    assert stored_queues == queues
    moved = {case_id: user_id for case_id, user_id in assigned.items() if held_before.get(case_id) != user_id}
    assert {case_id: owners[case_id] for case_id in assigned} == assigned
    assert outcome.reassigned == len(moved) and outcome.queued == len(queues)
    worked = {case_id for case_id, user_id in stamped.items() if user_id is not None}
    assert worked == set(assigned) and all(stamped[case_id] == assigned[case_id] for case_id in worked)
    audited = Counter(
        record.subject_id
        for record in db_session.scalars(select(AuditRecord).where(AuditRecord.action == "case.assigned"))
    )
    assert audited == Counter(str(case_id) for case_id in moved)
    assert len(moved) > 0 and outcome.kept > 0 and len({user_id for user_id, _, _ in queues.values()}) > 1


def test_allocating_the_same_day_again_keeps_every_owner_and_writes_the_same_queues(
    db_session: Session, factories: Factories
) -> None:
    tenant = _varied_book(db_session, factories, 5)
    allocate_day(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, actor="test")
    once = _stored(db_session)
    assignments = len(db_session.scalars(select(CaseAssignment)).all())

    again = allocate_day(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, actor="test")
    db_session.expire_all()

    assert _stored(db_session) == once
    assert again.reassigned == 0
    assert len(db_session.scalars(select(CaseAssignment)).all()) == assignments
