"""The task queue (Procrastinate on PostgreSQL) that spreads the end-of-day run's steps over workers.

The unit of work is :func:`arrears.strategy.run.execute_step`; a job names a
run, a stage and a partition, never data, so any worker on any machine with
the database's address can take it. The coordinator (``arrears run
--queue``) defers a stage's steps, waits until every one is done, and moves
to the next stage. A queueing lock per step means a step is never queued
twice; a step already done is skipped by the worker, so re-running the
coordinator after a crash (of it or of a worker) is safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ArrearsError, ConfigurationError
from arrears.strategy.enums import RunStatus
from arrears.strategy.models import Run, RunStep
from arrears.strategy.run import Progress, Stage, StepSizes, execute_step, open_run, planned_steps

QUEUE = "run"
TASK = "arrears.run_step"
FIRST_POLL_SECONDS = 0.02
"""The coordinator's first look at a stage's steps; it then waits twice as long each time, up to ``poll_seconds``."""
STALLED_AFTER_SECONDS = 60.0
"""A worker silent this long is taken for dead, and its step is queued again (workers beat every 10 s)."""
SCHEMA_LOCK_KEY = 0x6172726561727302
"""PostgreSQL advisory lock held while the queue's tables are created: ASCII 'arrears' and 0x02."""


class StepFailed(ArrearsError):
    code = "step_failed"


def conninfo(database_url: str) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL; the queue refuses any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigurationError(
            "the task queue needs PostgreSQL",
            hint="on SQLite, `arrears run` runs the steps in process; drop --queue and --workers",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def _factory(database_url: str) -> sessionmaker[Session]:
    engine: Engine = create_db_engine(database_url)
    return make_session_factory(engine)


def make_app(database_url: str, stages: tuple[Stage, ...]) -> procrastinate.App:
    """The Procrastinate app for this database, with the run-step task bound to ``stages``."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
    by_name = {stage.name: stage for stage in stages}

    @app.task(name=TASK, queue=QUEUE)
    def run_step(run_id: int, stage: str, partition: int, start: int, stop: int, actor: str) -> None:
        execute_step(
            factory=_factory(database_url),
            run_id=run_id,
            stage=by_name[stage],
            partition=partition,
            case_ids=range(start, stop),
            actor=actor,
        )

    return app


def ensure_schema(app: procrastinate.App, db_session: Session) -> None:
    """Create Procrastinate's tables once (they live beside ours, outside Alembic's history).

    Workers and the coordinator are usually started together, and each makes
    sure the tables exist. Procrastinate creates them in a transaction of its
    own; two at once would both see no tables and the second would fail on
    the first's types. A session-level advisory lock taken on this session's
    connection makes the check and the creation one at a time: the others
    wait, then find the tables there.
    """
    connection = db_session.connection()
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
    try:
        exists = connection.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))
        if not exists:
            with app.open():
                app.schema_manager.apply_schema()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})


def _done(factory: sessionmaker[Session], run_id: int, stage: str) -> dict[int, dict[str, Any]]:
    """The stage's finished steps: partition -> the counts its worker recorded."""
    with factory() as db_session:
        rows = db_session.execute(
            select(RunStep.partition, RunStep.counts).where(
                RunStep.run_id == run_id, RunStep.stage == stage, RunStep.status == RunStatus.DONE
            )
        )
        return {partition: counts or {} for partition, counts in rows}


def _report_done(
    progress: Progress | None, stage: str, partitions: int, done: dict[int, dict[str, Any]], reported: set[int]
) -> None:
    """Tell ``progress`` of each step finished since the last look, with its counts, once."""
    if progress is None:
        return
    for partition in sorted(done.keys() - reported):
        progress.step_done(stage, partition, partitions, done[partition])
        reported.add(partition)


def _stalled_jobs(factory: sessionmaker[Session], lock_prefix: str, stalled_after: float) -> list[int]:
    """The stage's jobs taken by a worker that has stopped: no heartbeat for ``stalled_after`` seconds, or gone.

    A worker beats every ten seconds while it runs a step (its steps run in a
    thread beside the beat). One that was killed, or whose machine went down,
    leaves its job taken forever; Procrastinate removes a silent worker's row,
    which leaves the job with no worker.
    """
    with factory() as db_session:
        rows = db_session.execute(
            text(
                "SELECT job.id FROM procrastinate_jobs job "
                "LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id "
                "WHERE job.status = 'doing' AND job.queueing_lock LIKE :prefix "
                "AND (worker.id IS NULL OR worker.last_heartbeat < now() - make_interval(secs => :seconds))"
            ),
            {"prefix": f"{lock_prefix}%", "seconds": stalled_after},
        )
        return [row[0] for row in rows]


