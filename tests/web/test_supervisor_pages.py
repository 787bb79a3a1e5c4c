"""The supervisor console as a team lead and operations use it: load, reassignment, caps, the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel
from arrears.compliance.models import Complaint
from arrears.contact.models import PromiseToPay
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.org.passwords import hash_password
from arrears.strategy.models import QueueEntry
from tests.factories import Factories
from tests.web.conftest import PASSWORD, WORK_TIME, sign_in

_HASH = hash_password(PASSWORD)
HX = {"HX-Request": "true"}


def _today() -> datetime:
    """The pages' clock (WORK_TIME) on the tenant's wall."""
    return WORK_TIME.astimezone(ZoneInfo("Asia/Shanghai"))


@dataclass
class Floor:
    tenant: Tenant
    lead: User
    mine: User
    mine_too: User
    theirs: User
    case: Case
    their_case: Case


def _case_for(db_session: Session, factories: Factories, tenant: Tenant, user: User, rank: int) -> Case:
    case = factories.case(factories.borrower(tenant))
    db_session.add(CaseAssignment(case_id=case.id, user_id=user.id, team_id=user.team_id))
    db_session.add(
        QueueEntry(as_of=_today().date(), user_id=user.id, case_id=case.id, rank=rank, expected_value=Decimal("100"))
    )
    db_session.flush()
    return case


def floor(db_session: Session) -> Floor:
    factories = Factories(db_session)
    tenant = factories.tenant()
    ours, other = Team(tenant_id=tenant.id, name="早期一组"), Team(tenant_id=tenant.id, name="早期二组")
    db_session.add_all([ours, other])
    db_session.flush()
    lead = factories.user(tenant, Role.TEAM_LEAD, team_id=ours.id, password_hash=_HASH)
    mine = factories.user(tenant, Role.COLLECTOR, team_id=ours.id, daily_case_cap=40, password_hash=_HASH)
    mine_too = factories.user(tenant, Role.COLLECTOR, team_id=ours.id)
    theirs = factories.user(tenant, Role.COLLECTOR, team_id=other.id)
    case = _case_for(db_session, factories, tenant, mine, 1)
    their_case = _case_for(db_session, factories, tenant, theirs, 1)
    return Floor(tenant, lead, mine, mine_too, theirs, case, their_case)


def _current_user(db_session: Session, case_id: int) -> int | None:
    return db_session.scalar(
        select(CaseAssignment.user_id).where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None))
    )


def test_a_team_lead_sees_the_load_of_their_own_team_only(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    sign_in(browser, world.lead.username)
    page = browser.get("/supervisor")
    assert page.status_code == 200
    assert "组长控制台" in page.text and 'href="/supervisor/approvals"' in page.text
    assert f'data-user="{world.mine.id}"' in page.text and f'data-user="{world.mine_too.id}"' in page.text
    assert f'data-user="{world.theirs.id}"' not in page.text
    row = page.text[page.text.index(f'data-user="{world.mine.id}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td>' in row  # one case in today's queue
    assert 'value="40"' in row  # the cap, ready to change


def test_a_team_lead_opens_a_team_members_queue_but_not_another_teams(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    sign_in(browser, world.lead.username)
    fragment = browser.get(f"/supervisor/queues/{world.mine.id}", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'data-case="{world.case.id}"' in fragment.text and f'data-case="{world.their_case.id}"' not in fragment.text
    page = browser.get(f"/supervisor/queues/{world.mine.id}")
    assert page.status_code == 200 and "<html" in page.text and f'data-case="{world.case.id}"' in page.text
    assert browser.get(f"/supervisor/queues/{world.mine_too.id}", headers=HX).text.count('data-case="') == 0
    assert browser.get(f"/supervisor/queues/{world.theirs.id}", headers=HX).status_code == 422


def test_the_recovery_card_refreshes_on_its_own(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    factories = Factories(db_session)
    loan = factories.loan(tenant=world.tenant)
    world.case.borrower_id = loan.borrower_id
    sign_in(browser, world.lead.username)
    console = browser.get("/supervisor").text
    assert 'hx-get="/supervisor/recovery"' in console and 'hx-trigger="every 60s"' in console
    assert '<td class="num" data-paid>¥0.00</td>' in browser.get("/supervisor/recovery", headers=HX).text
    factories.payment(loan, "88.00", _today().date()).received_at = WORK_TIME
    assert '<td class="num" data-paid>¥88.00</td>' in browser.get("/supervisor/recovery", headers=HX).text


def test_operations_see_every_team(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    ops = Factories(db_session).user(world.tenant, Role.OPERATIONS, password_hash=_HASH)
    sign_in(browser, ops.username)
    page = browser.get("/supervisor").text
    assert f'data-user="{world.mine.id}"' in page and f'data-user="{world.theirs.id}"' in page


def test_operations_move_a_case_across_teams(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    ops = Factories(db_session).user(world.tenant, Role.OPERATIONS, password_hash=_HASH)
    token = sign_in(browser, ops.username)
    answer = browser.post(
        "/supervisor/reassign",
        data={"case_ids": str(world.case.id), "collector_id": world.theirs.id, "reason": "调整分组"},
        headers={"X-CSRF-Token": token, **HX},
    )
    assert answer.status_code == 200
    assert _current_user(db_session, world.case.id) == world.theirs.id


def test_a_team_lead_reassigns_a_case_within_the_team_and_it_is_audited(
    browser: TestClient, db_session: Session
) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/reassign",
        data={"case_ids": str(world.case.id), "collector_id": world.mine_too.id, "reason": "休假"},
        headers={"X-CSRF-Token": token, **HX},
    )
    assert answer.status_code == 200, answer.text
    assert "已改派" in answer.text
    assert _current_user(db_session, world.case.id) == world.mine_too.id
    entry = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "case.reassigned")).one()
    assert entry.actor == world.lead.username and entry.details["to_user_id"] == world.mine_too.id
    queued = db_session.scalar(select(QueueEntry.user_id).where(QueueEntry.case_id == world.case.id))
    assert queued == world.mine_too.id


def test_a_team_lead_cannot_give_a_case_to_another_teams_collector(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/reassign",
        data={"case_ids": str(world.case.id), "collector_id": world.theirs.id, "reason": "试试"},
        headers={"X-CSRF-Token": token, **HX},
    )
    assert answer.status_code == 422
    assert "is not a member of your team" in answer.text
    assert _current_user(db_session, world.case.id) == world.mine.id


def test_a_team_lead_cannot_take_another_teams_case_and_nothing_moves(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/reassign",
        data={"case_ids": f"{world.case.id}, {world.their_case.id}", "collector_id": world.mine_too.id, "reason": "x"},
        headers={"X-CSRF-Token": token, **HX},
    )
    assert answer.status_code == 404
    assert _current_user(db_session, world.case.id) == world.mine.id
    assert _current_user(db_session, world.their_case.id) == world.theirs.id


@pytest.mark.parametrize("typed", ["abc", "12;13", ""])
def test_case_numbers_that_are_not_numbers_are_refused(browser: TestClient, db_session: Session, typed: str) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/reassign",
        data={"case_ids": typed, "collector_id": world.mine_too.id, "reason": "x"},
        headers={"X-CSRF-Token": token, **HX},
    )
    assert answer.status_code == 422
    assert _current_user(db_session, world.case.id) == world.mine.id


def test_a_team_lead_changes_a_collectors_cap_and_clears_it(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    headers = {"X-CSRF-Token": token, **HX}
    answer = browser.post("/supervisor/cap", data={"collector_id": world.mine.id, "cap": "25"}, headers=headers)
    assert answer.status_code == 200 and "每日上限已修改" in answer.text
    assert world.mine.daily_case_cap == 25
    browser.post("/supervisor/cap", data={"collector_id": world.mine.id, "cap": ""}, headers=headers)
    assert world.mine.daily_case_cap is None
    changes = db_session.scalars(
        select(AuditRecord).where(AuditRecord.action == "user.case_cap_changed").order_by(AuditRecord.seq)
    ).all()
    assert [(c.details["before"], c.details["after"]) for c in changes] == [(40, 25), (25, None)]


@pytest.mark.parametrize("cap", ["-1", "ten"])
def test_a_cap_that_is_not_a_whole_number_is_refused(browser: TestClient, db_session: Session, cap: str) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/cap", data={"collector_id": world.mine.id, "cap": cap}, headers={"X-CSRF-Token": token, **HX}
    )
    assert answer.status_code == 422
    assert world.mine.daily_case_cap == 40


def test_a_team_lead_cannot_change_another_teams_cap(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post(
        "/supervisor/cap", data={"collector_id": world.theirs.id, "cap": "5"}, headers={"X-CSRF-Token": token, **HX}
    )
    assert answer.status_code == 422
    assert world.theirs.daily_case_cap is None


def test_a_plain_form_post_goes_back_to_the_console(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.lead.username)
    answer = browser.post("/supervisor/cap", data={"collector_id": world.mine.id, "cap": "7", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/supervisor"
    assert world.mine.daily_case_cap == 7


def test_a_change_without_the_pages_token_is_refused(browser: TestClient, db_session: Session) -> None:
    world = floor(db_session)
    sign_in(browser, world.lead.username)
    answer = browser.post("/supervisor/cap", data={"collector_id": world.mine.id, "cap": "7"})
    assert answer.status_code == 403
    assert world.mine.daily_case_cap == 40


def test_the_day_shows_payments_against_promises_blocks_and_complaints_of_the_team(
    browser: TestClient, db_session: Session
) -> None:
    world = floor(db_session)
    factories = Factories(db_session)
    today = _today().date()
    loan = factories.loan(tenant=world.tenant)
    world.case.borrower_id = loan.borrower_id
    factories.payment(loan, "300.00", today).received_at = WORK_TIME
    factories.payment(loan, "4444.00", today).received_at = WORK_TIME - timedelta(hours=12)  # yesterday in Shanghai
    db_session.add(PromiseToPay(case_id=world.case.id, amount=Decimal("1200.00"), due_on=today))
    db_session.add(PromiseToPay(case_id=world.their_case.id, amount=Decimal("999.00"), due_on=today))
    for case in (world.case, world.their_case):
        blocked = {
            "actor": world.mine.username,
            "action": "contact.blocked",
            "subject_type": "case",
            "subject_id": case.id,
            "tenant_id": world.tenant.id,
            "occurred_at": WORK_TIME,
            "details": {"channel": "call", "violations": [{"rule": f"rule-of-{case.id}", "message": "m"}]},
        }
        audit.record_many(db_session=db_session, rows=[blocked])
        db_session.add(
            Complaint(
                tenant_id=world.tenant.id,
                case_id=case.id,
                received_at=WORK_TIME,
                channel=ComplaintChannel.PHONE,
                category=ComplaintCategory.HARASSMENT,
                complainant="借款人",
                description="电话太多",
                due_at=WORK_TIME + timedelta(days=15),
            )
        )
    db_session.flush()
    sign_in(browser, world.lead.username)
    page = browser.get("/supervisor").text
    assert "¥300.00" in page and "¥1,200.00" in page and "25.0%" in page
    assert "¥999.00" not in page and "4,444" not in page and "4,744" not in page
    assert f"rule-of-{world.case.id}" in page and f"rule-of-{world.their_case.id}" not in page
    complaints = page[page.index('id="complaints"') :]
    assert f'href="/cases/{world.case.id}"' in complaints and f'href="/cases/{world.their_case.id}"' not in complaints
    assert "骚扰" in complaints


def test_a_collector_is_sent_to_their_own_queue_and_may_change_nothing(
    browser: TestClient, db_session: Session
) -> None:
    world = floor(db_session)
    token = sign_in(browser, world.mine.username)
    for url in ("/supervisor", "/supervisor/recovery", f"/supervisor/queues/{world.mine_too.id}"):
        answer = browser.get(url)
        assert answer.status_code == 303 and answer.headers["location"] == "/queue"
    answer = browser.post(
        "/supervisor/cap", data={"collector_id": world.mine.id, "cap": "1"}, headers={"X-CSRF-Token": token, **HX}
    )
    assert answer.status_code == 403
    assert world.mine.daily_case_cap == 40


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.ADMIN, Role.APPROVER])
def test_other_roles_may_look_but_not_change(browser: TestClient, db_session: Session, role: Role) -> None:
    world = floor(db_session)
    officer = Factories(db_session).user(world.tenant, role, password_hash=_HASH)
    token = sign_in(browser, officer.username)
    page = browser.get("/supervisor")
    assert page.status_code == 200 and 'action="/supervisor/cap"' not in page.text
    assert ('href="/supervisor/approvals"' in page.text) is (role is Role.APPROVER)
    answer = browser.post(
        "/supervisor/cap", data={"collector_id": world.mine.id, "cap": "1"}, headers={"X-CSRF-Token": token, **HX}
    )
    assert answer.status_code == 403


def test_signed_out_people_are_sent_to_sign_in(browser: TestClient) -> None:
    answer = browser.get("/supervisor")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("lang", "heading"), [("zh-CN", "组长控制台"), ("zh-TW", "組長控制"), ("en", "Supervisor console")]
)
def test_the_console_speaks_the_persons_language(
    browser: TestClient, db_session: Session, lang: str, heading: str
) -> None:
    world = floor(db_session)
    sign_in(browser, world.lead.username)
    browser.cookies.set("arrears_lang", lang)
    assert heading in browser.get("/supervisor").text
