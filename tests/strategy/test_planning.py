"""Planning tomorrow's actions checks them with the guard as it will apply then."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from arrears.compliance.enums import HoldType
from arrears.compliance.pack import load_pack
from arrears.strategy.enums import Quadrant
from arrears.strategy.planning import facts_json, facts_summary, planning_pack
from tests.strategy.policy_docs import facts


def test_planning_keeps_every_rule_but_the_visit_team_which_is_named_when_the_visit_is_logged() -> None:
    pack = load_pack("cn")
    planned = planning_pack(pack)
    assert set(pack.rule_ids) - set(planned.rule_ids) == {"visit_two_collectors"}
    assert planned.version == pack.version


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"bucket": "M1", "days_past_due": 12, "overdue_total": Decimal("1050.00"), "balance": Decimal("3150.50")},
        {
            "propensity": Decimal("0.4210"),
            "quadrant": Quadrant.ABLE_UNWILLING,
            "persona": "hostile",
            "reason": "job_loss",
            "active_holds": frozenset({HoldType.DISPUTE, HoldType.COMPLAINT}),
            "promise_open": True,
            "broken_promises": 2,
            "failed_attempts": 7,
        },
    ],
)
def test_the_stored_facts_are_written_as_json_dumps_writes_them(case: dict[str, Any]) -> None:
    assert facts_json(facts(**case)) == json.dumps(facts_summary(facts(**case)))
