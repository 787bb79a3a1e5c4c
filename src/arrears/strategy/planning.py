"""The policy stage of the run: each case's state under its policy arm, and the actions that state asks for.

For every open case of a partition: pick the tenant's policy that covers the
case's products, put the case in its champion or challenger arm (stable hash),
evaluate, record the state (with its history) and create the day's actions,
each checked against the compliance guard at the time it is planned for the
next working day. Actions respect each treatment's cadence (``every_days``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from arrears.compliance import service as compliance
from arrears.compliance.facts import PlannedContact
from arrears.compliance.guard import decide
from arrears.compliance.pack import RulePack
from arrears.compliance.rules import VisitTeam
from arrears.contact.enums import ContactChannel, Party
from arrears.errors import ConfigurationError, Conflict, NotFound
from arrears.org import service as tenants
from arrears.strategy.enums import ActionStatus, Arm, Timing, Treatment
from arrears.strategy.evaluate import PolicyDecision, evaluate
from arrears.strategy.experiment import assign_arm, experiment_name
from arrears.strategy.facts import CaseFacts, read_facts
from arrears.strategy.models import CaseStateHistory, CaseStrategy, CollectionAction
from arrears.strategy.policy import SAMPLE_POLICY, Policy, bundled_policy
from arrears.strategy.run import RunContext
from arrears.strategy.service import get_all_active, pick_champion, policy_of

PLANNED_AT: dict[Timing, time] = {
    Timing.FIRST_PASS: time(9, 0),
    Timing.SECOND_PASS: time(14, 30),
    Timing.PROMISE_RECHECK: time(15, 30),
    Timing.ANY_TIME: time(9, 0),
}
"""When each part of the daily rhythm is planned (local time of the debtor)."""

GUARDED: dict[Treatment, ContactChannel] = {
    Treatment.SMS_REMINDER: ContactChannel.SMS,
    Treatment.EMAIL_REMINDER: ContactChannel.EMAIL,
    Treatment.CALL: ContactChannel.CALL,
    Treatment.VISIT: ContactChannel.VISIT,
    Treatment.LETTER: ContactChannel.LETTER,
}
"""Treatments that contact the debtor, and the channel the guard judges them on."""


@dataclass
class PolicySet:
    """The tenant's active policies (or the bundled sample and its challenger), chosen per case as explain does."""

    active: tuple[Policy, ...]
    by_code: dict[str, Policy]
    _champions: dict[frozenset[str], Policy] = field(default_factory=dict)

    def for_case(self, facts: CaseFacts) -> tuple[Policy, Arm]:
        """The policy that works the case and its arm; raises when no policy (or more than one) covers it."""
        champion = self._champions.get(facts.product_codes)
        if champion is None:
            champion = pick_champion(self.active, facts.product_codes)
            self._champions[facts.product_codes] = champion
        experiment = experiment_name(champion)
        if champion.challenger is None or experiment is None:
            return champion, Arm.CHAMPION
        arm = assign_arm(facts.case_id, experiment, champion.challenger.share)
        if arm is Arm.CHAMPION:
            return champion, arm
        challenger = self.by_code.get(champion.challenger.code)
        if challenger is None:
            raise ConfigurationError(
                f"policy {champion.code} names challenger {champion.challenger.code}, which is not active",
                hint="load the challenger with `arrears policy load`",
            )
        return challenger, arm


def policies_for(*, db_session: Session, tenant_id: int) -> PolicySet:
    """The tenant's active policies; the bundled sample (and its challenger) when it has none."""
    active = [policy_of(row) for row in get_all_active(db_session=db_session, tenant_id=tenant_id)]
    if not active:
        sample = bundled_policy(SAMPLE_POLICY)
        active = [sample]
        if sample.challenger is not None:
            active.append(bundled_policy(sample.challenger.code))
    return PolicySet(tuple(active), {policy.code: policy for policy in active})


def stage_policy(db_session: Session, context: RunContext, cases: range) -> dict[str, Any]:
    policies = policies_for(db_session=db_session, tenant_id=context.tenant_id)
    facts = read_facts(db_session=db_session, tenant_id=context.tenant_id, as_of=context.as_of, case_ids=cases)
    previous = {
        row.case_id: row
        for row in db_session.scalars(
            select(CaseStrategy).where(CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop)
        )
    }
    decisions = []
    uncovered = 0
    for case_facts in facts:
        try:
            policy, arm = policies.for_case(case_facts)
        except (NotFound, Conflict):
            uncovered += 1
            continue
        before = previous.get(case_facts.case_id)
        prior = before.state if before is not None and before.policy_code == policy.code else None
        decisions.append((case_facts, arm, evaluate(policy, case_facts, previous_state=prior)))
    _write_strategies(db_session, context, cases, decisions, previous)
    counts = _write_actions(db_session, context, cases, decisions)
    counts["cases"] = len(decisions)
    counts["challenger"] = sum(1 for _, arm, _ in decisions if arm is Arm.CHALLENGER)
    counts["changed_state"] = sum(1 for _, _, d in decisions if d.changed)
    counts["no_policy"] = uncovered
    return counts


def _facts_summary(facts: CaseFacts) -> dict[str, Any]:
    return {
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
    }


