"""Each rule catches its violation in Simplified, Traditional and English, and lets the near miss through."""

from __future__ import annotations

import pytest

from arrears.compliance.lint import RULES, has_errors, lint

# rule -> (zh-CN violation, zh-TW violation, en violation, compliant near miss)
CASES: dict[str, tuple[str, str, str, str]] = {
    "impersonation": (
        "我们是区法院执行局的，请配合还款。",
        "我是地方法院的書記官兼執行官，請你配合。",
        "This is Deputy Hale from the sheriff's office about your balance.",
        "我们是受贷款机构委托的催收公司，不是法院。",
    ),
    "threat_violence": (
        "钱再不到，我叫几个兄弟去收拾你。",
        "再不還錢，小心你的腿。",
        "Keep dodging me and I'll break your arms.",
        "为了您的安全，请通过官方渠道核实我们的身份。",
    ),
    "threat_criminal": (
        "你再不还就等着坐牢。",
        "你這就是詐欺，等著被抓。",
        "If you skip this payment you will be arrested.",
        "逾期不会导致坐牢，但会影响您的信用记录。",
    ),
    "false_legal_claim": (
        "我们已经向法院起诉你了。",
        "明天就凍結你名下的帳戶。",
        "We have already filed a lawsuit against you.",
        "如协商不成，我司可能依法提起诉讼。",
    ),
    "insult": (
        "你这个老赖，还有脸接电话？",
        "真是不要臉。",
        "You are a pathetic deadbeat.",
        "我们理解您的难处，也希望您理解我们的工作。",
    ),
    "third_party_disclosure": (
        "你老婆在我们平台欠了三万块。",
        "他的信用卡已經逾期兩個月了。",
        "Your brother owes us two thousand dollars.",
        "请转告他回电，谢谢。",
    ),
    "public_shaming": (
        "再不还就把你的照片发到朋友圈。",
        "我們會把你的欠款貼到臉書上。",
        "We will post your photo on Facebook.",
        "您的信息不会被公开，请放心。",
    ),
    "harass_family": (
        "我们会天天打电话给你父母。",
        "父債子還，你兒子跑不掉。",
        "We'll keep calling your parents until you pay.",
        "我们不会联系您的家人，只会和您本人沟通。",
    ),
    "private_account": (
        "直接转到我个人的支付宝。",
        "錢匯到我個人的帳戶就好。",
        "Send the money to my personal Venmo.",
        "请通过官方APP还款，不要转给任何个人。",
    ),
    "unauthorized_promise": (
        "罚息我可以全部给你免掉。",
        "我保證幫你延期三個月。",
        "I'll waive all the late fees for you.",
        "减免需要审批，我可以帮您提交申请。",
    ),
    "illegal_borrowing": (
        "没钱就去借高利贷。",
        "你去找地下錢莊借來還。",
        "Go get a payday loan and pay us today.",
        "请不要借高利贷还款，我们可以一起看分期方案。",
    ),
}

VIOLATIONS = [(rule, text) for rule, texts in CASES.items() for text in texts[:3]]
NEAR_MISSES = [(rule, texts[3]) for rule, texts in CASES.items()]


def test_every_rule_has_cases_and_a_bilingual_error_message() -> None:
    assert set(CASES) == set(RULES)
    for rule in RULES.values():
        assert rule.severity == "error"
        assert " / " in rule.message


@pytest.mark.parametrize(("rule", "text"), VIOLATIONS)
def test_a_violation_is_found_with_its_rule(rule: str, text: str) -> None:
    findings = lint(text)
    assert rule in {finding.rule for finding in findings}
    assert has_errors(findings)


@pytest.mark.parametrize(("rule", "text"), NEAR_MISSES)
def test_a_compliant_near_miss_has_no_findings(rule: str, text: str) -> None:
    assert lint(text) == [], rule


@pytest.mark.parametrize(
    "text",
    [
        "如逾期持续，我司可能依法通过诉讼途径主张权利。",
        "请通过官方APP还款。",
        "麻烦您转告他尽快回电。",
        "Hello, this is Sam Ortiz from Keystone Recovery, employee 2210.",
    ],
)
def test_polite_factual_collection_lines_are_clean(text: str) -> None:
    assert lint(text) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("明天警察就上门抓你", "threat_criminal"),
        ("转到我个人的支付宝", "private_account"),
        ("他欠了我们两万块", "third_party_disclosure"),
    ],
)
def test_the_examples_of_the_issue(text: str, rule: str) -> None:
    assert [finding.rule for finding in lint(text)] == [rule]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("My guys never ask twice, and they do not use words.", "threat_violence"),
        ("你妹妹结婚那天我们也会去婚宴上找她聊。", "harass_family"),
    ],
)
def test_a_paraphrase_without_pattern_words_is_found_by_the_model(text: str, rule: str) -> None:
    findings = lint(text)
    assert [(finding.rule, finding.source) for finding in findings] == [(rule, "model")]
    assert (findings[0].start, findings[0].end) == (0, len(text))


def test_a_pattern_finding_silences_the_model_for_the_same_rule_in_that_sentence() -> None:
    findings = lint("再不还钱，我就找人打断你的腿。")
    assert [(finding.rule, finding.source) for finding in findings] == [("threat_violence", "pattern")]
