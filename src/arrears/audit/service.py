"""Writing audit records. Called inside the caller's unit of work, never commits.

Every entry is chained to the one before it when it is written (see ``chain``). The
tail of the chain (last seq and hash) is read once per transaction, under a lock that
serialises appends across transactions, and then kept in ``db_session.info`` until the
transaction ends, so a unit of work that writes many entries reads it only once.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from arrears.audit.chain import ENTRY_FIELDS, GENESIS_HASH, canonical_json, check_details, link
from arrears.audit.models import AuditRecord
from arrears.db.base import utcnow

CHAIN_LOCK_KEY = 0x6172726561727301
"""PostgreSQL advisory lock held while appending to the chain: ASCII 'arrears' and 0x01."""

_TAIL = "arrears.audit.chain_tail"


@dataclass(slots=True)
class _Tail:
    seq: int
    hash: str


def cli_actor() -> str:
    """The actor name for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record(
    *,
    db_session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int | None = None,
    tenant_id: int | None = None,
    actor_user_id: int | None = None,
    details: dict[str, Any] | None = None,
    origin: str | None = None,
) -> AuditRecord:
    """Append one entry to the audit log; ``details`` must hold JSON values only, money as strings."""
    values = _entry_values(
        {
            "actor": actor,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "tenant_id": tenant_id,
            "actor_user_id": actor_user_id,
            "details": details,
            "origin": origin,
        }
    )
    entry = AuditRecord(**_chain(db_session, [values])[0])
    db_session.add(entry)
    return entry


def record_many(*, db_session: Session, rows: list[dict[str, Any]]) -> None:
    """Append many entries at once, in the order given: COPY on PostgreSQL, one bulk insert elsewhere.

    Each row holds the keyword arguments of :func:`record` (``occurred_at`` may be given;
    it defaults to now, one instant for the whole batch). Used by batch work such as the
    daily pass, the case sync, promises and allocation, which write an entry per case:
    an executemany INSERT goes through the statement machinery once per row, which was
    most of those stages' time.
    """
    if not rows:
        return
    now = utcnow()
    host = socket.gethostname()
    chained = _chain(db_session, [_entry_values(row, now=now, host=host) for row in rows])
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        db_session.execute(insert(AuditRecord), chained)
        return
    db_session.flush()  # entries added by record() keep their place before these, as an INSERT's autoflush does
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY audit_log ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
        for entry in chained:
            copy.write_row(
                [canonical_json(entry["details"]) if name == "details" else entry[name] for name in _COPY_COLUMNS]
            )


def search(
    *,
    db_session: Session,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 50,
) -> list[AuditRecord]:
    """Entries matching every filter given, newest first."""
    stmt = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditRecord.action == action)
    if subject_type is not None:
        stmt = stmt.where(AuditRecord.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditRecord.subject_id == subject_id)
    return list(db_session.scalars(stmt))


_COPY_COLUMNS: tuple[str, ...] = (*ENTRY_FIELDS, "seq", "prev_hash", "hash")


def _entry_values(row: Mapping[str, Any], *, now: datetime | None = None, host: str | None = None) -> dict[str, Any]:
    unknown = set(row) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"unknown audit fields: {', '.join(sorted(unknown))}")
    details = dict(row.get("details") or {})
    check_details(details)
    subject_id = row.get("subject_id")
    occurred_at: datetime = row.get("occurred_at") or now or utcnow()
    if occurred_at.tzinfo is None:
        raise ValueError("audit times must be time-zone aware")
    return {
        "occurred_at": occurred_at,
        "tenant_id": row.get("tenant_id"),
        "actor_user_id": row.get("actor_user_id"),
        "actor": row["actor"],
        "action": row["action"],
        "subject_type": row["subject_type"],
        "subject_id": None if subject_id is None else str(subject_id),
        "origin": row.get("origin") or host or socket.gethostname(),
        "details": details,
    }


def _chain(db_session: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each entry its seq, prev_hash and hash, continuing from the tail of the chain."""
    tail = _tail(db_session)
    times: dict[datetime, str] = {}
    seq, digest = tail.seq, tail.hash
    for values in entries:
        seq += 1
        values["seq"], values["prev_hash"] = seq, digest
        digest = values["hash"] = link(seq, digest, values, times)
    tail.seq, tail.hash = seq, digest
    return entries


def _tail(db_session: Session) -> _Tail:
    cached = db_session.info.get(_TAIL)
    if isinstance(cached, _Tail):
        return cached
    _lock_chain(db_session)
    last = db_session.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1))
    row = last.first()
    tail = _Tail(seq=row.seq, hash=row.hash) if row is not None else _Tail(seq=0, hash=GENESIS_HASH)
    db_session.info[_TAIL] = tail
    return tail


def _lock_chain(db_session: Session) -> None:
    """Hold the right to append until this transaction ends, so the tail read next stays the tail.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: our engine begins transactions
    with a plain (deferred) BEGIN, which takes the database write lock only at the first
    write; an insert that inserts nothing takes it now, and in WAL mode taking it also
    guarantees this transaction sees the latest commit (or fails with SQLITE_BUSY).
    """
    dialect = db_session.get_bind().dialect.name
    if dialect == "postgresql":
        db_session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        db_session.execute(text("INSERT INTO audit_log (seq) SELECT 0 WHERE 0"))


def _forget_tail(db_session: Session, *_args: Any) -> None:
    """A rolled-back savepoint takes its entries with it: the cached tail is no longer the tail."""
    db_session.info.pop(_TAIL, None)


def _forget_tail_at_end(db_session: Session, transaction: SessionTransaction) -> None:
    """Once the transaction ends (commit, rollback or close) the lock is gone and others may append."""
    if transaction.parent is None:
        db_session.info.pop(_TAIL, None)


event.listen(Session, "after_soft_rollback", _forget_tail)
event.listen(Session, "after_transaction_end", _forget_tail_at_end)
