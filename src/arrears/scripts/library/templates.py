"""Script templates: Jinja2 in a sandbox, plain text, a closed set of case variables.

A template may only print the variables of :data:`VARIABLES`, pass them through
the filters of :data:`FILTERS` and branch with ``{% if %}``. Anything else
(attribute or item access, calls, loops, includes, unknown names or filters) is
refused when the script is saved, by :func:`check_template`, with the offending
name in the message. Rendering uses a ``SandboxedEnvironment`` with
``StrictUndefined`` as a second wall: a missing value is an error, never a blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal, TypeVar

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field

from arrears.errors import InvalidInput
from arrears.money import round_money
from arrears.scripts.library.enums import DEFAULT_LOCALE, Locale

Gender = Literal["male", "female", "unknown"]
_T = TypeVar("_T")

VARIABLES: dict[str, str] = {
    "debtor_name": "the debtor's name as on file (张伟)",
    "honorific": "先生/女士 (zh-CN), 先生/小姐 (zh-TW), Mr/Ms (en) from the debtor's gender; empty when unknown",
    "addressee": "the name with its honorific in the locale's order (张伟先生, Mr Zhang Wei)",
    "amount_overdue": "the amount overdue now (money)",
    "days_past_due": "DPD, 逾期天数 (integer)",
    "penalty_per_day": "what one more day of delay adds: penalty and late fee (money)",
    "payoff_amount": "the amount that settles the loans in full today (money)",
    "collector_name": "the collector's display name",
    "staff_number": "the collector's staff number (工号)",
    "company": "the tenant's name",
    "hotline": "the official verification hotline",
    "payment_channels": "the official payment channels for the locale (a list: use the channels filter)",
    "due_date": "the oldest unpaid due date (date)",
    "promise_date": "the open promise's date (date)",
    "promise_amount": "the open promise's amount (money)",
}
FILTERS: dict[str, str] = {
    "money": "an amount with the tenant's currency symbol: ¥1,234.50",
    "date": "a date in the locale: 2026年3月1日, March 1, 2026",
    "channels": "a list joined in the locale: 官方APP、对公账户 / the app, bank transfer",
}
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.If,
    nodes.CondExpr,
    nodes.Not,
    nodes.And,
    nodes.Or,
    nodes.Compare,
    nodes.Operand,
)
_HONORIFICS: dict[Locale, dict[Gender, str]] = {
    Locale.ZH_CN: {"male": "先生", "female": "女士", "unknown": ""},
    Locale.ZH_TW: {"male": "先生", "female": "小姐", "unknown": ""},
    Locale.EN: {"male": "Mr", "female": "Ms", "unknown": ""},
}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class ScriptContext(BaseModel):
    """The case variables a script may use (see :data:`VARIABLES`); one context renders in every locale.

    ``payment_channels`` is keyed by locale because the channels are named in the
    language of the call; a locale without its own list uses zh-CN's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    debtor_name: str
    gender: Gender = "unknown"
    amount_overdue: Decimal
    days_past_due: int
    penalty_per_day: Decimal
    payoff_amount: Decimal
    collector_name: str
    staff_number: str
    company: str
    hotline: str
    payment_channels: dict[Locale, list[str]] = Field(default_factory=dict)
    due_date: date | None = None
    promise_date: date | None = None
    promise_amount: Decimal | None = None

    def variables(self, locale: Locale) -> dict[str, object]:
        """The template variables for ``locale``; one without a value is None, and printing it is an error."""
        honorific = _HONORIFICS[locale][self.gender]
        return {
            "debtor_name": self.debtor_name,
            "honorific": honorific,
            "addressee": _addressee(self.debtor_name, honorific, locale),
            "amount_overdue": self.amount_overdue,
            "days_past_due": self.days_past_due,
            "penalty_per_day": self.penalty_per_day,
            "payoff_amount": self.payoff_amount,
            "collector_name": self.collector_name,
            "staff_number": self.staff_number,
            "company": self.company,
            "hotline": self.hotline,
            "payment_channels": self.payment_channels.get(locale) or self.payment_channels.get(DEFAULT_LOCALE),
            "due_date": self.due_date,
            "promise_date": self.promise_date,
            "promise_amount": self.promise_amount,
        }