def _retry_stalled(
    app: procrastinate.App, factory: sessionmaker[Session], lock_prefix: str, stalled_after: float
) -> list[int]:
    """Put the stage's stalled jobs back in the queue: a step is redone whole (its transaction died with it)."""
    stalled = _stalled_jobs(factory, lock_prefix, stalled_after)
    if stalled:
        with app.open():
            for job_id in stalled:
                app.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(UTC))
    return stalled


def _live_workers(factory: sessionmaker[Session], within: float) -> int:
    """Workers that have beaten in the last ``within`` seconds."""
    with factory() as db_session:
        return int(
            db_session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat >= now() - make_interval(secs => :seconds)"
                ),
                {"seconds": within},
            )
            or 0
        )


NO_WORKER = "no worker is taking the steps: start `arrears worker` on a machine that reaches the database"


def _failed_jobs(factory: sessionmaker[Session], lock_prefix: str) -> list[int]:
    """The stage's steps whose latest job failed (a step queued again after a failure has a newer job)."""
    with factory() as db_session:
        rows = db_session.execute(
            text(
                "SELECT job.id FROM procrastinate_jobs job WHERE job.status = 'failed' "
                "AND job.queueing_lock LIKE :prefix AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs later "
                "WHERE later.queueing_lock = job.queueing_lock AND later.id > job.id)"
            ),
            {"prefix": f"{lock_prefix}%"},
        )
        return [row[0] for row in rows]


def run_day_on_queue(
    *,
    factory: sessionmaker[Session],
    app: procrastinate.App,
    tenant_code: str,
    as_of: date,
    actor: str,
    stages: tuple[Stage, ...],
    progress: Progress | None = None,
    poll_seconds: float = 0.5,
    timeout_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    sizes: StepSizes | None = None,
    stalled_after: float = STALLED_AFTER_SECONDS,
) -> int:
    """Coordinate the run through the queue; returns the run id once every step is done.

    A stage starts when the last step of the one before is seen done. Most
    stages of a night take well under a second (planning, placements, plans),
    so the coordinator looks again soon after deferring a stage and backs off
    from there: a fixed half-second poll left the workers idle for about five
    seconds of a night.

    A step taken by a worker that then stops (killed, its machine down) is
    queued again once the worker has been silent for ``stalled_after`` seconds,
    so the night goes on with the workers left instead of waiting for ever.
    """
    with factory() as db_session, db_session.begin():
        run_id = open_run(db_session=db_session, tenant_code=tenant_code, as_of=as_of, actor=actor, sizes=sizes).id
    started = time.monotonic()
    for index, stage in enumerate(stages):
        with factory() as db_session:
            steps = planned_steps(db_session.get_one(Run, run_id), stages[index : index + 1])
        lock = f"run:{run_id}:{stage.name}:"
        with app.open():
            task = app.tasks[TASK]
            for step in steps:
                try:
                    task.configure(queueing_lock=f"{lock}{step.partition}").defer(
                        run_id=run_id,
                        stage=stage.name,
                        partition=step.partition,
                        start=step.case_ids.start,
                        stop=step.case_ids.stop,
                        actor=actor,
                    )
                except AlreadyEnqueued:
                    continue
        reported: set[int] = set()
        wait = min(FIRST_POLL_SECONDS, poll_seconds)
        looked_for_stalled, told_no_worker = time.monotonic(), False
        while len(done := _done(factory, run_id, stage.name)) < len(steps):
            if time.monotonic() - looked_for_stalled >= stalled_after / 2:
                _retry_stalled(app, factory, lock, stalled_after)
                looked_for_stalled = time.monotonic()
                if not told_no_worker and progress is not None and not _live_workers(factory, stalled_after):
                    progress.waiting(stage.name, NO_WORKER)
                    told_no_worker = True
            failed = _failed_jobs(factory, lock)
            if failed:
                raise StepFailed(
                    f"stage {stage.name} of run {run_id}: job {failed[0]} failed",
                    hint="see the worker's log, fix the cause and run again: done steps are kept",
                )
            if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
                raise StepFailed(f"stage {stage.name} of run {run_id} did not finish in time", hint="are workers up?")
            _report_done(progress, stage.name, len(steps), done, reported)
            sleep(wait)
            wait = min(wait * 2, poll_seconds)
        _report_done(progress, stage.name, len(steps), done, reported)
    return run_id
