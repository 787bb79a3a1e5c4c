"""The policy stage of the run: each case's state under its policy arm, and the actions that state asks for.

For every open case of a partition: pick the tenant's policy that covers the
case's products, put the case in its champion or challenger arm (stable hash),
evaluate, record the state (with its history) and create the day's actions,
each checked against the compliance guard at the time it is planned for the
next working day. Actions respect each treatment's cadence (``every_days``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Text, column, delete, func, insert, select, table, text, update
from sqlalchemy.orm import Session

from arrears.cases.models import CaseAssignment
from arrears.compliance import service as compliance
from arrears.compliance.facts import ContactHistory, Debtor, PlannedContact
from arrears.compliance.guard import decide
from arrears.compliance.pack import RulePack
from arrears.compliance.rules import VisitTeam
from arrears.contact.enums import ContactChannel, Party
from arrears.db.base import utcnow
from arrears.errors import ConfigurationError, Conflict, NotFound
from arrears.org import service as tenants
from arrears.strategy.enums import ActionStatus, Arm, Timing, Treatment
from arrears.strategy.evaluate import DecisionShape, Evaluator, json_text
from arrears.strategy.experiment import assign_arm, experiment_name
from arrears.strategy.facts import CaseFacts, read_facts
from arrears.strategy.models import CaseStateHistory, CaseStrategy, CollectionAction
from arrears.strategy.policy import SAMPLE_POLICY, Policy, State, bundled_policy
from arrears.strategy.run import RunContext
from arrears.strategy.service import get_all_active, pick_champion, policy_of
from arrears.strategy.worklists import COLLECTOR_TREATMENTS

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
    """Decide every open case of the partition, record its state and create the day's actions.

    Cases whose conditions come out the same share one evaluation
    (:class:`~arrears.strategy.evaluate.Evaluator`), and actions the guard
    would judge on the same facts share one guard decision (:class:`_GuardBook`);
    ``tests/strategy/test_planning_equivalence.py`` holds the stage to the
    case-by-case path.
    """
    policies = policies_for(db_session=db_session, tenant_id=context.tenant_id)
    evaluators = {policy.code: Evaluator(policy) for policy in policies.active}
    facts = read_facts(db_session=db_session, tenant_id=context.tenant_id, as_of=context.as_of, case_ids=cases)
    previous = _previous(db_session, cases)
    decisions: list[_Decided] = []
    uncovered = 0
    for case_facts in facts:
        try:
            policy, arm = policies.for_case(case_facts)
        except (NotFound, Conflict):
            uncovered += 1
            continue
        before = previous.get(case_facts.case_id)
        prior = before[1] if before is not None and before[0] == policy.code else None
        decisions.append(_Decided(case_facts, arm, evaluators[policy.code].shape(case_facts), prior))
    _write_strategies(db_session, context, cases, decisions, previous)
    counts = _write_actions(db_session, context, cases, decisions)
    counts["cases"] = len(decisions)
    counts["challenger"] = sum(1 for decided in decisions if decided.arm is Arm.CHALLENGER)
    counts["changed_state"] = sum(1 for decided in decisions if decided.changed)
    counts["no_policy"] = uncovered
    return counts


@dataclass(frozen=True, slots=True)
class _Decided:
    """One case's decision, kept as its shape: the decision object itself is only built when explained."""

    facts: CaseFacts
    arm: Arm
    shape: DecisionShape
    previous_state: str | None

    @property
    def case_id(self) -> int:
        return self.facts.case_id

    @property
    def state(self) -> State:
        return self.shape.state

    @property
    def changed(self) -> bool:
        return self.previous_state is not None and self.previous_state != self.shape.state.name

    def explanation(self) -> str:
        """The stored explanation as JSON text: the decision, the arm and the facts it rests on."""
        decision = self.shape.as_json_text(self.facts, self.previous_state)
        facts = facts_json(self.facts)
        return f'{decision[:-1]}, "arm": {json_text(self.arm.value)}, "facts": {facts}}}'


