"""API tokens: how an integration proves who it is to the HTTP API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, text
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
