"""Two deciders at once: a proposal is decided once, and a loan gets one open plan, on both back ends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ArrearsError, Conflict
from arrears.ledger.models import LoanRestructure
from arrears.org.enums import Role
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.models import Plan
from arrears.settlement.schemas import PlanIn
from tests.factories import Factories
from tests.settlement.conftest import EFFECTIVE, PDF

PLAN = PlanIn(
    kind=PlanKind.INSTALMENTS, effective_on=EFFECTIVE, periods=4, waive_charges=Decimal("105.00"), reason="病"
)


@pytest.fixture
def sessions(fresh_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated database of this test's own: the deciders must really commit."""
    engine = create_db_engine(fresh_database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def at_once(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread, released together; what each returned or raised."""
    start = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work[index]()
        except ArrearsError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_deciders_at_once_decide_a_plan_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as db_session, db_session.begin():
        make = Factories(db_session)
        tenant = make.tenant()
        collector, lead, approver = (
            make.user(tenant, role) for role in (Role.COLLECTOR, Role.TEAM_LEAD, Role.APPROVER)
        )
        product = make.product(tenant, charges={"late_fee_daily_rate": "0.01"}, cost_cap={"kind": "none"})
        loan = make.loan(tenant=tenant, product=product)
        case = make.case(db_session.get_one(Borrower, loan.borrower_id))
        maker = service.Actor(collector.username, collector.id, collector.role)
        document = service.add_evidence(
            db_session=db_session,
            tenant_id=tenant.id,
            case_id=case.id,
            kind=EvidenceKind.INCOME_STATEMENT,
            filename="a.pdf",
            content=PDF,
            data_dir=tmp_path,
            actor=maker,
        )
        service.verify_evidence(
            db_session=db_session,
            tenant_id=tenant.id,
            evidence_id=document.id,
            status=EvidenceStatus.VERIFIED,
            actor=service.Actor(lead.username, lead.id, lead.role),
            note=None,
        )
        plan_id = service.propose(
            db_session=db_session, tenant_id=tenant.id, case_id=case.id, plan_in=PLAN, actor=maker
        ).id
        ids = (tenant.id, case.id, loan.id)

    deciders = {
        lead.id: service.Actor(lead.username, lead.id, Role.TEAM_LEAD),
        approver.id: service.Actor(approver.username, approver.id, Role.APPROVER),
    }

    def decide(user_id: int, approve: bool) -> PlanStatus:
        with sessions() as db_session, db_session.begin():
            call = service.approve if approve else service.reject
            plan = call(db_session=db_session, tenant_id=ids[0], plan_id=plan_id, actor=deciders[user_id], reason="ok")
            return plan.status

    results = at_once(lambda: decide(lead.id, True), lambda: decide(approver.id, False))
    conflicts = [result for result in results if isinstance(result, Conflict)]
    decided = [result for result in results if isinstance(result, PlanStatus)]
    assert len(conflicts) == 1 and len(decided) == 1, results
    assert "not proposed" in conflicts[0].message
    with sessions() as db_session:
        assert db_session.get_one(Plan, plan_id).status is decided[0]
        restructures = db_session.scalar(select(func.count()).select_from(LoanRestructure))
        assert restructures == (1 if decided[0] is PlanStatus.APPROVED else 0)

    # Two collectors proposing on the same loan at once: one plan opens, the other is told why not.
    with sessions() as db_session, db_session.begin():
        if decided[0] is PlanStatus.APPROVED:
            plan = db_session.get_one(Plan, plan_id)
            plan.status = PlanStatus.KEPT  # let the loan take a new proposal
        second = Factories(db_session).user(db_session.get_one(Tenant, ids[0]))
        second_id = second.id

    def propose(user_id: int) -> object:
        with sessions() as db_session, db_session.begin():
            later = PLAN.model_copy(update={"effective_on": EFFECTIVE.replace(day=20), "waive_charges": Decimal(0)})
            return service.propose(
                db_session=db_session,
                tenant_id=ids[0],
                case_id=ids[1],
                plan_in=later,
                actor=service.Actor(f"user{user_id}", user_id, Role.COLLECTOR),
            ).id

    proposals = at_once(lambda: propose(collector.id), lambda: propose(second_id))
    assert sum(isinstance(result, int) for result in proposals) == 1, proposals
    assert sum(isinstance(result, Conflict) for result in proposals) == 1, proposals