def _previous(db_session: Session, cases: range) -> dict[int, tuple[str, str, date]]:
    """Yesterday's policy, state and since-when per case (not the stored explanations, which are large)."""
    stmt = select(CaseStrategy.case_id, CaseStrategy.policy_code, CaseStrategy.state, CaseStrategy.state_since).where(
        CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop
    )
    return {case_id: (code, state, since) for case_id, code, state, since in db_session.execute(stmt)}


def facts_json(facts: CaseFacts) -> str:
    """``json.dumps(facts_summary(facts))``, written field by field: the summary's keys and types are fixed."""
    propensity = str(facts.propensity) if facts.propensity is not None else None
    quadrant = facts.quadrant.value if facts.quadrant else None
    holds = sorted(h.value for h in facts.active_holds)
    return (
        f'{{"days_past_due": {json_text(facts.days_past_due)}, "bucket": {json_text(facts.bucket)}, '
        f'"overdue_total": {json_text(str(facts.overdue_total))}, "balance": {json_text(str(facts.balance))}, '
        f'"propensity": {json_text(propensity)}, "quadrant": {json_text(quadrant)}, '
        f'"persona": {json_text(facts.persona)}, "reason": {json_text(facts.reason)}, "holds": {json_text(holds)}, '
        f'"promise_open": {json_text(facts.promise_open)}, "broken_promises": {json_text(facts.broken_promises)}, '
        f'"failed_attempts": {json_text(facts.failed_attempts)}}}'
    )


def facts_summary(facts: CaseFacts) -> dict[str, Any]:
    """The facts a stored explanation quotes."""
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


STRATEGY_COLUMNS = (
    "case_id",
    "as_of",
    "policy_code",
    "policy_version",
    "arm",
    "state",
    "stage",
    "state_since",
    "explanation",
)
HISTORY_COLUMNS = ("case_id", "policy_code", "arm", "state", "entered_on")
ACTION_COLUMNS = (
    "key",
    "case_id",
    "as_of",
    "treatment",
    "timing",
    "plan",
    "state",
    "arm",
    "status",
    "not_before",
    "blocked_rules",
    "created_at",
    "user_id",
)


def _write_strategies(
    db_session: Session,
    context: RunContext,
    cases: range,
    decisions: list[_Decided],
    previous: dict[int, tuple[str, str, date]],
) -> None:
    """Replace the partition's states; the history moves only for cases whose policy or state changed."""
    as_of = context.as_of
    db_session.execute(
        delete(CaseStrategy).where(CaseStrategy.case_id >= cases.start, CaseStrategy.case_id < cases.stop)
    )
    rows = []
    moved: list[tuple[Any, ...]] = []
    for decided in decisions:
        state, policy = decided.state, decided.shape.policy
        before = previous.get(decided.case_id)
        same = before is not None and before[1] == state.name and before[0] == policy.code
        if not same:
            moved.append((decided.case_id, policy.code, decided.arm.value, state.name, as_of))
        rows.append(
            (
                decided.case_id,
                as_of,
                policy.code,
                policy.version,
                decided.arm.value,
                state.name,
                state.stage,
                before[2] if same and before is not None else as_of,
                decided.explanation(),
            )
        )
    if rows:
        _insert_rows(db_session, CaseStrategy, STRATEGY_COLUMNS, rows)
    if moved:
        _close_stays(db_session, [row[0] for row in moved], as_of)
        _insert_rows(db_session, CaseStateHistory, HISTORY_COLUMNS, moved)


_IN_CHUNK = 10_000
"""Ids per IN list where the ids cannot go as one array: SQLite binds at most 32,766 parameters."""


def _close_stays(db_session: Session, case_ids: list[int], as_of: date) -> None:
    """End the open state stays of ``case_ids`` on ``as_of``: one array parameter on PostgreSQL."""
    if db_session.connection().dialect.name == "postgresql":
        db_session.execute(
            text("UPDATE case_state_history SET left_on = :day WHERE left_on IS NULL AND case_id = ANY(:ids)"),
            {"day": as_of, "ids": case_ids},
        )
        return
    for start in range(0, len(case_ids), _IN_CHUNK):
        db_session.execute(
            update(CaseStateHistory)
            .where(CaseStateHistory.case_id.in_(case_ids[start : start + _IN_CHUNK]))
            .where(CaseStateHistory.left_on.is_(None))
            .values(left_on=as_of)
        )


