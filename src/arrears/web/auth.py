"""Who is calling: a person with a role, or an integration with an API token.

Every route asks for a :class:`Principal` through :func:`require`, naming the one
permission it needs (see :mod:`arrears.web.permissions`); which cases the principal
reaches is :mod:`arrears.web.scoping`'s business.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from arrears.org.enums import Role
from arrears.web import sessions, tokens
from arrears.web.deps import DbSession, bearer
from arrears.web.exceptions import CsrfRejected, Forbidden, Unauthenticated
from arrears.web.permissions import PERMISSIONS, for_role

SESSION_COOKIE = "arrears_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    tenant_id: int
    actor: str
    permissions: frozenset[str]
    user_id: int | None = None
    role: Role | None = None
    team_id: int | None = None
    display_name: str | None = None
    locale: str = "zh-CN"
    csrf_token: str | None = None
    session_id: int | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def principal_of(signed: sessions.Signed) -> Principal:
    """A signed-in person as a caller: their role's permissions, their team, their language."""
    user = signed.user
    return Principal(
        tenant_id=user.tenant_id,
        actor=user.username,
        permissions=for_role(user.role),
        user_id=user.id,
        role=user.role,
        team_id=user.team_id,
        display_name=user.display_name,
        locale=user.locale,
        csrf_token=signed.session.csrf_token,
        session_id=signed.session.id,
    )


def current_principal(
    request: Request,
    db_session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller: a bearer token when one is sent, else the session cookie; 401 when neither holds.

    Synchronous, so its database work runs in the thread pool, not on the event loop;
    the CSRF check, which may read the form, is :func:`require`'s.
    """
    if credentials is not None:
        try:
            token = tokens.authenticate(db_session=db_session, presented=credentials.credentials)
        except Unauthenticated:
            db_session.commit()  # keep the refusal's audit entry
            raise
        return Principal(tenant_id=token.tenant_id, actor=f"api:{token.prefix}", permissions=frozenset(token.scopes))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise Unauthenticated(tokens.REFUSED, hint=tokens.REFUSED_HINT + ", or sign in at /login")
    signed = sessions.lookup(db_session=db_session, secret=cookie)
    if signed is None:
        raise Unauthenticated("you are not signed in, or your session has ended", hint="sign in again at /login")
    return principal_of(signed)


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse a state-changing request whose CSRF token is missing or not the session's."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):  # bytes: any text compares
        raise CsrfRejected(
            "this request did not carry the page's security token",
            hint="reload the page and try again; scripts must send the X-CSRF-Token header",
        )


class Require:
    """A dependency giving the caller when they hold one of ``permissions`` (none named: any caller); 403 if not.

    A class rather than a closure so that the permissions each route needs can be
    read back from the app (the authorisation matrix test walks every route).
    """

    def __init__(self, *permissions: str) -> None:
        unknown = [name for name in permissions if name not in PERMISSIONS]
        if unknown:
            raise ValueError(f"unknown permission {unknown[0]!r}")
        self.permissions = permissions

    async def __call__(
        self, request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        # A browser sends the session cookie on its own, so a state change it carries must
        # also carry the session's CSRF token (a form field or the header HTMX sends).
        if principal.csrf_token is not None and request.method not in SAFE_METHODS:
            await check_csrf(request, principal.csrf_token)
        if self.permissions and not any(principal.can(name) for name in self.permissions):
            needed = " or ".join(f"'{name}'" for name in self.permissions)
            raise Forbidden(
                f"you may not do this: it needs the permission {needed}",
                hint="ask an administrator; an API token needs --scope " + self.permissions[0],
            )
        return principal


def require(*permissions: str | None) -> Require:
    """The dependency of a route that needs one of ``permissions`` (none, or None: any signed-in caller)."""
    return Require(*(name for name in permissions if name is not None))


require_signed_in = require(None)
