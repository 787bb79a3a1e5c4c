"""Evaluating a policy: every condition at its boundary, first match wins, escalation only upwards,
and the sample policy reproducing DOMAIN.md's staged treatment."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import pytest

from arrears.compliance.enums import HoldType
from arrears.contact.enums import Outcome
from arrears.strategy.enums import PhoneTarget, Quadrant, ThirdPartyUse, Treatment
from arrears.strategy.evaluate import CHECKS, Evaluator, evaluate, explain_text, failures, json_text
from arrears.strategy.policy import Conditions, Escalation, Policy, bundled_policy
from tests.strategy.policy_docs import document, facts, plan, state

D = Decimal

# (condition, its value, case facts, does the condition hold)
BOUNDARIES: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("dpd_at_least", 6, {"days_past_due": 5}, False),
    ("dpd_at_least", 6, {"days_past_due": 6}, True),
    ("dpd_at_most", 10, {"days_past_due": 10}, True),
    ("dpd_at_most", 10, {"days_past_due": 11}, False),
    ("buckets", ["M1"], {"bucket": "M1"}, True),
    ("buckets", ["M1"], {"bucket": "M2"}, False),
    ("buckets", ["M1"], {"bucket": None}, False),
    ("overdue_at_least", "100.00", {"overdue_total": D("99.99")}, False),
    ("overdue_at_least", "100.00", {"overdue_total": D("100.00")}, True),
    ("overdue_at_most", "100.00", {"overdue_total": D("100.00")}, True),
    ("overdue_at_most", "100.00", {"overdue_total": D("100.01")}, False),
    ("balance_at_least", "5000.00", {"balance": D("4999.99")}, False),
    ("balance_at_least", "5000.00", {"balance": D("5000.00")}, True),
    ("balance_at_most", "4999.99", {"balance": D("4999.99")}, True),
    ("balance_at_most", "4999.99", {"balance": D("5000.00")}, False),
    ("quadrants", ["able_unwilling"], {"quadrant": Quadrant.ABLE_UNWILLING}, True),
    ("quadrants", ["able_unwilling"], {"quadrant": Quadrant.ABLE_WILLING}, False),
    ("quadrants", ["able_unwilling"], {"quadrant": None}, False),
    ("personas", ["hostile"], {"persona": "hostile"}, True),
    ("personas", ["hostile"], {"persona": "victim"}, False),
    ("reasons", ["job_loss"], {"reason": "job_loss"}, True),
    ("reasons", ["job_loss"], {"reason": None}, False),
    ("holds_any", ["dispute"], {"active_holds": frozenset({HoldType.DISPUTE})}, True),
    ("holds_any", ["dispute"], {"active_holds": frozenset({HoldType.COMPLAINT})}, False),
    ("holds_any", ["dispute"], {}, False),
    ("no_holds", True, {}, True),
    ("no_holds", True, {"active_holds": frozenset({HoldType.DISPUTE})}, False),
    ("no_holds", False, {"active_holds": frozenset({HoldType.DISPUTE})}, True),
    ("no_holds", False, {}, False),
    ("promise", "open", {"promise_open": True}, True),
    ("promise", "open", {"promise_open": True, "promise_due_today": True}, True),
    ("promise", "open", {}, False),
    ("promise", "due_today", {"promise_open": True, "promise_due_today": True}, True),
    ("promise", "due_today", {"promise_open": True}, False),
    ("promise", "none", {}, True),
    ("promise", "none", {"promise_open": True}, False),
    ("broken_promises_at_least", 1, {"broken_promises": 0}, False),
    ("broken_promises_at_least", 1, {"broken_promises": 1}, True),
    ("last_outcomes", ["no_answer", "busy"], {"last_outcome": Outcome.BUSY}, True),
    ("last_outcomes", ["no_answer", "busy"], {"last_outcome": Outcome.ANSWERED}, False),
    ("last_outcomes", ["no_answer", "busy"], {}, False),
    ("failed_attempts_at_least", 6, {"failed_attempts": 5}, False),
    ("failed_attempts_at_least", 6, {"failed_attempts": 6}, True),
    ("habitual_late", True, {"habitual_late": True}, True),
    ("habitual_late", True, {}, False),
    ("habitual_late", False, {}, True),
    ("propensity_at_least", "0.30", {"propensity": D("0.29")}, False),
    ("propensity_at_least", "0.30", {"propensity": D("0.30")}, True),
    ("propensity_at_least", "0.30", {}, False),
    ("propensity_at_most", "0.30", {"propensity": D("0.30")}, True),
    ("propensity_at_most", "0.30", {"propensity": D("0.31")}, False),
    ("products", ["CASH12"], {"product_codes": frozenset({"CASH12", "CARD"})}, True),
    ("products", ["CASH12"], {"product_codes": frozenset({"CARD"})}, False),
]


@pytest.mark.parametrize(("field", "value", "case", "holds"), BOUNDARIES)
def test_each_condition_at_its_boundary(field: str, value: Any, case: dict[str, Any], holds: bool) -> None:
    failed = failures(Conditions.model_validate({field: value}), facts(**case))
    assert (not failed) is holds
    if failed:
        assert failed[0].field == field


def test_every_condition_of_the_schema_has_a_check_and_a_boundary_case() -> None:
    assert set(CHECKS) == set(Conditions.model_fields)
    assert {row[0] for row in BOUNDARIES} == set(Conditions.model_fields)


def test_all_conditions_must_hold_and_every_failure_is_reported() -> None:
    when = Conditions(dpd_at_least=91, balance_at_least=D("5000"))
    failed = failures(when, facts(days_past_due=40, balance=D("100.00")))
    assert [(f.field, f.expected, f.actual) for f in failed] == [
        ("dpd_at_least", "≥ 91", "40"),
        ("balance_at_least", "≥ 5000", "100.00"),
    ]


LADDER = Policy.model_validate(
    document(
        state("late", 3, plan("letter"), when={"dpd_at_least": 11}),
        state(
            "middle",
            2,
            plan("call", "work", "home", "mobile"),
            when={"dpd_at_least": 6},
            escalation={"on_broken_promise": "late", "after_failed_attempts": {"count": 6, "to": "late"}},
        ),
        state(
            "early",
            1,
            plan("sms_reminder"),
            plan("call", "work", "home"),
            when={"dpd_at_least": 1},
            escalation={"on_broken_promise": "middle", "after_failed_attempts": {"count": 3, "to": "late"}},
        ),
    )
)


def test_the_first_matching_state_wins_and_earlier_states_say_why_they_failed() -> None:
    decision = evaluate(LADDER, facts(days_past_due=12))
    assert decision.name == "late"
    decision = evaluate(LADDER, facts(days_past_due=7))
    assert decision.name == "middle"
    assert [(c.state, c.matched) for c in decision.checks] == [("clear", False), ("late", False), ("middle", True)]
    assert decision.checks[1].failures[0].expected == "≥ 11"
    assert decision.rule == "test v1 state 'middle'"


@pytest.mark.parametrize(
    ("case", "state_name", "trigger"),
    [
        ({"days_past_due": 3, "broken_promises": 1}, "middle", "broken_promise"),
        ({"days_past_due": 3, "failed_attempts": 2}, "early", None),
        ({"days_past_due": 3, "failed_attempts": 3}, "late", "failed_attempts"),
        ({"days_past_due": 3, "broken_promises": 1, "failed_attempts": 3}, "late", "failed_attempts"),
        ({"days_past_due": 7, "broken_promises": 2}, "late", "broken_promise"),
        ({"days_past_due": 7, "failed_attempts": 5}, "middle", None),
        ({"days_past_due": 12, "broken_promises": 3}, "late", None),
    ],
)
def test_escalation_moves_up_one_step(case: dict[str, Any], state_name: str, trigger: str | None) -> None:
    decision = evaluate(LADDER, facts(**case))
    assert decision.name == state_name
    assert (decision.escalation.trigger if decision.escalation else None) == trigger
    if decision.escalation:
        assert decision.stage > LADDER.state(decision.matched_state).stage
        assert "escalation" in decision.rule


def test_a_later_evaluation_never_keeps_a_case_up_without_an_escalation() -> None:
    decision = evaluate(LADDER, facts(days_past_due=3), previous_state="late")
    assert decision.name == "early"
    assert decision.changed


def test_a_case_no_state_matches_falls_back_to_the_clear_state_and_says_so() -> None:
    decision = evaluate(LADDER, facts(days_past_due=0, active_holds=frozenset({HoldType.DISPUTE})))
    assert decision.name == "clear"  # clear wants only dpd <= 0 here
    gap = Policy.model_validate(document(state("late", 1, plan("letter"), when={"dpd_at_least": 11})))
    decision = evaluate(gap, facts(days_past_due=5))
    assert decision.fallback
    assert decision.name == "clear"
    assert "no state matched" in explain_text(decision, "en")


SAMPLE = bundled_policy("consumer-cn")
FIRM = bundled_policy("consumer-cn-firm")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"days_past_due": 0}, "clear"),
        ({"days_past_due": 1}, "early"),
        ({"days_past_due": 3}, "early"),
        ({"days_past_due": 5}, "early"),
        ({"days_past_due": 3, "habitual_late": True}, "habitual"),
        ({"days_past_due": 6}, "middle"),
        ({"days_past_due": 8}, "middle"),
        ({"days_past_due": 10}, "middle"),
        ({"days_past_due": 11}, "late"),
        ({"days_past_due": 20}, "late"),
        ({"days_past_due": 30}, "late"),
        ({"days_past_due": 31}, "central"),
        ({"days_past_due": 45}, "central"),
        ({"days_past_due": 90}, "central"),
        ({"days_past_due": 91, "balance": D("4999.99")}, "agency"),
        ({"days_past_due": 120, "balance": D("8000.00")}, "legal_review"),
        ({"days_past_due": 120, "balance": D("5000.00")}, "legal_review"),
        ({"days_past_due": 8, "promise_open": True}, "promise_pending"),
        ({"days_past_due": 8, "promise_open": True, "active_holds": frozenset({HoldType.DISPUTE})}, "holds"),
        ({"days_past_due": 0, "active_holds": frozenset({HoldType.DISPUTE})}, "holds"),
        ({"days_past_due": 3, "broken_promises": 1}, "middle"),
        ({"days_past_due": 3, "failed_attempts": 6}, "middle"),
        ({"days_past_due": 3, "failed_attempts": 5}, "early"),
        ({"days_past_due": 8, "broken_promises": 1}, "late"),
        ({"days_past_due": 20, "failed_attempts": 6}, "central"),
        ({"days_past_due": 45, "broken_promises": 1}, "central"),
    ],
)
def test_the_sample_policy_follows_the_stages_of_the_domain(case: dict[str, Any], expected: str) -> None:
    assert evaluate(SAMPLE, facts(**case)).name == expected


def _targets(policy: Policy, dpd: int) -> set[PhoneTarget]:
    return {target for step in evaluate(policy, facts(days_past_due=dpd)).treatments for target in step.phone_order}


def _kinds(policy: Policy, **case: Any) -> set[Treatment]:
    return {step.treatment for step in evaluate(policy, facts(**case)).treatments}


def test_early_cases_get_a_reminder_and_a_call_and_no_contacts() -> None:
    decision = evaluate(SAMPLE, facts(days_past_due=3))
    assert _kinds(SAMPLE, days_past_due=3) == {Treatment.SMS_REMINDER, Treatment.CALL}
    assert decision.third_parties is ThirdPartyUse.NEVER
    assert PhoneTarget.CONTACTS not in _targets(SAMPLE, 3)
    call = next(step for step in decision.treatments if step.treatment is Treatment.CALL)
    assert call.phone_order == (PhoneTarget.WORK, PhoneTarget.HOME, PhoneTarget.MOBILE)


def test_middle_cases_may_reach_contacts_only_when_the_debtor_is_unreachable() -> None:
    decision = evaluate(SAMPLE, facts(days_past_due=8))
    assert decision.third_parties is ThirdPartyUse.WHEN_UNREACHABLE
    assert _targets(SAMPLE, 8) >= {PhoneTarget.CONTACTS}
    assert {step.timing.value for step in decision.treatments} == {"first_pass", "second_pass"}


def test_later_stages_bring_letters_visits_and_then_legal_or_agency() -> None:
    assert Treatment.LETTER in _kinds(SAMPLE, days_past_due=20)
    assert evaluate(SAMPLE, facts(days_past_due=45)).state.owner == "central"
    assert Treatment.VISIT in _kinds(SAMPLE, days_past_due=45)
    assert Treatment.LEGAL_REFERRAL in _kinds(SAMPLE, days_past_due=120, balance=D("8000.00"))
    assert _kinds(SAMPLE, days_past_due=120, balance=D("3000.00")) == {Treatment.AGENCY_PLACEMENT}


def test_pending_promises_get_a_recheck_call_and_holds_get_nothing() -> None:
    pending = evaluate(SAMPLE, facts(days_past_due=8, promise_open=True))
    assert [(s.treatment.value, s.timing.value) for s in pending.treatments] == [("call", "promise_recheck")]
    held = evaluate(SAMPLE, facts(days_past_due=8, active_holds=frozenset({HoldType.DISPUTE})))
    assert held.treatments == ()


def test_the_challenger_sends_letters_earlier_and_contacts_later() -> None:
    assert Treatment.LETTER in _kinds(FIRM, days_past_due=8)
    assert Treatment.LETTER not in _kinds(SAMPLE, days_past_due=8)
    assert PhoneTarget.CONTACTS not in _targets(FIRM, 8)
    assert PhoneTarget.CONTACTS in _targets(FIRM, 20)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_explanation_names_each_state_tried_and_the_escalation(lang: str) -> None:
    decision = evaluate(SAMPLE, facts(days_past_due=3, broken_promises=1), previous_state="early")
    text = explain_text(decision, lang)
    assert "middle" in text
    assert "dpd_at_most" in text  # why the clear state did not match
    for tried in ("clear", "holds", "promise_pending", "legal_review", "early"):
        assert tried in text
    assert ("升级" if lang == "zh" else "Escalation") in text
    assert ("电话催收" if lang == "zh" else "call") in text
    assert decision.as_json()["escalation"] == {
        "trigger": "broken_promise",
        "from": "early",
        "to": "middle",
        "actual": 1,
        "threshold": 1,
    }


def test_evaluation_never_moves_a_case_down_even_on_an_unchecked_policy() -> None:
    """The schema refuses downward escalation; evaluate refuses it again for documents built without validation."""
    late = LADDER.state("late")
    downward = late.model_copy(update={"escalation": Escalation.model_construct(on_broken_promise="early")})
    unchecked = LADDER.model_copy(update={"states": tuple(downward if s is late else s for s in LADDER.states)})
    decision = evaluate(unchecked, facts(days_past_due=12, broken_promises=1))
    assert decision.name == "late"
    assert decision.escalation is None


GRID = list(
    itertools.product(
        (0, 1, 6, 11, 31, 91),  # days past due: each rung of the sample ladder
        (D("4999.99"), D("5000.00")),  # balance
        (frozenset(), frozenset({HoldType.DISPUTE})),
        ((False, False), (True, False), (True, True)),  # promise open, due today
        (0, 2),  # broken promises
        (0, 3, 6),  # failed attempts: below and at both thresholds
        (False, True),  # habitual late payer
    )
)


@pytest.mark.parametrize("policy", [SAMPLE, FIRM, LADDER], ids=lambda policy: policy.code)
def test_the_evaluator_decides_and_explains_every_case_as_evaluate_does(policy: Policy) -> None:
    """Shared shapes only ever quote each case's own facts: decisions and their JSON text are evaluate's."""
    evaluator = Evaluator(policy)
    for round_ in range(2):  # the second round's facts differ, but never across a bound: it makes no new shape
        step = round_
        for number, (dpd, balance, holds, (open_, due_today), broken, failed, habitual) in enumerate(GRID):
            case = facts(
                case_id=number + round_ * len(GRID),
                days_past_due=dpd + step if dpd else 0,
                balance=balance + (D("0.01") if balance >= 5000 else D("-0.01")) * step,
                active_holds=holds,
                promise_open=open_,
                promise_due_today=due_today,
                broken_promises=broken + step if broken else 0,
                failed_attempts=failed + step if failed else 0,
                habitual_late=habitual,
            )
            previous = (None, "early", "late")[(number + round_) % 3]
            expected = evaluate(policy, case, previous_state=previous)
            assert evaluator.evaluate(case, previous_state=previous) == expected
            assert evaluator.shape(case).as_json_text(case, previous) == json.dumps(expected.as_json())
        if round_ == 0:
            shapes = len(evaluator._shapes)
    assert len(evaluator._shapes) == shapes < len(GRID)


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " and \\ and \n',
        "逾期早期 é",
        "",
        0,
        -7,
        123456789,
        None,
        True,
        False,
        [],
        ["a", "中"],
        {"k": [None, 1], "n": {"x": "é"}},
    ],
)
def test_json_text_is_json_dumps(value: Any) -> None:
    assert json_text(value) == json.dumps(value)
