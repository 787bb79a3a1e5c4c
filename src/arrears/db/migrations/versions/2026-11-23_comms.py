"""comms

Letters and messages: versioned templates (maker-checker, per locale), the outbox with
each message's delivery state and idempotency key, and law-firm engagements (only an
engaged law firm's users issue lawyer's letters).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comms_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "payment_reminder",
                "collection_letter",
                "plan_confirmation",
                "plan_broken",
                "validation_notice",
                "lawyer_letter",
                name="templatekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("sms", "email", "letter", name="messagechannel", native_enum=False, length=32),
            nullable=False,
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
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_comms_templates_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_templates")),
        sa.UniqueConstraint("tenant_id", "key", "version", name=op.f("uq_comms_templates_tenant_id_key_version")),
    )
    with op.batch_alter_table("comms_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comms_templates_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_templates_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_templates_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "law_firm_engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("law_firm_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["law_firm_id"], ["tenants.id"], name=op.f("fk_law_firm_engagements_law_firm_id_tenants")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_law_firm_engagements_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_law_firm_engagements")),
        sa.UniqueConstraint(
            "tenant_id",
            "law_firm_id",
            "starts_on",
            name=op.f("uq_law_firm_engagements_tenant_id_law_firm_id_starts_on"),
        ),
    )
    with op.batch_alter_table("law_firm_engagements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_law_firm_engagements_law_firm_id"), ["law_firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_law_firm_engagements_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "comms_template_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), server_default="zh-CN", nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["comms_templates.id"],
            name=op.f("fk_comms_template_texts_template_id_comms_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_template_texts")),
        sa.UniqueConstraint("template_id", "locale", name=op.f("uq_comms_template_texts_template_id_locale")),
    )
    with op.batch_alter_table("comms_template_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comms_template_texts_template_id"), ["template_id"], unique=False)

    op.create_table(
        "comms_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "payment_reminder",
                "collection_letter",
                "plan_confirmation",
                "plan_broken",
                "validation_notice",
                "lawyer_letter",
                name="templatekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("sms", "email", "letter", name="messagechannel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("action_key", sa.String(length=120), nullable=True),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_path", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "sent", "delivered", "failed", "cancelled", name="messagestatus", native_enum=False, length=32
            ),
            server_default="queued",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(length=120), nullable=True),
        sa.Column("sent_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("contact_attempt_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_comms_messages_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_comms_messages_contact_attempt_id_contact_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["comms_templates.id"], name=op.f("fk_comms_messages_template_id_comms_templates")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_comms_messages_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_comms_messages_idempotency_key")),
    )
    with op.batch_alter_table("comms_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comms_messages_as_of"), ["as_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_comms_messages_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comms_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comms_messages_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_status"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_provider_id"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_channel"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_case_id"))
        batch_op.drop_index(batch_op.f("ix_comms_messages_as_of"))

    op.drop_table("comms_messages")
    with op.batch_alter_table("comms_template_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comms_template_texts_template_id"))

    op.drop_table("comms_template_texts")
    with op.batch_alter_table("law_firm_engagements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_law_firm_engagements_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_law_firm_engagements_law_firm_id"))

    op.drop_table("law_firm_engagements")
    with op.batch_alter_table("comms_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comms_templates_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_comms_templates_status"))
        batch_op.drop_index(batch_op.f("ix_comms_templates_key"))

    op.drop_table("comms_templates")
