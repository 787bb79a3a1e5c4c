"""The run through Procrastinate on PostgreSQL: workers take the steps, and the day ends as in process."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import procrastinate
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ConfigurationError
from arrears.jobs.queue import NO_WORKER, QUEUE, StepFailed, conninfo, ensure_schema, make_app, run_day_on_queue
from arrears.strategy.enums import RunStatus
from arrears.strategy.models import Run
from arrears.strategy.run import Stage, execute_step, open_run, run_day
from arrears.strategy.stages import STAGES
from tests.conftest import POSTGRES_URL
from tests.factories import Factories
from tests.strategy.test_run import portfolio, snapshot

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="the task queue needs PostgreSQL")
AS_OF = date(2026, 2, 20)


@pytest.fixture
def twin_databases(postgres_template: str) -> Iterator[tuple[str, str, str]]:
    """Two PostgreSQL databases holding the same portfolio (the first cloned from the migrated template, the
    second from the first)."""
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    names = [f"arrears_queue_{uuid.uuid4().hex[:8]}_{side}" for side in ("a", "b")]
    urls = [make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False) for name in names]
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}" TEMPLATE "{postgres_template}"'))
        engine = create_db_engine(urls[0])
        with Session(engine) as db_session, db_session.begin():
            tenant_code = portfolio(db_session, Factories(db_session)).code
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
        yield urls[0], urls[1], tenant_code
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_workers_on_the_queue_end_the_day_exactly_as_the_in_process_run(twin_databases: tuple[str, str, str]) -> None:
    queued_url, local_url, tenant_code = twin_databases
    engine = create_db_engine(queued_url)
    queued = Book(queued_url, engine, make_session_factory(engine), tenant_code)
    app, progress = queued.app(), RecordedProgress()
    with Workers(queued_url, STAGES, concurrency=2).started():
        queued.coordinate(app, progress=progress)
    local = make_session_factory(create_db_engine(local_url))
    run_day(factory=local, tenant_code=tenant_code, as_of=AS_OF, actor="test:run", stages=STAGES)
    with queued.factory() as a, local() as b:
        assert snapshot(a) == snapshot(b)
    assert [stage for stage, _partition in progress.steps] == [stage.name for stage in STAGES]  # one step each
    assert progress.steps[("pass", 0)]["loans"] > 0  # the coordinator shows what each worker's step counted
    assert progress.steps[("policy", 0)]["cases"] > 0


@dataclass(frozen=True)
class Book:
    """A committed portfolio in a database of the test's own, as workers on other machines would see it."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    tenant_code: str

    def app(self, stages: tuple[Stage, ...] = STAGES) -> procrastinate.App:
        """The queue's app over ``stages``, its tables created."""
        app = make_app(self.url, stages)
        with self.factory() as db_session:
            ensure_schema(app, db_session)
        return app

    def coordinate(self, app: procrastinate.App, stages: tuple[Stage, ...] = STAGES, **options: Any) -> int:
        """The coordinator as the tests run it: quick polls, and a time limit instead of waiting for ever."""
        return run_day_on_queue(
            factory=self.factory,
            app=app,
            tenant_code=self.tenant_code,
            as_of=AS_OF,
            actor="test:run",
            stages=stages,
            **{"poll_seconds": 0.1, "timeout_seconds": 120, **options},
        )


@pytest.fixture
def book(fresh_database: str) -> Iterator[Book]:
    engine = create_db_engine(fresh_database)
    factory = make_session_factory(engine)
    with factory() as db_session, db_session.begin():
        tenant_code = portfolio(db_session, Factories(db_session)).code
    yield Book(fresh_database, engine, factory, tenant_code)
    engine.dispose()


