"""analytics aggregates of case payments and contacts

Two more daily aggregate tables (docs/metrics.md): the cases with a payment on
each day, which champion/challenger counts instead of scanning the period's
payments, and contact attempts per day, person and product, which the contact
rates add up.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_case_payments",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_analytics_case_payments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "day", "case_id", name=op.f("pk_analytics_case_payments")),
    )
    op.create_table(
        "analytics_contacts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("connected", sa.Integer(), nullable=False),
        sa.Column("right_party", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_analytics_contacts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "day", "user_id", "product_id", name=op.f("pk_analytics_contacts")),
    )


def downgrade() -> None:
    op.drop_table("analytics_contacts")
    op.drop_table("analytics_case_payments")
