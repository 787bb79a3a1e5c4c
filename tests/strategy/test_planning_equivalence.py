"""The policy stage writes exactly what a plain case-by-case reading of the rules writes.

The stage reads facts in bulk, evaluates each distinct outcome of the policy's
conditions once and asks the guard once per distinct question. The reference
below does none of that: per case it loads the facts, evaluates the policy,
reads the debtor and their whole contact history, asks the guard for every
action and stores ORM rows. Over a varied book (every state, escalations,
open and broken promises, holds, a channel opt-out, contacts that block or
delay calls, quiet hours in five time zones, both arms) and over two days,
the two must leave the same rows, to the text of the stored JSON.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.compliance import service as compliance
from arrears.compliance.enums import HoldType
from arrears.compliance.facts import PlannedContact
from arrears.compliance.guard import decide
from arrears.compliance.holds import HoldIn, place_hold
from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.contact.flows import record_contact
from arrears.contact.models import PromiseToPay
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.errors import Conflict, NotFound
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower
from arrears.strategy import run as run_module
from arrears.strategy.enums import ActionStatus, Arm
from arrears.strategy.evaluate import evaluate
from arrears.strategy.facts import load_case_facts
from arrears.strategy.models import CaseStateHistory, CaseStrategy, CollectionAction, Run
from arrears.strategy.planning import GUARDED, PLANNED_AT, planning_pack, policies_for, stage_policy
from arrears.strategy.run import RunContext, run_day
from arrears.strategy.stages import STAGES
from tests.factories import Factories

AS_OF = date(2026, 2, 20)
ZONES = ("Asia/Shanghai", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Pacific/Auckland")
# 2 to 165 days past due on AS_OF: every state of the sample policy, from early to legal review and agency.
DISBURSED = [date(2026, 1, 15) - timedelta(days=days) for days in (-3, 0, 2, 5, 9, 14, 24, 40, 60, 75, 100, 130, 160)]


def factory_on(db_session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=db_session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


def contact(case: Case, at: datetime, outcome: Outcome, **fields: Any) -> ContactIn:
    return ContactIn.model_validate(
        {"case_id": case.id, "channel": ContactChannel.CALL, "at": at, "outcome": outcome, **fields}
    )


def book(db_session: Session, factories: Factories, pack: str) -> Tenant:
    """Two loans per disbursement date (one with a larger principal), borrowers spread over five time zones."""
    tenant = factories.tenant()
    tenant.compliance_pack = pack
    if pack == "cn":  # a tighter morning: the 09:00 first pass waits until 09:30, the same day
        tenant.compliance_overrides = {"rules": {"quiet_hours": {"allowed_from": "09:30"}}}
    product = factories.product(tenant)
    number = 0
    for disbursed in DISBURSED:
        for principal in (Decimal("300.00"), Decimal("2500.00")):
            loan = factories.loan(
                tenant=tenant, product=product, disbursed_on=disbursed, installment_principal=principal
            )
            db_session.get_one(Borrower, loan.borrower_id).timezone = ZONES[number % len(ZONES)]
            number += 1
    for _ in range(2):
        factories.user(tenant)
    db_session.flush()
    return tenant


def open_cases(db_session: Session, tenant: Tenant) -> list[Case]:
    stmt = select(Case).where(Case.tenant_id == tenant.id, Case.status == CaseStatus.OPEN).order_by(Case.id)
    return list(db_session.scalars(stmt))


def local(case: Case, db_session: Session, day: date, hour: int) -> datetime:
    zone = ZoneInfo(db_session.get_one(Borrower, case.borrower_id).timezone)
    return datetime.combine(day, time(hour), tzinfo=zone)


def happenings(db_session: Session, cases: list[Case], as_of: date) -> None:
    """Holds, promises and contacts on a dozen cases, so that every path of the stage has work."""
    at = lambda case, days_before, hour: local(case, db_session, as_of - timedelta(days=days_before), hour)  # noqa: E731

    def hold(case: Case, **fields: Any) -> None:
        place_hold(db_session=db_session, case=case, hold_in=HoldIn(**fields), actor="t")

    def call(case: Case, when: datetime, outcome: Outcome, **fields: Any) -> None:
        record_contact(db_session=db_session, contact_in=contact(case, when, outcome, **fields), actor="t")

    hold(cases[0], type=HoldType.DISPUTE, starts_on=as_of - timedelta(days=3))
    hold(cases[1], type=HoldType.CHANNEL_OPT_OUT, starts_on=as_of - timedelta(days=1), channel=ContactChannel.SMS)
    hold(cases[2], type=HoldType.HARDSHIP_PAUSE, starts_on=as_of - timedelta(days=2), ends_on=as_of + timedelta(days=3))
    hold(cases[3], type=HoldType.CEASE_CONTACT, starts_on=as_of - timedelta(days=9), ends_on=as_of - timedelta(days=4))
    # Placed today from tomorrow: the case is worked today, and the guard blocks tomorrow's contacts. Its zone
    # mate cases[3] (same partition, no contacts, a different hold) is asked first: they must not share an answer.
    hold(cases[13], type=HoldType.CEASE_CONTACT, starts_on=as_of + timedelta(days=1))
    # Six calls nobody answered: failed attempts escalate the state.
    for days_before in range(6):
        call(cases[4], at(cases[4], days_before + 1, 11), Outcome.NO_ANSWER)
    # A conversation yesterday: where a pack makes calls wait after one, tomorrow's calls are blocked or delayed.
    call(cases[5], at(cases[5], 1, 10), Outcome.ANSWERED, conversation=True)
    call(cases[6], at(cases[6], 2, 16), Outcome.REFUSED, conversation=True)
    # An open promise due tomorrow, one due today, and one broken last week.
    tomorrow = PromiseIn(amount=Decimal("100.00"), due_on=as_of + timedelta(days=1))
    call(cases[7], at(cases[7], 1, 15), Outcome.PROMISE, conversation=True, promise=tomorrow)
    today = PromiseIn(amount=Decimal("80.00"), due_on=as_of)
    call(cases[8], at(cases[8], 2, 15), Outcome.PROMISE, conversation=True, promise=today)
    late = PromiseIn(amount=Decimal("60.00"), due_on=as_of - timedelta(days=6))
    call(cases[9], at(cases[9], 7, 15), Outcome.PROMISE, conversation=True, promise=late)
    for promise in db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == cases[9].id)):
        promise.status, promise.resolved_on = PromiseStatus.BROKEN, as_of - timedelta(days=5)
    # Two unanswered calls after an answered one, on a case a broken promise also escalates.
    call(cases[10], at(cases[10], 4, 10), Outcome.ANSWERED)
    call(cases[10], at(cases[10], 3, 10), Outcome.NO_ANSWER)
    call(cases[10], at(cases[10], 2, 10), Outcome.BUSY)
    db_session.flush()


# The reference: one case at a time, nothing shared between cases.


def reference_stage(db_session: Session, context: RunContext, cases: range) -> dict[str, Any]:
    policies = policies_for(db_session=db_session, tenant_id=context.tenant_id)
    tenant = db_session.get_one(Tenant, context.tenant_id)
    pack = planning_pack(compliance.pack_for_tenant(tenant))
    as_of, work_day = context.as_of, context.as_of + timedelta(days=1)
    until = datetime.combine(work_day, time(0), tzinfo=UTC)
    previous = {
        row.case_id: (row.policy_code, row.state, row.state_since)
        for row in db_session.scalars(
            select(CaseStrategy).where(CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop)
        )
    }
    for row in db_session.scalars(
        select(CaseStrategy).where(CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop)
    ):
        db_session.delete(row)
    for row in db_session.scalars(
        select(CollectionAction).where(
            CollectionAction.as_of == as_of,
            CollectionAction.case_id >= cases.start,
            CollectionAction.case_id < cases.stop,
        )
    ):
        db_session.delete(row)
    db_session.flush()
    counts = {"actions": 0, "blocked": 0, "cases": 0, "challenger": 0, "changed_state": 0, "no_policy": 0}
    ids = db_session.scalars(
        select(Case.id)
        .where(Case.tenant_id == context.tenant_id, Case.status == CaseStatus.OPEN)
        .where(Case.id >= cases.start, Case.id < cases.stop)
        .order_by(Case.id)
    )
    for case_id in list(ids):
        facts = load_case_facts(db_session=db_session, case_id=case_id, as_of=as_of)
        try:
            policy, arm = policies.for_case(facts)
        except (NotFound, Conflict):
            counts["no_policy"] += 1
            continue
        before = previous.get(case_id)
        prior = before[1] if before is not None and before[0] == policy.code else None
        decision = evaluate(policy, facts, previous_state=prior)
        counts["cases"] += 1
        counts["challenger"] += arm is Arm.CHALLENGER
        counts["changed_state"] += decision.changed
        same = before is not None and before[1] == decision.name and before[0] == decision.policy_code
        db_session.add(
            CaseStrategy(
                case_id=case_id,
                as_of=as_of,
                policy_code=decision.policy_code,
                policy_version=decision.policy_version,
                arm=arm,
                state=decision.name,
                stage=decision.stage,
                state_since=before[2] if same and before is not None else as_of,
                explanation={
                    **decision.as_json(),
                    "arm": arm.value,
                    "facts": {
                        "days_past_due": facts.days_past_due,
                        "bucket": facts.bucket,
                        "overdue_total": str(facts.overdue_total),
                        "balance": str(facts.balance),
                        "propensity": str(facts.propensity) if facts.propensity is not None else None,
                        "quadrant": facts.quadrant.value if facts.quadrant else None,
                        "persona": facts.persona,
                        "reason": facts.reason,
                        "holds": sorted(h.value for h in facts.active_holds),
                        "promise_open": facts.promise_open,
                        "broken_promises": facts.broken_promises,
                        "failed_attempts": facts.failed_attempts,
                    },
                },
            )
        )
        if not same:
            for stay in db_session.scalars(
                select(CaseStateHistory).where(CaseStateHistory.case_id == case_id, CaseStateHistory.left_on.is_(None))
            ):
                stay.left_on = as_of
            db_session.add(
                CaseStateHistory(
                    case_id=case_id, policy_code=policy.code, arm=arm, state=decision.name, entered_on=as_of
                )
            )
        case = db_session.get_one(Case, case_id)
        debtor = compliance.debtor_facts(db_session=db_session, case=case)
        history = compliance.case_history(db_session=db_session, case=case)
        history.events = [event for event in history.events if event.at < until]
        history = type(history).of(history.events)
        for index, plan in enumerate(decision.treatments):
            done_lately = plan.every_days > 1 and db_session.scalar(
                select(CollectionAction.id).where(
                    CollectionAction.case_id == case_id,
                    CollectionAction.treatment == plan.treatment,
                    CollectionAction.as_of > as_of - timedelta(days=plan.every_days),
                    CollectionAction.as_of < as_of,
                    CollectionAction.status != ActionStatus.CANCELLED,
                )
            )
            if done_lately:
                continue
            status, not_before, rules = ActionStatus.DUE, None, []
            channel = GUARDED.get(plan.treatment)
            if channel is not None:
                planned_at = datetime.combine(work_day, PLANNED_AT[plan.timing], tzinfo=debtor.home_zone)
                attempt = PlannedContact(
                    at=planned_at, channel=channel, party=Party.DEBTOR, party_id=f"borrower:{case.borrower_id}"
                )
                answer = decide(pack, debtor, attempt, history)
                if answer.allowed:
                    not_before = planned_at
                else:
                    rules, not_before = answer.rule_ids, answer.next_allowed_at
                    same_day = not_before is not None and not_before.date() == work_day
                    status = ActionStatus.DUE if same_day else ActionStatus.BLOCKED
                    counts["blocked"] += status is ActionStatus.BLOCKED
            db_session.add(
                CollectionAction(
                    key=f"{case_id}:{as_of.isoformat()}:{plan.treatment.value}:{index}",
                    case_id=case_id,
                    as_of=as_of,
                    treatment=plan.treatment,
                    timing=plan.timing,
                    plan={**plan.model_dump(mode="json"), "third_parties": decision.third_parties.value},
                    state=decision.name,
                    arm=arm,
                    status=status,
                    not_before=not_before,
                    blocked_rules=rules,
                )
            )
            counts["actions"] += 1
    db_session.flush()
    return counts


# What the two paths leave behind.


def rows(db_session: Session, as_of: date) -> dict[str, Any]:
    db_session.expire_all()
    strategies = {
        row.case_id: (
            row.as_of,
            row.policy_code,
            row.policy_version,
            row.arm,
            row.state,
            row.stage,
            row.state_since,
            row.explanation,
        )
        for row in db_session.scalars(select(CaseStrategy))
    }
    stored_json = {
        row[0]: row[1]
        for row in db_session.execute(text("SELECT case_id, CAST(explanation AS TEXT) FROM case_strategies"))
    }
    history = Counter(
        (row.case_id, row.policy_code, row.arm, row.state, row.entered_on, row.left_on)
        for row in db_session.scalars(select(CaseStateHistory))
    )
    actions = {
        row.key: (
            row.case_id,
            row.as_of,
            row.treatment,
            row.timing,
            row.plan,
            row.state,
            row.arm,
            row.status,
            row.not_before,
            row.blocked_rules,
            row.user_id,
        )
        for row in db_session.scalars(select(CollectionAction).where(CollectionAction.as_of == as_of))
    }
    plans = {
        row[0]: row[1]
        for row in db_session.execute(
            text(
                "SELECT key, CAST(plan AS TEXT) || CAST(blocked_rules AS TEXT) FROM collection_actions WHERE as_of = :d"
            ),
            {"d": as_of},
        )
    }
    return {"strategies": strategies, "json": stored_json, "history": history, "actions": actions, "plan_json": plans}


UP_TO_SEGMENT = STAGES[: [stage.name for stage in STAGES].index("segment") + 1]


def both_paths(db_session: Session, tenant: Tenant, as_of: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The day's rows after the reference, then after the stage from the same start; the stage's are kept."""
    run_day(factory=factory_on(db_session), tenant_code=tenant.code, as_of=as_of, actor="t", stages=UP_TO_SEGMENT)
    run = db_session.scalars(select(Run).where(Run.tenant_id == tenant.id, Run.as_of == as_of)).one()
    context = RunContext(run.id, tenant.id, tenant.code, as_of, "t")
    partitions = [range(start, stop) for start, stop in run.report["partitions"]]
    start = db_session.begin_nested()
    expected = {"counts": [reference_stage(db_session, context, ids) for ids in partitions], **rows(db_session, as_of)}
    start.rollback()
    got = {"counts": [stage_policy(db_session, context, ids) for ids in partitions]}
    db_session.flush()
    return {**got, **rows(db_session, as_of)}, expected


