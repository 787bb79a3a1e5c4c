"""The sample policy on the demo portfolio: each stage of DOMAIN.md gets its own treatment, heavier as it goes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.portfolio.synthetic import generate
from arrears.strategy.enums import PhoneTarget, Treatment
from arrears.strategy.models import CaseStrategy, CollectionAction
from arrears.strategy.policy import bundled_policy
from arrears.strategy.run import run_day
from arrears.strategy.stages import STAGES
from tests.strategy.test_run import factory_on

AS_OF = date(2026, 11, 23)


def test_the_demo_portfolio_is_worked_stage_by_stage_as_domain_md_describes(db_session: Session) -> None:
    generate(db_session=db_session, borrowers=600, seed=11, as_of=AS_OF, tenant_code="demo-run")
    db_session.flush()
    run_day(factory=factory_on(db_session), tenant_code="demo-run", as_of=AS_OF, actor="test", stages=STAGES)
    treatments: dict[str, set[Treatment]] = defaultdict(set)
    contacts_in: dict[str, bool] = defaultdict(bool)
    for action in db_session.scalars(select(CollectionAction).where(CollectionAction.as_of == AS_OF)):
        treatments[action.state].add(action.treatment)
        contacts_in[action.state] |= PhoneTarget.CONTACTS.value in action.plan.get("phone_order", [])
    states = {row.state for row in db_session.scalars(select(CaseStrategy))}
    assert {"early", "late", "central"} <= states, states
    # 1-5 DPD: a friendly reminder and a call, never the contacts.
    assert treatments["early"] >= {Treatment.SMS_REMINDER, Treatment.CALL}
    assert not contacts_in["early"]
    # 11-30: calls and a formal letter; 31+: the central team adds visits.
    assert Treatment.LETTER in treatments["late"]
    assert Treatment.VISIT in treatments["central"]
    # Each stage carries at least the weight of the one before it.
    policy = bundled_policy("consumer-cn")
    stage_of = {state.name: state.stage for state in policy.states}
    worked = sorted((stage_of[name], name) for name in treatments if treatments[name])
    heaviest = [max(state.weight for state in policy.states if state.name == name) for _, name in worked]
    assert heaviest == sorted(heaviest)
