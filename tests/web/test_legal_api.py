"""``/api/v1/legal``: the checklist gates proceedings, illegal steps are 409, deadlines alert, packs download,
placements recall, and an agency's users reach only the cases placed with them while live."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.errors import NotFound
from arrears.legal import placements
from arrears.legal.enums import PlacementStatus
from arrears.legal.schemas import PlacementIn
from arrears.org.enums import Role, TenantKind
from arrears.org.models import Tenant
from arrears.org.passwords import hash_password
from arrears.web.auth import Principal
from arrears.web.permissions import ROLE_PERMISSIONS, for_role
from arrears.web.scoping import case_clause, visible_case
from tests.factories import Factories
from tests.legal.helpers import legal_case
from tests.web.conftest import PASSWORD, Issue, bearer, sign_in

ALL = ("legal:read", "legal:manage", "agency:place")


def agency(factories: Factories) -> Tenant:
    tenant = factories.tenant()
    tenant.kind = TenantKind.AGENCY
    factories.db_session.flush()
    return tenant


def ready(client: TestClient, headers: dict[str, str], checker: dict[str, str], case_id: int) -> int:
    made = client.post(
        "/api/v1/legal/referrals",
        json={"case_id": case_id, "referred_on": "2026-03-02", "reason": "失联，多次承诺未兑现"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    referral = int(made.json()["id"])
    for item in ("documents_gathered", "amount_confirmed", "debtor_notified", "non_legal_exhausted"):
        done = client.post(
            f"/api/v1/legal/referrals/{referral}/checklist/{item}", json={"on": "2026-03-02"}, headers=headers
        )
        assert done.status_code == 200, done.text
    own = client.post(
        f"/api/v1/legal/referrals/{referral}/checklist/approver_signoff", json={"on": "2026-03-02"}, headers=headers
    )
    assert own.status_code == 409 and "cannot sign off" in own.json()["error"]["message"]
    signed = client.post(
        f"/api/v1/legal/referrals/{referral}/checklist/approver_signoff", json={"on": "2026-03-02"}, headers=checker
    )
    assert signed.json()["status"] == "ready"
    return referral


def test_a_payment_order_is_served_alerted_and_refuses_an_illegal_step(
    client: TestClient, db_session: Session, factories: Factories, issue: Issue
) -> None:
    subject = legal_case(factories)
    maker = bearer(issue(*ALL, tenant=subject.tenant))
    checker = bearer(issue(*ALL, tenant=subject.tenant))
    referral = ready(client, maker, checker, subject.case.id)
    early = client.post(
        "/api/v1/legal/proceedings",
        json={"referral_id": referral, "kind": "enforcement", "opened_on": "2026-03-02"},
        headers=maker,
    )
    assert early.status_code == 422 and early.json()["error"]["where"] == "parent_id"
    opened = client.post(
        "/api/v1/legal/proceedings",
        json={"referral_id": referral, "kind": "payment_order", "opened_on": "2026-03-02", "claimed": "3150.00"},
        headers=maker,
    )
    assert opened.status_code == 201, opened.text
    order = opened.json()["id"]
    assert opened.json()["allowed_events"] == ["issue", "reject", "settle", "withdraw"]
    for event, on in (("issue", "2026-03-03"), ("serve", "2026-03-06")):
        moved = client.post(
            f"/api/v1/legal/proceedings/{order}/transitions", json={"event": event, "on": on}, headers=maker
        )
        assert moved.status_code == 200, moved.text
    assert moved.json()["objection_deadline"] == "2026-03-23"

    illegal = client.post(
        f"/api/v1/legal/proceedings/{order}/transitions",
        json={"event": "judge", "on": "2026-03-07", "outcome": "won"},
        headers=maker,
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "illegal_transition"
    assert "allowed now: lapse, object, settle, withdraw" in illegal.json()["error"]["message"]

    alerts = client.get("/api/v1/legal/alerts", params={"as_of": "2026-03-16"}, headers=maker)
    assert [(a["kind"], a["due_on"], a["days_left"], a["new"]) for a in alerts.json()] == [
        ("objection_deadline", "2026-03-23", 7, True)
    ]
    again = client.get("/api/v1/legal/alerts", params={"as_of": "2026-03-16"}, headers=maker)
    assert [a["new"] for a in again.json()] == [False]

    fee = client.post(
        f"/api/v1/legal/proceedings/{order}/amounts",
        json={"kind": "fee", "category": "court_fee", "amount": "25.00", "on": "2026-03-03"},
        headers=maker,
    )
    assert fee.status_code == 201 and fee.json()["amount"] == "25.00"
    floating = client.post(
        f"/api/v1/legal/proceedings/{order}/amounts",
        json={"kind": "fee", "category": "court_fee", "amount": 25.1, "on": "2026-03-03"},
        headers=maker,
    )
    assert floating.status_code == 422 and "never as floats" in floating.json()["error"]["message"]
    outcomes = client.get("/api/v1/legal/outcomes", headers=maker).json()
    assert outcomes["by_kind"] == [
        {"kind": "payment_order", "proceedings": 1, "open": 1, "fees": "25.00", "recovered": "0.00", "currency": "CNY"}
    ]

    pack = client.get(f"/api/v1/legal/referrals/{referral}/pack", headers=maker)
    assert pack.status_code == 200
    assert pack.headers["content-type"] == "application/pdf"
    assert pack.content.startswith(b"%PDF-")
    actions = set(db_session.scalars(select(AuditRecord.action).where(AuditRecord.tenant_id == subject.tenant.id)))
    assert {"legal.referred", "legal.proceeding_advanced", "legal.alert_raised", "legal.pack_generated"} <= actions


def test_reading_needs_legal_read_and_another_tenants_referral_is_not_found(
    client: TestClient, factories: Factories, issue: Issue
) -> None:
    subject = legal_case(factories)
    owner = bearer(issue(*ALL, tenant=subject.tenant))
    made = client.post(
        "/api/v1/legal/referrals",
        json={"case_id": subject.case.id, "referred_on": "2026-03-02", "reason": "r"},
        headers=owner,
    )
    referral = made.json()["id"]
    no_scope = client.get(
        f"/api/v1/legal/referrals/{referral}", headers=bearer(issue("cases:read", tenant=subject.tenant))
    )
    assert no_scope.status_code == 403
    too_big = client.get(f"/api/v1/legal/referrals/{2**63}", headers=owner)
    assert too_big.status_code == 422 and too_big.json()["error"]["where"] == "referral_id"
    stranger = client.get(f"/api/v1/legal/referrals/{referral}", headers=bearer(issue(*ALL)))
    assert stranger.status_code == 404
    foreign_case = client.post(
        "/api/v1/legal/referrals",
        json={"case_id": subject.case.id, "referred_on": "2026-03-02", "reason": "r"},
        headers=bearer(issue(*ALL)),
    )
    assert foreign_case.status_code == 404


def test_placements_are_made_listed_with_commission_and_recalled(
    client: TestClient, factories: Factories, issue: Issue
) -> None:
    subject = legal_case(factories)
    firm = agency(factories)
    headers = bearer(issue("agency:place", tenant=subject.tenant))
    factories.payment(subject.loan, "400.00", date(2026, 3, 10))
    placed = client.post(
        "/api/v1/legal/placements",
        json={
            "case_id": subject.case.id,
            "agency_tenant_id": firm.id,
            "starts_on": "2026-03-01",
            "ends_on": "2026-05-31",
            "commission_rate": "0.25",
        },
        headers=headers,
    )
    assert placed.status_code == 201, placed.text
    placement = placed.json()["id"]
    listed = client.get("/api/v1/legal/placements", params={"as_of": "2026-03-31"}, headers=headers).json()
    assert [(p["status"], p["recovered"], p["commission"]) for p in listed] == [("live", "400.00", "100.00")]
    by_agency = client.post(
        f"/api/v1/legal/placements/{placement}/recall",
        json={"on": "2026-04-01", "reason": "x"},
        headers=bearer(issue("agency:place", tenant=firm)),
    )
    assert by_agency.status_code == 404
    recalled = client.post(
        f"/api/v1/legal/placements/{placement}/recall", json={"on": "2026-04-01", "reason": "客户投诉"}, headers=headers
    )
    assert recalled.json()["status"] == "recalled"
    again = client.post(
        f"/api/v1/legal/placements/{placement}/recall", json={"on": "2026-04-02", "reason": "x"}, headers=headers
    )
    assert again.status_code == 409


def test_an_agency_collector_reaches_a_placed_case_only_while_the_placement_is_live(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    firm = agency(factories)
    collector = factories.user(firm, Role.COLLECTOR)
    other_collector = factories.user(firm, Role.COLLECTOR)
    db_session.add(CaseAssignment(case_id=subject.case.id, user_id=collector.id))
    db_session.flush()
    placement = placements.place(
        db_session=db_session,
        placement_in=PlacementIn(
            case_id=subject.case.id,
            agency_tenant_id=firm.id,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 5, 31),
            commission_rate=Decimal("0.2"),
        ),
        actor="test",
    )

    def principal(user_id: int, role: Role) -> Principal:
        return Principal(tenant_id=firm.id, actor="t", permissions=for_role(role), user_id=user_id, role=role)

    def reached(who: Principal, on: date) -> list[int]:
        return list(db_session.scalars(select(Case.id).where(case_clause(who, on=on))))

    mine = principal(collector.id, Role.COLLECTOR)
    assert reached(mine, date(2026, 4, 1)) == [subject.case.id]
    assert reached(principal(other_collector.id, Role.COLLECTOR), date(2026, 4, 1)) == []  # not assigned to them
    assert reached(mine, date(2026, 6, 1)) == []  # the period is over even before the expiry job ran
    assert reached(mine, date(2026, 2, 28)) == []
    lender_ops = Principal(tenant_id=subject.tenant.id, actor="t", permissions=frozenset(), role=Role.OPERATIONS)
    assert reached(lender_ops, date(2026, 4, 1)) == [subject.case.id]  # the lender keeps its case
    placements.recall(db_session=db_session, placement_id=placement.id, on=date(2026, 4, 1), reason="r", actor="t")
    assert placement.status is PlacementStatus.RECALLED
    assert reached(mine, date(2026, 4, 1)) == []


def test_an_agency_collector_opens_the_placed_case_page_until_it_is_recalled(
    browser: TestClient, db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    firm = agency(factories)
    collector = factories.user(firm, Role.COLLECTOR, password_hash=hash_password(PASSWORD))
    db_session.add(CaseAssignment(case_id=subject.case.id, user_id=collector.id))
    db_session.flush()
    today = date.today()
    placement = placements.place(
        db_session=db_session,
        placement_in=PlacementIn(
            case_id=subject.case.id,
            agency_tenant_id=firm.id,
            starts_on=today - timedelta(days=2),
            ends_on=today + timedelta(days=30),
            commission_rate=Decimal("0.2"),
        ),
        actor="test",
    )
    sign_in(browser, collector.username)
    assert browser.get(f"/cases/{subject.case.id}").status_code == 200
    placements.recall(db_session=db_session, placement_id=placement.id, on=today, reason="r", actor="t")
    assert browser.get(f"/cases/{subject.case.id}").status_code == 404


def test_legal_permissions_are_granted_to_the_roles_that_do_legal_work() -> None:
    assert {"legal:read", "legal:manage", "agency:place"} <= ROLE_PERMISSIONS[Role.OPERATIONS]
    assert "legal:manage" in ROLE_PERMISSIONS[Role.APPROVER]
    assert "legal:read" in ROLE_PERMISSIONS[Role.COMPLIANCE]
    assert not {"legal:manage", "agency:place"} & ROLE_PERMISSIONS[Role.COLLECTOR]


def test_an_agency_token_does_not_reach_a_case_that_was_never_placed_with_it(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    token_like = Principal(tenant_id=agency(factories).id, actor="api:x", permissions=frozenset({"legal:read"}))
    with pytest.raises(NotFound, match=f"no case {subject.case.id}"):
        visible_case(db_session=db_session, principal=token_like, case_id=subject.case.id)