@pytest.mark.parametrize("pack", ["cn", "us"])
def test_the_stage_writes_what_the_case_by_case_reference_writes(
    db_session: Session, factories: Factories, small_partitions: None, pack: str
) -> None:
    tenant = book(db_session, factories, pack)
    run_day(factory=factory_on(db_session), tenant_code=tenant.code, as_of=AS_OF, actor="t", stages=UP_TO_SEGMENT[:3])
    happenings(db_session, open_cases(db_session, tenant), AS_OF)
    states: set[str] = set()
    actions: list[tuple[Any, ...]] = []
    for day in (AS_OF, AS_OF + timedelta(days=1), AS_OF + timedelta(days=8)):
        got, expected = both_paths(db_session, tenant, day)
        assert got == expected
        assert sum(part["cases"] for part in got["counts"]) == len(open_cases(db_session, tenant))
        states |= {row[4] for row in got["strategies"].values()}
        actions += got["actions"].values()
    assert {"holds", "promise_pending", "early", "middle", "late", "central", "agency", "legal_review"} <= states
    assert any(row[7] is ActionStatus.BLOCKED for row in actions)
    assert any(row[7] is ActionStatus.DUE and row[9] for row in actions) == (pack == "cn")  # allowed later that day


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several partitions over a small book, as a large book has."""
    monkeypatch.setattr(run_module, "PARTITION_SIZE", 16)
