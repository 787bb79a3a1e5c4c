"""What a template or a message must pass (pure: no database).

A template draft is refused when a locale's text is not a valid template, when
its kind does not fit its channel, when it leaves out what its kind must print
(:data:`arrears.comms.templates.REQUIRED`), when an electronic message has no
opt-out notice, or when the content linter finds an error in the raw text or in
the text rendered with a sample case. The same linter runs again on the final
text of every message before it is sent (:func:`send_problems`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from arrears.comms.enums import PACK_ONLY, MessageChannel, TemplateKind
from arrears.comms.templates import NAMED_DEBTOR, REQUIRED, LetterFacts, check, needs_opt_out, render
from arrears.compliance.lint import LintContext, lint
from arrears.errors import InvalidInput
from arrears.scripts.library.enums import Locale
from arrears.scripts.library.rules import sample_context

Stage = Literal["template", "rendered", "message"]

CHANNEL_KINDS: dict[MessageChannel, frozenset[TemplateKind]] = {
    MessageChannel.SMS: frozenset(
        {TemplateKind.PAYMENT_REMINDER, TemplateKind.PLAN_CONFIRMATION, TemplateKind.PLAN_BROKEN}
    ),
    MessageChannel.EMAIL: frozenset(
        {
            TemplateKind.PAYMENT_REMINDER,
            TemplateKind.PLAN_CONFIRMATION,
            TemplateKind.PLAN_BROKEN,
            TemplateKind.VALIDATION_NOTICE,
        }
    ),
    MessageChannel.LETTER: frozenset(
        {
            TemplateKind.COLLECTION_LETTER,
            TemplateKind.PLAN_CONFIRMATION,
            TemplateKind.PLAN_BROKEN,
            TemplateKind.VALIDATION_NOTICE,
            TemplateKind.LAWYER_LETTER,
        }
    ),
}
SMS_MAX_CHARS = 300
"""A text longer than this is split into too many parts to read as one message."""


@dataclass(frozen=True)
class Problem:
    """One reason a template may not be saved or a message may not leave."""

    locale: str
    rule: str
    excerpt: str
    stage: Stage

    def describe(self) -> str:
        return f"{self.locale} {self.rule} «{self.excerpt}» ({self.stage})"


@dataclass(frozen=True)
class TemplateTexts:
    """A template's subject and body in one locale."""

    body: str
    subject: str | None = None


def parse_key(key: str) -> tuple[TemplateKind, MessageChannel]:
    """``<kind>/<channel>``, each checked against its vocabulary."""
    kind_text, _, channel_text = key.strip().partition("/")
    try:
        kind = TemplateKind(kind_text)
    except ValueError:
        choices = ", ".join(member.value for member in TemplateKind)
        raise InvalidInput(
            f"unknown template kind '{kind_text}'", where="key", hint=f"choose one of: {choices}"
        ) from None
    try:
        channel = MessageChannel(channel_text)
    except ValueError:
        raise InvalidInput(
            f"unknown channel '{channel_text}'", where="key", hint="write the key as <kind>/<sms|email|letter>"
        ) from None
    if kind not in CHANNEL_KINDS[channel]:
        raise InvalidInput(f"a {kind.value} cannot be sent by {channel.value}", where="key")
    return kind, channel


def make_key(kind: TemplateKind, channel: MessageChannel) -> str:
    return f"{kind.value}/{channel.value}"


def sample_facts(locale: Locale) -> LetterFacts:
    """A plausible case (the scripts' sample) with a contract, dates, an opt-out notice and a law firm."""
    english = locale is Locale.EN
    return LetterFacts(
        script=sample_context(locale),
        loan_accounts=("L00000012",),
        contract_date=date(2025, 9, 1),
        letter_date=date(2026, 3, 13),
        dispute_by=date(2026, 4, 17),
        opt_out={locale: "Reply STOP to opt out" if english else "回复TD退订"},
        law_firm="Hengxin Law Firm" if english else "恒信律师事务所",
        lawyer_name="Wang Fang" if english else "王芳",
    )