def _insert_rows(db_session: Session, model: Any, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows in storage form, JSON columns as ready JSON text: COPY on PostgreSQL, a bulk INSERT elsewhere."""
    connection = db_session.connection()
    source = model.__table__
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {source.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # The JSON text goes in as it is; every other column keeps its type's conversion (dates, UTC instants).
    target = table(
        source.name,
        *(column(name, Text() if isinstance(source.c[name].type, JSON) else source.c[name].type) for name in columns),
    )
    db_session.execute(insert(target), [dict(zip(columns, row, strict=True)) for row in rows])


def _recent_actions(db_session: Session, cases: range, as_of: date, longest: int) -> dict[tuple[int, Treatment], date]:
    """The latest day before ``as_of`` (within ``longest`` days) each case was given each treatment, not cancelled."""
    stmt = (
        select(CollectionAction.case_id, CollectionAction.treatment, func.max(CollectionAction.as_of))
        .where(
            CollectionAction.case_id >= cases.start,
            CollectionAction.case_id < cases.stop,
            CollectionAction.as_of > as_of - timedelta(days=longest),
            CollectionAction.as_of < as_of,
            CollectionAction.status != ActionStatus.CANCELLED,
        )
        .group_by(CollectionAction.case_id, CollectionAction.treatment)
    )
    return {(case_id, treatment): day for case_id, treatment, day in db_session.execute(stmt)}


_COLLECTOR_TREATMENTS = frozenset(treatment.value for treatment in COLLECTOR_TREATMENTS)


def _owners(db_session: Session, cases: range) -> dict[int, int]:
    """Case id -> the collector holding it now, for the partition's cases.

    A case with a call or visit due has all its actions of the day stamped with
    its owner already here, as the allocate stage would stamp them if the case
    stays where it is (most do, day after day); allocation then rewrites only
    the actions of the cases that change hands or find no one with room.
    """
    stmt = select(CaseAssignment.case_id, CaseAssignment.user_id).where(
        CaseAssignment.case_id >= cases.start,
        CaseAssignment.case_id < cases.stop,
        CaseAssignment.ended_at.is_(None),
        CaseAssignment.user_id.is_not(None),
    )
    return {case_id: user_id for case_id, user_id in db_session.execute(stmt) if user_id is not None}


def _write_actions(db_session: Session, context: RunContext, cases: range, decisions: list[_Decided]) -> dict[str, Any]:
    """Replace the day's actions of the partition; cadence and the guard decide what is due and when."""
    as_of = context.as_of
    db_session.execute(
        delete(CollectionAction).where(
            CollectionAction.as_of == as_of,
            CollectionAction.case_id >= cases.start,
            CollectionAction.case_id < cases.stop,
        )
    )
    longest = max((plan.every_days for decided in decisions for plan in decided.state.treatments), default=1)
    recent = _recent_actions(db_session, cases, as_of, longest) if longest > 1 else {}
    tenant = tenants.get(db_session=db_session, tenant_id=context.tenant_id)
    work_day = as_of + timedelta(days=1)
    guard = compliance.debtor_guard_facts(
        db_session=db_session, case_ids=cases, until=datetime.combine(work_day, time(0), tzinfo=UTC)
    )
    book = _GuardBook(planning_pack(compliance.pack_for_tenant(tenant)), work_day)
    owners = _owners(db_session, cases)
    plans: dict[tuple[int, str, int], str] = {}
    created_at = utcnow()
    day = as_of.isoformat()
    rows: list[tuple[Any, ...]] = []
    blocked = 0
    for decided in decisions:
        state, case_id = decided.state, decided.case_id
        first = len(rows)
        for index, plan in enumerate(state.treatments):
            if _done_lately(recent, case_id, plan.treatment, as_of, plan.every_days):
                continue
            plan_key = (id(decided.shape.policy), state.name, index)
            plan_json = plans.get(plan_key)
            if plan_json is None:
                plan_json = json.dumps({**plan.model_dump(mode="json"), "third_parties": state.third_parties.value})
                plans[plan_key] = plan_json
            status, not_before, rules = ActionStatus.DUE, None, "[]"
            channel = GUARDED.get(plan.treatment)
            if channel is not None and case_id in guard:
                status, not_before, rules = book.judge(guard[case_id], channel, plan.timing)
                blocked += status is ActionStatus.BLOCKED
            rows.append(
                (
                    f"{case_id}:{day}:{plan.treatment.value}:{index}",
                    case_id,
                    as_of,
                    plan.treatment.value,
                    plan.timing.value,
                    plan_json,
                    state.name,
                    decided.arm.value,
                    status.value,
                    not_before,
                    rules,
                    created_at,
                    None,
                )
            )
        owner = owners.get(case_id)
        if owner is not None and any(row[3] in _COLLECTOR_TREATMENTS for row in rows[first:]):
            rows[first:] = [(*row[:-1], owner) for row in rows[first:]]
    if rows:
        _insert_rows(db_session, CollectionAction, ACTION_COLUMNS, rows)
    return {"actions": len(rows), "blocked": blocked}


def planning_pack(pack: RulePack) -> RulePack:
    """The pack as it applies when tomorrow's work is planned: who goes on a visit is decided when it is logged.

    Every other rule applies as written; the visit-team rule is checked again,
    with the named collectors, when the visit is recorded through the guard.
    """
    return pack.model_copy(update={"rules": tuple(rule for rule in pack.rules if not isinstance(rule, VisitTeam))})


def _done_lately(
    latest: dict[tuple[int, Treatment], date], case_id: int, treatment: Treatment, as_of: date, every_days: int
) -> bool:
    """Whether the treatment was given within its cadence: on one of the ``every_days - 1`` days before ``as_of``."""
    if every_days <= 1:
        return False
    day = latest.get((case_id, treatment))
    return day is not None and as_of - timedelta(days=every_days) < day < as_of


class _GuardBook:
    """The guard's answers for tomorrow's planned debtor contacts, each distinct question asked once.

    The guard is a pure function of the pack, the debtor, the planned contact and
    the history. Planned contacts differ only in channel, time, party id and the
    debtor; a debtor contact's party id is read by no debtor-facing rule and, with
    no contacts in the window, by no rule at all (third-party rules look the party
    up in the history). So two cases with no contacts in the window, the same time
    zones, the same holds and no consent windows get the same answer, and it is
    asked once per (zones, holds, channel, timing). Cases with history are asked
    one by one.
    """

    def __init__(self, pack: RulePack, work_day: date) -> None:
        self.pack = pack
        self.work_day = work_day
        self._answers: dict[tuple[Any, ...], tuple[ActionStatus, datetime | None, str]] = {}

    def judge(
        self, facts: tuple[Debtor, ContactHistory, str], channel: ContactChannel, timing: Timing
    ) -> tuple[ActionStatus, datetime | None, str]:
        """(status, not_before, blocked rules as JSON) of a debtor contact planned at ``timing`` tomorrow."""
        debtor, history, party_id = facts
        if len(history) or debtor.consent_windows:
            return self._ask(debtor, history, party_id, channel, timing)
        key = (debtor.timezones, debtor.holds, channel, timing)
        found = self._answers.get(key)
        if found is None:
            found = self._ask(debtor, history, party_id, channel, timing)
            self._answers[key] = found
        return found

    def _ask(
        self, debtor: Debtor, history: ContactHistory, party_id: str, channel: ContactChannel, timing: Timing
    ) -> tuple[ActionStatus, datetime | None, str]:
        """Ask the guard at the planned time; a blocked action keeps its rules and its reopening time."""
        planned_at = datetime.combine(self.work_day, PLANNED_AT[timing], tzinfo=debtor.home_zone)
        attempt = PlannedContact(at=planned_at, channel=channel, party=Party.DEBTOR, party_id=party_id)
        decision = decide(self.pack, debtor, attempt, history)
        if decision.allowed:
            return ActionStatus.DUE, planned_at, "[]"
        next_at = decision.next_allowed_at
        same_day = next_at is not None and next_at.date() == self.work_day
        return (ActionStatus.DUE if same_day else ActionStatus.BLOCKED), next_at, json.dumps(decision.rule_ids)
