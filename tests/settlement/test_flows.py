"""Plans on both databases: proposal, maker-checker approval, the new schedule through the engine, kept or broken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.errors import Conflict, InvalidInput
from arrears.ledger.models import LoanRestructure, RestructuredInstallment
from arrears.settlement import service
from arrears.settlement.enums import EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.exceptions import ApprovalRefused
from arrears.settlement.schemas import PlanIn, PlanOut, QuoteIn
from arrears.strategy.enums import Quadrant
from arrears.strategy.facts import load_case_facts
from arrears.strategy.models import CaseSegment
from tests.factories import Factories
from tests.settlement.conftest import EFFECTIVE, Arrears, Team, verified_evidence

D = Decimal
MakeArrears = Callable[..., Arrears]


def instalment_plan(**fields: object) -> PlanIn:
    values: dict[str, object] = {
        "kind": PlanKind.INSTALMENTS,
        "effective_on": EFFECTIVE,
        "periods": 4,
        "waive_charges": "105.00",
        "first_due_on": date(2026, 3, 11),
        "reason": "失业三个月，已找到新工作，收入证明已提交",
    }
    values.update(fields)
    return PlanIn.model_validate(values)


def propose(db_session: Session, team: Team, arrears: Arrears, **fields: object) -> service.Plan:
    return service.propose(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=arrears.case.id,
        plan_in=instalment_plan(**fields),
        actor=team.actor(team.collector),
    )


def actions(db_session: Session, plan_id: int) -> list[str]:
    stmt = select(AuditRecord.action).where(AuditRecord.subject_type == "plan", AuditRecord.subject_id == str(plan_id))
    return list(db_session.scalars(stmt.order_by(AuditRecord.seq)))


def test_a_plan_goes_from_proposal_to_approval_to_a_new_schedule_and_is_kept(
    db_session: Session, team: Team, make_arrears: MakeArrears, factories: Factories, tmp_path: Path
) -> None:
    arrears = make_arrears()
    plan = propose(db_session, team, arrears)
    assert plan.status is PlanStatus.PROPOSED
    assert PlanOut.of(plan).granted is False
    assert plan.snapshot["charges"] == "105.00" and plan.snapshot["total"] == "3155.00"
    assert [row["principal"] for row in plan.schedule] == ["762.50"] * 4

    verified_evidence(db_session, team, arrears.case, tmp_path)
    service.approve(
        db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="证明属实"
    )
    assert plan.status is PlanStatus.APPROVED and PlanOut.of(plan).granted
    assert plan.authority is not None and plan.authority.endswith(":lead-standard")
    assert plan.watch_until == date(2026, 6, 11) + service.timedelta(days=service.WATCH_DAYS)
    restructure = db_session.get_one(LoanRestructure, plan.restructure_id)
    numbers = db_session.scalars(
        select(RestructuredInstallment.number).where(RestructuredInstallment.restructure_id == restructure.id)
    ).all()
    assert sorted(numbers) == [4, 5, 6, 7]  # after the contract's three installments

    # Hand-computed: 3,155.00 owed, 105.00 of late fees waived, interest of periods 2-3 not yet earned.
    after = service.position_of(db_session, arrears.loan, as_of=EFFECTIVE)
    assert (after.payoff_amount, after.days_past_due, after.charges_waived) == (D("3050.00"), 0, D("105.00"))

    assert service.judge_plans(db_session, team.tenant.id, EFFECTIVE)["activated"] == 1
    assert plan.status is PlanStatus.ACTIVE
    for month in (3, 4, 5):
        factories.payment(arrears.loan, "762.50", date(2026, month, 11))
    service.judge_plans(db_session, team.tenant.id, date(2026, 5, 12))
    assert (plan.status, plan.instalments_kept) == (PlanStatus.ACTIVE, 3)
    factories.payment(arrears.loan, "762.50", date(2026, 6, 11))
    assert service.judge_plans(db_session, team.tenant.id, date(2026, 6, 11))["kept"] == 1
    assert (plan.status, plan.resolved_on) == (PlanStatus.KEPT, date(2026, 6, 11))
    assert service.position_of(db_session, arrears.loan, as_of=date(2026, 6, 11)).payoff_amount == 0
    assert actions(db_session, plan.id) == [
        "plan.proposed",
        "plan.approved",
        "plan.activated",
        "plan.progress",
        "plan.progress",
        "plan.kept",
    ]


def test_a_missed_instalment_breaks_the_plan_and_the_strategy_sees_a_broken_promise(
    db_session: Session, team: Team, make_arrears: MakeArrears, tmp_path: Path
) -> None:
    arrears = make_arrears()
    plan = propose(db_session, team, arrears, kind=PlanKind.FREEZE, waive_charges="0")
    verified_evidence(db_session, team, arrears.case, tmp_path)
    service.approve(
        db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.approver), reason="ok"
    )
    # The first instalment falls due 2026-03-11; three days of grace end on 03-14.
    service.judge_plans(db_session, team.tenant.id, date(2026, 3, 14))
    assert plan.status is PlanStatus.ACTIVE
    counts = service.judge_plans(db_session, team.tenant.id, date(2026, 3, 15))
    assert counts["broken"] == 1
    assert (plan.status, plan.broken_instalment, plan.resolved_on) == (PlanStatus.BROKEN, 4, date(2026, 3, 15))
    promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == arrears.case.id)).one()
    assert (promise.status, promise.amount, promise.channel) == (PromiseStatus.BROKEN, D("788.75"), f"plan:{plan.id}")
    assert load_case_facts(db_session=db_session, case_id=arrears.case.id, as_of=date(2026, 3, 15)).broken_promises == 1
    # The freeze ends with the break: charges on the missed instalment run again from 03-16.
    restructure = db_session.get_one(LoanRestructure, plan.restructure_id)
    assert restructure.freeze_ends_on == date(2026, 3, 15)
    later = service.position_of(db_session, arrears.loan, as_of=date(2026, 3, 17))
    assert later.late_fee_outstanding == D("15.77")  # 788.75 x 1% x 2 days = 15.775 -> 15.77
    # Judging the same day again changes nothing.
    assert service.judge_plans(db_session, team.tenant.id, date(2026, 3, 15)) == {}
    assert actions(db_session, plan.id)[-1] == "plan.broken"


def test_the_proposer_can_never_approve_their_own_plan(
    db_session: Session, team: Team, make_arrears: MakeArrears, tmp_path: Path
) -> None:
    arrears = make_arrears()
    plan = service.propose(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=arrears.case.id,
        plan_in=instalment_plan(),
        actor=team.actor(team.lead),
    )
    verified_evidence(db_session, team, arrears.case, tmp_path)
    with pytest.raises(ApprovalRefused, match="proposer can never decide their own plan"):
        service.approve(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="x"
        )
    with pytest.raises(ApprovalRefused):
        service.reject(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="x"
        )
    assert plan.status is PlanStatus.PROPOSED and plan.restructure_id is None


def test_a_team_lead_may_waive_charges_exactly_at_the_limit_and_not_a_cent_more(
    db_session: Session, team: Team, make_arrears: MakeArrears, tmp_path: Path
) -> None:
    # 3 x (10,000 + 500); installment 1 is 20 days late on 2026-02-21: 10,500 x 1% x 20 = 2,100.00 of late fees.
    day = date(2026, 2, 21)
    at_limit, over = make_arrears("10000.00", "500.00"), make_arrears("10000.00", "500.00")
    for arrears, waived in ((at_limit, "2000.00"), (over, "2000.01")):
        verified_evidence(db_session, team, arrears.case, tmp_path)
        plan = propose(db_session, team, arrears, effective_on=day, waive_charges=waived, first_due_on=None)
        assert plan.snapshot["charges"] == "2100.00"
        if arrears is at_limit:
            service.approve(
                db_session=db_session,
                tenant_id=team.tenant.id,
                plan_id=plan.id,
                actor=team.actor(team.lead),
                reason="ok",
            )
            assert plan.status is PlanStatus.APPROVED
            continue
        refusal = r"waiving 2000\.01 of charges exceeds the team_lead limit of 2000\.00"
        with pytest.raises(ApprovalRefused, match=refusal):
            service.approve(
                db_session=db_session,
                tenant_id=team.tenant.id,
                plan_id=plan.id,
                actor=team.actor(team.lead),
                reason="ok",
            )
        assert plan.status is PlanStatus.PROPOSED
        assert actions(db_session, plan.id)[-1] == "plan.approval_refused"
        service.approve(
            db_session=db_session,
            tenant_id=team.tenant.id,
            plan_id=plan.id,
            actor=team.actor(team.approver),
            reason="ok",
        )
        assert plan.status is PlanStatus.APPROVED


def test_a_collector_may_propose_but_never_approve(
    db_session: Session, team: Team, make_arrears: MakeArrears, factories: Factories
) -> None:
    arrears = make_arrears()
    plan = propose(db_session, team, arrears, waive_charges="0")
    other = factories.user(team.tenant)
    with pytest.raises(ApprovalRefused, match="the role collector may not approve plans"):
        service.approve(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(other), reason="ok"
        )


def test_a_concession_needs_verified_hardship_evidence_first(
    db_session: Session, team: Team, make_arrears: MakeArrears
) -> None:
    arrears = make_arrears()
    plan = propose(db_session, team, arrears)
    with pytest.raises(Conflict, match="no verified hardship evidence"):
        service.approve(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="ok"
        )


def test_a_rejected_plan_stays_rejected_and_frees_the_loan_for_another_proposal(
    db_session: Session, team: Team, make_arrears: MakeArrears
) -> None:
    arrears = make_arrears()
    plan = propose(db_session, team, arrears)
    with pytest.raises(Conflict, match="already has plan"):
        propose(db_session, team, arrears)
    with pytest.raises(InvalidInput, match="a reason is needed"):
        service.reject(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason=" "
        )
    service.reject(
        db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="收入不足"
    )
    assert (plan.status, plan.decision_reason, PlanOut.of(plan).granted) == (PlanStatus.REJECTED, "收入不足", False)
    with pytest.raises(Conflict, match="is rejected, not proposed"):
        service.approve(
            db_session=db_session, tenant_id=team.tenant.id, plan_id=plan.id, actor=team.actor(team.lead), reason="ok"
        )
    assert propose(db_session, team, arrears).status is PlanStatus.PROPOSED


def test_evidence_is_verified_by_someone_other_than_its_uploader(
    db_session: Session, team: Team, make_arrears: MakeArrears, tmp_path: Path
) -> None:
    arrears = make_arrears()
    row = service.add_evidence(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=arrears.case.id,
        kind=service.EvidenceKind.MEDICAL_CERTIFICATE,
        filename="住院证明.pdf",
        content=b"%PDF-1.4 hospital",
        data_dir=tmp_path,
        actor=team.actor(team.collector),
    )
    assert (tmp_path / "evidence" / row.sha256).exists()
    with pytest.raises(ApprovalRefused, match="uploaded by you"):
        service.verify_evidence(
            db_session=db_session,
            tenant_id=team.tenant.id,
            evidence_id=row.id,
            status=EvidenceStatus.VERIFIED,
            actor=team.actor(team.collector),
            note=None,
        )
    with pytest.raises(InvalidInput, match="say why"):
        service.verify_evidence(
            db_session=db_session,
            tenant_id=team.tenant.id,
            evidence_id=row.id,
            status=EvidenceStatus.REJECTED,
            actor=team.actor(team.lead),
            note="",
        )
    service.verify_evidence(
        db_session=db_session,
        tenant_id=team.tenant.id,
        evidence_id=row.id,
        status=EvidenceStatus.REJECTED,
        actor=team.actor(team.lead),
        note="日期被涂改",
    )
    assert (row.status, row.verified_by) == (EvidenceStatus.REJECTED, f"user:{team.lead.username}")
    with pytest.raises(Conflict, match="already rejected"):
        service.verify_evidence(
            db_session=db_session,
            tenant_id=team.tenant.id,
            evidence_id=row.id,
            status=EvidenceStatus.VERIFIED,
            actor=team.actor(team.approver),
            note=None,
        )


def test_a_bad_upload_writes_nothing(
    db_session: Session, team: Team, make_arrears: MakeArrears, tmp_path: Path
) -> None:
    arrears = make_arrears()
    with pytest.raises(InvalidInput, match="not a PDF, JPEG or PNG"):
        service.add_evidence(
            db_session=db_session,
            tenant_id=team.tenant.id,
            case_id=arrears.case.id,
            kind=service.EvidenceKind.OTHER,
            filename="payslip.pdf",
            content=b"<html>not a pdf</html>",
            data_dir=tmp_path,
            actor=team.actor(team.collector),
        )
    assert not (tmp_path / "evidence").exists()
    assert db_session.scalars(select(service.Evidence)).all() == []


def test_the_quote_weighs_recovery_by_the_cases_latest_propensity_on_or_before_the_effective_date(
    db_session: Session, team: Team, make_arrears: MakeArrears
) -> None:
    arrears = make_arrears()
    for day, propensity in ((date(2026, 2, 1), "0.35"), (date(2026, 2, 20), "0.90")):
        db_session.add(
            CaseSegment(
                case_id=arrears.case.id,
                as_of=day,
                quadrant=Quadrant.UNABLE_WILLING,
                ability_score=30,
                willingness_score=70,
                cost_of_default=50,
                propensity=D(propensity),
                propensity_source="model:3",
            )
        )
    db_session.flush()
    quote = service.quote_options(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=arrears.case.id,
        quote_in=QuoteIn(effective_on=EFFECTIVE, periods=4),
    )
    assert (quote.propensity, quote.propensity_source) == (D("0.35"), "segment:model:3")
    freeze = next(option for option in quote.options if option.kind is PlanKind.FREEZE)
    # 4 x 788.75: p x 3,155.00 + (1 - p) x 788.75 = 1,104.25 + 512.6875 = 1,616.9375, rounded half up.
    assert freeze.expected_recovery == D("1616.94")
