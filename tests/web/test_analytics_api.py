"""``/api/v1/analytics``: the measures as JSON, CSV and XLSX, the tenant's own, narrowed by the caller's role.

The book: team X has collector U1, team Y collector U2. U1 made 2 attempts in March
(one right-party with a promise), U2 made 1 (no answer); a complaint about U1. U1
held case K1 all month and K1's loan paid 120.00 on 03-10.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.analytics import targets
from arrears.analytics.measures import MEASURES
from arrears.analytics.recovery import Target
from arrears.contact.enums import PromiseStatus
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.web.auth import Principal, current_principal
from arrears.web.permissions import for_role
from tests.analytics.book import Book, at
from tests.factories import Factories
from tests.web.conftest import Issue, bearer

SignIn = Callable[[User], None]
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@dataclass
class Shop:
    tenant: Tenant
    u1: User
    u2: User
    team_x: int
    team_y: int


@pytest.fixture
def shop(db_session: Session, factories: Factories) -> Shop:
    book = Book(db_session, factories)
    tenant = factories.tenant()
    teams = [Team(tenant_id=tenant.id, name=name) for name in ("X", "Y")]
    db_session.add_all(teams)
    db_session.flush()
    u1 = factories.user(tenant, team_id=teams[0].id)
    u2 = factories.user(tenant, team_id=teams[1].id)
    loan = factories.loan(tenant=tenant)
    k1 = book.case_of(loan)
    k2 = book.case_of(factories.loan(tenant=tenant))
    book.assign(k1, u1, at(date(2026, 2, 1)))
    book.contact(k1, u1, at(date(2026, 3, 2)))
    promised = book.contact(k1, u1, at(date(2026, 3, 3)), connected=True, right_party=True)
    book.promise(k1, "120.00", date(2026, 3, 10), PromiseStatus.KEPT, paid="120.00", by=u1, attempt=promised)
    book.contact(k2, u2, at(date(2026, 3, 4)))
    book.complaint(k1, at(date(2026, 3, 5)), about=u1)
    factories.payment(loan, "120.00", date(2026, 3, 10))
    db_session.flush()
    return Shop(tenant, u1, u2, teams[0].id, teams[1].id)


@pytest.fixture
def as_person(api_app: FastAPI) -> Iterator[SignIn]:
    """Sign a person in for the request by standing in for the principal (roles are what is under test)."""

    def sign_in(user: User) -> None:
        person = Principal(
            tenant_id=user.tenant_id,
            actor=user.username,
            permissions=for_role(user.role),
            user_id=user.id,
            role=user.role,
            team_id=user.team_id,
        )
        api_app.dependency_overrides[current_principal] = lambda: person

    yield sign_in
    api_app.dependency_overrides.pop(current_principal, None)


def test_contact_rates_as_json_with_exact_strings(client: TestClient, issue: Issue, shop: Shop) -> None:
    """3 attempts, 1 connected -> 0.333333; 1 right party; 1 promise over 1 right party -> 1."""
    secret = issue("analytics:read", tenant=shop.tenant)

    response = client.get("/api/v1/analytics/contact_rates", params=MARCH, headers=bearer(secret))

    assert response.status_code == 200
    assert response.json() == {
        "measure": "contact_rates",
        "columns": ["attempts", "connected", "contact_rate", "right_party", "rpc_rate", "promises", "promise_rate"],
        "rows": [
            {
                "attempts": 3,
                "connected": 1,
                "contact_rate": "0.333333",
                "right_party": 1,
                "rpc_rate": "0.333333",
                "promises": 1,
                "promise_rate": "1.000000",
            }
        ],
        "ignored_filters": [],
    }


def test_filters_reach_the_measure_and_ignored_ones_are_named(client: TestClient, issue: Issue, shop: Shop) -> None:
    secret = issue("analytics:read", tenant=shop.tenant)

    response = client.get(
        "/api/v1/analytics/contact_rates",
        params={**MARCH, "collector": shop.u2.id, "bucket": "M1"},
        headers=bearer(secret),
    )

    assert response.json()["rows"][0]["attempts"] == 1
    assert response.json()["ignored_filters"] == ["bucket"]


def test_another_tenants_token_sees_none_of_it(client: TestClient, issue: Issue, shop: Shop) -> None:
    response = client.get("/api/v1/analytics/contact_rates", params=MARCH, headers=bearer(issue("analytics:read")))

    assert response.json()["rows"][0]["attempts"] == 0


def test_without_the_permission_it_is_forbidden(client: TestClient, issue: Issue, shop: Shop) -> None:
    response = client.get("/api/v1/analytics/contact_rates", params=MARCH, headers=bearer(issue("lint")))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_without_a_token_it_is_unauthenticated(client: TestClient, shop: Shop) -> None:
    response = client.get("/api/v1/analytics/contact_rates", params=MARCH)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({**MARCH, "target": "7"}, "target"),
        ({**MARCH, "target": "40:0.5"}, "target"),
        ({"to": "2026-03-01"}, "from"),
        ({**MARCH, "arm": "third"}, "arm"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": "2026-03-01", "to": "9999-12-31"}, "to"),
        ({**MARCH, "as_of": "9999-12-31"}, "as_of"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(
    client: TestClient, issue: Issue, shop: Shop, params: dict[str, str], where: str
) -> None:
    response = client.get("/api/v1/analytics/recovery_curve", params=params, headers=bearer(issue("analytics:read")))

    assert response.status_code == 422
    assert response.json()["error"]["where"] == where


def test_an_unknown_measure_is_bad_input(client: TestClient, issue: Issue) -> None:
    response = client.get("/api/v1/analytics/recovery", params=MARCH, headers=bearer(issue("analytics:read")))

    assert response.status_code == 422
    assert "recovery_curve" in response.json()["error"]["message"]


def test_a_measure_as_csv(client: TestClient, issue: Issue, shop: Shop) -> None:
    secret = issue("analytics:read", tenant=shop.tenant)

    response = client.get("/api/v1/analytics/promises_kept", params={**MARCH, "format": "csv"}, headers=bearer(secret))

    assert response.headers["content-type"].startswith("text/csv")
    assert "promises_kept-2026-03-01-2026-03-31.csv" in response.headers["content-disposition"]
    assert response.text == (
        "resolved,kept,partly_kept,broken,kept_rate,promised,paid,paid_share\n1,1,0,0,1.000000,120.00,120.00,1.000000\n"
    )


def test_every_measure_in_one_workbook(client: TestClient, issue: Issue, shop: Shop) -> None:
    secret = issue("analytics:read", tenant=shop.tenant)

    response = client.get("/api/v1/analytics/export.xlsx", params=MARCH, headers=bearer(secret))

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == list(MEASURES)
    assert [cell.value for cell in book["productivity"][2]][1] == shop.u1.display_name


def test_the_measures_listed_are_the_callers(client: TestClient, issue: Issue) -> None:
    response = client.get("/api/v1/analytics/measures", headers=bearer(issue("analytics:read")))

    assert [m["name"] for m in response.json()] == list(MEASURES)


def test_a_collector_sees_only_their_own_productivity(
    client: TestClient, shop: Shop, as_person: SignIn, db_session: Session
) -> None:
    as_person(shop.u1)

    mine = client.get("/api/v1/analytics/productivity", params=MARCH)
    theirs = client.get("/api/v1/analytics/productivity", params={**MARCH, "collector": shop.u2.id})
    rates = client.get("/api/v1/analytics/contact_rates", params=MARCH)
    listed = client.get("/api/v1/analytics/measures")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/analytics/export.xlsx", params=MARCH).content))

    assert [(row["collector_id"], row["recovered"]) for row in mine.json()["rows"]] == [(shop.u1.id, "120.00")]
    assert theirs.status_code == 403
    assert rates.status_code == 403
    assert [m["name"] for m in listed.json()] == ["productivity"]
    assert workbook.sheetnames == ["productivity"]
    assert workbook["productivity"].max_row == 2


def test_a_team_lead_sees_their_team_only(
    client: TestClient, shop: Shop, as_person: SignIn, factories: Factories
) -> None:
    lead = factories.user(shop.tenant, Role.TEAM_LEAD, team_id=shop.team_y)
    as_person(lead)

    people = client.get("/api/v1/analytics/productivity", params=MARCH)
    rates = client.get("/api/v1/analytics/contact_rates", params=MARCH)
    other_team = client.get("/api/v1/analytics/contact_rates", params={**MARCH, "team": shop.team_x})

    assert [row["collector_id"] for row in people.json()["rows"]] == [shop.u2.id, lead.id]
    assert rates.json()["rows"][0]["attempts"] == 1
    assert other_team.status_code == 403


def test_the_recovery_curve_is_judged_against_the_tenants_targets_unless_the_query_names_some(
    client: TestClient, issue: Issue, db_session: Session, factories: Factories
) -> None:
    """1,000.00 enters 1-5 on 03-02 and 400.00 comes back on day 3: 40%. The tenant's 50% by day 3 is not met; a
    query's own 40% is."""
    book = Book(db_session, factories)
    tenant = factories.tenant()
    loan = factories.loan(tenant=tenant)
    book.stay(loan, "1-5", date(2026, 3, 2), "1000.00", dpd=1)
    factories.payment(loan, "400.00", date(2026, 3, 5))
    targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=(Target(3, Fraction(1, 2)),), actor="t")
    db_session.flush()
    secret = issue("analytics:read", tenant=tenant)

    def day_3(params: dict[str, str]) -> tuple[object, ...]:
        rows = client.get("/api/v1/analytics/recovery_curve", params=params, headers=bearer(secret)).json()["rows"]
        row = next(row for row in rows if row["bucket"] == "1-5" and row["day"] == 3)
        return row["rate"], row["target"], row["met"]

    assert day_3(MARCH) == ("0.400000", "0.500000", False)
    assert day_3({**MARCH, "target": "3:0.4"}) == ("0.400000", "0.400000", True)
