"""A team lead in a real browser: the console of their team, and a case moved from one collector to another."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from sqlalchemy import select

from arrears.cases.models import CaseAssignment
from arrears.org.enums import Role
from arrears.org.models import Team
from arrears.org.passwords import hash_password
from tests.e2e.conftest import LiveServer
from tests.e2e.test_collector_day import PASSWORD, sign_in
from tests.factories import Factories


@dataclass(frozen=True)
class TeamDay:
    lead: str
    first: str
    second_id: int
    second_staff: str
    case_id: int


def team_day(live_server: LiveServer) -> TeamDay:
    with live_server.session() as db_session:
        factories = Factories(db_session)
        tenant = factories.tenant()
        team = Team(tenant_id=tenant.id, name="中期组")
        db_session.add(team)
        db_session.flush()
        digest = hash_password(PASSWORD)
        lead = factories.user(tenant, Role.TEAM_LEAD, team_id=team.id, password_hash=digest)
        first = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=digest)
        second = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=digest)
        case = factories.case(factories.borrower(tenant))
        db_session.add(CaseAssignment(case_id=case.id, user_id=first.id, team_id=team.id))
        db_session.commit()
        return TeamDay(lead.username, first.username, second.id, second.staff_number, case.id)


def test_a_team_lead_moves_a_case_to_another_collector_of_the_team(page: Page, live_server: LiveServer) -> None:
    day = team_day(live_server)
    sign_in(page, day.lead)
    expect(page).to_have_url(re.compile(r"/supervisor$"))
    page.get_by_label("案件编号（用逗号或空格分隔）").fill(str(day.case_id))
    page.get_by_label("改派给").select_option(str(day.second_id))
    page.locator("#reason").fill("客户要求换人跟进")
    page.get_by_role("button", name="改派", exact=True).click()
    expect(page.locator("#result")).to_contain_text("案件已改派")
    with live_server.session() as db_session:
        current = db_session.scalars(
            select(CaseAssignment).where(CaseAssignment.case_id == day.case_id, CaseAssignment.ended_at.is_(None))
        ).one()
    assert current.user_id == day.second_id

    # The first collector no longer reaches the case; it is as if it did not exist.
    page.context.clear_cookies()
    sign_in(page, day.first)
    response = page.goto(f"/cases/{day.case_id}")
    assert response is not None and response.status == 404
