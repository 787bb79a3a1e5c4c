"""The shipped library is complete for the sample policy and every text passes the linter in every locale."""

from __future__ import annotations

import pytest

from arrears.scripts.library import load_shipped
from arrears.scripts.library.enums import CallStep, Locale, Objection, ScriptParty
from arrears.scripts.library.keys import parse_key
from arrears.scripts.library.rules import find_problems, sample_context
from arrears.scripts.library.templates import render

SHIPPED = load_shipped().scripts
FULL_STAGES = ("early", "middle", "late", "central", "promise_pending")
LEGAL_STEPS = ("verify_identity", "introduce", "costs_benefits", "secure_promise", "close")


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_every_shipped_script_renders_in_every_locale_without_linter_errors(key: str) -> None:
    texts = SHIPPED[key]
    assert set(texts) == {locale.value for locale in Locale}
    scenario = parse_key(key)
    for locale in Locale:
        assert render(texts[locale], sample_context(locale), locale)
        assert find_problems(scenario, locale, texts[locale]) == []


def test_the_debtor_gets_every_call_step_in_every_working_stage() -> None:
    missing = [
        f"{stage}/debtor/{step.value}/-/-"
        for stage in FULL_STAGES
        for step in CallStep
        if f"{stage}/debtor/{step.value}/-/-" not in SHIPPED
    ]
    missing += [
        f"{stage}/debtor/{step}/-/-"
        for stage in ("legal_review", "agency")
        for step in LEGAL_STEPS
        if f"{stage}/debtor/{step}/-/-" not in SHIPPED
    ]
    assert missing == []


def test_every_objection_has_a_debtor_script_for_any_stage() -> None:
    answered = {parse_key(key).objection for key in SHIPPED if key.startswith("any/debtor/")}
    assert set(Objection) <= answered


def test_third_party_scripts_cover_locating_the_debtor() -> None:
    third = [parse_key(key) for key in SHIPPED if parse_key(key).party is ScriptParty.THIRD_PARTY]
    steps = {key.step for key in third if key.objection is None}
    objections = {key.objection for key in third}
    assert {CallStep.VERIFY_IDENTITY, CallStep.INTRODUCE, CallStep.SECURE_PROMISE, CallStep.CLOSE} <= steps
    assert {Objection.STOP_CONTACTING_OTHERS, Objection.WRONG_PERSON} <= objections


def test_the_library_is_well_over_a_hundred_scripts() -> None:
    assert len(SHIPPED) > 100
