"""web sessions and sign-in throttling

Server-side sessions for people signing in to the web app (only the SHA-256 of the
cookie's secret is kept, with the session's CSRF token), every sign-in attempt for
throttling, and each user's count of wrong passwords and lock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import arrears.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", arrears.db.base.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", arrears.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("at", arrears.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"], unique=False)
    op.create_index(op.f("ix_login_attempts_client_ip"), "login_attempts", ["client_ip"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_attempts_client_ip"), table_name="login_attempts")
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
