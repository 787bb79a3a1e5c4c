"""Signing in and out: server-side sessions, throttling and lockout. Never commits.

A session is a random secret in an HttpOnly cookie; the table keeps its SHA-256
(as API tokens do) and a CSRF token for the session's forms. Guessing is slowed in
two ways, both audited:

* an account is locked for :data:`LOCK_MINUTES` after :data:`MAX_FAILURES` wrong
  passwords in a row (an administrator may unlock it sooner);
* an address that has failed :data:`MAX_FAILURES_PER_IP` times within
  :data:`WINDOW_MINUTES` is refused until the window passes, whatever username it
  tries, so one machine cannot walk through the staff list.

Every refusal says the same thing, so a caller cannot tell a wrong password from an
unknown user or a locked account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.db.base import utcnow
from arrears.org import passwords
from arrears.org.models import Tenant, User
from arrears.web.exceptions import LoginRefused, TooManyAttempts
from arrears.web.models import LoginAttempt, WebSession

MAX_FAILURES = 5
LOCK_MINUTES = 15
MAX_FAILURES_PER_IP = 20
WINDOW_MINUTES = 15
IDLE_MINUTES = 30
MAX_HOURS = 12
REFUSED = "the username or password is wrong, or the account is locked"
REFUSED_HINT = f"after {MAX_FAILURES} wrong passwords an account is locked for {LOCK_MINUTES} minutes"


@dataclass(frozen=True)
class Opened:
    """A new session and the cookie secret that names it (never stored)."""

    session: WebSession
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def login(
    *, db_session: Session, username: str, password: str, client_ip: str | None, user_agent: str | None = None
) -> Opened:
    """A session for ``username`` when the password is right and nothing holds the account back."""
    now = utcnow()
    name = username.strip().lower()
    if client_ip is not None and _recent_failures_from(db_session, client_ip, now) >= MAX_FAILURES_PER_IP:
        raise TooManyAttempts(
            "too many failed sign-ins from this address",
            hint=f"wait {WINDOW_MINUTES} minutes before trying again",
        )
    user = db_session.scalar(select(User).where(func.lower(User.username) == name))
    password_ok = passwords.verify(user, password)
    if user is None or not user.active or _locked(user, now) or not password_ok:
        _refuse(db_session, name, user, client_ip, now, counted=password_ok is False)
        raise LoginRefused(REFUSED, hint=REFUSED_HINT)
    if passwords.needs_rehash(user):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db_session.add(LoginAttempt(username=name, client_ip=client_ip, at=now, succeeded=True))
    secret = secrets.token_urlsafe(32)
    opened = WebSession(
        user_id=user.id,
        token_hash=_digest(secret),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=MAX_HOURS),
        client_ip=client_ip,
        user_agent=(user_agent or "")[:200] or None,
    )
    db_session.add(opened)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=user.username,
        actor_user_id=user.id,
        action="user.signed_in",
        subject_type="user",
        subject_id=user.id,
        tenant_id=user.tenant_id,
        details={"client_ip": client_ip, "session": opened.id},
    )
    return Opened(session=opened, secret=secret)


def _locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _recent_failures_from(db_session: Session, client_ip: str, now: datetime) -> int:
    since = now - timedelta(minutes=WINDOW_MINUTES)
    query = select(func.count()).where(
        LoginAttempt.client_ip == client_ip, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    return db_session.scalar(query) or 0


def _refuse(
    db_session: Session, name: str, user: User | None, client_ip: str | None, now: datetime, *, counted: bool
) -> None:
    """Keep the failed attempt; lock the account at the :data:`MAX_FAILURES`-th wrong password in a row."""
    db_session.add(LoginAttempt(username=name[:80], client_ip=client_ip, at=now, succeeded=False))
    if user is not None and counted and not _locked(user, now):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            audit.record(
                db_session=db_session,
                actor="system",
                action="user.locked",
                subject_type="user",
                subject_id=user.id,
                tenant_id=user.tenant_id,
                details={"until": user.locked_until.isoformat(), "client_ip": client_ip},
            )
    db_session.flush()


def unlock(*, db_session: Session, user: User, actor: str) -> None:
    """Lift a lockout before it ends; the count of wrong passwords starts again."""
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        db_session=db_session,
        actor=actor,
        action="user.unlocked",
        subject_type="user",
        subject_id=user.id,
        tenant_id=user.tenant_id,
    )
    db_session.flush()


@dataclass(frozen=True)
class Signed:
    """The person behind a live session."""

    session: WebSession
    user: User
    tenant: Tenant


def lookup(*, db_session: Session, secret: str | None) -> Signed | None:
    """The live session named by a cookie's secret, its idle clock restarted; None when none is."""
    if not secret:
        return None
    now = utcnow()
    row = db_session.execute(
        select(WebSession, User, Tenant)
        .join(User, User.id == WebSession.user_id)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(WebSession.token_hash == _digest(secret))
    ).first()
    if row is None:
        return None
    web_session, user, tenant = row
    idle_since = now - timedelta(minutes=IDLE_MINUTES)
    if (
        web_session.ended_at is not None
        or web_session.expires_at <= now
        or web_session.last_seen_at <= idle_since
        or not user.active
        or _locked(user, now)
    ):
        return None
    # Written at most once a minute: a page of many HTMX requests does not rewrite the row each time.
    if now - web_session.last_seen_at > timedelta(minutes=1):
        web_session.last_seen_at = now
    return Signed(session=web_session, user=user, tenant=tenant)


def logout(*, db_session: Session, signed: Signed) -> None:
    signed.session.ended_at = utcnow()
    audit.record(
        db_session=db_session,
        actor=signed.user.username,
        actor_user_id=signed.user.id,
        action="user.signed_out",
        subject_type="user",
        subject_id=signed.user.id,
        tenant_id=signed.user.tenant_id,
        details={"session": signed.session.id},
    )
    db_session.flush()


def end_all(*, db_session: Session, user: User) -> int:
    """End every live session of ``user`` (after a password change or a deactivation)."""
    live = db_session.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None)))
    now = utcnow()
    count = 0
    for web_session in live:
        web_session.ended_at = now
        count += 1
    db_session.flush()
    return count
