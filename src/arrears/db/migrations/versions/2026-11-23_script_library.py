"""script library

The script library (话术库): versioned scripts keyed by scenario (stage, party, call step,
persona, objection) with maker-checker approval and effective dates; their template per locale.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:12:01.339861
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base
import arrears.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column(
            "party",
            sa.Enum("debtor", "third_party", name="scriptparty", native_enum=False, length=32),
            server_default="debtor",
            nullable=False,
        ),
        sa.Column(
            "step",
            sa.Enum(
                "verify_identity",
                "introduce",
                "ask_payment_today",
                "listen_reason",
                "costs_benefits",
                "secure_promise",
                "record",
                "close",
                name="callstep",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "persona",
            sa.Enum(
                "hostile",
                "victim",
                "overconfident",
                "stubborn",
                "sophisticated",
                "serial_promiser",
                name="persona",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "objection",
            sa.Enum(
                "already_paid",
                "no_money",
                "pay_later",
                "fees_too_high",
                "waive_penalty",
                "not_my_debt",
                "verify_identity",
                "office_address",
                "stop_contacting_others",
                "will_complain",
                "refuse_to_pay",
                "hardship_illness",
                "hardship_job_loss",
                "business_receivables",
                "promise_to_pay",
                "wrong_person",
                "agree_to_pay_now",
                name="objection",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "approved", "retired", name="scriptstatus", native_enum=False, length=32),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("approver", sa.String(length=80), nullable=True),
        sa.Column("approved_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_scripts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scripts")),
        sa.UniqueConstraint("tenant_id", "key", "version", name=op.f("uq_scripts_tenant_id_key_version")),
    )
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scripts_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_scripts_objection"), ["objection"], unique=False)
        batch_op.create_index(batch_op.f("ix_scripts_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_scripts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_scripts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "script_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), server_default="zh-CN", nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["script_id"], ["scripts.id"], name=op.f("fk_script_texts_script_id_scripts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_texts")),
        sa.UniqueConstraint("script_id", "locale", name=op.f("uq_script_texts_script_id_locale")),
    )
    with op.batch_alter_table("script_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_script_texts_script_id"), ["script_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("script_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_script_texts_script_id"))

    op.drop_table("script_texts")
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scripts_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_scripts_status"))
        batch_op.drop_index(batch_op.f("ix_scripts_stage"))
        batch_op.drop_index(batch_op.f("ix_scripts_objection"))
        batch_op.drop_index(batch_op.f("ix_scripts_key"))

    op.drop_table("scripts")
