"""Reads and writes of tenants, teams and users. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.errors import NotFound
from arrears.org.enums import TenantKind
from arrears.org.models import Tenant, User


def get(*, db_session: Session, tenant_id: int) -> Tenant:
    tenant = db_session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant


def get_user_by_username(*, db_session: Session, username: str) -> User:
    user = db_session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", hint="give the user's login name")
    return user


def get_by_code(*, db_session: Session, code: str) -> Tenant:
    tenant = db_session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        raise NotFound(f"no tenant with code '{code}'", hint="create it with `arrears tenant create`")
    return tenant


def get_or_create(
    *, db_session: Session, code: str, name: str | None = None, kind: TenantKind = TenantKind.LENDER
) -> Tenant:
    tenant = db_session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        tenant = Tenant(code=code, name=name or code, kind=kind)
        db_session.add(tenant)
        db_session.flush()
    return tenant
