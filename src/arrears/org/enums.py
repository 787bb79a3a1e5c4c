from __future__ import annotations

from enum import StrEnum


class TenantKind(StrEnum):
    LENDER = "lender"
    AGENCY = "agency"  # 委外催收机构
    LAW_FIRM = "law_firm"  # 律师事务所: engaged by a lender, the only issuer of lawyer's letters


class Role(StrEnum):
    COLLECTOR = "collector"  # 催收员
    TEAM_LEAD = "team_lead"  # 组长
    APPROVER = "approver"
    COMPLIANCE = "compliance"  # 质检
    OPERATIONS = "operations"
    ADMIN = "admin"
