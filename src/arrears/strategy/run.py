"""The end-of-day run (日终批处理): every step of a day, resumable, partitioned, idempotent.

A run belongs to one tenant and one as-of date. It is a fixed list of stages;
partitioned stages run once per range of case ids, the others once. Each
(stage, partition) is one *step*, done in its own transaction that also marks
the step done, so a run killed at any point loses at most the step in flight,
and starting it again skips what is done and redoes the rest. Every step's
writes are keyed by the as-of date (replace-for-the-day or natural keys), so
redoing a step leaves the same rows as doing it once.

The steps are the unit a task queue distributes across workers
(:func:`execute_step`); the in-process executor runs them in order, which is
what the embedded SQLite mode does. Stages are barriers: allocation needs
every partition's policy decisions.
"""

from __future__ import annotations

import gc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.db.base import utcnow
from arrears.errors import Conflict, InvalidInput
from arrears.ledger.models import Loan
from arrears.org import service as tenants
from arrears.strategy.enums import RunStatus
from arrears.strategy.models import Run, RunStep

PARTITION_SIZE = 50_000
"""Cases per partition: large enough for set-based work, small enough for one worker's memory."""

LOAN_PARTITION_SIZE = 100_000
"""Loans per pass step: each is one transaction, so audit writers wait minutes at most, and workers share the pass."""


