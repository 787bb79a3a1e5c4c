"""The end-of-day run judges plans as a stage of its own, before promises and the policy see the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.settlement import service
from arrears.settlement.enums import PlanKind, PlanStatus
from arrears.settlement.schemas import PlanIn
from arrears.strategy.models import Run, RunStep
from arrears.strategy.run import run_day
from arrears.strategy.stages import STAGES
from tests.settlement.conftest import EFFECTIVE, Arrears, Team, verified_evidence


def test_the_run_breaks_a_missed_plan_and_the_stage_is_in_its_report(
    db_session: Session, team: Team, make_arrears: Callable[..., Arrears], tmp_path: Path
) -> None:
    arrears = make_arrears()
    plan = service.propose(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=arrears.case.id,
        plan_in=PlanIn(kind=PlanKind.FREEZE, effective_on=EFFECTIVE, periods=4, reason="失业"),
        actor=team.actor(team.collector),
    )
    verified_evidence(db_session, team, arrears.case, tmp_path)
    service.approve(
        db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="ok"
    )
    db_session.flush()
    factory = sessionmaker(bind=db_session.connection(), join_transaction_mode="create_savepoint")
    run_day(factory=factory, tenant_code=team.tenant.code, as_of=date(2026, 3, 20), actor="test:run", stages=STAGES)

    db_session.expire_all()
    assert db_session.get_one(service.Plan, plan.id).status is PlanStatus.BROKEN
    promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == arrears.case.id)).one()
    assert promise.status is PromiseStatus.BROKEN
    run = db_session.scalars(select(Run).where(Run.tenant_id == team.tenant.id)).one()
    counts = db_session.scalars(select(RunStep.counts).where(RunStep.run_id == run.id, RunStep.stage == "plans")).one()
    assert counts == {"activated": 1, "broken": 1}
