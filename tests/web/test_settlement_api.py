"""/api/v1/plans: collectors propose but never grant, approvers decide within their authority, evidence is checked.

People are the callers of the maker-checker routes, so these tests stand a signed-in
person in for the caller (their role's permissions, their case scope) by overriding
``current_principal``; tokens are used where an integration would be the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.org.passwords import hash_password
from arrears.portfolio.models import Borrower
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, PlanStatus
from arrears.settlement.evidence import MAX_BYTES
from arrears.settlement.schemas import PlanIn
from arrears.web.auth import Principal, current_principal
from arrears.web.permissions import for_role
from arrears.web.routes.settlement import evidence_dir
from tests.factories import Factories
from tests.web.conftest import PASSWORD, Issue, bearer, sign_in

HX = {"HX-Request": "true"}

PDF = b"%PDF-1.5\n%salary certificate\n%%EOF\n"
PLAN = {
    "kind": "instalments",
    "effective_on": "2026-02-11",
    "periods": 4,
    "waive_charges": "105.00",
    "first_due_on": "2026-03-11",
    "reason": "因病住院，收入中断两个月",
}
As = Callable[[User], None]


@pytest.fixture
def tenant(factories: Factories) -> Tenant:
    return factories.tenant()


@pytest.fixture
def case(factories: Factories, tenant: Tenant, db_session: Session) -> Case:
    product = factories.product(tenant, charges={"late_fee_daily_rate": "0.01"}, cost_cap={"kind": "none"})
    loan = factories.loan(tenant=tenant, product=product)
    return factories.case(db_session.get_one(Borrower, loan.borrower_id))


@pytest.fixture
def act_as(api_app: FastAPI, tmp_path: Path) -> Iterator[As]:
    """Make the next requests come from ``user``, signed in; evidence goes under ``tmp_path``."""
    api_app.dependency_overrides[evidence_dir] = lambda: tmp_path

    def switch(user: User) -> None:
        api_app.dependency_overrides[current_principal] = lambda: Principal(
            tenant_id=user.tenant_id,
            actor=user.username,
            permissions=for_role(user.role),
            user_id=user.id,
            role=user.role,
            team_id=user.team_id,
        )

    yield switch


def test_a_token_may_quote_and_propose_but_never_approve(
    client: TestClient, issue: Issue, tenant: Tenant, case: Case, act_as: As
) -> None:
    secret = issue("plans:propose", "plans:approve", tenant=tenant)
    quote = client.post(
        f"/api/v1/plans/cases/{case.id}/quote",
        json={"effective_on": "2026-02-11", "periods": 4},
        headers=bearer(secret),
    )
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["balance"]["total"] == "3155.00" and body["propensity"] == "0.80"
    assert {option["kind"] for option in body["options"]} == {"pay_now", "instalments", "freeze", "settle_for_less"}

    proposed = client.post("/api/v1/plans", json={"case_id": case.id, **PLAN}, headers=bearer(secret))
    assert proposed.status_code == 201, proposed.text
    assert (proposed.json()["status"], proposed.json()["granted"]) == ("proposed", False)
    refused = client.post(
        f"/api/v1/plans/{proposed.json()['id']}/approve", json={"reason": "ok"}, headers=bearer(secret)
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def test_collector_proposes_and_uploads_then_an_approver_verifies_and_approves(
    client: TestClient, db_session: Session, factories: Factories, tenant: Tenant, case: Case, act_as: As
) -> None:
    collector = factories.user(tenant, Role.COLLECTOR)
    approver = factories.user(tenant, Role.APPROVER)
    db_session.add(CaseAssignment(case_id=case.id, user_id=collector.id))
    db_session.flush()

    act_as(collector)
    plan = client.post("/api/v1/plans", json={"case_id": case.id, **PLAN}).json()
    assert plan["status"] == "proposed" and plan["proposed_by"] == collector.username
    assert client.post(f"/api/v1/plans/{plan['id']}/approve", json={"reason": "ok"}).status_code == 403
    assert client.get("/api/v1/plans/inbox").status_code == 403

    wrong = client.post(
        f"/api/v1/plans/cases/{case.id}/evidence",
        files={"file": ("statement.pdf", b"\xff\xd8\xff\xe0 a jpeg", "application/pdf")},
        data={"kind": "income_statement"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == (
        "file: statement.pdf holds image/jpeg but is named .pdf (name it with .jpeg or .jpg)"
    )
    empty = client.post(
        f"/api/v1/plans/cases/{case.id}/evidence",
        files={"file": ("statement.pdf", b"", "application/pdf")},
        data={"kind": "income_statement"},
    )
    assert empty.status_code == 422 and "is empty" in empty.json()["error"]["message"]
    uploaded = client.post(
        f"/api/v1/plans/cases/{case.id}/evidence",
        files={"file": ("statement.pdf", PDF, "application/pdf")},
        data={"kind": "income_statement", "plan_id": str(plan["id"])},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["status"] == "pending"

    act_as(approver)
    inbox = client.get("/api/v1/plans/inbox").json()
    assert [row["id"] for row in inbox] == [plan["id"]]
    too_early = client.post(f"/api/v1/plans/{plan['id']}/approve", json={"reason": "ok"})
    assert too_early.status_code == 409
    verified = client.post(
        f"/api/v1/plans/evidence/{uploaded.json()['id']}/verify", json={"status": "verified", "note": "与流水一致"}
    )
    assert verified.status_code == 200 and verified.json()["verified_by"] == approver.username
    approved = client.post(f"/api/v1/plans/{plan['id']}/approve", json={"reason": "证明属实，同意分期"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["granted"]) == ("approved", True)
    assert approved.json()["authority"].endswith(":approver-standard")
    assert client.get("/api/v1/plans/inbox").json() == []
    listed = client.get("/api/v1/plans", params={"status": "approved"}).json()
    assert [row["id"] for row in listed] == [plan["id"]]


def test_a_team_lead_cannot_approve_their_own_plan_over_the_api(
    client: TestClient, db_session: Session, factories: Factories, tenant: Tenant, case: Case, act_as: As
) -> None:
    team = Team(tenant_id=tenant.id, name="一组")
    db_session.add(team)
    db_session.flush()
    lead = factories.user(tenant, Role.TEAM_LEAD, team_id=team.id)
    db_session.add(CaseAssignment(case_id=case.id, team_id=team.id))
    db_session.flush()
    act_as(lead)
    # A team lead may propose (on a call they took) and approve others' plans, never their own.
    plan = client.post("/api/v1/plans", json={"case_id": case.id, **PLAN, "waive_charges": "0"}).json()
    assert client.get("/api/v1/plans/inbox").json() == []
    refused = client.post(f"/api/v1/plans/{plan['id']}/approve", json={"reason": "ok"})
    assert refused.status_code == 403
    assert "the proposer can never decide their own plan" in refused.json()["error"]["message"]
    assert client.get(f"/api/v1/plans/{plan['id']}").json()["status"] == "proposed"


def test_a_case_outside_the_collectors_scope_is_not_found(
    client: TestClient, factories: Factories, tenant: Tenant, case: Case, act_as: As
) -> None:
    act_as(factories.user(tenant, Role.COLLECTOR))
    answer = client.post("/api/v1/plans", json={"case_id": case.id, **PLAN})
    assert answer.status_code == 404
    quote = client.post(f"/api/v1/plans/cases/{case.id}/quote", json={"effective_on": str(date(2026, 2, 11))})
    assert quote.status_code == 404


def test_bad_plan_input_is_one_line_naming_the_field(
    client: TestClient, issue: Issue, tenant: Tenant, case: Case
) -> None:
    secret = issue("plans:propose", tenant=tenant)
    answer = client.post(
        "/api/v1/plans", json={"case_id": case.id, **PLAN, "waive_charges": "105.01"}, headers=bearer(secret)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "waive_charges: cannot waive 105.01 of charges: only 105.00 is owed" + (
        " (waive at most what is owed)"
    )


def test_an_approver_lands_on_the_inbox_views_and_verifies_the_evidence_then_approves(
    browser: TestClient,
    api_app: FastAPI,
    db_session: Session,
    factories: Factories,
    tenant: Tenant,
    case: Case,
    tmp_path: Path,
) -> None:
    api_app.dependency_overrides[evidence_dir] = lambda: tmp_path
    collector = factories.user(tenant, Role.COLLECTOR)
    approver = factories.user(tenant, Role.APPROVER, password_hash=hash_password(PASSWORD))
    maker = service.Actor(collector.username, collector.id, collector.role)
    plan = service.propose(
        db_session=db_session,
        tenant_id=tenant.id,
        case_id=case.id,
        plan_in=PlanIn.model_validate(PLAN),
        actor=maker,
    )
    document = service.add_evidence(
        db_session=db_session,
        tenant_id=tenant.id,
        case_id=case.id,
        kind=EvidenceKind.MEDICAL_CERTIFICATE,
        filename="住院证明.pdf",
        content=PDF,
        data_dir=tmp_path,
        actor=maker,
    )
    csrf = sign_in(browser, approver.username)
    inbox = browser.get("/supervisor/approvals")
    assert inbox.status_code == 200
    assert f'data-plan="{plan.id}"' in inbox.text and f'data-evidence="{document.id}"' in inbox.text
    assert "方案只有在此审批通过后才生效" in inbox.text

    shown = browser.get(f"/supervisor/approvals/evidence/{document.id}/file")
    assert (shown.status_code, shown.content, shown.headers["content-type"]) == (200, PDF, "application/pdf")
    assert shown.headers["x-content-type-options"] == "nosniff"
    viewed = db_session.scalars(select(AuditRecord.action).where(AuditRecord.subject_type == "evidence")).all()
    assert "evidence.viewed" in viewed

    forged = browser.post(f"/supervisor/approvals/plans/{plan.id}/approve", data={"reason": "ok"}, headers=HX)
    assert forged.status_code == 403  # no CSRF token: not the approver's own request
    early = browser.post(
        f"/supervisor/approvals/plans/{plan.id}/approve", data={"reason": "ok"}, headers={**HX, "X-CSRF-Token": csrf}
    )
    assert early.status_code == 409 and "no verified hardship evidence" in early.text
    verified = browser.post(
        f"/supervisor/approvals/evidence/{document.id}/verify",
        data={"status": "verified", "note": "医院盖章一致"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert verified.status_code == 200 and "材料已核实" in verified.text
    approved = browser.post(
        f"/supervisor/approvals/plans/{plan.id}/approve",
        data={"reason": "属实"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert approved.status_code == 200 and "方案已批准" in approved.text
    assert plan.status is PlanStatus.APPROVED and plan.decided_by == approver.username
    assert f'data-plan="{plan.id}"' not in browser.get("/supervisor/approvals").text


def test_an_upload_one_byte_over_the_limit_is_refused_and_nothing_is_stored(
    client: TestClient, issue: Issue, tenant: Tenant, case: Case, act_as: As, tmp_path: Path
) -> None:
    too_big = PDF + bytes(MAX_BYTES + 1 - len(PDF))
    answer = client.post(
        f"/api/v1/plans/cases/{case.id}/evidence",
        files={"file": ("statement.pdf", too_big, "application/pdf")},
        data={"kind": "income_statement"},
        headers=bearer(issue("plans:propose", tenant=tenant)),
    )
    assert answer.status_code == 422
    assert f"larger than the {MAX_BYTES} bytes allowed" in answer.json()["error"]["message"]
    assert not (tmp_path / "evidence").exists()
