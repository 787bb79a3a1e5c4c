"""Organisations and people who use Arrears: tenants, teams, users."""

from arrears.org.enums import Role, TenantKind
from arrears.org.service import get_by_code, get_or_create

__all__ = ["Role", "TenantKind", "get_by_code", "get_or_create"]
