"""The policy schema: the escalation principles as validation, and errors that name the state and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from arrears.errors import InvalidInput
from arrears.strategy.policy import Policy, bundled_policy, line_of, load_policy_file, parse_policy
from tests.strategy.policy_docs import document, plan, state

EARLY = state("early", 1, plan("sms_reminder"), plan("call", "work", "home"), when={"dpd_at_least": 1})


def refusal(data: dict[str, Any]) -> str:
    """The one line a policy document is refused with."""
    with pytest.raises(InvalidInput) as caught:
        parse_policy(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), source="p.yaml")
    return caught.value.one_line()


def test_both_bundled_policies_validate_and_the_champion_names_the_challenger() -> None:
    champion = bundled_policy("consumer-cn")
    challenger = bundled_policy("consumer-cn-firm")
    assert champion.challenger is not None
    assert champion.challenger.code == challenger.code
    assert str(champion.challenger.share) == "0.2"
    assert challenger.challenger is None


def test_a_later_stage_that_repeats_the_previous_is_refused_naming_it() -> None:
    middle = state("middle", 2, plan("sms_reminder"), plan("call", "work", "home"), when={"dpd_at_least": 6})
    line = refusal(document(middle, EARLY))
    assert "state 'middle' (stage 2) adds nothing to 'early' (stage 1)" in line


def test_a_later_stage_lighter_than_the_previous_is_refused() -> None:
    middle = state("middle", 2, plan("sms_reminder"), when={"dpd_at_least": 6})
    line = refusal(document(middle, EARLY))
    assert "state 'middle' (stage 2) is lighter than 'early' (stage 1)" in line


@pytest.mark.parametrize(
    ("middle", "why"),
    [
        (state("middle", 2, plan("letter"), when={"dpd_at_least": 6}), "a heavier treatment"),
        (state("middle", 2, plan("call", "work", "home", "mobile"), when={"dpd_at_least": 6}), "a new phone target"),
        (state("middle", 2, plan("call", "work"), plan("email_reminder"), when={"dpd_at_least": 6}), "a new kind"),
    ],
)
def test_a_later_stage_that_adds_something_is_accepted(middle: dict[str, Any], why: str) -> None:
    assert Policy.model_validate(document(middle, EARLY)).state("middle").stage == 2, why


def test_states_sharing_a_stage_are_each_measured_against_the_stage_below() -> None:
    legal = state("legal", 2, plan("legal_referral"), when={"dpd_at_least": 91, "balance_at_least": "5000"})
    agency = state("agency", 2, plan("agency_placement"), when={"dpd_at_least": 91})
    assert len(Policy.model_validate(document(legal, agency, EARLY)).states) == 4
    weak = state("weak", 2, plan("sms_reminder"), when={"dpd_at_least": 91})
    assert "state 'weak' (stage 2) is lighter than 'early'" in refusal(document(legal, weak, EARLY))


def test_pause_states_sit_beside_the_ladder() -> None:
    holds = state("holds", 3, pause=True, when={"no_holds": False})
    assert Policy.model_validate(document(holds, EARLY)).state("holds").treatments == ()


def test_a_collection_state_without_treatments_is_refused() -> None:
    assert "a collection state needs at least one treatment" in refusal(document(state("idle", 1)))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (document(EARLY, {**EARLY, "stage": 2}), "state 'early' appears twice"),
        ({**document(EARLY), "states": [EARLY]}, "exactly one clear state, this one has 0"),
        (document({**EARLY, "name": "clear2", "clear": True, "stage": 0, "treatments": []}), "this one has 2"),
        (document({**EARLY, "escalation": {"on_broken_promise": "nowhere"}}), "which the policy does not have"),
        (
            document(
                state("middle", 2, plan("letter"), when={"dpd_at_least": 6}, escalation={"on_broken_promise": "early"}),
                EARLY,
            ),
            "state 'middle' (stage 2) escalates to 'early' (stage 1), which is not higher",
        ),
        (
            document(
                state("held", 2, pause=True, when={"no_holds": False}),
                {**EARLY, "escalation": {"after_failed_attempts": {"count": 6, "to": "held"}}},
            ),
            "which is not a collection state",
        ),
        (document({**EARLY, "escalation": {}}), "escalation names no trigger"),
        (
            document(state("early", 1, plan("call", "work", "contacts"))),
            "phone_order calls contacts while third_parties is never",
        ),
        (
            document(state("early", 1, plan("call", "contacts", "work"), third_parties="when_unreachable")),
            "contacts must come last in phone_order",
        ),
        (document(state("early", 1, plan("call"))), "a call needs a phone_order"),
        (document(state("early", 1, plan("letter", "work"))), "letter does not use a phone_order"),
        (document({**EARLY, "when": {"balance_at_least": 5000.5}}), "is a floating-point number"),
        (document({**EARLY, "when": {"dpd_at_least": 10, "dpd_at_most": 5}}), "dpd_at_least 10 is above dpd_at_most 5"),
        (document({**EARLY, "when": {"holds_any": ["dispute"], "no_holds": True}}), "contradict each other"),
        (document(EARLY, challenger={"code": "test", "share": "0.2"}), "cannot challenge itself"),
        (document(EARLY, challenger={"code": "other", "share": "1"}), "share: Input should be less than 1"),
        (document(EARLY, products=["*", "CASH12"]), "already means every product"),
        (document({**EARLY, "stage": 0}), "stage 0 belongs to the clear state"),
        (document({**EARLY, "colour": "red"}), "states.1.colour (state 'early'): Extra inputs are not permitted"),
    ],
)
def test_an_invalid_policy_is_refused_with_one_line(data: dict[str, Any], expected: str) -> None:
    line = refusal(data)
    assert expected in line
    assert "\n" not in line
    assert line.startswith("p.yaml")


def test_pydantic_alone_enforces_the_rules() -> None:
    middle = state("middle", 2, plan("sms_reminder"), plan("call", "work", "home"), when={"dpd_at_least": 6})
    with pytest.raises(ValidationError, match="adds nothing"):
        Policy.model_validate(document(middle, EARLY))


SAMPLE = Path(__file__).parents[2] / "src" / "arrears" / "strategy" / "policies" / "consumer-cn.yaml"


def _line_containing(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_bad_treatment_is_reported_on_its_line(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("treatment: agency_placement", "treatment: debt_collector")
    bad = tmp_path / "policy.yaml"
    bad.write_text(text, encoding="utf-8")
    line = _line_containing(text, "debt_collector")
    with pytest.raises(InvalidInput) as caught:
        load_policy_file(bad)
    message = caught.value.one_line()
    assert message.startswith(f"{bad} line {line}: states.4.treatments.0.treatment (state 'agency'): Input should be")
    assert "'legal_referral'" in message


def test_a_rule_broken_across_states_is_reported_on_the_offending_line(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("on_broken_promise: central", "on_broken_promise: early")
    bad = tmp_path / "policy.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_policy_file(bad)
    assert caught.value.where == f"{bad} line {_line_containing(text, 'on_broken_promise: early')}"
    assert "'late' (stage 3) escalates to 'early' (stage 1)" in caught.value.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("code: [x\n", "line 2: not valid YAML"),
        ("- a\n- b\n", "a policy must be a mapping"),
        ("", "a policy must be a mapping"),
        ("code: x\n", "line 1: version: Field required (and 2 more problems) (add the field"),
    ],
)
def test_a_file_that_is_not_a_policy_gets_one_line(tmp_path: Path, content: str, expected: str) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_policy_file(bad)
    message = caught.value.one_line()
    assert expected in message
    assert "\n" not in message


def test_a_missing_file_gets_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_policy_file(tmp_path / "absent.yaml")


def test_line_of_walks_the_node_tree_and_stops_where_the_document_ends() -> None:
    node = yaml.compose("code: x\nstates:\n  - name: a\n    stage: 1\n  - name: b\n")
    assert line_of(node, ("states", 0, "stage")) == 4
    assert line_of(node, ("states", 1)) == 5
    assert line_of(node, ("states", 1, "label")) == 5  # missing: the mapping that should hold it
    assert line_of(node, ()) == 1
    assert line_of(None, ("code",)) is None


def test_the_checksum_follows_the_content_only() -> None:
    first = Policy.model_validate(document(EARLY))
    again = Policy.model_validate(document(EARLY))
    changed = Policy.model_validate(document({**EARLY, "owner": "early_team"}))
    assert first.checksum() == again.checksum() != changed.checksum()
