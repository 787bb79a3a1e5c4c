"""What is true of the case decides whether the same words are lawful."""

from __future__ import annotations

import pytest

from arrears.compliance.lint import LintContext, lint

BANK = LintContext(lender_is_bank=True)
FILED = LintContext(legal_action_filed=True)


@pytest.mark.parametrize(
    "text",
    ["我是工商银行信用卡中心的，来电提醒您还款。", "我是國泰世華銀行的專員。", "Hi, I'm with First National Bank."],
)
def test_naming_the_bank_is_impersonation_only_when_the_lender_is_not_a_bank(text: str) -> None:
    assert "impersonation" in {finding.rule for finding in lint(text)}
    assert lint(text, context=BANK) == []


def test_a_bank_lender_still_may_not_pose_as_the_police() -> None:
    assert [finding.rule for finding in lint("我是市公安局经侦支队的。", context=BANK)] == ["impersonation"]


@pytest.mark.parametrize(
    "text", ["我们已经向法院起诉你了。", "法院已經受理本案。", "We have already filed a lawsuit against you."]
)
def test_saying_a_lawsuit_was_filed_is_false_only_when_none_was(text: str) -> None:
    assert "false_legal_claim" in {finding.rule for finding in lint(text)}
    assert lint(text, context=FILED) == []


def test_a_filed_lawsuit_does_not_excuse_a_criminal_record_threat() -> None:
    rules = {finding.rule for finding in lint("逾期超过三天就会留下案底。", context=FILED)}
    assert rules == {"false_legal_claim"}


def test_an_unknown_language_is_refused() -> None:
    from arrears.errors import InvalidInput

    with pytest.raises(InvalidInput):
        lint("hello", lang="fr")


@pytest.mark.parametrize("lang", ["zh", "zh-TW", "zh-CN"])
def test_chinese_language_codes_all_mean_chinese(lang: str) -> None:
    assert [finding.rule for finding in lint("没钱就去借高利贷。", lang=lang)] == ["illegal_borrowing"]
