"""The end-of-day run: idempotent per day, resumable after a crash at any step, forward-only."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from arrears.cases.models import Case
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.flows import record_contact
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.errors import Conflict, InvalidInput
from arrears.ledger.models import Loan
from arrears.org.models import Tenant
from arrears.strategy import run as run_module
from arrears.strategy.enums import ActionStatus, RunStatus
from arrears.strategy.models import CaseStrategy, CollectionAction, Run, RunStep
from arrears.strategy.run import Stage, StepSizes, run_day
from arrears.strategy.service import explain_case
from arrears.strategy.stages import STAGES
from tests.factories import Factories

AS_OF = date(2026, 2, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Crash(RuntimeError):
    """Stands for the process being killed in the middle of a step."""


def portfolio(db_session: Session, factories: Factories) -> Tenant:
    tenant = factories.tenant()
    product = factories.product(tenant)
    for disbursed in (date(2026, 1, 1), date(2026, 1, 10), date(2025, 12, 5), date(2025, 10, 1), date(2026, 1, 17)):
        factories.loan(tenant=tenant, product=product, disbursed_on=disbursed)
    for _ in range(3):
        factories.user(tenant)
    return tenant


def factory_on(db_session: Session) -> sessionmaker[Session]:
    """Sessions sharing the test's connection: each unit of work is a savepoint, rolled back on a crash."""
    return sessionmaker(bind=db_session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


def day(db_session: Session, tenant: Tenant, as_of: date = AS_OF, stages: tuple[Stage, ...] = STAGES) -> int:
    return run_day(
        factory=factory_on(db_session), tenant_code=tenant.code, as_of=as_of, actor="test:run", stages=stages
    )


def with_promise(db_session: Session, tenant: Tenant) -> None:
    """After a first day, a collector takes a promise due on the next day (in a unit of work of their own)."""
    with factory_on(db_session)() as collector_session, collector_session.begin():
        promise_on_first_case(collector_session, tenant)


def promise_on_first_case(db_session: Session, tenant: Tenant) -> None:
    case = db_session.scalars(select(Case).where(Case.tenant_id == tenant.id).order_by(Case.id)).first()
    assert case is not None
    contact_in = ContactIn(
        case_id=case.id,
        channel=ContactChannel.CALL,
        at=datetime(2026, 2, 21, 10, 0, tzinfo=SHANGHAI),
        outcome=Outcome.PROMISE,
        conversation=True,
        promise=PromiseIn(amount=Decimal("100.00"), due_on=date(2026, 2, 21)),
    )
    record_contact(db_session=db_session, contact_in=contact_in, actor="test").raise_if_blocked()


def of_case(table: str, columns: str) -> str:
    """Rows of ``table`` keyed by the borrower's external id, which is stable across runs (case ids are not)."""
    return (
        f"SELECT b.external_id, {columns} FROM {table} t"
        " JOIN cases c ON c.id = t.case_id JOIN borrowers b ON b.id = c.borrower_id"
    )


SNAPSHOT = {
    "loan_positions": (
        "SELECT loan_id, as_of, days_past_due, bucket, overdue_charges, payoff_amount, window_from, valid_until,"
        " cut_exact, cut_daily, payments_seen, payments_key FROM loan_positions"
    ),
    "charges": "SELECT loan_id, installment_number, kind, accrued, paid, payable, as_of, exact, daily FROM charges",
    "bucket_history": "SELECT loan_id, bucket, entered_on, left_on, left_to FROM bucket_history",
    "cases": "SELECT b.external_id, c.status FROM cases c JOIN borrowers b ON b.id = c.borrower_id",
    "promises": of_case("promises_to_pay", "t.status, t.amount_paid, t.resolved_on"),
    "case_strategies": of_case("case_strategies", "t.as_of, t.policy_code, t.arm, t.state, t.stage, t.state_since"),
    "case_state_history": of_case("case_state_history", "t.state, t.arm, t.entered_on, t.left_on"),
    "actions": of_case(
        "collection_actions", "t.as_of, t.treatment, t.status, t.timing, t.blocked_rules, t.user_id, t.not_before"
    ),
    "queues": of_case("queue_entries", "t.as_of, t.user_id, t.rank, t.expected_value"),
    "assignments": of_case("case_assignments", "t.user_id, t.ended_at IS NULL"),
    "runs": "SELECT as_of, status FROM runs",
    "steps": "SELECT r.as_of, s.stage, s.partition, s.status FROM run_steps s JOIN runs r ON r.id = s.run_id",
    "audit": "SELECT action, subject_type FROM audit_log",
}


def snapshot(db_session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """What a user could see of the day, without row ids and clock times."""
    return {
        name: Counter(tuple(map(str, row)) for row in db_session.execute(text(sql))) for name, sql in SNAPSHOT.items()
    }


def case_id_sequence(db_session: Session) -> Callable[[], None]:
    """PostgreSQL sequences ignore rollbacks: a function that puts the case ids back where they are now.

    The replay must give cases the same ids as the clean run, because arms hash the case id.
    """
    if db_session.get_bind().dialect.name != "postgresql":
        return lambda: None
    last, called = db_session.execute(text("SELECT last_value, is_called FROM cases_id_seq")).one()

    def rewind() -> None:
        db_session.execute(text("SELECT setval('cases_id_seq', :last, :called)"), {"last": last, "called": called})

    return rewind


def crashing(stage_name: str, *, after_work: bool) -> tuple[Stage, ...]:
    """The stages, with one that dies once (before or after doing its writes) on its first partition."""
    crashed = {"done": False}

    def wrap(stage: Stage) -> Stage:
        def work(db_session: Session, context: Any, cases: range) -> dict[str, Any]:
            if not crashed["done"] and not after_work:
                crashed["done"] = True
                raise Crash(stage.name)
            counts = stage.work(db_session, context, cases)
            if not crashed["done"]:
                crashed["done"] = True
                raise Crash(stage.name)
            return counts

        return Stage(stage.name, work, stage.partitioned)

    return tuple(wrap(stage) if stage.name == stage_name else stage for stage in STAGES)


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "PARTITION_SIZE", 2)
    monkeypatch.setattr(run_module, "LOAN_PARTITION_SIZE", 2)


def two_days(db_session: Session, tenant: Tenant, *, crash: tuple[Stage, ...] | None) -> None:
    day(db_session, tenant)
    with_promise(db_session, tenant)
    if crash is not None:
        with pytest.raises(Crash):
            day(db_session, tenant, date(2026, 2, 21), crash)
    day(db_session, tenant, date(2026, 2, 21))


KILL_POINTS = [(stage.name, True) for stage in STAGES] + [(STAGES[0].name, False), (STAGES[-1].name, False)]
"""After each stage's writes (the hard case: work done, not committed), and before any work at both ends."""


@pytest.mark.parametrize(("stage_name", "after_work"), KILL_POINTS)
def test_a_run_killed_at_any_step_and_started_again_ends_as_an_uninterrupted_one(
    db_session: Session, factories: Factories, small_partitions: None, stage_name: str, after_work: bool
) -> None:
    tenant = portfolio(db_session, factories)
    before = db_session.begin_nested()
    rewind = case_id_sequence(db_session)
    two_days(db_session, tenant, crash=None)
    clean = snapshot(db_session)
    # The second night rolls most positions forward inside their windows: the kill must find that path too.
    rolled = db_session.scalars(
        select(RunStep.counts)
        .join(Run, Run.id == RunStep.run_id)
        .where(Run.as_of == date(2026, 2, 21), RunStep.stage == "pass")
    ).all()
    assert sum(counts["rolled"] for counts in rolled) > 0
    before.rollback()
    rewind()
    two_days(db_session, tenant, crash=crashing(stage_name, after_work=after_work))
    assert snapshot(db_session) == clean


def test_step_sizes_given_to_a_run_plan_its_steps_and_end_the_day_as_the_defaults_do(
    db_session: Session, factories: Factories
) -> None:
    tenant = portfolio(db_session, factories)
    before = db_session.begin_nested()
    rewind = case_id_sequence(db_session)
    day(db_session, tenant)
    with_defaults = snapshot(db_session)
    before.rollback()
    rewind()
    run_id = run_day(
        factory=factory_on(db_session),
        tenant_code=tenant.code,
        as_of=AS_OF,
        actor="test:run",
        stages=STAGES,
        sizes=StepSizes(loans=2, cases=3),
    )
    run = db_session.get_one(Run, run_id)
    assert run.report["step_sizes"] == {"loans": 2, "cases": 3}
    loan_steps, case_steps = run.report["loan_partitions"], run.report["partitions"]
    assert len(loan_steps) == 3 and {stop - start for start, stop in loan_steps[:-1]} == {2}
    assert len(case_steps) > 1 and {stop - start for start, stop in case_steps[:-1]} == {3}
    same_day = {name: rows for name, rows in snapshot(db_session).items() if name != "steps"}
    assert same_day == {name: rows for name, rows in with_defaults.items() if name != "steps"}


def test_step_sizes_for_workers_give_each_worker_a_step_on_the_first_night_and_after(
    db_session: Session, factories: Factories
) -> None:
    tenant = portfolio(db_session, factories)  # five loans, no case yet
    loan_ids = db_session.scalars(select(Loan.id).where(Loan.tenant_id == tenant.id)).all()
    loan_span = max(loan_ids) - min(loan_ids) + 1
    first_night = StepSizes.for_workers(db_session=db_session, tenant_code=tenant.code, workers=2)
    assert first_night == StepSizes(loans=-(-loan_span // 2), cases=-(-loan_span // 2))  # not one case per step
    day(db_session, tenant)
    case_ids = db_session.scalars(select(Case.id).where(Case.tenant_id == tenant.id)).all()
    after = StepSizes.for_workers(db_session=db_session, tenant_code=tenant.code, workers=2)
    assert after.cases == -(-(max(case_ids) - min(case_ids) + 1) // 2)
    alone = StepSizes.for_workers(db_session=db_session, tenant_code=tenant.code, workers=1)
    assert alone.loans == loan_span  # one step: never wider than the book needs, nor than the default


def test_step_sizes_must_be_above_zero() -> None:
    with pytest.raises(InvalidInput, match="above zero"):
        StepSizes(loans=0, cases=50_000)


def test_running_a_finished_day_again_changes_nothing(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    first = day(db_session, tenant)
    once = snapshot(db_session)
    assert day(db_session, tenant) == first
    assert snapshot(db_session) == once
    run = db_session.get_one(Run, first)
    assert run.status is RunStatus.DONE
    assert run.report["states"] and run.report["actions"]


def test_a_run_may_not_go_back_in_time(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    day(db_session, tenant, date(2026, 2, 21))
    with pytest.raises(Conflict, match="back in time"):
        day(db_session, tenant, AS_OF)


def test_the_day_gives_every_worked_case_an_owner_and_a_queue_place(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    run = db_session.get_one(Run, day(db_session, tenant))
    allocated = run.report["stages"]["allocate"]
    assert allocated["worked_cases"] == allocated["queued"] > 0
    assert allocated["unallocated"] == 0
    queued: Callable[[], Any] = lambda: db_session.execute(text("SELECT user_id, rank FROM queue_entries")).all()  # noqa: E731
    ranks: dict[int, list[int]] = {}
    for user_id, rank in queued():
        ranks.setdefault(user_id, []).append(rank)
    assert all(sorted(r) == list(range(1, len(r) + 1)) for r in ranks.values())


def test_explain_shows_every_case_the_state_and_arm_the_run_gave_it(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    day(db_session, tenant)
    worked = db_session.scalars(select(CaseStrategy).join(Case, Case.id == CaseStrategy.case_id)).all()
    assert worked
    for strategy in worked:
        explained = explain_case(db_session=db_session, case_id=strategy.case_id, as_of=AS_OF)
        assert (explained.decision.name, explained.arm) == (strategy.state, strategy.arm)


def test_the_report_counts_what_the_day_wrote(db_session: Session, factories: Factories) -> None:
    tenant = portfolio(db_session, factories)
    run = db_session.get_one(Run, day(db_session, tenant))
    strategies = db_session.scalars(select(CaseStrategy)).all()
    actions = db_session.scalars(select(CollectionAction)).all()
    blocked = Counter(
        rule for action in actions if action.status is ActionStatus.BLOCKED for rule in action.blocked_rules
    )
    arms: dict[str, Counter[str]] = {}
    for strategy in strategies:
        arms.setdefault(strategy.arm.value, Counter())[strategy.state] += 1
    assert run.report["states"] == Counter(strategy.state for strategy in strategies)
    assert run.report["arms"] == arms
    assert run.report["actions"] == Counter(action.treatment.value for action in actions)
    assert run.report["guard_blocks"] == blocked


def test_the_policy_stage_stamps_a_worked_case_s_actions_with_its_owner_and_allocation_keeps_it_right(
    db_session: Session, factories: Factories
) -> None:
    tenant = portfolio(db_session, factories)
    day(db_session, tenant)
    next_day = date.fromordinal(AS_OF.toordinal() + 1)
    up_to_policy = STAGES[: [stage.name for stage in STAGES].index("policy") + 1]
    day(db_session, tenant, next_day, up_to_policy)
    owners = dict(db_session.execute(text(OPEN_OWNERS)).all())
    actions = db_session.execute(
        text("SELECT case_id, treatment, user_id FROM collection_actions WHERE as_of = :d"), {"d": next_day}
    ).all()
    worked = {case_id for case_id, treatment, _ in actions if treatment in ("call", "visit")}
    assert worked and owners
    assert all(user_id == (owners.get(case_id) if case_id in worked else None) for case_id, _, user_id in actions)
    day(db_session, tenant, next_day)
    owners = dict(db_session.execute(text(OPEN_OWNERS)).all())
    stamped = db_session.execute(
        text("SELECT case_id, user_id FROM collection_actions WHERE as_of = :d"), {"d": next_day}
    ).all()
    assert all(user_id == (owners.get(case_id) if case_id in worked else None) for case_id, user_id in stamped)


OPEN_OWNERS = "SELECT case_id, user_id FROM case_assignments WHERE ended_at IS NULL AND user_id IS NOT NULL"


def test_each_step_runs_with_the_cyclic_collector_paused_and_gives_it_back_even_when_it_fails(
    db_session: Session, factories: Factories
) -> None:
    """The collector's pass over a step's millions of tuples was a quarter of a steady night (docs/run.md)."""
    tenant = portfolio(db_session, factories)
    seen: list[bool] = []

    def watching(stage: Stage, *, fail: bool = False) -> Stage:
        def work(session: Session, context: Any, cases: range) -> dict[str, Any]:
            seen.append(gc.isenabled())
            if fail:
                raise Crash(stage.name)
            return stage.work(session, context, cases)

        return Stage(stage.name, work, stage.partitioned, stage.over)

    assert gc.isenabled()
    with pytest.raises(Crash):
        day(db_session, tenant, stages=tuple(watching(stage, fail=stage.name == "plan") for stage in STAGES))
    assert gc.isenabled() and seen and not any(seen)
    seen.clear()
    day(db_session, tenant, stages=tuple(watching(stage) for stage in STAGES))
    assert gc.isenabled() and seen and not any(seen)  # the steps left after the failed one