@dataclass(frozen=True, slots=True)
class StepSizes:
    """How many ids wide each step of a partitioned stage is: loans for the pass, cases for the rest.

    The defaults suit one worker. With many workers the steps should be at
    least as many as the workers, or some wait through the pass with nothing
    to do: 1,000,000 loans make ten pass steps of 100,000. The sizes are
    kept with the run when it opens, so a resumed run plans as it began.
    """

    loans: int
    cases: int

    def __post_init__(self) -> None:
        if self.loans < 1 or self.cases < 1:
            raise InvalidInput(
                f"step sizes must be whole numbers of ids above zero, not {self.loans} loans and {self.cases} cases",
                where="--loans-per-step / --cases-per-step",
                hint="leave them out for the defaults (100,000 loans, 50,000 cases)",
            )

    @classmethod
    def for_workers(cls, *, db_session: Session, tenant_code: str, workers: int) -> StepSizes:
        """Steps no wider than the defaults, and at least one per worker in each partitioned stage.

        Sized on the ids the tenant's loans and cases span now; cases the pass
        opens tonight add a little to the last case step. A book with no case
        yet (its first night) sizes its case steps as its loan steps: it cannot
        open more cases than it has loans.
        """
        tenant = tenants.get_by_code(db_session=db_session, code=tenant_code)

        def span(model: type[Loan] | type[Case]) -> int:
            low, high = db_session.execute(
                select(func.min(model.id), func.max(model.id)).where(model.tenant_id == tenant.id)
            ).one()
            return 0 if low is None else int(high) - int(low) + 1

        loans = span(Loan)
        cases = span(Case) or loans
        return cls(
            loans=max(1, min(LOAN_PARTITION_SIZE, -(-loans // workers))),
            cases=max(1, min(PARTITION_SIZE, -(-cases // workers))),
        )

    @classmethod
    def of(cls, run: Run) -> StepSizes:
        """The sizes the run opened with, or the defaults when it was given none."""
        kept = run.report.get("step_sizes") or {}
        return cls(loans=int(kept.get("loans", LOAN_PARTITION_SIZE)), cases=int(kept.get("cases", PARTITION_SIZE)))


@dataclass(frozen=True, slots=True)
class RunContext:
    run_id: int
    tenant_id: int
    tenant_code: str
    as_of: date
    actor: str


StageWork = Callable[[Session, RunContext, range], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    work: StageWork
    partitioned: bool
    over: str = "cases"
    """What a partitioned stage is split by: ``cases`` or ``loans`` (the ledger pass)."""


class Progress(Protocol):
    def step_done(self, stage: str, partition: int, partitions: int, counts: dict[str, Any]) -> None: ...

    def waiting(self, stage: str, why: str) -> None:
        """The run is waiting on something outside it (no worker is taking the queue's steps)."""


@dataclass(frozen=True, slots=True)
class StepRef:
    stage: str
    partition: int
    case_ids: range


def open_run(*, db_session: Session, tenant_code: str, as_of: date, actor: str, sizes: StepSizes | None = None) -> Run:
    """The tenant's run for ``as_of``, created on first call; a finished run is returned as it is.

    ``sizes`` given are kept with a new run (without, it plans with the defaults); a run
    that exists keeps the sizes it opened with.
    """
    tenant = tenants.get_by_code(db_session=db_session, code=tenant_code)
    run = db_session.scalar(select(Run).where(Run.tenant_id == tenant.id, Run.as_of == as_of))
    if run is None:
        later = db_session.scalar(select(func.max(Run.as_of)).where(Run.tenant_id == tenant.id))
        if later is not None and later > as_of:
            raise Conflict(
                f"tenant {tenant_code} already ran {later}; a run for {as_of} would go back in time",
                hint="runs go forward one day at a time",
            )
        report = {} if sizes is None else {"step_sizes": {"loans": sizes.loans, "cases": sizes.cases}}
        run = Run(tenant_id=tenant.id, as_of=as_of, status=RunStatus.RUNNING, report=report)
        db_session.add(run)
        db_session.flush()
        audit.record(
            db_session=db_session,
            actor=actor,
            action="run.started",
            subject_type="run",
            subject_id=run.id,
            tenant_id=tenant.id,
            details={"as_of": as_of.isoformat()},
        )
    return run


def partitions_for(*, db_session: Session, tenant_id: int, size: int = PARTITION_SIZE) -> list[range]:
    """Ranges of case ids covering every case of the tenant, ``size`` ids wide."""
    low, high = db_session.execute(
        select(func.min(Case.id), func.max(Case.id)).where(Case.tenant_id == tenant_id)
    ).one()
    if low is None:
        return [range(1)]
    return [range(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


def planned_steps(run: Run, stages: tuple[Stage, ...]) -> list[StepRef]:
    """Every step of the run, in order; partitioned stages use the ranges fixed when the run planned them."""
    steps = []
    for stage in stages:
        if stage.partitioned:
            key = "loan_partitions" if stage.over == "loans" else "partitions"
            ranges = [range(start, stop) for start, stop in run.report.get(key, [[0, 1]])]
            steps += [StepRef(stage.name, index, ids) for index, ids in enumerate(ranges)]
        else:
            steps.append(StepRef(stage.name, 0, range(0)))
    return steps


@contextmanager
def _unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as db_session, db_session.begin():
        yield db_session


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one step's work, then restore it as it was.

    A step holds millions of small tuples and arrays at once (a pass chunk's
    schedules, payments, allocations and charges; a partition's facts and
    actions), none of them in a reference cycle: reference counting frees them.
    The cyclic collector does not know that, and rescans every one of them each
    time enough new objects pile up, which cost about a quarter of a steady
    night's run at 100,000 loans (docs/run.md). Cycles made during the step (ORM
    objects) wait for the collector until the step ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _hold_step(db_session: Session, run_id: int, stage: str, partition: int) -> None:
    """Make this transaction the only one doing the step; another doing it already is waited for.

    A queued step can be taken twice: a coordinator started again while a
    worker is still on a step queues it anew. Without this, the second worker
    would start the same work, wait on the step's row, and fail once the first
    committed. Holding the step's lock first, it waits, then finds the step
    done and skips it. PostgreSQL only: SQLite runs the steps one by one.
    """
    if db_session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(f"{stage}:{partition}".encode()) - 2**31  # the two-key form takes int4 keys
    db_session.execute(text("SELECT pg_advisory_xact_lock(:run, :step)"), {"run": run_id, "step": key})


def execute_step(
    *, factory: sessionmaker[Session], run_id: int, stage: Stage, partition: int, case_ids: range, actor: str
) -> dict[str, Any] | None:
    """Do one step in its own transaction, unless it is already done. Returns its counts (``None``: skipped)."""
    with collector_paused(), _unit_of_work(factory) as db_session:
        _hold_step(db_session, run_id, stage.name, partition)
        run = db_session.get_one(Run, run_id)
        step = db_session.scalar(
            select(RunStep).where(RunStep.run_id == run_id, RunStep.stage == stage.name, RunStep.partition == partition)
        )
        if step is not None and step.status is RunStatus.DONE:
            return None
        if step is None:
            step = RunStep(run_id=run_id, stage=stage.name, partition=partition, status=RunStatus.RUNNING)
            db_session.add(step)
        tenant = tenants.get(db_session=db_session, tenant_id=run.tenant_id)
        context = RunContext(run.id, run.tenant_id, tenant.code, run.as_of, actor)
        counts = stage.work(db_session, context, case_ids)
        step.status = RunStatus.DONE
        step.finished_at = utcnow()
        step.counts = counts
        return counts


def run_day(
    *,
    factory: sessionmaker[Session],
    tenant_code: str,
    as_of: date,
    actor: str,
    stages: tuple[Stage, ...],
    progress: Progress | None = None,
    sizes: StepSizes | None = None,
) -> int:
    """Run (or resume) the tenant's day in process; returns the run id."""
    with _unit_of_work(factory) as db_session:
        run_id = open_run(db_session=db_session, tenant_code=tenant_code, as_of=as_of, actor=actor, sizes=sizes).id
    for index, stage in enumerate(stages):
        with factory() as db_session:
            run = db_session.get_one(Run, run_id)
            steps = planned_steps(run, stages[index : index + 1])
        for step in steps:
            counts = execute_step(
                factory=factory,
                run_id=run_id,
                stage=stage,
                partition=step.partition,
                case_ids=step.case_ids,
                actor=actor,
            )
            if progress is not None:
                progress.step_done(
                    stage.name, step.partition, len(steps), {"skipped": True} if counts is None else counts
                )
    return run_id
