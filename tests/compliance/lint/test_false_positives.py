"""Compliant sentences once flagged while writing the script library, and the violations next to them.

Each compliant sentence must stay clean; each violating counterpart must keep its rule,
so a fix for a false positive cannot quietly remove a rule's coverage.
"""

from __future__ import annotations

import pytest

from arrears.compliance.lint import lint

COMPLIANT = [
    # impersonation (model): naming the lender's own head office is not posing as an authority
    "I'm calling from Anxin Consumer Finance's head office and need to speak with you personally.",
    "I'm ringing from the head office of Anxin Consumer Finance to talk with you in person.",
    # private_account (pattern): "no one ... ever" negates the whole clause
    "No one from our company will ever ask you to pay into a personal account.",
    "Nobody on our team will ever ask you to send money to a private account.",
    "我们公司任何人都不会要求您把钱转到个人账户。",
    # unauthorized_promise (pattern): taking a number off a contact list is not a waiver
    "I'll remove it from our contact records.",
    "I will remove your number from our calling list.",
    # insult (model): empathy
    "It sounds like you've been under a lot of pressure.",
    "It sounds like things have been very stressful for you lately.",
    # public_shaming (pattern): the official hotline is not a public channel; "line" in "hotline" is not LINE
    "或者把凭证发给官方客服热线，我们来核对。",
    "或者把凭证发给客服{{ hotline }}，我们来核对。",
    # unauthorized_promise (model): checking is not promising
    "I'll check right away.",
    "I'll check on that for you right now.",
    # illegal_borrowing (pattern): a negation before the words covers what "or" joins to it
    "Please don't take out a payday loan or borrow from a loan shark.",
    "请不要借高利贷或者网贷来还款。",
    # unauthorized_promise (pattern): handing a waiver request to an approver
    "我可以把减免申请提交给审批人，由他们决定。",
    "我可以把您的延期申请转给主管，由主管审批。",
    # illegal_borrowing (pattern): a negation after the words
    "Borrowing from a loan shark would put you at real risk, so please don't.",
    "A payday loan would cost you far more in the end, so please don't.",
    "高利贷风险很大，千万别碰。",
]

VIOLATIONS = [
    ("impersonation", "我们是法院的"),
    ("impersonation", "I'm calling from the county court about your balance."),
    ("private_account", "把钱转到我个人支付宝"),
    ("private_account", "Just send the money to my personal account."),
    ("private_account", "No one needs to know, just pay into my personal account."),
    ("unauthorized_promise", "我保证帮你把罚息全免了"),
    ("unauthorized_promise", "我保证减免申请能批下来"),
    ("unauthorized_promise", "我可以给你免掉一半利息"),
    ("unauthorized_promise", "I'll remove the late fees from your account."),
    ("unauthorized_promise", "I'll remove it from your credit report."),
    ("public_shaming", "我们会把你的欠款发到LINE群组"),
    ("public_shaming", "把你的照片发到IG上"),
    ("illegal_borrowing", "去找高利贷借钱先还我们"),
    ("illegal_borrowing", "Go borrow from a loan shark and pay us today."),
    ("illegal_borrowing", "去借高利贷，别磨蹭。"),
    ("threat_criminal", "你要是不能还就等着坐牢"),
    ("threat_criminal", "你要是不能按时还，就等着被抓。"),
    ("threat_criminal", "If you don't pay, then the police will arrest you."),
]


@pytest.mark.parametrize("text", COMPLIANT)
def test_a_compliant_sentence_has_no_findings(text: str) -> None:
    assert lint(text) == []


@pytest.mark.parametrize(("rule", "text"), VIOLATIONS)
def test_the_violating_counterpart_still_fires(rule: str, text: str) -> None:
    assert rule in {finding.rule for finding in lint(text)}
