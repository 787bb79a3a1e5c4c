"""Names the settlement package shares: plan kinds and statuses, treatments, evidence."""

from __future__ import annotations

from enum import StrEnum


class PlanKind(StrEnum):
    PAY_NOW = "pay_now"  # 先还一部分: pay what you can now, the rest later
    INSTALMENTS = "instalments"  # 个性化分期
    FREEZE = "freeze"  # 停息挂账: no interest or charges, the balance parked and repaid
    SETTLE_FOR_LESS = "settle_for_less"  # 减免结清: one payment, part of the debt waived


class PlanStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"
    KEPT = "kept"
    BROKEN = "broken"  # 毁约


class Treatment(StrEnum):
    """What a plan does with one component of the debt."""

    WAIVED = "waived"  # 减免: forgiven
    CAPITALISED = "capitalised"  # made principal of the plan, earning the plan's interest
    CARRIED_FORWARD = "carried_forward"  # owed on the plan's instalments without interest


class EvidenceKind(StrEnum):
    INCOME_STATEMENT = "income_statement"  # 收入证明 / 银行流水
    MEDICAL_CERTIFICATE = "medical_certificate"  # 诊断证明 / 住院证明
    UNEMPLOYMENT = "unemployment"  # 离职证明
    OTHER = "other"


class EvidenceStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
