"""Who is calling: a person with a role, or an integration with an API token.

Every route asks for a :class:`Principal` through :func:`require`, naming the one
permission it needs (see :mod:`arrears.web.permissions`); which cases the principal
reaches is :mod:`arrears.web.scoping`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials

from arrears.org.enums import Role
from arrears.web import tokens
from arrears.web.deps import DbSession, bearer
from arrears.web.exceptions import Forbidden, Unauthenticated
from arrears.web.permissions import PERMISSIONS


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    tenant_id: int
    actor: str
    permissions: frozenset[str]
    user_id: int | None = None
    role: Role | None = None
    team_id: int | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def current_principal(
    db_session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller from their API token; 401 otherwise (a refusal's audit entry is kept)."""
    try:
        token = tokens.authenticate(db_session=db_session, presented=credentials.credentials if credentials else None)
    except Unauthenticated:
        db_session.commit()
        raise
    return Principal(tenant_id=token.tenant_id, actor=f"api:{token.prefix}", permissions=frozenset(token.scopes))


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency giving the caller when they hold ``permission``; 403 when they do not."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"you may not do this: it needs the permission '{permission}'",
                hint="ask an administrator; an API token needs --scope " + permission,
            )
        return principal

    return check
