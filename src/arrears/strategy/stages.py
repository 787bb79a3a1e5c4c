"""The work of each stage of the end-of-day run, on one partition of cases (see :mod:`arrears.strategy.run`).

Each function runs inside its step's transaction and returns counts for the
run report. All writes are keyed by the as-of date, so a step redone after a
crash leaves exactly what one clean pass would.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from arrears.analytics.daily import stage_aggregate
from arrears.audit import service as audit
from arrears.cases.models import Case, CaseAssignment
from arrears.contact import promises
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.db.base import utcnow
from arrears.delinquency.daily_pass import loan_partitions, run_pass, sync_cases_of
from arrears.delinquency.models import BucketHistory
from arrears.ledger.models import Loan
from arrears.legal import placements
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.org.models import Team, User
from arrears.settlement import service as settlement
from arrears.strategy import propensity
from arrears.strategy.allocation import CaseToAllocate, Collector, allocate
from arrears.strategy.enums import ActionStatus, RunStatus, Treatment
from arrears.strategy.features import read_features, write_segments
from arrears.strategy.models import CaseStrategy, CollectionAction, QueueEntry, Run, RunStep
from arrears.strategy.planning import stage_policy
from arrears.strategy.queues import QueueCandidate, rank_queues
from arrears.strategy.run import RunContext, Stage, partitions_for

COLLECTOR_TREATMENTS = frozenset({Treatment.CALL, Treatment.VISIT})
"""Treatments a person carries out; the others go to batches (SMS, letters) or to other teams."""
FIRST_PASS = time(9, 0)


LOAN_PARTITION_SIZE = 100_000
"""Loans per pass step: each is one transaction, so audit writers wait minutes at most, and workers share the pass."""


def stage_plan_pass(db_session: Session, context: RunContext, _ids: range) -> dict[str, Any]:
    """Fix the loan-id partitions of the pass."""
    run = db_session.get_one(Run, context.run_id)
    ranges = loan_partitions(db_session=db_session, tenant_code=context.tenant_code, size=LOAN_PARTITION_SIZE)
    run.report = {**run.report, "loan_partitions": [[r.start, r.stop] for r in ranges]}
    flag_modified(run, "report")
    return {"partitions": len(ranges)}


def stage_pass(db_session: Session, context: RunContext, loans: range) -> dict[str, Any]:
    """Accrue and age one range of the tenant's loans (the Foundation pass)."""
    report = run_pass(
        db_session=db_session,
        as_of=context.as_of,
        tenant_code=context.tenant_code,
        actor=context.actor,
        loan_ids=loans,
        sync_cases=False,
    )
    return {
        "loans": report.loans,
        "bucket_moves": report.bucket_moves,
        "failed": len(report.failed),
        "columnar": report.columnar,
        "row_engine": report.row_engine,
        **{f"routed_{reason}": count for reason, count in sorted(report.routed.items())},
    }


def stage_cases(db_session: Session, context: RunContext, _ids: range) -> dict[str, Any]:
    """Open, reopen and close cases from the day's positions."""
    changes = sync_cases_of(
        db_session=db_session, as_of=context.as_of, tenant_code=context.tenant_code, actor=context.actor
    )
    return {"opened": changes.opened + changes.reopened, "closed": changes.closed}


