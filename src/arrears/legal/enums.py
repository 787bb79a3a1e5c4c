"""The words of legal escalation (法律催收) and agency placement (委外)."""

from __future__ import annotations

from enum import StrEnum


class ReferralStatus(StrEnum):
    """A legal referral (移交法务) is the case's legal stage."""

    OPEN = "open"  # checklist in progress
    READY = "ready"  # every checklist item done, signed off: proceedings may start
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class ProceedingKind(StrEnum):
    PAYMENT_ORDER = "payment_order"  # 支付令
    LAWSUIT = "lawsuit"  # 诉讼
    ENFORCEMENT = "enforcement"  # 强制执行
    CONSUMPTION_RESTRICTION = "consumption_restriction"  # 限制消费
    DISHONEST_LISTING = "dishonest_listing"  # 失信被执行人名单


class ProceedingStatus(StrEnum):
    """Every status any proceeding can be in; which apply to which kind is in ``rules.TRANSITIONS``."""

    APPLIED = "applied"
    ISSUED = "issued"  # payment order issued by the court
    SERVED = "served"  # payment order served: the objection period runs
    OBJECTED = "objected"
    EFFECTIVE = "effective"  # no objection in time: enforceable
    REJECTED = "rejected"
    FILED = "filed"
    ACCEPTED = "accepted"  # 立案
    HEARING_SCHEDULED = "hearing_scheduled"
    JUDGED = "judged"
    IN_PROGRESS = "in_progress"  # enforcement under way
    SUSPENDED = "suspended"  # 终结本次执行: nothing more found for now
    IN_FORCE = "in_force"  # restriction ordered / debtor listed
    LIFTED = "lifted"
    SETTLED = "settled"  # paid or mediated (调解)
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class JudgmentOutcome(StrEnum):
    WON = "won"
    PARTLY_WON = "partly_won"
    LOST = "lost"


class AmountKind(StrEnum):
    FEE = "fee"
    RECOVERY = "recovery"


class FeeCategory(StrEnum):
    COURT_FEE = "court_fee"  # 诉讼费 / 申请费
    PRESERVATION_FEE = "preservation_fee"  # 保全费
    ENFORCEMENT_FEE = "enforcement_fee"  # 执行费
    LAWYER_FEE = "lawyer_fee"  # 律师费
    SERVICE_FEE = "service_fee"  # 送达、公告费
    OTHER_FEE = "other_fee"


class RecoveryCategory(StrEnum):
    VOLUNTARY = "voluntary"  # the debtor paid after the proceeding started
    DEDUCTION = "deduction"  # 扣划 of frozen deposits
    AUCTION = "auction"  # 拍卖 proceeds
    SETTLEMENT = "settlement"  # 调解 / 和解


class AlertKind(StrEnum):
    OBJECTION_DEADLINE = "objection_deadline"  # 支付令异议期届满
    HEARING = "hearing"  # 开庭


class PlacementStatus(StrEnum):
    LIVE = "live"
    RECALLED = "recalled"  # taken back by the lender before the period ended
    EXPIRED = "expired"  # recalled automatically at the period's end
