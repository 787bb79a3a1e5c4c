"""strategy

Versioned strategy policies, segment history, each case's policy state and its history,
due collection actions, daily queues, end-of-day runs with their resumable steps,
propensity models; team stages and languages, collector caps, languages and skills.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:31:01.615767
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base
import arrears.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "propensity_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("trained_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("trained_through", sa.Date(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_propensity_models_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_propensity_models")),
        sa.UniqueConstraint("tenant_id", "version", name=op.f("uq_propensity_models_tenant_id_version")),
    )
    with op.batch_alter_table("propensity_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_propensity_models_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_propensity_models_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "done", "failed", name="runstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("started_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_runs_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("tenant_id", "as_of", name=op.f("uq_runs_tenant_id_as_of")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "strategy_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_strategy_policies_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_policies")),
        sa.UniqueConstraint("tenant_id", "code", "version", name=op.f("uq_strategy_policies_tenant_id_code_version")),
    )
    with op.batch_alter_table("strategy_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strategy_policies_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_strategy_policies_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "run_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "done", "failed", name="runstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("started_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_steps_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_steps")),
        sa.UniqueConstraint("run_id", "stage", "partition", name=op.f("uq_run_steps_run_id_stage_partition")),
    )
    with op.batch_alter_table("run_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_steps_run_id"), ["run_id"], unique=False)

    op.create_table(
        "case_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "quadrant",
            sa.Enum(
                "able_willing",
                "unable_willing",
                "able_unwilling",
                "unable_unwilling",
                name="quadrant",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ability_score", sa.Integer(), nullable=False),
        sa.Column("willingness_score", sa.Integer(), nullable=False),
        sa.Column("cost_of_default", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("persona", sa.String(length=40), nullable=True),
        sa.Column("propensity", arrears.db.types.DecimalText(length=40), nullable=False),
        sa.Column("propensity_source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_segments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_segments")),
        sa.UniqueConstraint("case_id", "as_of", name=op.f("uq_case_segments_case_id_as_of")),
    )
    with op.batch_alter_table("case_segments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_segments_as_of"), ["as_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_segments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_state_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("policy_code", sa.String(length=60), nullable=False),
        sa.Column("arm", sa.Enum("champion", "challenger", name="arm", native_enum=False, length=32), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_state_history_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_state_history")),
    )
    with op.batch_alter_table("case_state_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_state_history_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_state_history_open", ["case_id", "left_on"], unique=False)

    op.create_table(
        "case_strategies",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy_code", sa.String(length=60), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("arm", sa.Enum("champion", "challenger", name="arm", native_enum=False, length=32), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("state_since", sa.Date(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_strategies_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_strategies")),
    )
    with op.batch_alter_table("case_strategies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_strategies_arm"), ["arm"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_strategies_as_of"), ["as_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_strategies_state"), ["state"], unique=False)

    op.create_table(
        "collection_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "treatment",
            sa.Enum(
                "sms_reminder",
                "email_reminder",
                "call",
                "letter",
                "visit",
                "agency_placement",
                "legal_referral",
                name="treatment",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "timing",
            sa.Enum(
                "first_pass", "second_pass", "promise_recheck", "any_time", name="timing", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("arm", sa.Enum("champion", "challenger", name="arm", native_enum=False, length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum("due", "done", "blocked", "cancelled", name="actionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("not_before", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("blocked_rules", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_collection_actions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_collection_actions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_collection_actions_key")),
    )
    with op.batch_alter_table("collection_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_actions_as_of"), ["as_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_actions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_actions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_actions_treatment"), ["treatment"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_actions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "queue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("expected_value", arrears.db.base.Money(), nullable=False),
        sa.Column("promise_due_today", sa.Boolean(), nullable=False),
        sa.Column("not_before", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_queue_entries_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_queue_entries_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entries")),
        sa.UniqueConstraint("as_of", "case_id", name=op.f("uq_queue_entries_as_of_case_id")),
    )
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_entries_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_queue_entries_user_day", ["user_id", "as_of"], unique=False)

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stages", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("daily_case_cap", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("skills")
        batch_op.drop_column("languages")
        batch_op.drop_column("daily_case_cap")

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("languages")
        batch_op.drop_column("stages")

    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_entries_user_day")
        batch_op.drop_index(batch_op.f("ix_queue_entries_case_id"))

    op.drop_table("queue_entries")
    with op.batch_alter_table("collection_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_actions_user_id"))
        batch_op.drop_index(batch_op.f("ix_collection_actions_treatment"))
        batch_op.drop_index(batch_op.f("ix_collection_actions_status"))
        batch_op.drop_index(batch_op.f("ix_collection_actions_case_id"))
        batch_op.drop_index(batch_op.f("ix_collection_actions_as_of"))

    op.drop_table("collection_actions")
    with op.batch_alter_table("case_strategies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_strategies_state"))
        batch_op.drop_index(batch_op.f("ix_case_strategies_as_of"))
        batch_op.drop_index(batch_op.f("ix_case_strategies_arm"))

    op.drop_table("case_strategies")
    with op.batch_alter_table("case_state_history", schema=None) as batch_op:
        batch_op.drop_index("ix_case_state_history_open")
        batch_op.drop_index(batch_op.f("ix_case_state_history_case_id"))

    op.drop_table("case_state_history")
    with op.batch_alter_table("case_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_segments_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_segments_as_of"))

    op.drop_table("case_segments")
    with op.batch_alter_table("run_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_steps_run_id"))

    op.drop_table("run_steps")
    with op.batch_alter_table("strategy_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strategy_policies_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_strategy_policies_active"))

    op.drop_table("strategy_policies")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_tenant_id"))

    op.drop_table("runs")
    with op.batch_alter_table("propensity_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_propensity_models_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_propensity_models_active"))

    op.drop_table("propensity_models")
