"""settlement

Repayment plans with maker-checker approval, hardship evidence, and the ledger's
restructure facts (an approved plan's new installments and waivers, replayed by
the engine).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base
import arrears.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "loan_restructures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("waive_charges", arrears.db.base.Money(), nullable=False),
        sa.Column("waive_interest", arrears.db.base.Money(), nullable=False),
        sa.Column("waive_principal", arrears.db.base.Money(), nullable=False),
        sa.Column("charges_frozen", sa.Boolean(), nullable=False),
        sa.Column("freeze_ends_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_restructures_loan_id_loans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_restructures")),
        sa.UniqueConstraint("loan_id", "effective_on", name=op.f("uq_loan_restructures_loan_id_effective_on")),
    )
    with op.batch_alter_table("loan_restructures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_restructures_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "restructured_installments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("restructure_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal_due", arrears.db.base.Money(), nullable=False),
        sa.Column("interest_due", arrears.db.base.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["restructure_id"],
            ["loan_restructures.id"],
            name=op.f("fk_restructured_installments_restructure_id_loan_restructures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restructured_installments")),
        sa.UniqueConstraint(
            "restructure_id", "number", name=op.f("uq_restructured_installments_restructure_id_number")
        ),
    )
    with op.batch_alter_table("restructured_installments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_restructured_installments_restructure_id"), ["restructure_id"], unique=False
        )

    op.create_table(
        "settlement_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("plankind", "pay_now", "instalments", "freeze", "settle_for_less"), nullable=False),
        sa.Column(
            "status",
            _enum("planstatus", "proposed", "approved", "rejected", "active", "kept", "broken"),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("annual_rate", arrears.db.types.DecimalText(length=40), nullable=False),
        sa.Column("waive_charges", arrears.db.base.Money(), nullable=False),
        sa.Column("waive_interest", arrears.db.base.Money(), nullable=False),
        sa.Column("waive_principal", arrears.db.base.Money(), nullable=False),
        sa.Column("waived_total", arrears.db.base.Money(), nullable=False),
        sa.Column("debtor_total", arrears.db.base.Money(), nullable=False),
        sa.Column("expected_recovery", arrears.db.base.Money(), nullable=False),
        sa.Column("propensity", arrears.db.types.DecimalText(length=40), nullable=False),
        sa.Column("propensity_source", sa.String(length=40), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("treatments", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("authority", sa.String(length=120), nullable=True),
        sa.Column("restructure_id", sa.Integer(), nullable=True),
        sa.Column("watch_until", sa.Date(), nullable=True),
        sa.Column("instalments_kept", sa.Integer(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("broken_instalment", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_settlement_plans_case_id_cases")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_settlement_plans_decided_by_id_users")),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name=op.f("fk_settlement_plans_loan_id_loans")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_settlement_plans_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["restructure_id"],
            ["loan_restructures.id"],
            name=op.f("fk_settlement_plans_restructure_id_loan_restructures"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_settlement_plans_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_plans")),
    )
    with op.batch_alter_table("settlement_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlement_plans_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlement_plans_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlement_plans_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlement_plans_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "hardship_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            _enum("evidencekind", "income_statement", "medical_certificate", "unemployment", "other"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", _enum("evidencestatus", "pending", "verified", "rejected"), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("verified_by", sa.String(length=80), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_hardship_evidence_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["settlement_plans.id"], name=op.f("fk_hardship_evidence_plan_id_settlement_plans")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_hardship_evidence_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_hardship_evidence_uploaded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"], ["users.id"], name=op.f("fk_hardship_evidence_verified_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hardship_evidence")),
    )
    with op.batch_alter_table("hardship_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hardship_evidence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hardship_evidence_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hardship_evidence_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_hardship_evidence_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("hardship_evidence", ("tenant_id", "sha256", "plan_id", "case_id")),
        ("settlement_plans", ("tenant_id", "status", "loan_id", "case_id")),
        ("restructured_installments", ("restructure_id",)),
        ("loan_restructures", ("loan_id",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
