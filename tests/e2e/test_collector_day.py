"""A collector's morning in a real browser: sign in, queue, case, guided call, reveal, call, promise, a block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import CaseAssignment
from arrears.contact.models import PromiseToPay
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant
from arrears.org.passwords import hash_password
from arrears.portfolio.enums import Channel, ContactLabel
from arrears.portfolio.models import Borrower, ContactPoint
from arrears.scripts.library.bundled import seed
from arrears.scripts.library.models import Script
from arrears.strategy.enums import Arm
from arrears.strategy.models import CaseStrategy, QueueEntry
from tests.e2e.conftest import LiveServer
from tests.factories import Factories

PASSWORD = "a long demo passphrase"
MOBILE = "+8613912345678"
TODAY = date(2026, 3, 3)


@dataclass(frozen=True)
class Morning:
    username: str
    case_id: int


def morning(live_server: LiveServer) -> Morning:
    """A collector with one case in today's queue, its phone on file, and the script library seeded."""
    with live_server.session() as db_session:
        factories = Factories(db_session)
        if not seeded(db_session):
            seed(db_session=db_session, at=datetime(2026, 1, 1, tzinfo=UTC))
        loan = factories.loan()
        tenant_id = loan.tenant_id
        team = Team(tenant_id=tenant_id, name="早期一组")
        db_session.add(team)
        db_session.flush()
        tenant = db_session.get_one(Tenant, tenant_id)
        collector = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=hash_password(PASSWORD))
        case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
        db_session.add_all(
            [
                CaseAssignment(case_id=case.id, user_id=collector.id, team_id=team.id),
                QueueEntry(as_of=TODAY, user_id=collector.id, case_id=case.id, rank=1, expected_value=Decimal("500")),
                CaseStrategy(
                    case_id=case.id,
                    as_of=TODAY,
                    policy_code="consumer-cn",
                    policy_version=1,
                    arm=Arm.CHAMPION,
                    state="early",
                    stage=1,
                    state_since=TODAY,
                    explanation={"matched": "dpd 1-30"},
                ),
                ContactPoint(
                    borrower_id=case.borrower_id,
                    channel=Channel.PHONE,
                    label=ContactLabel.MOBILE,
                    value=MOBILE,
                    is_primary=True,
                ),
            ]
        )
        db_session.commit()
        return Morning(collector.username, case.id)


def seeded(db_session: Session) -> bool:
    return db_session.scalar(select(Script.id).limit(1)) is not None


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_signed_out_a_page_leads_to_sign_in_and_a_wrong_password_says_so(page: Page, live_server: LiveServer) -> None:
    day = morning(live_server)
    page.goto("/queue")
    expect(page).to_have_url(re.compile(r"/login\?next=/queue"))
    sign_in(page, day.username, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")


def test_a_collectors_morning_from_queue_to_promise(page: Page, live_server: LiveServer) -> None:
    day = morning(live_server)
    sign_in(page, day.username)
    expect(page).to_have_url(re.compile(r"/queue$"))
    expect(page.locator(f'tr[data-case="{day.case_id}"]')).to_be_visible()

    page.get_by_role("link", name=re.compile("下一个最优案件")).first.click()
    expect(page).to_have_url(re.compile(rf"/cases/{day.case_id}$"))

    # Masked until revealed, one field at a time.
    phone = page.locator("#contacts .masked").first
    expect(phone).to_have_text("+86 139****5678")
    page.locator("#contacts").get_by_role("button", name=re.compile("显示")).first.click()
    expect(page.locator("#contacts [data-revealed]")).to_have_text(MOBILE)

    # The guided call: the library's script for each step, and a live suggestion.
    expect(page.locator("#script .script")).to_have_attribute("data-step", "verify_identity")
    page.locator('button[data-step="introduce"]').click()
    expect(page.locator("#script .script")).to_have_attribute("data-step", "introduce")
    page.get_by_label("债务人说了什么").fill("下周五发工资了还你三千")
    expect(page.locator("#suggestion [data-intent]")).to_contain_text("¥3,000.00")

    # Calling asks the guard first.
    page.locator("button[data-dial]").first.click()
    expect(page.locator('#guard [data-allowed="true"]')).to_be_visible()
    expect(page.locator("#dial-link")).to_have_attribute("href", f"tel:{MOBILE}")

    # The outcome with a promise.
    outcome = page.locator("#outcome-form")
    outcome.get_by_label("结果码").select_option("promise")
    outcome.get_by_label("金额").fill("3000")
    outcome.get_by_label("日期").fill("2026-03-13")
    outcome.get_by_label("备注").fill("客户说下周五发工资后还款")
    page.get_by_role("button", name="记录结果").click()
    expect(page.locator("#outcome-result")).to_contain_text("结果已记录")
    expect(page.locator("#timeline")).to_contain_text("¥3,000.00")
    with live_server.session() as db_session:
        promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == day.case_id)).one()
    assert promise.amount == Decimal("3000.00") and promise.due_on == date(2026, 3, 13)


def test_a_contact_in_quiet_hours_is_shown_blocked_with_the_next_allowed_time(
    page: Page, live_server: LiveServer
) -> None:
    day = morning(live_server)
    sign_in(page, day.username)
    page.goto(f"/cases/{day.case_id}")
    live_server.clock.at = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    page.locator("#outcome-form").get_by_label("结果码").select_option("no_answer")
    page.get_by_role("button", name="记录结果").click()
    blocked = page.locator('#outcome-result [data-allowed="false"]')
    expect(blocked).to_contain_text("已被合规守卫拦截")
    expect(blocked.locator('[data-rule="quiet_hours"]')).to_be_visible()
    expect(blocked).to_contain_text("2026-03-04 08:00")
