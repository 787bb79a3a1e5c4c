"""Planning tomorrow's actions checks them with the guard as it will apply then."""

from __future__ import annotations

from arrears.compliance.pack import load_pack
from arrears.strategy.planning import planning_pack


def test_planning_keeps_every_rule_but_the_visit_team_which_is_named_when_the_visit_is_logged() -> None:
    pack = load_pack("cn")
    planned = planning_pack(pack)
    assert set(pack.rule_ids) - set(planned.rule_ids) == {"visit_two_collectors"}
    assert planned.version == pack.version
