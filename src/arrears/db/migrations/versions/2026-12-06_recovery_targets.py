"""a tenant's recovery targets, versioned

The recovery curve is judged against the tenant's latest targets unless a
request names its own (docs/metrics.md); each change adds a version.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_recovery_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("set_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_analytics_recovery_targets_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_recovery_targets")),
        sa.UniqueConstraint("tenant_id", "version", name=op.f("uq_analytics_recovery_targets_tenant_id_version")),
    )
    op.create_index(
        op.f("ix_analytics_recovery_targets_tenant_id"), "analytics_recovery_targets", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_analytics_recovery_targets_tenant_id"), table_name="analytics_recovery_targets")
    op.drop_table("analytics_recovery_targets")
