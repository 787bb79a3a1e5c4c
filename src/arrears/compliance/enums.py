from __future__ import annotations

from enum import StrEnum


class HoldType(StrEnum):
    DISPUTE = "dispute"  # 争议
    HARDSHIP_PAUSE = "hardship_pause"
    CEASE_CONTACT = "cease_contact"
    DECEASED = "deceased"
    BANKRUPTCY = "bankruptcy"
    ATTORNEY = "attorney"  # represented by a lawyer
    CHANNEL_OPT_OUT = "channel_opt_out"
    COMPLAINT = "complaint"


AGING_PAUSED_BY_DEFAULT = frozenset({HoldType.DISPUTE, HoldType.DECEASED, HoldType.BANKRUPTCY})
"""Holds that stop the DPD clock unless the person setting them says otherwise."""


class ComplaintStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"  # 已办结
    REJECTED = "rejected"  # found without merit, with reasons


class ComplaintCategory(StrEnum):
    """What the complaint (投诉) is about."""

    HARASSMENT = "harassment"  # frequency, hours
    THIRD_PARTY_CONTACT = "third_party_contact"  # family, colleagues contacted or told
    ABUSIVE_LANGUAGE = "abusive_language"
    THREAT = "threat"
    IMPERSONATION = "impersonation"
    FEES_OR_RATES = "fees_or_rates"
    WRONG_DEBT = "wrong_debt"  # not mine, already paid
    PRIVACY = "privacy"
    OTHER = "other"


class ComplaintChannel(StrEnum):
    """How the complaint arrived."""

    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    APP = "app"
    REGULATOR = "regulator"  # forwarded by a regulator (监管转办)
    IN_PERSON = "in_person"


OPEN_COMPLAINT_STATUSES = frozenset({ComplaintStatus.OPEN, ComplaintStatus.INVESTIGATING})
