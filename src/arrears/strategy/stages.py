"""The work of each stage of the end-of-day run, on one partition of cases (see :mod:`arrears.strategy.run`).

Each function runs inside its step's transaction and returns counts for the
run report. All writes are keyed by the as-of date, so a step redone after a
crash leaves exactly what one clean pass would.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from arrears.analytics.daily import stage_aggregate
from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.contact import promises
from arrears.db.base import utcnow
from arrears.delinquency.daily_pass import loan_partitions, run_pass, sync_cases_of
from arrears.delinquency.models import BucketHistory
from arrears.ledger.models import Loan
from arrears.legal import placements
from arrears.settlement import service as settlement
from arrears.strategy import propensity
from arrears.strategy.enums import ActionStatus, RunStatus
from arrears.strategy.features import read_features, write_segments
from arrears.strategy.models import CaseStrategy, CollectionAction, Run, RunStep
from arrears.strategy.planning import stage_policy
from arrears.strategy.run import RunContext, Stage, StepSizes, partitions_for
from arrears.strategy.worklists import allocate_day


def analyze(db_session: Session, *tables: str) -> None:
    """Refresh the planner's statistics of tables a stage just filled, on PostgreSQL.

    On a book's first day the pass and the case sync write every position, charge,
    case, segment and action in minutes, before autovacuum's ANALYZE notices, and the
    next stage's reads would be planned for the empty tables of yesterday. ANALYZE
    samples a fixed number of rows, so it costs well under a second a table, and it
    sees the rows this transaction wrote (a resumed run has committed them already).
    """
    if db_session.get_bind().dialect.name == "postgresql":
        for table in tables:
            db_session.execute(text(f"ANALYZE {table}"))


def stage_plan_pass(db_session: Session, context: RunContext, _ids: range) -> dict[str, Any]:
    """Fix the loan-id partitions of the pass."""
    run = db_session.get_one(Run, context.run_id)
    size = StepSizes.of(run).loans
    ranges = loan_partitions(db_session=db_session, tenant_code=context.tenant_code, size=size)
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
        "rolled": report.rolled,
        "columnar": report.columnar,
        "row_engine": report.row_engine,
        **{f"routed_{reason}": count for reason, count in sorted(report.routed.items())},
    }


def stage_cases(db_session: Session, context: RunContext, _ids: range) -> dict[str, Any]:
    """Open, reopen and close cases from the day's positions."""
    analyze(db_session, "loan_positions", "charges", "payment_allocations")
    changes = sync_cases_of(
        db_session=db_session, as_of=context.as_of, tenant_code=context.tenant_code, actor=context.actor
    )
    return {"opened": changes.opened + changes.reopened, "closed": changes.closed}


def stage_plan(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Fix the case-id partitions for the rest of the run (after the pass, which may open cases)."""
    analyze(db_session, "cases")
    run = db_session.get_one(Run, context.run_id)
    ranges = partitions_for(db_session=db_session, tenant_id=context.tenant_id, size=StepSizes.of(run).cases)
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
    written = write_segments(db_session=db_session, frame=frame, as_of=context.as_of, within=cases)
    quadrants = Counter(str(value) for value in frame["quadrant"].to_list())
    return {"cases": written, **{f"quadrant_{name}": count for name, count in sorted(quadrants.items())}}


def stage_allocate(db_session: Session, context: RunContext, _cases: range) -> dict[str, Any]:
    """Give every case with a collector's treatment due to a collector, then rank each collector's queue."""
    analyze(db_session, "case_segments", "case_strategies", "collection_actions")
    outcome = allocate_day(db_session=db_session, tenant_id=context.tenant_id, as_of=context.as_of, actor=context.actor)
    return {
        "worked_cases": outcome.worked,
        "kept_with_collector": outcome.kept,
        "reassigned": outcome.reassigned,
        "unallocated": outcome.unallocated,
        "queued": outcome.queued,
    }


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
    states = Counter[str]()
    arms: dict[str, dict[str, int]] = {}
    for arm, state, count in db_session.execute(
        select(CaseStrategy.arm, CaseStrategy.state, func.count())
        .where(CaseStrategy.as_of == context.as_of, CaseStrategy.case_id.in_(tenant_cases))
        .group_by(CaseStrategy.arm, CaseStrategy.state)
        .order_by(CaseStrategy.state, CaseStrategy.arm)
    ):
        arms.setdefault(arm.value, {})[str(state)] = int(count)
        states[str(state)] += int(count)  # a state's cases are its cases in each arm
    of_the_day = (CollectionAction.as_of == context.as_of, CollectionAction.case_id.in_(tenant_cases))
    actions = Counter[str]()
    for treatment, count in db_session.execute(
        select(CollectionAction.treatment, func.count())
        .where(*of_the_day)
        .group_by(CollectionAction.treatment)
        .order_by(CollectionAction.treatment)
    ):
        actions[treatment.value] += int(count)
    blocked = Counter[str]()
    for rules in db_session.scalars(
        select(CollectionAction.blocked_rules).where(*of_the_day, CollectionAction.status == ActionStatus.BLOCKED)
    ):
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
