"""The rules of the content linter: what a collector or a template may never say.

Each rule carries its message in Chinese and English, because the people who read
findings (collectors, QA, compliance officers) work in either language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One kind of forbidden content (违规话术)."""

    id: str
    zh: str
    en: str
    severity: Severity = "error"

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"


_RULES = (
    Rule("impersonation", "冒充公检法、政府机关或银行", "Posing as police, court, prosecutor, government or the bank"),
    Rule("threat_violence", "暴力威胁或恐吓", "Threat of violence or intimidation"),
    Rule("threat_criminal", "以抓捕、坐牢或诈骗罪相威胁", "Threatening arrest, jail or fraud charges as leverage"),
    Rule(
        "false_legal_claim", "虚假或夸大的法律后果", "False or unsupported legal claim (lawsuit, record, enforcement)"
    ),
    Rule("insult", "辱骂或侮辱借款人", "Insulting or demeaning language"),
    Rule("third_party_disclosure", "向第三方透露欠款信息", "Disclosing the debt to a third party"),
    Rule("public_shaming", "公开、散布借款人信息", "Publishing or spreading the debtor's details"),
    Rule("harass_family", "骚扰家人、同事或无关人员", "Harassing family, colleagues or unrelated people"),
    Rule("private_account", "要求还款至个人账户", "Asking for payment into a personal account"),
    Rule(
        "unauthorized_promise", "未经审批承诺减免或延期", "Promising a waiver, reduction or delay that is not approved"
    ),
    Rule(
        "illegal_borrowing",
        "诱导借款人通过非法渠道借款",
        "Pushing the debtor to borrow from illegal or predatory sources",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
"""Rule id -> rule (messages and severity), in the order findings are documented."""

RULE_IDS: tuple[str, ...] = tuple(RULES)