def check_template(text: str, *, where: str, variables: Mapping[str, str] = VARIABLES) -> frozenset[str]:
    """The variables ``text`` uses; refuses syntax errors, unknown names or filters and any other construct.

    ``variables`` is the closed set a template may print: the scripts' by default;
    the letters and messages of :mod:`arrears.comms` pass their larger set.
    """
    try:
        tree = _environment(DEFAULT_LOCALE, "¥").parse(text)
    except TemplateSyntaxError as error:
        raise InvalidInput(f"template syntax error on line {error.lineno}: {error.message}", where=where) from None
    for node in tree.find_all(nodes.Node):
        _check_node(node, where)
    used = frozenset(meta.find_undeclared_variables(tree))
    unknown = sorted(used - variables.keys())
    if unknown:
        raise InvalidInput(
            f"template uses unknown variable '{unknown[0]}'",
            where=where,
            hint=f"variables: {', '.join(variables)}",
        )
    return used


def render(template: str, context: ScriptContext, locale: Locale, *, currency_symbol: str = "¥") -> str:
    """The text of ``template`` for ``context`` in ``locale``; printing a variable without a value is an error."""
    return render_values(
        template,
        context.variables(locale),
        locale,
        currency_symbol=currency_symbol,
        missing_hint="the script needs a promise or a due date",
    )


def render_values(
    template: str,
    values: Mapping[str, object],
    locale: Locale,
    *,
    currency_symbol: str = "¥",
    variables: Mapping[str, str] = VARIABLES,
    missing_hint: str | None = None,
) -> str:
    """``template`` filled with ``values`` in the sandbox; ``variables`` is the closed set it may print."""
    check_template(template, where=f"template ({locale})", variables=variables)
    compiled = _environment(locale, currency_symbol).from_string(template)
    try:
        return compiled.render(dict(values)).strip()
    except UndefinedError as error:
        raise InvalidInput(f"cannot render: {error.message}", where=f"template ({locale})", hint=missing_hint) from None


def _check_node(node: nodes.Node, where: str) -> None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        raise InvalidInput(
            "templates may not access attributes or items", where=where, hint="use the case variables as they are"
        )
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise InvalidInput(
            f"template uses unknown filter '{node.name}'", where=where, hint=f"filters: {', '.join(FILTERS)}"
        )
    if isinstance(node, nodes.Name) and node.ctx != "load":
        raise InvalidInput(f"templates may not assign '{node.name}'", where=where)
    if not isinstance(node, _ALLOWED_NODES):
        raise InvalidInput(
            f"templates may not use {type(node).__name__}",
            where=where,
            hint="print variables, use the filters and {% if %} only",
        )


def _addressee(name: str, honorific: str, locale: Locale) -> str:
    if not honorific:
        return name
    return f"{honorific} {name}" if locale is Locale.EN else f"{name}{honorific}"


@cache
def _environment(locale: Locale, currency_symbol: str) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_present)
    environment.filters.clear()
    environment.tests.clear()
    filters: Mapping[str, Callable[..., str]] = {
        "money": lambda amount: format_money(_present(amount), currency_symbol),
        "date": lambda day: format_date(_present(day), locale),
        "channels": lambda names: join_list(_present(names), locale),
    }
    environment.filters.update(filters)
    return environment


def _present(value: _T | None) -> _T:
    if value is None:
        raise UndefinedError("a variable the script prints has no value for this case")
    return value


def format_money(amount: Decimal, currency_symbol: str) -> str:
    """¥1,234.50: grouped thousands, two decimals, rounded half up."""
    rounded = round_money(Decimal(amount))
    sign = "-" if rounded < 0 else ""
    return f"{sign}{currency_symbol}{abs(rounded):,.2f}"


def format_date(day: date, locale: Locale) -> str:
    """2026年3月1日 in Chinese, March 1, 2026 in English."""
    if locale is Locale.EN:
        return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def join_list(names: list[str], locale: Locale) -> str:
    """Chinese joins with 、 and 或, English with commas and "or"."""
    if len(names) <= 1:
        return "".join(names)
    if locale is Locale.EN:
        return f"{', '.join(names[:-1])} or {names[-1]}"
    return f"{'、'.join(names[:-1])}或{names[-1]}"
