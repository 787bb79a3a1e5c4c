"""The authority matrix is data: validated with clear errors, applied at the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arrears.errors import ConfigurationError
from arrears.org.enums import Role
from arrears.settlement import authority
from arrears.settlement.enums import PlanKind
from arrears.settlement.options import Waivers

D = Decimal


def decide(role: Role | None, waivers: Waivers, periods: int = 6) -> authority.AuthorityDecision:
    return authority.decide(
        authority.shipped(), role=role, product_code="CASH", kind=PlanKind.INSTALMENTS, periods=periods, waivers=waivers
    )


def test_the_shipped_matrix_loads_and_is_versioned() -> None:
    matrix = authority.shipped()
    assert matrix.version >= 1
    assert {rule.role for rule in matrix.rules} == {Role.TEAM_LEAD, Role.APPROVER}


def test_a_team_lead_may_waive_charges_exactly_at_the_limit_but_not_one_cent_over() -> None:
    at_limit = decide(Role.TEAM_LEAD, Waivers(charges=D("2000.00")))
    assert at_limit.allowed and at_limit.rule == "lead-standard"
    over = decide(Role.TEAM_LEAD, Waivers(charges=D("2000.01")))
    assert not over.allowed
    assert "waiving 2000.01 of charges exceeds the team_lead limit of 2000.00" in over.reason


def test_principal_waivers_need_an_approver() -> None:
    assert not decide(Role.TEAM_LEAD, Waivers(principal=D("0.01"))).allowed
    assert decide(Role.APPROVER, Waivers(principal=D("10000.00"))).allowed
    assert not decide(Role.APPROVER, Waivers(principal=D("10000.01"))).allowed


def test_collectors_and_tokens_never_approve() -> None:
    assert not decide(Role.COLLECTOR, Waivers()).allowed
    assert "not an API token" in decide(None, Waivers()).reason


def test_periods_beyond_the_role_limit_are_refused() -> None:
    assert decide(Role.TEAM_LEAD, Waivers(), periods=12).allowed
    assert "13 periods exceed" in decide(Role.TEAM_LEAD, Waivers(), periods=13).reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nrules: []\n", "rules: Tuple should have at least 1 item"),
        (
            "version: 1\nrules:\n  - {id: a, role: collector, max_periods: 3, waive_charges_up_to: '1',"
            " waive_interest_up_to: '1', waive_principal_up_to: '0'}\n",
            "rules.0.role: collectors propose plans and may never approve them",
        ),
        (
            "version: 1\nrules:\n  - {id: a, role: approver, max_periods: 3, waive_charges_up_to: 1.5,"
            " waive_interest_up_to: '1', waive_principal_up_to: '0'}\n",
            "rules.0.waive_charges_up_to: write amounts in quotes",
        ),
        (
            "version: 1\nrules:\n  - {id: a, role: approver, max_periods: 3, waive_charges_up_to: '-1',"
            " waive_interest_up_to: '1', waive_principal_up_to: '0'}\n",
            "rules.0.waive_charges_up_to: Input should be greater than or equal to 0",
        ),
        ("version: 1\nrules: [\n", "not valid YAML"),
        ("- a\n", "must be a mapping"),
    ],
)
def test_a_broken_matrix_is_one_clear_line_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        authority.parse(text, source="authority.yaml")
    assert message in caught.value.one_line()
    assert caught.value.one_line().startswith("authority.yaml: ")


def test_a_rule_limited_to_products_covers_only_those() -> None:
    matrix = authority.parse(
        "version: 1\nrules:\n  - {id: cash-only, role: team_lead, products: [CASH], max_periods: 6,"
        " waive_charges_up_to: '100.00', waive_interest_up_to: '0', waive_principal_up_to: '0'}\n",
        source="m.yaml",
    )
    waivers = Waivers(charges=D("100.00"))
    on_cash = authority.decide(
        matrix, role=Role.TEAM_LEAD, product_code="CASH", kind=PlanKind.FREEZE, periods=6, waivers=waivers
    )
    on_auto = authority.decide(
        matrix, role=Role.TEAM_LEAD, product_code="AUTO", kind=PlanKind.FREEZE, periods=6, waivers=waivers
    )
    assert on_cash.allowed and on_cash.label == "authority v1:cash-only"
    assert not on_auto.allowed and "may not approve plans on product AUTO" in on_auto.reason
