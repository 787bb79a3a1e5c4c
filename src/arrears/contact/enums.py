from __future__ import annotations

from enum import StrEnum


class ContactChannel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"  # 上门


class Party(StrEnum):
    DEBTOR = "debtor"
    THIRD_PARTY = "third_party"


class Outcome(StrEnum):
    """What happened on one attempt (结果码)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    NOT_IN_SERVICE = "not_in_service"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"
    PROMISE = "promise"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    NOT_HOME = "not_home"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"  # 毁约
    CANCELLED = "cancelled"