def _write_strategies(
    db_session: Session,
    context: RunContext,
    cases: range,
    decisions: list[tuple[CaseFacts, Arm, PolicyDecision]],
    previous: dict[int, CaseStrategy],
) -> None:
    as_of = context.as_of
    db_session.execute(
        delete(CaseStrategy).where(CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop)
    )
    rows = []
    moved: list[tuple[int, Arm, PolicyDecision]] = []
    for facts, arm, decision in decisions:
        before = previous.get(facts.case_id)
        same = before is not None and before.state == decision.name and before.policy_code == decision.policy_code
        if not same:
            moved.append((facts.case_id, arm, decision))
        rows.append(
            {
                "case_id": facts.case_id,
                "as_of": as_of,
                "policy_code": decision.policy_code,
                "policy_version": decision.policy_version,
                "arm": arm,
                "state": decision.name,
                "stage": decision.stage,
                "state_since": before.state_since if same and before is not None else as_of,
                "explanation": {**decision.as_json(), "arm": arm.value, "facts": _facts_summary(facts)},
            }
        )
    if rows:
        db_session.execute(insert(CaseStrategy), rows)
    if moved:
        moved_ids = [case_id for case_id, _, _ in moved]
        db_session.execute(
            update(CaseStateHistory)
            .where(CaseStateHistory.case_id.in_(moved_ids), CaseStateHistory.left_on.is_(None))
            .values(left_on=as_of)
        )
        db_session.execute(
            insert(CaseStateHistory),
            [
                {"case_id": case_id, "policy_code": d.policy_code, "arm": arm, "state": d.name, "entered_on": as_of}
                for case_id, arm, d in moved
            ],
        )


def _recent_actions(db_session: Session, cases: range, as_of: date, longest: int) -> set[tuple[int, Treatment, date]]:
    stmt = select(CollectionAction.case_id, CollectionAction.treatment, CollectionAction.as_of).where(
        CollectionAction.case_id >= cases.start,
        CollectionAction.case_id < cases.stop,
        CollectionAction.as_of > as_of - timedelta(days=longest),
        CollectionAction.as_of < as_of,
        CollectionAction.status != ActionStatus.CANCELLED,
    )
    return {(row[0], row[1], row[2]) for row in db_session.execute(stmt)}


def _write_actions(
    db_session: Session, context: RunContext, cases: range, decisions: list[tuple[CaseFacts, Arm, PolicyDecision]]
) -> dict[str, Any]:
    """Replace the day's actions of the partition; cadence and the guard decide what is due and when."""
    as_of = context.as_of
    db_session.execute(
        delete(CollectionAction).where(
            CollectionAction.as_of == as_of,
            CollectionAction.case_id >= cases.start,
            CollectionAction.case_id < cases.stop,
        )
    )
    longest = max((plan.every_days for _, _, d in decisions for plan in d.treatments), default=1)
    recent = _recent_actions(db_session, cases, as_of, longest)
    tenant = tenants.get(db_session=db_session, tenant_id=context.tenant_id)
    pack = planning_pack(compliance.pack_for_tenant(tenant))
    work_day = as_of + timedelta(days=1)
    guard = compliance.debtor_guard_facts(
        db_session=db_session, case_ids=cases, until=datetime.combine(work_day, time(0), tzinfo=UTC)
    )
    rows = []
    created = blocked = 0
    for facts, arm, decision in decisions:
        for index, plan in enumerate(decision.treatments):
            if _done_lately(recent, facts.case_id, plan.treatment, as_of, plan.every_days):
                continue
            row = {
                "key": f"{facts.case_id}:{as_of.isoformat()}:{plan.treatment.value}:{index}",
                "case_id": facts.case_id,
                "as_of": as_of,
                "treatment": plan.treatment,
                "timing": plan.timing,
                "plan": {**plan.model_dump(mode="json"), "third_parties": decision.third_parties.value},
                "state": decision.name,
                "arm": arm,
                "status": ActionStatus.DUE,
                "not_before": None,
                "blocked_rules": [],
            }
            channel = GUARDED.get(plan.treatment)
            if channel is not None and facts.case_id in guard:
                _guard(row, pack, guard[facts.case_id], channel, work_day, plan.timing)
                blocked += row["status"] is ActionStatus.BLOCKED
            rows.append(row)
            created += 1
    if rows:
        db_session.execute(insert(CollectionAction), rows)
    return {"actions": created, "blocked": blocked}


def planning_pack(pack: RulePack) -> RulePack:
    """The pack as it applies when tomorrow's work is planned: who goes on a visit is decided when it is logged.

    Every other rule applies as written; the visit-team rule is checked again,
    with the named collectors, when the visit is recorded through the guard.
    """
    return pack.model_copy(update={"rules": tuple(rule for rule in pack.rules if not isinstance(rule, VisitTeam))})


def _done_lately(
    recent: Iterable[tuple[int, Treatment, date]] | set[tuple[int, Treatment, date]],
    case_id: int,
    treatment: Treatment,
    as_of: date,
    every_days: int,
) -> bool:
    if every_days <= 1:
        return False
    recent_set = recent if isinstance(recent, set) else set(recent)
    return any((case_id, treatment, as_of - timedelta(days=days)) in recent_set for days in range(1, every_days))


def _guard(
    row: dict[str, Any],
    pack: RulePack,
    facts: tuple[Any, Any, str],
    channel: ContactChannel,
    work_day: date,
    timing: Timing,
) -> None:
    """Ask the guard about the action at its planned time; a blocked one keeps its rules and reopening time."""
    debtor, history, party_id = facts
    planned_at = datetime.combine(work_day, PLANNED_AT[timing], tzinfo=debtor.home_zone)
    attempt = PlannedContact(at=planned_at, channel=channel, party=Party.DEBTOR, party_id=party_id)
    decision = decide(pack, debtor, attempt, history)
    if decision.allowed:
        row["not_before"] = planned_at
        return
    row["blocked_rules"] = decision.rule_ids
    row["not_before"] = decision.next_allowed_at
    same_day = decision.next_allowed_at is not None and decision.next_allowed_at.date() == work_day
    row["status"] = ActionStatus.DUE if same_day else ActionStatus.BLOCKED
