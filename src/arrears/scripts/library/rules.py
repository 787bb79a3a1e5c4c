"""What a script must pass before it is saved (pure: no database).

Every locale's template is checked as a template (:func:`check_template`), then
linted twice with the content linter: the raw text, and the text rendered with a
sample case so that the variables are filled. Scripts for a third party are
also searched for words that reveal a debt, because a contact who does not
already know of it must never learn it from us (DOMAIN.md); the linter's
``third_party_disclosure`` patterns catch "他欠了…" but not a bare "欠款".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from arrears.compliance.lint import has_errors, lint
from arrears.errors import InvalidInput
from arrears.scripts.library.enums import Locale, ScriptParty
from arrears.scripts.library.keys import ScenarioKey
from arrears.scripts.library.templates import ScriptContext, check_template, render

Stage = Literal["template", "rendered"]

_DEBT_WORDS: dict[str, re.Pattern[str]] = {
    "zh": re.compile(
        r"欠款|欠钱|欠了|拖欠|逾期|还款|還款|催收|债务|債務|贷款|貸款|借款|账款|帳款|罚息|罰息|违约金|違約金"
    ),
    "en": re.compile(
        r"\b(?:owes?|owed|owing|debts?|overdue|loans?|arrears|past[- ]due|repay\w*|collections?|balance|penalt\w+)\b",
        re.IGNORECASE,
    ),
}
THIRD_PARTY_RULE = "third_party_disclosure"


@dataclass(frozen=True)
class Problem:
    """One reason a script may not be saved."""

    locale: str
    rule: str
    excerpt: str
    stage: Stage

    def describe(self) -> str:
        return f"{self.locale} {self.rule} «{self.excerpt}» ({self.stage})"


def sample_context(locale: Locale) -> ScriptContext:
    """A plausible case used to fill the variables before linting (and in previews)."""
    english = locale is Locale.EN
    return ScriptContext(
        debtor_name="Zhang Wei" if english else "張偉" if locale is Locale.ZH_TW else "张伟",
        gender="male",
        amount_overdue=Decimal("3150.00"),
        days_past_due=12,
        penalty_per_day=Decimal("31.50"),
        payoff_amount=Decimal("9450.00"),
        collector_name="Li Na" if english else "李娜",
        staff_number="CS0042",
        company="Anxin Consumer Finance" if english else "安信消費金融" if locale is Locale.ZH_TW else "安信消费金融",
        hotline="400-820-1234",
        payment_channels={
            Locale.ZH_CN: ["官方APP", "对公银行账户"],
            Locale.ZH_TW: ["官方APP", "公司指定的銀行帳戶"],
            Locale.EN: ["the official app", "the company's bank account"],
        },
        due_date=date(2026, 3, 1),
        promise_date=date(2026, 3, 20),
        promise_amount=Decimal("1000.00"),
    )


def check_script(key: ScenarioKey, texts_by_locale: Mapping[str, str]) -> None:
    """Refuse texts that are not valid templates or that the linter (or the third-party check) flags."""
    locales = _locales(key, texts_by_locale)
    problems: list[Problem] = []
    for locale, template in locales.items():
        check_template(template, where=f"{key} {locale}")
        problems.extend(find_problems(key, locale, template))
    if problems:
        listed = "; ".join(problem.describe() for problem in problems)
        raise InvalidInput(
            f"script {key} breaks the content rules: {listed}",
            where=str(key),
            hint="rewrite the text; see docs/linter.md",
        )


def find_problems(key: ScenarioKey, locale: Locale, template: str) -> list[Problem]:
    """Error-level linter findings in the raw and the rendered text, and debt words in a third-party script."""
    lang = "en" if locale is Locale.EN else "zh"
    rendered = render(template, sample_context(locale), locale)
    problems: list[Problem] = []
    versions: tuple[tuple[Stage, str], ...] = (("template", template), ("rendered", rendered))
    for stage, text in versions:
        findings = [finding for finding in lint(text, lang=lang) if finding.severity == "error"]
        if has_errors(findings):
            problems.extend(Problem(locale, f.rule, f.excerpt, stage) for f in findings)
    if key.party is ScriptParty.THIRD_PARTY:
        problems.extend(
            Problem(locale, THIRD_PARTY_RULE, match.group(), "template") for match in _debt_words(lang, template)
        )
    return _unique(problems)


def _debt_words(lang: str, text: str) -> list[re.Match[str]]:
    return list(_DEBT_WORDS[lang].finditer(text))


def _locales(key: ScenarioKey, texts_by_locale: Mapping[str, str]) -> dict[Locale, str]:
    found: dict[Locale, str] = {}
    for name, template in texts_by_locale.items():
        try:
            locale = Locale(name)
        except ValueError:
            raise InvalidInput(f"unknown locale '{name}'", where=str(key), hint="use zh-CN, zh-TW or en") from None
        if not template.strip():
            raise InvalidInput(f"the {name} text is empty", where=str(key))
        found[locale] = template
    if Locale.ZH_CN not in found:
        raise InvalidInput("a script needs its zh-CN text (the default locale)", where=str(key))
    return found


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.locale, problem.rule, problem.excerpt), problem)
    return list(seen.values())
