"""The legal desk as operations and an approver use it: refer, tick, sign off, run a payment order, place a case."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.legal import service
from arrears.legal.enums import ProceedingStatus, ReferralStatus
from arrears.org.enums import Role, TenantKind
from arrears.org.models import User
from arrears.org.passwords import hash_password
from tests.factories import Factories
from tests.legal.helpers import LegalCase, legal_case
from tests.web.conftest import PASSWORD, sign_in

_HASH = hash_password(PASSWORD)
ITEMS = ("documents_gathered", "amount_confirmed", "debtor_notified", "non_legal_exhausted")


def people(factories: Factories) -> tuple[LegalCase, User, User]:
    subject = legal_case(factories)
    operations = factories.user(subject.tenant, Role.OPERATIONS, password_hash=_HASH)
    approver = factories.user(subject.tenant, Role.APPROVER, password_hash=_HASH)
    return subject, operations, approver


def test_operations_refers_an_approver_signs_off_and_a_served_order_shows_its_deadline(
    browser: TestClient, db_session: Session, factories: Factories
) -> None:
    subject, operations, approver = people(factories)
    csrf = sign_in(browser, operations.username)
    assert 'href="/legal"' in browser.get("/legal").text  # the desk is in the navigation
    made = browser.post(
        "/legal/referrals", data={"case_id": str(subject.case.id), "reason": "失联", "csrf_token": csrf}
    )
    assert made.status_code == 303
    referral = service.get_referrals_of_case(db_session=db_session, case_id=subject.case.id)[0]
    for item in ITEMS:
        done = browser.post(
            f"/legal/referrals/{referral.id}/tick", data={"item": item, "on": "2026-03-03", "csrf_token": csrf}
        )
        assert done.status_code == 303, done.text
    own = browser.post(
        f"/legal/referrals/{referral.id}/tick",
        data={"item": "approver_signoff", "on": "2026-03-03", "csrf_token": csrf},
    )
    assert own.status_code == 409 and "cannot sign off" in own.text
    browser.post("/logout", data={"csrf_token": csrf})

    csrf = sign_in(browser, approver.username)
    signed = browser.post(
        f"/legal/referrals/{referral.id}/tick",
        data={"item": "approver_signoff", "on": "2026-03-03", "csrf_token": csrf},
    )
    assert signed.status_code == 303
    assert service.get_referral(db_session=db_session, referral_id=referral.id).status is ReferralStatus.READY
    started = browser.post(
        f"/legal/referrals/{referral.id}/proceedings",
        data={"kind": "payment_order", "on": "2026-03-03", "claimed": "3150.00", "csrf_token": csrf},
    )
    assert started.status_code == 303, started.text
    order = service.get_proceedings(db_session=db_session, referral_id=referral.id)[0]
    for event, on in (("issue", "2026-03-04"), ("serve", "2026-03-06")):
        moved = browser.post(
            f"/legal/proceedings/{order.id}/advance", data={"event": event, "on": on, "csrf_token": csrf}
        )
        assert moved.status_code == 303, moved.text
    assert order.status is ProceedingStatus.SERVED
    page = browser.get(f"/legal/referrals/{referral.id}")
    assert "2026-03-23" in page.text
    illegal = browser.post(
        f"/legal/proceedings/{order.id}/advance", data={"event": "auction", "on": "2026-03-07", "csrf_token": csrf}
    )
    assert illegal.status_code == 409 and "allowed now" in illegal.text
    desk = browser.get("/legal")  # the app's clock is 2026-03-03: the deadline is 20 days out, not listed
    assert desk.status_code == 200 and f'data-referral="{referral.id}"' in desk.text
    pack = browser.get(f"/legal/referrals/{referral.id}/pack")
    assert pack.headers["content-type"] == "application/pdf"


def test_a_collector_has_no_legal_desk(browser: TestClient, factories: Factories) -> None:
    subject = legal_case(factories)
    collector = factories.user(subject.tenant, Role.COLLECTOR, password_hash=_HASH)
    sign_in(browser, collector.username)
    assert browser.get("/legal").status_code == 403
    assert browser.get("/legal/placements").status_code == 403


def test_operations_places_a_case_and_recalls_it(
    browser: TestClient, db_session: Session, factories: Factories
) -> None:
    subject, operations, _ = people(factories)
    firm = factories.tenant()
    firm.kind = TenantKind.AGENCY
    firm.name = "某某资产管理公司"
    db_session.flush()
    csrf = sign_in(browser, operations.username)
    placed = browser.post(
        "/legal/placements",
        data={
            "case_id": str(subject.case.id),
            "agency_tenant_id": str(firm.id),
            "starts_on": "2026-03-01",
            "ends_on": "2026-05-31",
            "commission_rate": "0.25",
            "csrf_token": csrf,
        },
    )
    assert placed.status_code == 303, placed.text
    page = browser.get("/legal/placements")
    assert ("某某资产管理公司" in page.text and "Recall today" in page.text) or "今日收回" in page.text
    placement_id = page.text.split('data-placement="')[1].split('"')[0]
    recalled = browser.post(f"/legal/placements/{placement_id}/recall", data={"reason": "投诉", "csrf_token": csrf})
    assert recalled.status_code == 303
    assert "今日收回" not in browser.get("/legal/placements").text
    bad = browser.post(
        "/legal/placements",
        data={
            "case_id": str(subject.case.id),
            "agency_tenant_id": str(firm.id),
            "starts_on": "2026-06-01",
            "ends_on": "2026-05-31",
            "commission_rate": "0.25",
            "csrf_token": csrf,
        },
    )
    assert bad.status_code == 422 and "ends_on is before starts_on" in bad.text


def test_ids_no_row_can_have_are_refused_as_input_and_unknown_ones_are_not_found(
    browser: TestClient, factories: Factories
) -> None:
    _, operations, _ = people(factories)
    csrf = sign_in(browser, operations.username)
    assert browser.get(f"/legal/referrals/{2**63}").status_code == 422
    assert browser.get("/legal/referrals/987654").status_code == 404
    step = {"event": "issue", "on": "2026-03-04", "csrf_token": csrf}
    assert browser.post(f"/legal/proceedings/{2**63}/advance", data=step).status_code == 422
    assert browser.post("/legal/proceedings/987654/advance", data=step).status_code == 404
