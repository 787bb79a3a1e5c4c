"""audit hash chain

Chains every audit entry to the one before it (seq, prev_hash, hash), backfills the
chain over existing rows in id order, and makes audit_log append-only with triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:02:11.402113
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op

import arrears.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BACKFILL_BATCH = 5000
APPEND_ONLY = "audit_log is append-only"

_audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.BigInteger()),
    sa.column("prev_hash", sa.String(64)),
    sa.column("hash", sa.String(64)),
    sa.column("occurred_at", arrears.db.base.UtcDateTime(timezone=True)),
    sa.column("tenant_id", sa.Integer()),
    sa.column("actor_user_id", sa.Integer()),
    sa.column("actor", sa.String(120)),
    sa.column("action", sa.String(80)),
    sa.column("subject_type", sa.String(40)),
    sa.column("subject_id", sa.String(64)),
    sa.column("origin", sa.String(120)),
    sa.column("details", sa.JSON()),
)


def _entry_hash(seq: int, prev_hash: str, row: Any) -> str:
    """A frozen copy of ``arrears.audit.chain.entry_hash`` as it was when this revision was written."""
    payload = [
        seq,
        prev_hash,
        row.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        row.tenant_id,
        row.actor_user_id,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        row.origin,
        row.details,
    ]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _backfill() -> None:
    """Chain the rows already there, oldest id first, reading by id range to keep memory flat."""
    bind = op.get_bind()
    columns = [c for c in _audit_log.c if c.name not in ("seq", "prev_hash", "hash")]
    update = (
        sa.update(_audit_log)
        .where(_audit_log.c.id == sa.bindparam("row_id"))
        .values(seq=sa.bindparam("new_seq"), prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"))
    )
    seq, prev_hash, last_id = 0, GENESIS_HASH, 0
    while True:
        rows = bind.execute(
            sa.select(*columns).where(_audit_log.c.id > last_id).order_by(_audit_log.c.id).limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            seq += 1
            digest = _entry_hash(seq, prev_hash, row)
            params.append({"row_id": row.id, "new_seq": seq, "new_prev": prev_hash, "new_hash": digest})
            prev_hash = digest
        bind.execute(update, params)
        last_id = rows[-1].id


def _create_triggers() -> None:
    if _is_postgresql():
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for event in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event} BEFORE {event.upper()} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def _drop_triggers() -> None:
    is_postgresql = _is_postgresql()
    events = ("update", "delete", "truncate") if is_postgresql else ("update", "delete")
    for event in events:
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{event}" + (" ON audit_log" if is_postgresql else ""))
    if is_postgresql:
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_log_seq"), ["seq"], unique=True)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_seq"))
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
