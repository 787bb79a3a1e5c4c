"""compliance contacts and complaints

The tenant's rule pack and overrides; what the guard needs on each contact attempt
(number, debt, consent, stop request, purpose, visit team, pack version, conditions,
note findings); the complaint register and the contacts each complaint is about.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:20:58.940920
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base
import arrears.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "letter",
                "email",
                "app",
                "regulator",
                "in_person",
                name="complaintchannel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "harassment",
                "third_party_contact",
                "abusive_language",
                "threat",
                "impersonation",
                "fees_or_rates",
                "wrong_debt",
                "privacy",
                "other",
                name="complaintcategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("complainant", sa.String(length=100), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "investigating", "resolved", "rejected", name="complaintstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("due_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases")),
        sa.ForeignKeyConstraint(["collector_id"], ["users.id"], name=op.f("fk_complaints_collector_id_users")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_complaints_hold_id_holds")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_complaints_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_complaints_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_collector_id"), ["collector_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "complaint_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("contact_attempt_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_contacts_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_complaint_contacts_contact_attempt_id_contact_attempts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_contacts")),
        sa.UniqueConstraint(
            "complaint_id", "contact_attempt_id", name=op.f("uq_complaint_contacts_complaint_id_contact_attempt_id")
        ),
    )
    with op.batch_alter_table("complaint_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_contacts_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaint_contacts_contact_attempt_id"), ["contact_attempt_id"], unique=False
        )

    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("loan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("consented", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("stop_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("purpose", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("collectors", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("pack_version", sa.String(length=60), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("conditions", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("note_findings", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f("ix_contact_attempts_flagged"), ["flagged"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_attempts_number"), ["number"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_contact_attempts_loan_id_loans"), "loans", ["loan_id"], ["id"])

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compliance_pack", sa.String(length=20), nullable=False, server_default="cn"))
        batch_op.add_column(sa.Column("compliance_overrides", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("compliance_overrides")
        batch_op.drop_column("compliance_pack")

    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contact_attempts_loan_id_loans"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_contact_attempts_number"))
        batch_op.drop_index(batch_op.f("ix_contact_attempts_flagged"))
        batch_op.drop_column("flagged")
        batch_op.drop_column("note_findings")
        batch_op.drop_column("conditions")
        batch_op.drop_column("pack_version")
        batch_op.drop_column("collectors")
        batch_op.drop_column("purpose")
        batch_op.drop_column("stop_requested")
        batch_op.drop_column("consented")
        batch_op.drop_column("number")
        batch_op.drop_column("loan_id")

    with op.batch_alter_table("complaint_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_contacts_contact_attempt_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_contacts_complaint_id"))

    op.drop_table("complaint_contacts")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_status"))
        batch_op.drop_index(batch_op.f("ix_complaints_due_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_collector_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_category"))
        batch_op.drop_index(batch_op.f("ix_complaints_case_id"))

    op.drop_table("complaints")
