from __future__ import annotations

from enum import StrEnum


class Treatment(StrEnum):
    """What a strategy state asks for, from lightest to heaviest (see ``WEIGHTS``)."""

    SMS_REMINDER = "sms_reminder"
    EMAIL_REMINDER = "email_reminder"
    CALL = "call"
    LETTER = "letter"  # 催收函
    VISIT = "visit"  # 上门
    AGENCY_PLACEMENT = "agency_placement"  # 委外
    LEGAL_REFERRAL = "legal_referral"


WEIGHTS: dict[Treatment, int] = {
    Treatment.SMS_REMINDER: 1,
    Treatment.EMAIL_REMINDER: 1,
    Treatment.CALL: 2,
    Treatment.LETTER: 3,
    Treatment.VISIT: 4,
    Treatment.AGENCY_PLACEMENT: 5,
    Treatment.LEGAL_REFERRAL: 6,
}
"""How much pressure each treatment carries: each stage must add weight, never repeat the last."""


class Timing(StrEnum):
    """The daily rhythm: first pass before 10:00, second pass about 14:30, promise re-check before 16:00."""

    FIRST_PASS = "first_pass"
    SECOND_PASS = "second_pass"
    PROMISE_RECHECK = "promise_recheck"
    ANY_TIME = "any_time"


class PhoneTarget(StrEnum):
    """Where to call, in the order a state lists them (work -> home -> mobile -> contacts)."""

    WORK = "work"
    HOME = "home"
    MOBILE = "mobile"
    CONTACTS = "contacts"


class ThirdPartyUse(StrEnum):
    NEVER = "never"
    WHEN_UNREACHABLE = "when_unreachable"  # only to locate a debtor who cannot be reached
    GUARANTOR_ONLY = "guarantor_only"


class Quadrant(StrEnum):
    """Ability x willingness to pay (还款能力 x 还款意愿)."""

    ABLE_WILLING = "able_willing"
    UNABLE_WILLING = "unable_willing"
    ABLE_UNWILLING = "able_unwilling"
    UNABLE_UNWILLING = "unable_unwilling"


class Arm(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


class ActionStatus(StrEnum):
    DUE = "due"
    DONE = "done"
    BLOCKED = "blocked"  # the compliance guard refused it today
    CANCELLED = "cancelled"  # the case moved on before it was done


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
