"""Policies on the database and ``explain`` on real cases, on every back end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.errors import Conflict, NotFound
from arrears.ledger.models import Loan, LoanPosition
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower
from arrears.strategy import service
from arrears.strategy.enums import Arm
from arrears.strategy.experiment import assign_arm
from arrears.strategy.models import StrategyPolicy
from arrears.strategy.policy import Policy, bundled_policy
from tests.factories import Factories

AS_OF = date(2026, 3, 10)
ZERO = Decimal("0.00")


def case_at(factories: Factories, *, dpd: int, balance: str = "3150.00", tenant: Tenant | None = None) -> Case:
    """A case whose only loan stood ``dpd`` days past due at the last pass."""
    loan: Loan = factories.loan(tenant=tenant)
    factories.db_session.add(
        LoanPosition(
            loan_id=loan.id,
            as_of=AS_OF,
            days_past_due=dpd,
            bucket="M1" if dpd else None,
            oldest_unpaid_due_date=date(2026, 2, 1) if dpd else None,
            overdue_principal=Decimal("1000.00") if dpd else ZERO,
            overdue_interest=Decimal("50.00") if dpd else ZERO,
            overdue_charges=ZERO,
            charges_accrued=ZERO,
            cap_cut=ZERO,
            principal_outstanding=Decimal(balance),
            payoff_amount=Decimal(balance),
            paid_total=ZERO,
        )
    )
    return factories.case(factories.db_session.get(Borrower, loan.borrower_id))


def test_storing_the_same_policy_twice_keeps_one_version(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    challenger = bundled_policy("consumer-cn-firm")
    champion = bundled_policy("consumer-cn")
    service.store_policy(db_session=db_session, tenant_id=tenant.id, policy=challenger, actor="test")
    first = service.store_policy(db_session=db_session, tenant_id=tenant.id, policy=champion, actor="test")
    again = service.store_policy(db_session=db_session, tenant_id=tenant.id, policy=champion, actor="test")
    assert first.id == again.id
    assert first.checksum == champion.checksum()
    assert service.count_versions(db_session=db_session, tenant_id=tenant.id, code="consumer-cn") == 1
    audits = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "strategy.policy_loaded")).all()
    assert sum(1 for entry in audits if entry.tenant_id == tenant.id) == 2
    assert service.policy_of(first) == champion


def test_a_changed_policy_needs_a_higher_version_and_replaces_the_active_one(
    db_session: Session, factories: Factories
) -> None:
    tenant = factories.tenant()
    base = bundled_policy("consumer-cn-firm")
    first = service.store_policy(db_session=db_session, tenant_id=tenant.id, policy=base, actor="test")
    changed_doc = base.document()
    changed_doc["states"][-1]["owner"] = "early_team"
    with pytest.raises(Conflict) as caught:
        service.store_policy(
            db_session=db_session, tenant_id=tenant.id, policy=Policy.model_validate(changed_doc), actor="test"
        )
    assert caught.value.hint == "set version: 2 in the file to load the change"
    second = service.store_policy(
        db_session=db_session,
        tenant_id=tenant.id,
        policy=Policy.model_validate({**changed_doc, "version": 2}),
        actor="test",
    )
    assert (first.active, second.active, second.version) == (False, True, 2)
    active = service.get_active(db_session=db_session, tenant_id=tenant.id, code=base.code)
    assert active is not None and active.id == second.id


def test_a_champion_cannot_be_loaded_before_its_challenger(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    with pytest.raises(Conflict, match="names challenger consumer-cn-firm, which this tenant has not loaded"):
        service.store_policy(
            db_session=db_session, tenant_id=tenant.id, policy=bundled_policy("consumer-cn"), actor="test"
        )
    assert db_session.scalars(select(StrategyPolicy).where(StrategyPolicy.tenant_id == tenant.id)).all() == []


@pytest.mark.parametrize(("dpd", "expected"), [(3, "early"), (8, "middle"), (20, "late"), (45, "central")])
def test_explain_a_real_case_with_the_bundled_sample(
    db_session: Session, factories: Factories, dpd: int, expected: str
) -> None:
    case = case_at(factories, dpd=dpd)
    result = service.explain_case(db_session=db_session, case_id=case.id, as_of=AS_OF)
    assert result.champion.source == "bundled"
    assert any("bundled sample" in note for note in result.notes)
    assert result.arm is assign_arm(case.id, "consumer-cn:consumer-cn-firm", Decimal("0.2"))
    governing = "consumer-cn-firm" if result.arm is Arm.CHALLENGER else "consumer-cn"
    assert result.decision.policy_code == governing
    assert result.decision.name == expected
    assert result.facts.days_past_due == dpd
    assert result.as_json()["decision"]["state"] == expected


def test_explain_uses_the_tenants_own_policy_and_its_holds(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    own = Policy.model_validate({**bundled_policy("consumer-cn-firm").document(), "code": "acme-cash"})
    service.store_policy(db_session=db_session, tenant_id=tenant.id, policy=own, actor="test")
    case = case_at(factories, dpd=120, balance="8000.00", tenant=tenant)
    result = service.explain_case(db_session=db_session, case_id=case.id, as_of=AS_OF, tenant_code=tenant.code)
    assert (result.champion.source, result.arm, result.experiment) == ("tenant", Arm.CHAMPION, None)
    assert result.decision.policy_code == "acme-cash"
    assert result.decision.name == "legal_review"
    db_session.add(Hold(case_id=case.id, type=HoldType.DISPUTE, starts_on=date(2026, 3, 1)))
    db_session.flush()
    held = service.explain_case(db_session=db_session, case_id=case.id, as_of=AS_OF)
    assert held.decision.name == "holds"
    assert held.decision.treatments == ()


def test_explain_refuses_an_unknown_case_or_another_tenants_case(db_session: Session, factories: Factories) -> None:
    case = case_at(factories, dpd=3)
    with pytest.raises(NotFound):
        service.explain_case(db_session=db_session, case_id=case.id + 10_000, as_of=AS_OF)
    with pytest.raises(NotFound, match="for tenant"):
        service.explain_case(db_session=db_session, case_id=case.id, as_of=AS_OF, tenant_code="someone-else")
