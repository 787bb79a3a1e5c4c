"""API tokens: how an integration proves who it is to the HTTP API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, UtcDateTime, utcnow


class ApiToken(Base):
    """One token of one tenant, limited to its scopes, until it is revoked.

    Only the SHA-256 of the secret is kept. A slow password hash (bcrypt, argon2)
    protects secrets people choose, which are guessable; a token secret is 32 random
    bytes, so no dictionary or brute force can reach it and a fast hash is as safe,
    while letting every request be checked in microseconds and looked up by hash.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), doc="what the integration is, for people reading the list")
    prefix: Mapped[str] = mapped_column(String(8), doc="the first 8 characters of the secret, shown to identify it")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 hex of the secret")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), doc="the actor who issued it")
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in person's session: the cookie holds a secret, the table only its SHA-256.

    Server-side, so signing out, an administrator's lock or a password change ends it
    at once; it expires after a period idle and, whatever the activity, after a
    maximum age. The CSRF token of its forms lives here too.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 hex of the cookie's secret")
    csrf_token: Mapped[str] = mapped_column(String(64), doc="sent back by every form and state-changing request")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, doc="the hard end, whatever the activity")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class LoginAttempt(Base):
    """One try at signing in, kept to throttle guessing and to lock an account under attack."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), doc="as typed, lower-cased; may name no user")
    client_ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean)
