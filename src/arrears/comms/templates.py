"""Letter and message templates: the script library's sandbox with the variables a letter needs.

A template is checked and rendered by :func:`arrears.scripts.library.templates.render_values`
(sandboxed Jinja2, print variables, three filters and ``{% if %}`` only), with the
closed set :data:`VARIABLES`: every script variable plus what a formal letter
carries (the contract it rests on, the letter's date, the dispute deadline), the
opt-out notice of an electronic message, and a lawyer's letter's firm and lawyer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from arrears.comms.enums import MessageChannel, TemplateKind
from arrears.scripts.library.enums import Locale
from arrears.scripts.library.templates import VARIABLES as SCRIPT_VARIABLES
from arrears.scripts.library.templates import ScriptContext, check_template, format_date, render_values

VARIABLES: dict[str, str] = {
    **SCRIPT_VARIABLES,
    "loan_accounts": "the contract numbers the debt arises from, joined in the locale (L00000012、L00000013)",
    "contract_date": "the date the (first) loan contract was signed (date)",
    "letter_date": "the date the letter or message is issued (date)",
    "dispute_by": "the last day to dispute the debt in writing (date; the US validation period)",
    "opt_out": "how to stop these messages: 回复TD退订 / Reply STOP, or the email's unsubscribe link",
    "law_firm": "the engaged law firm's name (lawyer's letters only)",
    "lawyer_name": "the signing lawyer's name (lawyer's letters only)",
}

REQUIRED: dict[TemplateKind, frozenset[str]] = {
    TemplateKind.PAYMENT_REMINDER: frozenset({"amount_overdue", "hotline"}),
    TemplateKind.COLLECTION_LETTER: frozenset(
        {"payoff_amount", "loan_accounts", "contract_date", "hotline", "company", "letter_date"}
    ),
    TemplateKind.PLAN_CONFIRMATION: frozenset({"promise_amount", "promise_date", "hotline"}),
    TemplateKind.PLAN_BROKEN: frozenset({"promise_date", "amount_overdue", "hotline"}),
    TemplateKind.VALIDATION_NOTICE: frozenset({"payoff_amount", "company", "dispute_by", "loan_accounts"}),
    TemplateKind.LAWYER_LETTER: frozenset({"law_firm", "lawyer_name", "payoff_amount", "loan_accounts", "company"}),
}
"""What each kind must print: a formal letter names the debt, its basis, the creditor and how to verify."""

NAMED_DEBTOR = frozenset({"debtor_name", "addressee"})
"""Every template names the person it is addressed to, by one of these."""


@dataclass(frozen=True)
class LetterFacts:
    """What a letter adds to the script variables; one value renders in every locale."""

    script: ScriptContext
    loan_accounts: tuple[str, ...]
    contract_date: date | None
    letter_date: date
    dispute_by: date
    opt_out: Mapping[Locale, str] | None = None
    law_firm: str | None = None
    lawyer_name: str | None = None

    def variables(self, locale: Locale) -> dict[str, object]:
        joiner = ", " if locale is Locale.EN else "、"
        opt_out = None if self.opt_out is None else self.opt_out.get(locale) or self.opt_out.get(Locale.ZH_CN)
        return {
            **self.script.variables(locale),
            "loan_accounts": joiner.join(self.loan_accounts) or None,
            "contract_date": self.contract_date,
            "letter_date": self.letter_date,
            "dispute_by": self.dispute_by,
            "opt_out": opt_out,
            "law_firm": self.law_firm,
            "lawyer_name": self.lawyer_name,
        }


def check(text: str, *, where: str) -> frozenset[str]:
    """The variables ``text`` uses; refuses anything the sandbox would (see the scripts' templates)."""
    return check_template(text, where=where, variables=VARIABLES)


def render(template: str, facts: LetterFacts, locale: Locale, *, currency_symbol: str = "¥") -> str:
    """``template`` filled for one case in ``locale``; a variable the case has no value for is an error."""
    return render_values(
        template,
        facts.variables(locale),
        locale,
        currency_symbol=currency_symbol,
        variables=VARIABLES,
        missing_hint="the case lacks a value this template prints (a promise, a contract, an opt-out notice)",
    )


def subject_line(subject: str | None, facts: LetterFacts, locale: Locale, *, currency_symbol: str = "¥") -> str | None:
    return None if subject is None else render(subject, facts, locale, currency_symbol=currency_symbol)


def describe_date(day: date, locale: Locale) -> str:
    return format_date(day, locale)


def needs_opt_out(channel: MessageChannel) -> bool:
    """Every electronic message tells the person how to stop it."""
    return channel.electronic
