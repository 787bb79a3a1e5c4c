"""The fixed set of debtor intents (债务人意图) the classifier chooses from.

One utterance maps to exactly one intent. The set follows the standard
objections and reasons for delay a collector must answer (docs/classifier.md);
``other`` holds whatever is off-topic or cannot be heard.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Intent(StrEnum):
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
    OTHER = "other"


class Description(NamedTuple):
    """What an intent means, in Chinese and in English."""

    zh: str
    en: str


DESCRIPTIONS: dict[Intent, Description] = {
    Intent.ALREADY_PAID: Description("称已经还款", "says the debt is already paid"),
    Intent.NO_MONEY: Description("说没钱、手头紧，未给具体原因", "says there is no money, without a specific cause"),
    Intent.PAY_LATER: Description("要求晚点再还，没有具体日期或金额", "asks to pay later, with no firm date or amount"),
    Intent.FEES_TOO_HIGH: Description("嫌利息、费用太高或不合法", "says the interest or fees are too high or unlawful"),
    Intent.WAIVE_PENALTY: Description("要求减免罚息、违约金或本金", "asks for penalties or fees to be waived"),
    Intent.NOT_MY_DEBT: Description("承认是本人，但否认借过这笔钱", "is the named person but denies taking this loan"),
    Intent.VERIFY_IDENTITY: Description("质疑来电方身份，要求核实", "asks who is calling, wants to verify them"),
    Intent.OFFICE_ADDRESS: Description("询问公司地址，要上门处理", "asks for the office address, to come in person"),
    Intent.STOP_CONTACTING_OTHERS: Description("别再联系家人、同事或朋友", "family or colleagues must not be called"),
    Intent.WILL_COMPLAIN: Description("威胁投诉、举报或报警", "threatens to complain, report or call the police"),
    Intent.REFUSE_TO_PAY: Description("明确拒绝还款", "refuses outright to pay"),
    Intent.HARDSHIP_ILLNESS: Description("因生病、住院或意外无法还款", "cannot pay because of illness or an accident"),
    Intent.HARDSHIP_JOB_LOSS: Description("因失业、裁员或停薪无法还款", "cannot pay because of losing a job or pay"),
    Intent.BUSINESS_RECEIVABLES: Description("做生意的，在等货款或回款", "runs a business and is waiting to be paid"),
    Intent.PROMISE_TO_PAY: Description("承诺在某日或还某个金额", "commits to a date or an amount"),
    Intent.WRONG_PERSON: Description("说打错了、不是本人", "says the caller has the wrong person or number"),
    Intent.AGREE_TO_PAY_NOW: Description("同意现在马上还", "agrees to pay right now"),
    Intent.OTHER: Description("无关、听不清或无法判断", "off-topic, inaudible or unclear"),
}

PROMISE_INTENTS = frozenset({Intent.PROMISE_TO_PAY, Intent.PAY_LATER, Intent.AGREE_TO_PAY_NOW})
"""Intents whose utterance may carry the terms of a payment: only these get a parsed promise."""
