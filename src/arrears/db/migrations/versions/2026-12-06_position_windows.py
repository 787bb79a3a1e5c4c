"""each position's window, so the pass re-runs only loans with an event

A position stores, with its figures, the last day they stay a fixed function of
the day (``valid_until``), the day they were computed from (``window_from``), the
exact daily amounts of its charges and a digest of the payments it saw; the
daily pass rolls such a position forward in SQL instead of replaying the loan
(docs/run.md, Windows). Columns are empty for positions computed before, and for
loans the row engine replays: those are replayed every night, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

POSITION_COLUMNS = (
    ("window_from", sa.Date()),
    ("valid_until", sa.Date()),
    ("exact_unit", sa.BigInteger()),
    ("minor_cents", sa.Integer()),
    ("cut_exact", sa.BigInteger()),
    ("cut_daily", sa.BigInteger()),
    ("payments_seen", sa.Integer()),
    ("payments_key", sa.BigInteger()),
)
CHARGE_COLUMNS = (("exact", sa.BigInteger()), ("daily", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table("loan_positions") as batch_op:
        for name, type_ in POSITION_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("charges") as batch_op:
        for name, type_ in CHARGE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charges") as batch_op:
        for name, _ in reversed(CHARGE_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("loan_positions") as batch_op:
        for name, _ in reversed(POSITION_COLUMNS):
            batch_op.drop_column(name)
