"""The words of a script's scenario key (话术场景): step, party, persona, objection, status."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

ANY_STAGE = "any"
"""A stage that matches every strategy state; the library's fallback below a stage-specific script."""

SAMPLE_POLICY = "consumer-cn"


class CallStep(StrEnum):
    """The steps of a collection call, in order (DOMAIN.md: the first call)."""

    VERIFY_IDENTITY = "verify_identity"  # 核实身份
    INTRODUCE = "introduce"  # 自我介绍: name, staff number, company
    ASK_PAYMENT_TODAY = "ask_payment_today"  # 要求当天还款
    LISTEN_REASON = "listen_reason"  # 倾听原因
    COSTS_BENEFITS = "costs_benefits"  # 说明利弊
    SECURE_PROMISE = "secure_promise"  # 获取承诺还款
    RECORD = "record"  # 记录
    CLOSE = "close"  # 结束通话


class ScriptParty(StrEnum):
    DEBTOR = "debtor"  # 借款人
    THIRD_PARTY = "third_party"  # 第三方: family, employer, emergency contact


class ScriptStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class Persona(StrEnum):
    """Debtor personas (DOMAIN.md), each with its own handling."""

    HOSTILE = "hostile"  # 挑衅型
    VICTIM = "victim"  # 受害者型
    OVERCONFIDENT = "overconfident"  # 自信型
    STUBBORN = "stubborn"  # 顽固型
    SOPHISTICATED = "sophisticated"  # 老练型
    SERIAL_PROMISER = "serial_promiser"  # 保证还款型


class Objection(StrEnum):
    """What the other side says; the names are exactly the intent classifier's, so an intent maps to a script."""

    ALREADY_PAID = "already_paid"
    NO_MONEY = "no_money"
    PAY_LATER = "pay_later"
    FEES_TOO_HIGH = "fees_too_high"
    WAIVE_PENALTY = "waive_penalty"
    NOT_MY_DEBT = "not_my_debt"
    VERIFY_IDENTITY = "verify_identity"
    OFFICE_ADDRESS = "office_address"
    STOP_CONTACTING_OTHERS = "stop_contacting_others"
    WILL_COMPLAIN = "will_complain"
    REFUSE_TO_PAY = "refuse_to_pay"
    HARDSHIP_ILLNESS = "hardship_illness"
    HARDSHIP_JOB_LOSS = "hardship_job_loss"
    BUSINESS_RECEIVABLES = "business_receivables"
    PROMISE_TO_PAY = "promise_to_pay"
    WRONG_PERSON = "wrong_person"
    AGREE_TO_PAY_NOW = "agree_to_pay_now"


class Locale(StrEnum):
    ZH_CN = "zh-CN"  # default
    ZH_TW = "zh-TW"
    EN = "en"


DEFAULT_LOCALE = Locale.ZH_CN


@cache
def known_stages() -> frozenset[str]:
    """The sample policy's state names plus ``any``: the stages a script may be written for."""
    from arrears.strategy.policy import bundled_policy

    return frozenset(state.name for state in bundled_policy(SAMPLE_POLICY).states) | {ANY_STAGE}