def check_template_texts(
    kind: TemplateKind, channel: MessageChannel, texts_by_locale: Mapping[str, TemplateTexts]
) -> None:
    """Refuse texts that break any rule of this module's docstring; the message lists every problem."""
    key = make_key(kind, channel)
    locales = _locales(key, texts_by_locale)
    problems: list[Problem] = []
    for locale, texts in locales.items():
        used = set(check(texts.body, where=f"{key} {locale}"))
        if texts.subject is not None:
            used |= check(texts.subject, where=f"{key} {locale} subject")
        problems.extend(_missing(kind, channel, locale, used))
        problems.extend(_lint_problems(locale, texts, sample_facts(locale)))
        if channel is MessageChannel.SMS:
            problems.extend(_too_long(locale, texts.body))
    if problems:
        listed = "; ".join(problem.describe() for problem in problems)
        raise InvalidInput(
            f"template {key} breaks the content rules: {listed}", where=key, hint="rewrite the text; see docs/comms.md"
        )


def send_problems(
    *, channel: MessageChannel, locale: Locale, body: str, subject: str | None, opt_out: str | None
) -> list[Problem]:
    """Why a rendered message may not leave: linter errors, or an electronic message without its opt-out."""
    problems = _lint(locale, subject or "", "message") + _lint(locale, body, "message")
    if needs_opt_out(channel) and (not opt_out or opt_out not in body):
        problems.append(Problem(locale.value, "opt_out_notice", opt_out or "", "message"))
    return problems


def pack_allows(kind: TemplateKind, pack_id: str) -> bool:
    wanted = PACK_ONLY.get(kind)
    return wanted is None or wanted == pack_id


def _missing(kind: TemplateKind, channel: MessageChannel, locale: Locale, used: set[str]) -> list[Problem]:
    missing = sorted(REQUIRED[kind] - used)
    if not used & NAMED_DEBTOR:
        missing.append("addressee")
    if needs_opt_out(channel) and "opt_out" not in used:
        missing.append("opt_out")
    return [Problem(locale.value, "missing_variable", name, "template") for name in missing]


def _too_long(locale: Locale, body: str) -> list[Problem]:
    """A text rendered for the sample case that needs more than :data:`SMS_MAX_CHARS` characters."""
    rendered = render(body, sample_facts(locale), locale)
    if len(rendered) <= SMS_MAX_CHARS:
        return []
    return [Problem(locale.value, "sms_too_long", f"{len(rendered)} > {SMS_MAX_CHARS} characters", "rendered")]


def _lint_problems(locale: Locale, texts: TemplateTexts, facts: LetterFacts) -> list[Problem]:
    problems: list[Problem] = []
    for part in (texts.subject, texts.body):
        if part is None:
            continue
        problems.extend(_lint(locale, part, "template"))
        problems.extend(_lint(locale, render(part, facts, locale), "rendered"))
    return _unique(problems)


def _lint(locale: Locale, text: str, stage: Stage) -> list[Problem]:
    lang = "en" if locale is Locale.EN else "zh"
    findings = lint(text, lang=lang, context=LintContext())
    return [Problem(locale.value, f.rule, f.excerpt, stage) for f in findings if f.severity == "error"]


def _locales(key: str, texts_by_locale: Mapping[str, TemplateTexts]) -> dict[Locale, TemplateTexts]:
    found: dict[Locale, TemplateTexts] = {}
    for name, texts in texts_by_locale.items():
        try:
            locale = Locale(name)
        except ValueError:
            raise InvalidInput(f"unknown locale '{name}'", where=key, hint="use zh-CN, zh-TW or en") from None
        if not texts.body.strip():
            raise InvalidInput(f"the {name} text is empty", where=key)
        found[locale] = texts
    if Locale.ZH_CN not in found:
        raise InvalidInput("a template needs its zh-CN text (the default locale)", where=key)
    return found


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.locale, problem.rule, problem.excerpt), problem)
    return list(seen.values())
