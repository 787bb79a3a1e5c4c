"""The collector's workbench as a collector uses it: queue, case, reveal, call, outcome, a blocked contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.daily_pass import run_pass
from arrears.legal.schemas import ReferralIn
from arrears.legal.service import refer
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.org.passwords import hash_password
from arrears.portfolio.enums import Channel, ContactLabel, Relation
from arrears.portfolio.models import Borrower, ContactPoint
from arrears.scripts.library.bundled import seed
from arrears.strategy.enums import Arm
from arrears.strategy.models import CaseStrategy, QueueEntry
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

_HASH = hash_password(PASSWORD)
MOBILE = "+8613912345678"
TODAY = date(2026, 3, 3)


@dataclass
class Desk:
    tenant: Tenant
    collector: User
    other: User
    case: Case
    foreign_case: Case
    phone: ContactPoint


def _assigned_case(db_session: Session, factories: Factories, tenant: Tenant, user: User, rank: int) -> Case:
    borrower = factories.borrower(tenant, resident_id=None, address="上海市浦东新区世纪大道100号")
    case = factories.case(borrower)
    db_session.add(CaseAssignment(case_id=case.id, user_id=user.id, team_id=user.team_id))
    db_session.add(
        QueueEntry(as_of=TODAY, user_id=user.id, case_id=case.id, rank=rank, expected_value=Decimal("300.00"))
    )
    db_session.flush()
    return case


def desk(db_session: Session) -> Desk:
    factories = Factories(db_session)
    tenant = factories.tenant()
    team = Team(tenant_id=tenant.id, name="早期一组")
    db_session.add(team)
    db_session.flush()
    collector = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=_HASH)
    other = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=_HASH)
    case = _assigned_case(db_session, factories, tenant, collector, 1)
    foreign = _assigned_case(db_session, factories, tenant, other, 1)
    phone = ContactPoint(
        borrower_id=case.borrower_id, channel=Channel.PHONE, label=ContactLabel.MOBILE, value=MOBILE, is_primary=True
    )
    db_session.add(phone)
    db_session.flush()
    return Desk(tenant, collector, other, case, foreign, phone)


def test_a_collector_sees_only_their_own_queue_and_cases(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    sign_in(browser, world.collector.username)
    queue = browser.get("/queue")
    assert queue.status_code == 200
    assert f'data-case="{world.case.id}"' in queue.text
    assert f'data-case="{world.foreign_case.id}"' not in queue.text
    assert browser.get(f"/cases/{world.case.id}").status_code == 200
    assert browser.get(f"/cases/{world.foreign_case.id}").status_code == 404


def test_personal_data_is_masked_until_revealed_and_the_reveal_is_audited(
    browser: TestClient, db_session: Session
) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    page = browser.get(f"/cases/{world.case.id}").text
    assert MOBILE not in page and "139****5678" in page
    assert "世纪大道100号" not in page
    shown = browser.post(
        f"/cases/{world.case.id}/reveal",
        data={"field": "contact_point", "contact_point_id": world.phone.id},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert shown.status_code == 200 and MOBILE in shown.text
    entry = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "pii.revealed")).one()
    assert entry.actor == world.collector.username
    assert entry.details["field"] == "contact_point"


def test_another_collectors_contact_point_cannot_be_revealed_through_my_case(
    browser: TestClient, db_session: Session
) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    theirs = ContactPoint(borrower_id=world.foreign_case.borrower_id, channel=Channel.PHONE, value="+8613700000001")
    db_session.add(theirs)
    db_session.flush()
    for case_id in (world.case.id, world.foreign_case.id):
        answer = browser.post(
            f"/cases/{case_id}/reveal",
            data={"field": "contact_point", "contact_point_id": theirs.id},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert answer.status_code == 404
        assert "+8613700000001" not in answer.text


def test_calling_asks_the_guard_and_hands_an_allowed_number_to_the_dialer(
    browser: TestClient, db_session: Session
) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    answer = browser.post(
        f"/cases/{world.case.id}/dial", data={"contact_point_id": world.phone.id}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 200
    assert f'href="tel:{MOBILE}"' in answer.text
    allowed = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "contact.allowed")).all()
    assert len(allowed) == 1


def test_an_outcome_with_a_promise_is_recorded_through_the_guard(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    answer = browser.post(
        f"/cases/{world.case.id}/contacts",
        data={
            "contact_point_id": world.phone.id,
            "outcome": "promise",
            "right_party": "true",
            "reason_code": "cash_shortage",
            "promise_amount": "1,200.50",
            "promise_due_on": "2026-03-06",
            "promise_channel": "app",
            "notes": "客户说工资周五发，周五前还款",
        },
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["HX-Trigger"] == "contact-recorded"
    attempt = db_session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == world.case.id)).one()
    assert attempt.user_id == world.collector.id and attempt.conversation and attempt.right_party
    promise = db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == world.case.id)).one()
    assert promise.amount == Decimal("1200.50") and promise.due_on == date(2026, 3, 6)
    timeline = browser.get(f"/cases/{world.case.id}/timeline").text
    assert "¥1,200.50" in timeline


def test_a_contact_in_quiet_hours_is_blocked_with_the_rule_and_the_next_allowed_time(
    browser: TestClient, db_session: Session, api_app: FastAPI
) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    api_app.state.clock = lambda: datetime(2026, 3, 3, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    answer = browser.post(
        f"/cases/{world.case.id}/contacts",
        data={"contact_point_id": world.phone.id, "outcome": "no_answer"},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 409
    assert 'data-rule="quiet_hours"' in answer.text
    assert "2026-03-04 08:00" in answer.text
    assert db_session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == world.case.id)).first() is None


def test_a_promise_outcome_without_its_amount_is_refused_with_one_message(
    browser: TestClient, db_session: Session
) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    answer = browser.post(
        f"/cases/{world.case.id}/contacts",
        data={"contact_point_id": world.phone.id, "outcome": "promise"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.status_code == 422
    assert 'data-error-code="invalid_input"' in answer.text
    assert "amount" in answer.text


def test_recording_an_outcome_without_the_csrf_token_is_refused(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    sign_in(browser, world.collector.username)
    answer = browser.post(f"/cases/{world.case.id}/contacts", data={"outcome": "no_answer"})
    assert answer.status_code == 403
    assert db_session.scalars(select(ContactAttempt)).first() is None


def test_notes_are_linted_as_they_are_typed(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    token = sign_in(browser, world.collector.username)
    flagged = browser.post(
        "/lint", data={"notes": "再不还钱就去你单位闹，让你全家都知道"}, headers={"X-CSRF-Token": token}
    )
    assert "data-findings" in flagged.text
    clean = browser.post("/lint", data={"notes": "客户承诺周五还款"}, headers={"X-CSRF-Token": token})
    assert "data-findings" not in clean.text


def test_next_best_case_opens_the_first_case_not_yet_worked(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    sign_in(browser, world.collector.username)
    assert browser.get("/next").headers["location"] == f"/cases/{world.case.id}"
    db_session.add(
        ContactAttempt(
            case_id=world.case.id,
            user_id=world.collector.id,
            channel="call",
            party="debtor",
            attempted_at=datetime(2026, 3, 3, 1, 0, tzinfo=UTC),
            outcome="no_answer",
            pack_version="cn test",
        )
    )
    db_session.flush()
    assert browser.get("/next").headers["location"] == "/queue"


def test_the_case_page_shows_aged_loans_and_the_guided_call_speaks_from_the_library(
    browser: TestClient, db_session: Session
) -> None:
    """One seeded library for the whole test: seeding lints every shipped script, which takes a while."""
    factories = Factories(db_session)
    loan = factories.loan()
    tenant = db_session.get_one(Tenant, loan.tenant_id)
    run_pass(db_session=db_session, as_of=TODAY, tenant_code=tenant.code)
    seed(db_session=db_session, at=datetime(2026, 1, 1, tzinfo=UTC))
    case = db_session.scalars(select(Case).where(Case.borrower_id == loan.borrower_id)).one()
    collector = factories.user(tenant, Role.COLLECTOR, password_hash=_HASH)
    db_session.add(CaseAssignment(case_id=case.id, user_id=collector.id))
    db_session.add(
        CaseStrategy(
            case_id=case.id,
            as_of=TODAY,
            policy_code="consumer-cn",
            policy_version=1,
            arm=Arm.CHAMPION,
            state="early",
            stage=1,
            state_since=TODAY,
            explanation={
                "label": {"zh": "早期催收", "en": "Early collection"},
                "rule": "consumer-cn v1 state 'early'",
                "treatments": [{"treatment": "call", "timing": "first_pass", "phone_order": ["mobile", "home"]}],
                "tried": [
                    {
                        "state": "clear",
                        "matched": False,
                        "failed": [{"field": "dpd_at_most", "expected": "≤ 0", "actual": "12"}],
                    }
                ],
            },
        )
    )
    db_session.flush()
    token = sign_in(browser, collector.username)

    page = browser.get(f"/cases/{case.id}").text
    assert loan.account_number in page
    assert "逾期天数" in page and "早期催收" in page
    assert "dpd_at_most ≤ 0" in page and "mobile → home" in page
    script = browser.get(f"/cases/{case.id}/script", params={"step": "introduce"})
    assert script.status_code == 200, script.text
    assert 'data-step="introduce"' in script.text and "{{" not in script.text
    answer = browser.post(
        f"/cases/{case.id}/suggest", data={"utterance": "下周五发工资了还你三千"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 200
    assert "data-intent=" in answer.text and "¥3,000.00" in answer.text


def test_the_timeline_shows_the_legal_referral_of_the_case(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    refer(
        db_session=db_session,
        referral_in=ReferralIn(case_id=world.case.id, referred_on=TODAY, reason="多次失联，转法务"),
        actor="test",
    )
    sign_in(browser, world.collector.username)
    timeline = browser.get(f"/cases/{world.case.id}/timeline").text
    assert 'data-kind="legal_referral"' in timeline


def test_a_case_number_too_large_for_any_row_is_bad_input(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    sign_in(browser, world.collector.username)
    assert browser.get("/cases/9223372036854775808").status_code == 422
    assert browser.get("/cases/0").status_code == 422


def test_the_queue_shows_the_first_rows_and_the_rest_on_request(browser: TestClient, db_session: Session) -> None:
    world = desk(db_session)
    factories = Factories(db_session)
    for rank in range(2, 5):
        _assigned_case(db_session, factories, world.tenant, world.collector, rank)
    sign_in(browser, world.collector.username)
    first = browser.get("/queue", params={"limit": 2}).text
    assert first.count("data-case=") == 2 and "limit=500" in first
    assert browser.get("/queue", params={"limit": 500}).text.count("data-case=") == 4
    assert browser.get("/queue", params={"limit": 0}).status_code == 422


def test_calling_a_third_party_is_allowed_only_to_locate_and_carries_no_disclosure(
    browser: TestClient, db_session: Session
) -> None:
    world = desk(db_session)
    borrower = db_session.get_one(Borrower, world.case.borrower_id)
    sister = Factories(db_session).third_party(borrower, Relation.SIBLING)
    number = ContactPoint(
        borrower_id=borrower.id, third_party_id=sister.id, channel=Channel.PHONE, value="+8613600000002"
    )
    db_session.add(number)
    db_session.flush()
    token = sign_in(browser, world.collector.username)
    answer = browser.post(
        f"/cases/{world.case.id}/dial", data={"contact_point_id": number.id}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 200, answer.text
    assert "不得透露欠款信息" in answer.text
