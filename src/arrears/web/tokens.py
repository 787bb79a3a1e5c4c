"""API tokens: issue, revoke, list and authenticate. Never commits.

A token is shown once when issued; only its SHA-256 is kept (see :class:`ApiToken`
for why a fast hash is right here).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.db.base import utcnow
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.web.exceptions import Unauthenticated
from arrears.web.models import ApiToken
from arrears.web.permissions import PERMISSIONS

SCOPES = tuple(PERMISSIONS)
SECRET_BYTES = 32
PREFIX_LENGTH = 8
REFUSED = "the API token is missing, unknown or revoked"
REFUSED_HINT = "send Authorization: Bearer <token>; issue one with `arrears token issue`"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(*, db_session: Session, tenant_id: int, name: str, scopes: Iterable[str], actor: str) -> tuple[ApiToken, str]:
    """A new token of ``tenant_id`` limited to ``scopes``, and its secret (shown this once, never stored)."""
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope '{unknown[0]}'", where="scope", hint=f"choose from: {', '.join(SCOPES)}")
    if not chosen:
        raise InvalidInput("a token needs at least one scope", where="scope", hint=f"choose from: {', '.join(SCOPES)}")
    if not name.strip():
        raise InvalidInput("the token's name is empty", where="name", hint="say which integration will use it")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        tenant_id=tenant_id,
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        scopes=chosen,
        created_by=actor,
    )
    db_session.add(token)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        action="api_token.issued",
        subject_type="api_token",
        subject_id=token.id,
        tenant_id=tenant_id,
        details={"name": token.name, "prefix": token.prefix, "scopes": chosen},
    )
    return token, secret


def revoke(*, db_session: Session, token_id: int, actor: str) -> ApiToken:
    """Refuse the token from now on; a revoked token cannot be brought back."""
    token = db_session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token {token_id}", hint="see `arrears token list --tenant CODE`")
    if token.revoked_at is not None:
        raise Conflict(f"API token {token_id} is already revoked (at {token.revoked_at.isoformat()})")
    token.revoked_at = utcnow()
    audit.record(
        db_session=db_session,
        actor=actor,
        action="api_token.revoked",
        subject_type="api_token",
        subject_id=token.id,
        tenant_id=token.tenant_id,
        details={"name": token.name, "prefix": token.prefix},
    )
    db_session.flush()
    return token


def get_all(*, db_session: Session, tenant_id: int) -> list[ApiToken]:
    """The tenant's tokens, revoked ones included, oldest first."""
    return list(db_session.scalars(select(ApiToken).where(ApiToken.tenant_id == tenant_id).order_by(ApiToken.id)))


def authenticate(*, db_session: Session, presented: str | None) -> ApiToken:
    """The live token whose secret was presented, its last use set to now.

    Unknown and revoked tokens get the same message, so a caller learns nothing
    from trying. A revoked token that is still presented is audited: its owner
    should know an integration still holds it.
    """
    if not presented:
        raise Unauthenticated(REFUSED, hint=REFUSED_HINT)
    digest = hash_secret(presented)
    token = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise Unauthenticated(REFUSED, hint=REFUSED_HINT)
    if token.revoked_at is not None:
        audit.record(
            db_session=db_session,
            actor=f"api:{token.prefix}",
            action="api_token.refused",
            subject_type="api_token",
            subject_id=token.id,
            tenant_id=token.tenant_id,
            details={"reason": "revoked"},
        )
        db_session.flush()
        raise Unauthenticated(REFUSED, hint=REFUSED_HINT)
    token.last_used_at = utcnow()
    return token
