"""Writing the chain: entries link up in order, read back hash-exact on both back ends, and stay put."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from arrears import audit
from arrears.audit.chain import ChainFields, DetailsNotChainable, entry_hash
from arrears.audit.models import AuditRecord
from arrears.audit.service import search


def _recorded(db_session: Session, count: int, action: str = "test.recorded") -> list[AuditRecord]:
    return [
        audit.record(db_session=db_session, actor="test", action=action, subject_type="loan", subject_id=n)
        for n in range(count)
    ]


def _recomputed(entry: AuditRecord) -> str:
    return entry_hash(
        ChainFields(
            seq=entry.seq,
            prev_hash=entry.prev_hash,
            occurred_at=entry.occurred_at,
            tenant_id=entry.tenant_id,
            actor_user_id=entry.actor_user_id,
            actor=entry.actor,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            origin=entry.origin,
            details=entry.details,
        )
    )


def test_each_entry_links_to_the_one_before(db_session: Session) -> None:
    entries = _recorded(db_session, 3)
    assert [e.seq for e in entries] == [entries[0].seq, entries[0].seq + 1, entries[0].seq + 2]
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash


def test_the_chain_continues_across_commits(db_session: Session) -> None:
    first = _recorded(db_session, 1)[0]
    db_session.commit()
    second = _recorded(db_session, 1)[0]
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)


def test_a_rolled_back_savepoint_leaves_no_gap(db_session: Session) -> None:
    first = _recorded(db_session, 1)[0]
    db_session.flush()
    with db_session.begin_nested() as savepoint:
        _recorded(db_session, 2)
        db_session.flush()
        savepoint.rollback()
    after = _recorded(db_session, 1)[0]
    assert (after.seq, after.prev_hash) == (first.seq + 1, first.hash)


def test_the_tail_is_read_once_per_transaction(db_session: Session) -> None:
    statements: list[str] = []
    connection = db_session.connection()

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        _recorded(db_session, 5)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert sum("ORDER BY audit_log.seq DESC" in s for s in statements) == 1


def test_the_cached_tail_is_forgotten_when_the_transaction_ends(db_session: Session) -> None:
    _recorded(db_session, 1)
    assert db_session.info
    db_session.commit()
    assert not db_session.info
    _recorded(db_session, 1)
    db_session.close()
    assert not db_session.info


def test_bulk_entries_continue_the_same_chain(db_session: Session) -> None:
    first = _recorded(db_session, 1)[0]
    rows = [
        {"actor": "system:pass", "action": "loan.pass_failed", "subject_type": "loan", "subject_id": n} for n in (1, 2)
    ]
    audit.record_many(db_session=db_session, rows=rows)
    bulk = list(db_session.scalars(select(AuditRecord).where(AuditRecord.seq > first.seq).order_by(AuditRecord.seq)))
    assert [(e.seq, e.subject_id) for e in bulk] == [(first.seq + 1, "1"), (first.seq + 2, "2")]
    assert bulk[0].prev_hash == first.hash and all(_recomputed(e) == e.hash for e in bulk)
    after = _recorded(db_session, 1)[0]
    assert after.prev_hash == bulk[-1].hash


def test_an_entry_not_yet_flushed_is_written_before_a_bulk_batch(db_session: Session) -> None:
    single = audit.record(db_session=db_session, actor="user:1", action="test.single", subject_type="loan")
    rows = [{"actor": "system:run", "action": "test.bulk", "subject_type": "case", "subject_id": n} for n in range(50)]
    audit.record_many(db_session=db_session, rows=rows)
    stored = list(db_session.scalars(select(AuditRecord).where(AuditRecord.seq >= single.seq).order_by(AuditRecord.id)))
    assert [e.seq for e in stored] == list(range(single.seq, single.seq + 51))
    assert all(e.prev_hash == before.hash for before, e in pairwise(stored))
    assert all(_recomputed(e) == e.hash for e in stored)
    assert len({e.occurred_at for e in stored[1:]}) == 1  # a batch without times is stamped with one instant


def test_a_naive_time_in_a_batch_is_refused_and_nothing_is_chained(db_session: Session) -> None:
    before = _recorded(db_session, 1)[0]
    row = {"actor": "user:1", "action": "test.bulk", "subject_type": "case", "occurred_at": datetime(2026, 3, 1)}
    with pytest.raises(ValueError, match="time-zone aware"):
        audit.record_many(db_session=db_session, rows=[row])
    assert _recorded(db_session, 1)[0].seq == before.seq + 1


def test_values_read_back_give_the_same_hash(db_session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    details = {"big": 2**62, "text": '承诺还款 "quoted"', "flags": [True, False, None], "nested": {"b": 1, "a": [2]}}
    audit.record_many(
        db_session=db_session,
        rows=[
            {
                "actor": "user:1",
                "action": "borrower.viewed",
                "subject_type": "borrower",
                "subject_id": "9",
                "details": details,
                "origin": "192.0.2.1",
                "occurred_at": datetime(2026, 3, 1, 9, 30, 1, 654321, tzinfo=shanghai),
            }
        ],
    )
    db_session.expire_all()
    stored = db_session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).one()
    assert stored.occurred_at == datetime(2026, 3, 1, 1, 30, 1, 654321, tzinfo=UTC)
    assert stored.details == details
    assert _recomputed(stored) == stored.hash


def test_money_in_details_must_be_a_string(db_session: Session) -> None:
    with pytest.raises(DetailsNotChainable, match="money goes in as a string"):
        audit.record(
            db_session=db_session, actor="t", action="a", subject_type="loan", details={"amount": Decimal("1.00")}
        )


def test_an_unknown_bulk_field_is_refused(db_session: Session) -> None:
    with pytest.raises(TypeError, match="unknown audit fields: hash"):
        audit.record_many(
            db_session=db_session, rows=[{"actor": "t", "action": "a", "subject_type": "loan", "hash": "0" * 64}]
        )


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_or_remove_entries(db_session: Session, statement: str) -> None:
    _recorded(db_session, 1)
    db_session.flush()
    with pytest.raises(DBAPIError, match="audit_log is append-only"), db_session.begin_nested():
        db_session.execute(text(statement))


def test_search_finds_newest_first_by_action_and_subject(db_session: Session) -> None:
    _recorded(db_session, 3, action="test.searched")
    db_session.flush()
    found = search(db_session=db_session, action="test.searched", subject_type="loan", limit=2)
    assert [e.subject_id for e in found] == ["2", "1"]
    assert [e.subject_id for e in search(db_session=db_session, action="test.searched", subject_id="0")] == ["0"]


def test_postgresql_refuses_to_truncate_the_log(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="audit_log is append-only"), db_session.begin_nested():
        db_session.execute(text("TRUNCATE audit_log"))
