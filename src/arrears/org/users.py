"""Creating people who can sign in. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.org import passwords
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User


def create(
    *,
    db_session: Session,
    tenant: Tenant,
    username: str,
    display_name: str,
    role: Role,
    staff_number: str,
    password: str,
    actor: str,
    team_name: str | None = None,
    locale: str = "zh-CN",
) -> User:
    """A new person of ``tenant`` who can sign in with ``password``."""
    name = username.strip()
    if not name or any(ch.isspace() for ch in name):
        raise InvalidInput("a username is one word without spaces", where="username")
    if db_session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"the username '{name}' is taken", hint="choose another username")
    team_id = None
    if team_name is not None:
        team = db_session.scalar(select(Team).where(Team.tenant_id == tenant.id, Team.name == team_name))
        if team is None:
            raise NotFound(f"tenant '{tenant.code}' has no team '{team_name}'", hint="check the team's name")
        team_id = team.id
    passwords.check_strength(password, username=name)
    user = User(
        tenant_id=tenant.id,
        team_id=team_id,
        username=name,
        display_name=display_name,
        staff_number=staff_number,
        role=role,
        locale=locale,
        password_hash=passwords.hash_password(password),
    )
    db_session.add(user)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        action="user.created",
        subject_type="user",
        subject_id=user.id,
        tenant_id=tenant.id,
        details={"username": name, "role": role.value, "team": team_name},
    )
    return user
