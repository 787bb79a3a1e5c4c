"""Script templates: a closed set of variables, no attribute access, locale-aware filters and honorifics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.errors import InvalidInput
from arrears.scripts.library.enums import Locale
from arrears.scripts.library.rules import sample_context
from arrears.scripts.library.templates import ScriptContext, check_template, format_money, render


def _context(gender: str) -> ScriptContext:
    return sample_context(Locale.ZH_CN).model_copy(update={"gender": gender, "debtor_name": "王芳"})


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("{{ company.__class__ }}", "attributes"),
        ("{{ payment_channels[0] }}", "attributes or items"),
        ("{{ secret_key }}", "secret_key"),
        ("{{ company|upper }}", "upper"),
        ("{% for c in payment_channels %}{{ c }}{% endfor %}", "For"),
        ("{% set x = 1 %}", "Assign"),
        ("{{ company", "syntax error"),
    ],
)
def test_the_sandbox_refuses_anything_beyond_the_case_variables(template: str, named: str) -> None:
    with pytest.raises(InvalidInput, match=named):
        check_template(template, where="test")


@pytest.mark.parametrize(
    ("gender", "locale", "expected"),
    [
        ("male", Locale.ZH_CN, "王芳先生您好"),
        ("female", Locale.ZH_CN, "王芳女士您好"),
        ("female", Locale.ZH_TW, "王芳小姐您好"),
        ("female", Locale.EN, "Ms 王芳您好"),
        ("unknown", Locale.ZH_CN, "王芳您好"),
    ],
)
def test_the_addressee_takes_the_honorific_of_the_locale(gender: str, locale: Locale, expected: str) -> None:
    assert render("{{ addressee }}您好", _context(gender), locale) == expected


def test_money_dates_and_channels_follow_the_locale() -> None:
    context = sample_context(Locale.EN)
    template = "{{ amount_overdue|money }} on {{ due_date|date }} via {{ payment_channels|channels }}"
    assert render(template, context, Locale.EN) == (
        "¥3,150.00 on March 1, 2026 via the official app or the company's bank account"
    )
    assert render("{{ due_date|date }}{{ payment_channels|channels }}", context, Locale.ZH_CN) == (
        "2026年3月1日官方APP或对公银行账户"
    )
    assert render("{{ payoff_amount|money }}", context, Locale.EN, currency_symbol="$") == "$9,450.00"


def test_money_rounds_half_up_to_the_cent() -> None:
    assert format_money(Decimal("1234.505"), "¥") == "¥1,234.51"


def test_printing_a_variable_the_case_has_no_value_for_is_an_error() -> None:
    context = sample_context(Locale.ZH_CN).model_copy(update={"promise_date": None})
    with pytest.raises(InvalidInput, match="no value"):
        render("{{ promise_date|date }}", context, Locale.ZH_CN)
    assert render("{% if promise_date %}有约定{% else %}无约定{% endif %}", context, Locale.ZH_CN) == "无约定"


def test_a_context_renders_in_every_locale_with_its_channels() -> None:
    context = sample_context(Locale.ZH_CN).model_copy(update={"due_date": date(2026, 12, 31)})
    assert render("{{ due_date|date }}", context, Locale.ZH_TW) == "2026年12月31日"
    assert render("{{ payment_channels|channels }}", context, Locale.ZH_TW) == "官方APP或公司指定的銀行帳戶"
