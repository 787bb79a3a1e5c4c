"""The operations dashboard in a real browser: the demo portfolio's measures drawn as ECharts charts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from arrears.delinquency.daily_pass import run_pass
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.synthetic import generate
from arrears.web.accounts import change_password
from tests.e2e.conftest import LiveServer
from tests.e2e.test_collector_day import PASSWORD, sign_in

AS_OF = date(2026, 3, 2)
PASSES = [date(2026, 1, 15) + timedelta(days=days) for days in range(0, 47, 3)]


def demo_operations_manager(live_server: LiveServer) -> str:
    """A small demo portfolio aged to AS_OF, and the sign-in of its operations manager."""
    with live_server.session() as db_session:
        code = "dash"
        if db_session.scalar(select(Tenant.id).where(Tenant.code == code)) is None:
            generate(db_session=db_session, borrowers=150, seed=11, as_of=AS_OF, tenant_code=code)
            for day in PASSES:  # a month of aging, so buckets have entries, rolls and recoveries
                run_pass(db_session=db_session, as_of=day, tenant_code=code)
        manager = db_session.scalars(
            select(User)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(Tenant.code == code, User.role == Role.OPERATIONS)
        ).first()
        assert manager is not None
        change_password(db_session=db_session, user=manager, password=PASSWORD, actor="test")
        db_session.commit()
        return manager.username


def test_the_dashboard_draws_the_demo_portfolio(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    username = demo_operations_manager(live_server)
    sign_in(page, username)
    page.goto("/analytics?from=2026-02-01&to=2026-03-02")
    expect(page.locator("[data-panel]")).to_have_count(10)  # every panel asked for its figures and got them
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    charts = page.locator("[data-chart] canvas")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3
    expect(page.get_by_role("table").first).to_be_visible()
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    # A drawn page is many kilobytes of varied pixels; an empty or failed one is a few.
    assert shot.stat().st_size > 50_000
