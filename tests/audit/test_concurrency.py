"""Concurrent writers append to one chain: each transaction waits for the tail, none forks it."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from arrears import audit
from arrears.audit.models import AuditRecord
from arrears.audit.verify import verify_chain
from arrears.db.session import create_db_engine, make_session_factory

WRITERS = 4
TRANSACTIONS = 10
PER_TRANSACTION = 5


def test_concurrent_writers_leave_one_unbroken_chain(fresh_database_url: str) -> None:
    engine = create_db_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for transaction in range(TRANSACTIONS):
                with sessions() as db_session, db_session.begin():
                    for n in range(PER_TRANSACTION):
                        audit.record(
                            db_session=db_session,
                            actor=f"writer:{writer}",
                            action="test.concurrent",
                            subject_type="test",
                            subject_id=f"{transaction}.{n}",
                        )
                    if transaction % 2:
                        audit.record_many(
                            db_session=db_session,
                            rows=[{"actor": f"writer:{writer}", "action": "test.bulk", "subject_type": "test"}],
                        )
        except BaseException as exc:  # reported by the main thread, which owns the assertion
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        with sessions() as db_session:
            total = db_session.scalar(select(func.count()).select_from(AuditRecord))
            distinct_seq = db_session.scalar(select(func.count(func.distinct(AuditRecord.seq))))
            report = verify_chain(db_session=db_session, batch_size=7)
        expected = WRITERS * (TRANSACTIONS * PER_TRANSACTION + TRANSACTIONS // 2)
        assert total == distinct_seq == expected
        assert report.ok, [p.one_line() for p in report.problems]
        assert (report.rows_checked, report.head_seq) == (expected, expected)
    finally:
        engine.dispose()
