"""Looking after people's sign-in: new passwords that end old sessions, unlocking, the demo's logins.

Never commits. Lives in ``web`` because sessions do: a password change must end
every session opened with the old one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.org import passwords
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.web import sessions


def change_password(*, db_session: Session, user: User, password: str, actor: str) -> int:
    """Set ``user``'s password and end their live sessions; how many were ended."""
    passwords.set_password(db_session=db_session, user=user, password=password, actor=actor)
    return sessions.end_all(db_session=db_session, user=user)


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    display_name: str
    team: str | None
    password: str


def demo_logins(*, db_session: Session, tenant: Tenant, actor: str) -> list[DemoLogin]:
    """One person of each role in ``tenant`` gets a fresh random password, to be printed once.

    Chosen as the first active user of each role (by id), so the same people sign in
    every time the demo starts.
    """
    logins: list[DemoLogin] = []
    for role in Role:
        row = db_session.execute(
            select(User, Team.name)
            .outerjoin(Team, Team.id == User.team_id)
            .where(User.tenant_id == tenant.id, User.role == role, User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        ).first()
        if row is None:
            continue
        user, team = row
        password = secrets.token_urlsafe(9)
        change_password(db_session=db_session, user=user, password=password, actor=actor)
        sessions.unlock(db_session=db_session, user=user, actor=actor)
        logins.append(DemoLogin(role, user.username, user.display_name, team, password))
    return logins