def stage_plan(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Fix the case-id partitions for the rest of the run (after the pass, which may open cases)."""
    run = db_session.get_one(Run, context.run_id)
    ranges = partitions_for(db_session=db_session, tenant_id=context.tenant_id)
    run.report = {**run.report, "partitions": [[r.start, r.stop] for r in ranges]}
    flag_modified(run, "report")
    return {"partitions": len(ranges)}


def stage_placements(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Recall the agency placements whose period ended: the cases come back to the lender's own queues."""
    expired = placements.expire_due(
        db_session=db_session, as_of=context.as_of, actor=context.actor, tenant_id=context.tenant_id
    )
    return {"recalled": len(expired)}


def stage_plans(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Activate approved repayment plans and mark active ones kept or broken (a break is a broken promise)."""
    return dict(settlement.judge_plans(db_session, context.tenant_id, context.as_of, actor=context.actor))


def stage_promises(db_session: Session, context: RunContext, cases: range) -> dict[str, Any]:
    """Judge the promises that fell due (kept, partly kept, broken)."""
    settled = promises.settle(
        db_session=db_session, tenant_id=context.tenant_id, as_of=context.as_of, actor=context.actor, case_ids=cases
    )
    return dict(settled)


def stage_segment(db_session: Session, context: RunContext, cases: range) -> dict[str, Any]:
    """Ability x willingness, cost of default, reason, persona and propensity for each open case, kept as history."""
    features = read_features(db_session=db_session, tenant_id=context.tenant_id, as_of=context.as_of, case_ids=cases)
    if features.is_empty():
        return {"cases": 0}
    model = propensity.active_model(db_session=db_session, tenant_id=context.tenant_id)
    frame = propensity.segment_cases(features, as_of=context.as_of, model=model)
    written = write_segments(db_session=db_session, frame=frame, as_of=context.as_of)
    quadrants = Counter(str(value) for value in frame["quadrant"].to_list())
    return {"cases": written, **{f"quadrant_{name}": count for name, count in sorted(quadrants.items())}}


ID_SLICE = 10_000
"""Case ids bound per statement when a statement must name cases one by one."""


def work_day(as_of: date) -> date:
    """The run for ``as_of`` (end of that day) prepares the next day's work."""
    return as_of + timedelta(days=1)


def stage_allocate(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Give every case with a collector's treatment due to a collector, then rank each collector's queue."""
    worked = _worked_cases(db_session, context)
    current = _current_owners(db_session, context.tenant_id)
    collectors = _collectors(db_session, context.tenant_id)
    cases = [
        CaseToAllocate(
            case_id=case_id,
            state=strategy.state,
            difficulty=_difficulty(strategy),
            current_user_id=current.get(case_id),
            skill=_skill_needed(strategy),
        )
        for case_id, strategy in worked.items()
    ]
    result = allocate(cases, collectors)
    moved = _write_assignments(db_session, context, result.assigned, current, worked)
    _assign_actions(db_session, context.as_of, worked, result.assigned)
    queued = _write_queues(db_session, context, result.assigned, worked)
    return {
        "worked_cases": len(worked),
        "kept_with_collector": len(result.kept),
        "reassigned": moved,
        "unallocated": len(result.unallocated),
        "queued": queued,
    }


_ALLOCATION = Table(
    "run_allocation",
    MetaData(),
    Column("case_id", Integer, primary_key=True),
    Column("user_id", Integer),
    prefixes=["TEMPORARY"],
)
"""The day's allocation, staged in a temporary table so the actions are stamped by one set-based UPDATE."""


def _assign_actions(
    db_session: Session, as_of: date, worked: dict[int, CaseStrategy], assigned: dict[int, int]
) -> None:
    """Stamp each worked case's actions of the day with its collector (null when no one had room)."""
    if not worked:
        return
    connection = db_session.connection()
    _ALLOCATION.drop(connection, checkfirst=True)
    _ALLOCATION.create(connection)
    connection.execute(
        insert(_ALLOCATION), [{"case_id": case_id, "user_id": assigned.get(case_id)} for case_id in worked]
    )
    actions = cast(Table, CollectionAction.__table__)
    connection.execute(
        update(actions)
        .where(actions.c.as_of == as_of, actions.c.case_id == _ALLOCATION.c.case_id)
        .values(user_id=_ALLOCATION.c.user_id)
    )
    _ALLOCATION.drop(connection)


def _worked_cases(db_session: Session, context: RunContext) -> dict[int, CaseStrategy]:
    stmt = (
        select(CaseStrategy)
        .join(Case, Case.id == CaseStrategy.case_id)
        .where(Case.tenant_id == context.tenant_id, CaseStrategy.as_of == context.as_of)
        .where(
            CaseStrategy.case_id.in_(
                select(CollectionAction.case_id).where(
                    CollectionAction.as_of == context.as_of,
                    CollectionAction.treatment.in_(COLLECTOR_TREATMENTS),
                )
            )
        )
        .order_by(CaseStrategy.case_id)
    )
    return {strategy.case_id: strategy for strategy in db_session.scalars(stmt)}


def _current_owners(db_session: Session, tenant_id: int) -> dict[int, int]:
    stmt = (
        select(CaseAssignment.case_id, CaseAssignment.user_id)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(Case.tenant_id == tenant_id, CaseAssignment.ended_at.is_(None), CaseAssignment.user_id.is_not(None))
    )
    return {row[0]: row[1] for row in db_session.execute(stmt) if row[1] is not None}


def _collectors(db_session: Session, tenant_id: int) -> list[Collector]:
    stmt = (
        select(User, Team)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.tenant_id == tenant_id, User.role == Role.COLLECTOR, User.active.is_(True))
        .order_by(User.id)
    )
    return [
        Collector(
            user_id=user.id,
            team_id=user.team_id,
            stages=frozenset(team.stages) if team is not None else frozenset(),
            languages=frozenset(user.languages),
            skills=frozenset(user.skills),
            cap=user.daily_case_cap,
        )
        for user, team in db_session.execute(stmt).all()
    ]


def _facts_of(strategy: CaseStrategy) -> dict[str, Any]:
    facts = strategy.explanation.get("facts", {})
    return facts if isinstance(facts, dict) else {}


def _difficulty(strategy: CaseStrategy) -> float:
    """Money at stake that is unlikely to come in by itself: overdue x (1 - propensity), in thousands."""
    facts = _facts_of(strategy)
    overdue = float(Decimal(str(facts.get("overdue_total", "0"))))
    propensity = float(Decimal(str(facts.get("propensity") or "0.5")))
    return round(overdue * (1 - propensity) / 1000, 6)


def _skill_needed(strategy: CaseStrategy) -> str | None:
    reason = _facts_of(strategy).get("reason")
    return "hardship" if reason in {"illness", "job_loss", "accident"} else None


def _write_assignments(
    db_session: Session,
    context: RunContext,
    assigned: dict[int, int],
    current: dict[int, int],
    worked: dict[int, CaseStrategy],
) -> int:
    changed = {case_id: user_id for case_id, user_id in assigned.items() if current.get(case_id) != user_id}
    if not changed:
        return 0
    now = utcnow()
    # In slices: one bound parameter per case, and PostgreSQL takes at most 65,535 per statement.
    case_ids = list(changed)
    for start in range(0, len(case_ids), ID_SLICE):
        db_session.execute(
            update(CaseAssignment)
            .where(CaseAssignment.case_id.in_(case_ids[start : start + ID_SLICE]), CaseAssignment.ended_at.is_(None))
            .values(ended_at=now)
        )
    teams = dict(db_session.execute(select(User.id, User.team_id).where(User.id.in_(set(changed.values())))).all())
    db_session.execute(
        insert(CaseAssignment),
        [
            {
                "case_id": case_id,
                "user_id": user_id,
                "team_id": teams.get(user_id),
                "assigned_at": now,
                "reason": f"run {context.as_of.isoformat()}: {worked[case_id].state}",
            }
            for case_id, user_id in changed.items()
        ],
    )
    audit.record_many(
        db_session=db_session,
        rows=[
            {
                "actor": context.actor,
                "action": "case.assigned",
                "subject_type": "case",
                "subject_id": str(case_id),
                "tenant_id": context.tenant_id,
                "details": {"user_id": user_id, "from_user_id": current.get(case_id), "state": worked[case_id].state},
            }
            for case_id, user_id in changed.items()
        ],
    )
    return len(changed)


def _write_queues(
    db_session: Session, context: RunContext, assigned: dict[int, int], worked: dict[int, CaseStrategy]
) -> int:
    day = work_day(context.as_of)
    tenant_cases = select(Case.id).where(Case.tenant_id == context.tenant_id)
    db_session.execute(delete(QueueEntry).where(QueueEntry.as_of == day, QueueEntry.case_id.in_(tenant_cases)))
    # The tenant's cases as a subquery, not the assigned ids as parameters (a statement takes at most 65,535).
    not_before = {
        case_id: moment
        for case_id, moment in db_session.execute(
            select(CollectionAction.case_id, func.min(CollectionAction.not_before))
            .where(CollectionAction.as_of == context.as_of, CollectionAction.case_id.in_(tenant_cases))
            .group_by(CollectionAction.case_id)
        )
        if case_id in assigned
    }
    promised = {
        case_id
        for case_id in db_session.scalars(
            select(PromiseToPay.case_id).where(
                PromiseToPay.case_id.in_(tenant_cases),
                PromiseToPay.status == PromiseStatus.OPEN,
                PromiseToPay.due_on == day,
            )
        )
        if case_id in assigned
    }
    candidates = []
    for case_id, user_id in assigned.items():
        facts = _facts_of(worked[case_id])
        candidates.append(
            QueueCandidate(
                case_id=case_id,
                user_id=user_id,
                overdue_total=Decimal(str(facts.get("overdue_total", "0"))),
                propensity=Decimal(str(facts.get("propensity") or "0.5")),
                entered_state_today=worked[case_id].state_since == context.as_of,
                broken_promise=int(facts.get("broken_promises", 0)) > 0,
                promise_due_today=case_id in promised,
                not_before=not_before.get(case_id),
            )
        )
    zone = ZoneInfo(tenants.get(db_session=db_session, tenant_id=context.tenant_id).timezone)
    opens_at = datetime.combine(day, FIRST_PASS, tzinfo=zone)
    rows = [
        {
            "as_of": day,
            "user_id": user_id,
            "case_id": ranked.candidate.case_id,
            "rank": ranked.rank,
            "expected_value": ranked.expected_value,
            "promise_due_today": ranked.candidate.promise_due_today,
            "not_before": ranked.candidate.not_before,
        }
        for user_id, queue in rank_queues(candidates, opens_at=opens_at).items()
        for ranked in queue
    ]
    if rows:
        db_session.execute(insert(QueueEntry), rows)
    return len(rows)


def stage_report(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Sum the day up: steps' counts, states, bucket moves, actions, what the guard blocked."""
    run = db_session.get_one(Run, context.run_id)
    steps = db_session.scalars(select(RunStep).where(RunStep.run_id == run.id).order_by(RunStep.id)).all()
    totals: dict[str, Counter[str]] = {}
    for step in steps:
        totals.setdefault(step.stage, Counter()).update(
            {key: value for key, value in step.counts.items() if isinstance(value, int)}
        )
    tenant_cases = select(Case.id).where(Case.tenant_id == context.tenant_id)
    states = dict(
        db_session.execute(
            select(CaseStrategy.state, func.count())
            .where(CaseStrategy.as_of == context.as_of, CaseStrategy.case_id.in_(tenant_cases))
            .group_by(CaseStrategy.state)
        ).all()
    )
    arms: dict[str, dict[str, int]] = {}
    for arm, state, count in db_session.execute(
        select(CaseStrategy.arm, CaseStrategy.state, func.count())
        .where(CaseStrategy.as_of == context.as_of, CaseStrategy.case_id.in_(tenant_cases))
        .group_by(CaseStrategy.arm, CaseStrategy.state)
    ):
        arms.setdefault(arm.value, {})[str(state)] = int(count)
    actions = Counter[str]()
    blocked = Counter[str]()
    for treatment, status, rules in db_session.execute(
        select(CollectionAction.treatment, CollectionAction.status, CollectionAction.blocked_rules).where(
            CollectionAction.as_of == context.as_of, CollectionAction.case_id.in_(tenant_cases)
        )
    ):
        actions[treatment.value] += 1
        if status is ActionStatus.BLOCKED:
            blocked.update(rules)
    report = {
        **run.report,
        "stages": {stage: dict(counts) for stage, counts in totals.items()},
        "states": {str(state): int(count) for state, count in states.items()},
        "arms": arms,
        "roll": _rolled(db_session, context.tenant_id, context.as_of),
        "roll_yesterday": _rolled(db_session, context.tenant_id, context.as_of - timedelta(days=1)),
        "actions": dict(actions),
        "guard_blocks": dict(blocked),
    }
    run.report = report
    flag_modified(run, "report")
    run.status = RunStatus.DONE
    run.finished_at = utcnow()
    audit.record(
        db_session=db_session,
        actor=context.actor,
        action="run.finished",
        subject_type="run",
        subject_id=run.id,
        tenant_id=context.tenant_id,
        details={"as_of": context.as_of.isoformat(), "states": report["states"], "actions": report["actions"]},
    )
    return {"states": len(states)}


def _rolled(db_session: Session, tenant_id: int, day: date) -> dict[str, dict[str, int]]:
    """Loans that left a bucket on ``day``, by where they went (roll forward, cure, close)."""
    stmt = (
        select(BucketHistory.bucket, BucketHistory.left_to, func.count())
        .join(Loan, Loan.id == BucketHistory.loan_id)
        .where(Loan.tenant_id == tenant_id, BucketHistory.left_on == day)
        .group_by(BucketHistory.bucket, BucketHistory.left_to)
    )
    roll: dict[str, dict[str, int]] = {}
    for bucket, left_to, count in db_session.execute(stmt):
        roll.setdefault(bucket, {})[left_to or "unknown"] = int(count)
    return roll


STAGES: tuple[Stage, ...] = (
    Stage("plan_pass", stage_plan_pass, partitioned=False),
    Stage("pass", stage_pass, partitioned=True, over="loans"),
    Stage("cases", stage_cases, partitioned=False),
    Stage("plan", stage_plan, partitioned=False),
    Stage("placements", stage_placements, partitioned=False),
    Stage("plans", stage_plans, partitioned=False),
    Stage("promises", stage_promises, partitioned=True),
    Stage("segment", stage_segment, partitioned=True),
    Stage("policy", stage_policy, partitioned=True),
    Stage("allocate", stage_allocate, partitioned=False),
    Stage("aggregate", stage_aggregate, partitioned=False),
    Stage("report", stage_report, partitioned=False),
)
"""The day, in order. Each stage is a barrier: every partition of one finishes before the next starts."""