def test_a_step_taken_by_a_worker_that_died_is_queued_again_and_the_day_ends(book: Book) -> None:
    app = book.app()
    died: list[int] = []
    workers = Workers(book.url, STAGES)

    def first_look(seconds: float) -> None:
        """At the coordinator's first wait, a worker takes the first step and dies; then real workers start."""
        if not died:
            with book.engine.begin() as conn:
                dead = conn.scalar(text("SELECT worker_id FROM procrastinate_register_worker_v1()"))
                job = conn.execute(
                    text("SELECT id FROM procrastinate_fetch_job_v2(ARRAY[:queue]::varchar[], :worker)"),
                    {"queue": QUEUE, "worker": dead},
                ).scalar_one()
                conn.execute(
                    text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = :w"),
                    {"w": dead},
                )
            died.append(job)
            workers.start()
        time.sleep(seconds)

    with workers:
        run_id = book.coordinate(app, sleep=first_look, stalled_after=0.5)
    with book.factory() as db_session:
        assert db_session.get_one(Run, run_id).status is RunStatus.DONE
        status = db_session.scalar(text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": died[0]})
    assert status == "succeeded"  # the dead worker's job was put back and done by a live worker


def test_a_step_taken_twice_at_once_is_done_once(book: Book) -> None:
    """A coordinator started again while a worker is on a step queues it anew; the second taker waits, then skips."""
    with book.factory() as db_session, db_session.begin():
        run_id = open_run(db_session=db_session, tenant_code=book.tenant_code, as_of=AS_OF, actor="test:run").id
    started, done = threading.Barrier(2), []
    worked: list[int] = []

    def work(db_session: Session, context: object, ids: range) -> dict[str, int]:
        worked.append(1)
        time.sleep(0.5)  # long enough for the other taker to arrive while this one works
        return {"cases": 1}

    probe = Stage("probe", work, partitioned=False)

    def take() -> None:
        started.wait(timeout=30)
        done.append(
            execute_step(factory=book.factory, run_id=run_id, stage=probe, partition=0, case_ids=range(0), actor="t")
        )

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(worked) == 1
    assert sorted(done, key=str) == [None, {"cases": 1}]


def test_the_coordinator_started_again_after_a_failed_step_ends_the_day(book: Book) -> None:
    failed_once: list[str] = []

    def failing_once(stage: Stage) -> Stage:
        def work(db_session: Session, context: Any, ids: range) -> dict[str, Any]:
            if not failed_once:
                failed_once.append(stage.name)
                raise RuntimeError("the database went away for a moment")
            return stage.work(db_session, context, ids)

        return Stage(stage.name, work, stage.partitioned, stage.over)

    stages = tuple(failing_once(stage) if stage.name == "segment" else stage for stage in STAGES)
    app = book.app(stages)
    with Workers(book.url, stages).started():
        with pytest.raises(StepFailed, match="segment"):
            book.coordinate(app, stages)
        run_id = book.coordinate(app, stages)  # the cause is gone: the day goes on from the failed step
    with book.factory() as db_session:
        assert db_session.get_one(Run, run_id).status is RunStatus.DONE


def test_a_coordinator_with_no_worker_says_so_instead_of_waiting_in_silence(book: Book) -> None:
    progress = RecordedProgress()
    with pytest.raises(StepFailed, match="did not finish in time"):
        book.coordinate(book.app(), progress=progress, stalled_after=0.2, timeout_seconds=1.5)
    assert progress.waits == [("plan_pass", NO_WORKER)]  # said once, on the stage it waits at


class Workers:
    """Worker threads, each as on another machine: its own app and connections; stopped on leaving the block."""

    def __init__(self, url: str, stages: tuple[Stage, ...], *, count: int = 2, concurrency: int = 1) -> None:
        self.url, self.stages, self.concurrency = url, stages, concurrency
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(count)]

    def _work(self) -> None:
        own = make_app(self.url, self.stages)
        while not self.stop.is_set():
            own.run_worker(queues=[QUEUE], wait=False, install_signal_handlers=False, concurrency=self.concurrency)
            self.stop.wait(0.1)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def started(self) -> Workers:
        self.start()
        return self

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout=30)


class RecordedProgress:
    """The coordinator's progress reports: (stage, partition) -> counts, in the order they came."""

    def __init__(self) -> None:
        self.steps: dict[tuple[str, int], dict[str, Any]] = {}

        self.waits: list[tuple[str, str]] = []

    def step_done(self, stage: str, partition: int, partitions: int, counts: dict[str, Any]) -> None:
        assert (stage, partition) not in self.steps, "each step is reported once"
        self.steps[(stage, partition)] = counts

    def waiting(self, stage: str, why: str) -> None:
        self.waits.append((stage, why))


@pytest.fixture
def fresh_database(postgres_template: str) -> Iterator[str]:
    """An empty migrated PostgreSQL database, without the queue's tables."""
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"arrears_queue_{uuid.uuid4().hex[:8]}_schema"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_workers_started_together_all_find_the_queue_ready(fresh_database: str) -> None:
    """Each worker (and the coordinator) makes sure the queue's tables exist; started at once, none fails."""
    starters = 4
    ready = threading.Barrier(starters)
    errors: list[BaseException] = []

    def start() -> None:
        engine = create_db_engine(fresh_database)
        try:
            with make_session_factory(engine)() as db_session:
                ready.wait(timeout=30)
                ensure_schema(make_app(fresh_database, STAGES), db_session)
        except BaseException as error:  # collected for the assertion below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    engine = create_db_engine(fresh_database)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 0
    engine.dispose()


def test_the_queue_refuses_sqlite_with_a_clear_message() -> None:
    with pytest.raises(ConfigurationError, match="needs PostgreSQL"):
        conninfo("sqlite:///var/arrears.sqlite3")
