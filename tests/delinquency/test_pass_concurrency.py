"""Workers aging different ranges of loans at once do not wait for each other's whole step.

Every pass step appends to the one audit chain, whose lock is held until the
step's transaction ends. Taken early in a step, it made every other worker's
step wait for that commit: a night on several workers ran its pass one step
after another.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from arrears.audit.models import AuditRecord
from arrears.audit.verify import verify_chain
from arrears.db.session import create_db_engine, make_session_factory
from arrears.delinquency import daily_pass
from arrears.delinquency.daily_pass import run_pass
from tests.factories import Factories

AS_OF = date(2026, 3, 20)


def test_a_step_holding_its_first_chunk_does_not_stop_another_range_from_committing(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time whatever the pass does")
    monkeypatch.setattr(daily_pass, "CHUNK", 1)
    engine = create_db_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    with sessions() as db_session, db_session.begin():
        factories = Factories(db_session)
        tenant = factories.tenant()
        product = factories.product(tenant)
        ids = [factories.loan(tenant=tenant, product=product, disbursed_on=date(2026, 1, 1)).id for _ in range(4)]
    first_range, second_range = range(ids[0], ids[1] + 1), range(ids[2], ids[3] + 1)
    first_chunk_done, second_step_done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold_after_first_chunk(_loans: int) -> None:
        if not first_chunk_done.is_set():
            first_chunk_done.set()
            second_step_done.wait(timeout=30)

    def first_step() -> None:
        try:
            with sessions() as db_session, db_session.begin():
                run_pass(
                    db_session=db_session,
                    as_of=AS_OF,
                    loan_ids=first_range,
                    sync_cases=False,
                    progress=hold_after_first_chunk,
                )
        except BaseException as error:  # reported by the main thread, which owns the assertions
            failures.append(error)
            first_chunk_done.set()

    worker = threading.Thread(target=first_step)
    worker.start()
    try:
        assert first_chunk_done.wait(timeout=30)
        with sessions() as db_session, db_session.begin():
            db_session.execute(text("SET LOCAL lock_timeout = '3s'"))
            report = run_pass(db_session=db_session, as_of=AS_OF, loan_ids=second_range, sync_cases=False)
        assert report.loans == 2
    finally:
        second_step_done.set()
        worker.join(timeout=60)
    try:
        assert failures == []
        with sessions() as db_session:
            aged = db_session.scalar(text("SELECT count(*) FROM loan_positions WHERE as_of = :d"), {"d": AS_OF})
            entries = db_session.scalar(select(func.count()).select_from(AuditRecord))
            chain = verify_chain(db_session=db_session)
        assert aged == 4
        assert entries and entries >= 4  # each loan's missed due dates are audited
        assert chain.ok, [problem.one_line() for problem in chain.problems]
    finally:
        engine.dispose()
