"""The authorisation matrix: every route, as every role and as an API token, on its own and on others' cases.

The routes are read from the app itself, with the permission each one needs
(``web.auth.Require``), so a route added later is covered without editing this
test. For every caller:

* without the permission the answer is 403, and signed out it is 401 (API) or the
  sign-in page (pages);
* with it, the answer is neither 401 nor 403 nor a server error;
* on a route about one case, a case outside the caller's scope is 404 exactly like
  a case that does not exist: a collector reaches their own cases, a team lead
  their team's, everyone else their tenant's, nobody another tenant's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.org.passwords import hash_password
from arrears.web import tokens
from arrears.web.openapi import route_permissions, routes_of
from arrears.web.permissions import for_role
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

PUBLIC = {"/login", "/logout", "/language", "/", "/api/v1/health"}
"""Routes anyone may call, or that end the caller's own session: tested in test_signin."""

FORM = {
    "outcome": "no_answer",
    "field": "address",
    "utterance": "好的",
    "notes": "客户说明天还款",
    "step": "introduce",
    "reason": "matrix test",
    "lang": "en",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permissions: tuple[str, ...]

    def allowed(self, held: frozenset[str]) -> bool:
        return not self.permissions or any(name in held for name in self.permissions)

    @property
    def about_a_case(self) -> bool:
        return "{case_id}" in self.path

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, case_id: int) -> str:
        filled = self.path.replace("{case_id}", str(case_id))
        while "{" in filled:
            start = filled.index("{")
            filled = filled[:start] + "999999" + filled[filled.index("}", start) + 1 :]
        return filled


def app_routes(app: FastAPI) -> list[Route]:
    found: list[Route] = []
    for route in routes_of(app):
        dependant = getattr(route, "dependant", None)
        path = getattr(route, "path", "")
        if dependant is None or path in PUBLIC:
            continue
        permissions = route_permissions(dependant)
        if permissions is None:
            continue
        for method in sorted(getattr(route, "methods", ()) or ()):
            if method != "HEAD":
                found.append(Route(method, path, permissions))
    return found


@dataclass
class World:
    people: dict[str, User]
    own: dict[str, list[int]]
    outside: dict[str, list[int]]
    token: str


def _case_of(factories: Factories, db_session: Session, tenant: Tenant, user: User | None) -> Case:
    case = factories.case(factories.borrower(tenant, address="北京市海淀区中关村大街1号"))
    if user is not None:
        db_session.add(CaseAssignment(case_id=case.id, user_id=user.id, team_id=user.team_id))
        db_session.flush()
    return case


def world(db_session: Session) -> World:
    factories = Factories(db_session)
    lender, other_lender = factories.tenant(), factories.tenant()
    teams = [Team(tenant_id=lender.id, name=name) for name in ("一组", "二组")]
    db_session.add_all(teams)
    db_session.flush()
    digest = hash_password(PASSWORD)

    def person(role: Role, team: Team | None = None) -> User:
        return factories.user(lender, role, team_id=team.id if team else None, password_hash=digest)

    people = {
        "collector": person(Role.COLLECTOR, teams[0]),
        "team_lead": person(Role.TEAM_LEAD, teams[0]),
        "approver": person(Role.APPROVER),
        "compliance": person(Role.COMPLIANCE),
        "operations": person(Role.OPERATIONS),
        "admin": person(Role.ADMIN),
    }
    colleague = person(Role.COLLECTOR, teams[0])
    other_team = person(Role.COLLECTOR, teams[1])
    mine = _case_of(factories, db_session, lender, people["collector"]).id
    colleagues = _case_of(factories, db_session, lender, colleague).id
    other_teams = _case_of(factories, db_session, lender, other_team).id
    foreign = _case_of(factories, db_session, other_lender, None).id
    whole_tenant = [mine, colleagues, other_teams]
    own = dict.fromkeys(people, whole_tenant)
    own["collector"], own["team_lead"] = [mine], [mine, colleagues]
    outside = {role: [foreign] for role in people}
    outside["collector"] = [colleagues, other_teams, foreign]
    outside["team_lead"] = [other_teams, foreign]
    _, secret = tokens.issue(db_session=db_session, tenant_id=lender.id, name="matrix", scopes=["lint"], actor="test")
    return World(people, own, outside, secret)


def _call(client: TestClient, route: Route, case_id: int, headers: dict[str, str]) -> tuple[int, str]:
    url = route.url(case_id)
    if route.method == "GET":
        answer = client.get(url, headers=headers)
    elif route.is_api:
        answer = client.request(route.method, url, json={}, headers=headers)
    else:
        answer = client.request(route.method, url, data=FORM, headers=headers)
    return answer.status_code, answer.text


def _out_of_scope(status: int, text: str, case_id: int) -> bool:
    """The scoping refusal: 404 naming the case as if it did not exist."""
    return status == 404 and f"no case {case_id}" in text


@pytest.mark.parametrize("role", ["collector", "team_lead", "approver", "compliance", "operations", "admin"])
def test_every_route_as_every_role(browser: TestClient, db_session: Session, api_app: FastAPI, role: str) -> None:
    scene = world(db_session)
    held = for_role(scene.people[role].role)
    csrf = sign_in(browser, scene.people[role].username)
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    wrong: list[str] = []
    for route in app_routes(api_app):
        allowed = route.allowed(held)
        cases = scene.own[role][:1] if route.about_a_case else [0]
        for case_id in cases:
            status, text = _call(browser, route, case_id, headers)
            if status >= 500 or (allowed and status in {401, 403}) or (not allowed and status != 403):
                wrong.append(f"{route.method} {route.url(case_id)}: {status} (allowed={allowed})")
            if allowed and route.about_a_case and _out_of_scope(status, text, case_id):
                wrong.append(f"{route.method} {route.url(case_id)}: refused a case in scope")
        if allowed and route.about_a_case:
            for case_id in scene.outside[role]:
                status, text = _call(browser, route, case_id, headers)
                if not (_out_of_scope(status, text, case_id) or status == 422):
                    wrong.append(f"{route.method} {route.url(case_id)}: {status} on a case out of scope")
    assert not wrong, "\n".join(wrong)


def test_every_route_refuses_a_caller_who_is_not_signed_in(browser: TestClient, api_app: FastAPI) -> None:
    wrong: list[str] = []
    for route in app_routes(api_app):
        status, _ = _call(browser, route, 1, {})
        expected = {401} if route.is_api else {303, 401}
        if status not in expected:
            wrong.append(f"{route.method} {route.path}: {status}")
    assert not wrong, "\n".join(wrong)


def test_an_api_token_reaches_only_what_its_scopes_allow(
    client: TestClient, db_session: Session, api_app: FastAPI
) -> None:
    scene = world(db_session)
    headers = {"Authorization": f"Bearer {scene.token}"}
    wrong: list[str] = []
    for route in app_routes(api_app):
        if not route.is_api:
            continue
        status, _ = _call(client, route, scene.own["operations"][0], headers)
        allowed = route.allowed(frozenset({"lint"}))
        if status >= 500 or (allowed and status in {401, 403}) or (not allowed and status != 403):
            wrong.append(f"{route.method} {route.path}: {status} (allowed={allowed})")
    assert not wrong, "\n".join(wrong)
