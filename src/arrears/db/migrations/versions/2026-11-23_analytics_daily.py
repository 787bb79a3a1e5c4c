"""analytics daily aggregates

Small tables per tenant and closed day that the dashboard's slow measures add
up instead of joining the whole book: the days aggregated, bucket entries,
what payments recovered of each entry cohort by day, month-end bucket flows,
and payments credited to collectors (docs/metrics.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

import arrears.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _tenant_key(table: str) -> list[SchemaItem]:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")),
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_days",
        *_tenant_key("analytics_days"),
        sa.Column("refreshed_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_analytics_days")),
    )
    op.create_table(
        "analytics_bucket_entries",
        *_tenant_key("analytics_bucket_entries"),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("stays", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "product_id", "bucket", name=op.f("pk_analytics_bucket_entries")),
    )
    op.create_table(
        "analytics_entry_recoveries",
        *_tenant_key("analytics_entry_recoveries"),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("days_since_entry", sa.Integer(), nullable=False),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "entered_on", "product_id", "bucket", name=op.f("pk_analytics_entry_recoveries")
        ),
    )
    with op.batch_alter_table("analytics_entry_recoveries", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_entry_recoveries_entered", ["tenant_id", "entered_on"], unique=False)
    op.create_table(
        "analytics_bucket_flows",
        *_tenant_key("analytics_bucket_flows"),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("from_bucket", sa.String(length=40), nullable=False),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "product_id", "from_bucket", "to_state", name=op.f("pk_analytics_bucket_flows")
        ),
    )
    op.create_table(
        "analytics_collector_recoveries",
        *_tenant_key("analytics_collector_recoveries"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "user_id", "product_id", name=op.f("pk_analytics_collector_recoveries")
        ),
    )


def downgrade() -> None:
    op.drop_table("analytics_collector_recoveries")
    op.drop_table("analytics_bucket_flows")
    with op.batch_alter_table("analytics_entry_recoveries", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_entry_recoveries_entered")
    op.drop_table("analytics_entry_recoveries")
    op.drop_table("analytics_bucket_entries")
    op.drop_table("analytics_days")
