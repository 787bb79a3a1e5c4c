"""The JSON API: tokens guard every route but health, answers match the CLI's JSON, errors share one envelope."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.db.migrate import head_revision
from arrears.delinquency.daily_pass import run_pass
from arrears.org.models import Tenant
from arrears.scripts.library.bundled import seed
from arrears.web import tokens
from tests.arrears_cli import run_arrears
from tests.factories import Factories
from tests.web.conftest import Issue, bearer

CHECK_CALL = Path(__file__).parents[2] / "docs" / "examples" / "compliance" / "check-call.json"


def cli_check_json(example: dict[str, object]) -> dict[str, object]:
    done = run_arrears("compliance", "check", "--pack", "cn", "--json", stdin=json.dumps(example))
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_health_needs_no_token_and_names_the_schema(client: TestClient) -> None:
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "schema": head_revision()}


def test_without_a_token_or_with_an_unknown_one_is_401_in_the_envelope(client: TestClient) -> None:
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}):
        answer = client.post("/api/v1/lint", json={"text": "hello"}, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"
        assert "missing, unknown or revoked" in answer.json()["error"]["message"]


def test_a_revoked_token_is_refused_like_an_unknown_one_and_the_refusal_audited(
    client: TestClient, db_session: Session, issue: Issue
) -> None:
    secret = issue("lint")
    assert client.post("/api/v1/lint", json={"text": "hello"}, headers=bearer(secret)).status_code == 200
    token = tokens.authenticate(db_session=db_session, presented=secret)
    assert token.last_used_at is not None
    tokens.revoke(db_session=db_session, token_id=token.id, actor="test")
    answer = client.post("/api/v1/lint", json={"text": "hello"}, headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.json()["error"]["message"].startswith("the API token is missing, unknown or revoked")
    actions = db_session.scalars(
        select(AuditRecord.action).where(
            AuditRecord.subject_type == "api_token", AuditRecord.subject_id == str(token.id)
        )
    ).all()
    assert set(actions) == {"api_token.issued", "api_token.revoked", "api_token.refused"}


def test_a_token_without_the_scope_is_403(client: TestClient, issue: Issue) -> None:
    answer = client.post("/api/v1/scripts/classify", json={"text": "明天还"}, headers=bearer(issue("lint")))
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "code": "forbidden",
        "message": (
            "you may not do this: it needs the permission 'scripts:classify'"
            " (ask an administrator; an API token needs --scope scripts:classify)"
        ),
        "where": None,
    }


def test_the_check_answers_as_the_cli_allowed_and_blocked(client: TestClient, issue: Issue) -> None:
    headers = bearer(issue("compliance:check"))
    example = json.loads(CHECK_CALL.read_text(encoding="utf-8"))
    allowed = client.post("/api/v1/compliance/check?pack=cn", json=example, headers=headers)
    assert allowed.status_code == 200
    assert allowed.json() == cli_check_json(example)
    assert allowed.json()["allowed"] is True

    late = {**example, "attempt": {**example["attempt"], "at": "2026-03-03T23:30:00+08:00"}}
    blocked = client.post("/api/v1/compliance/check", json=late, headers=headers)
    assert blocked.status_code == 200
    assert blocked.json() == cli_check_json(late)
    assert blocked.json()["allowed"] is False
    assert blocked.json()["violations"]
    assert blocked.json()["next_allowed_at"]


def test_the_check_uses_the_tenants_pack_when_none_is_given(
    client: TestClient, db_session: Session, issue: Issue
) -> None:
    tenant = Factories(db_session).tenant()
    tenant.compliance_pack = "us"
    headers = bearer(issue("compliance:check", tenant=tenant))
    example = json.loads(CHECK_CALL.read_text(encoding="utf-8"))
    example["debtor"]["timezones"] = ["America/New_York"]
    example["attempt"]["at"] = "2026-03-03T07:30:00-05:00"
    by_tenant = client.post("/api/v1/compliance/check", json=example, headers=headers).json()
    by_us = client.post("/api/v1/compliance/check?pack=us", json=example, headers=headers).json()
    by_cn = client.post("/api/v1/compliance/check?pack=cn", json=example, headers=headers).json()
    assert by_tenant == by_us
    assert by_us != by_cn


def test_a_malformed_check_is_422_naming_the_field(client: TestClient, issue: Issue) -> None:
    headers = bearer(issue("compliance:check"))
    example = json.loads(CHECK_CALL.read_text(encoding="utf-8"))
    example["attempt"]["at"] = "2026-03-03T09:00:00"
    answer = client.post("/api/v1/compliance/check", json=example, headers=headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("body: attempt.at: ")
    assert "\n" not in error["message"]

    unknown_pack = client.post("/api/v1/compliance/check?pack=xx", json=example, headers=headers)
    assert unknown_pack.status_code == 422
    assert unknown_pack.json()["error"]["where"] == "pack"

    not_json = client.post(
        "/api/v1/compliance/check", content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json()["error"]["code"] == "invalid_input"


def test_lint_returns_the_clis_finding_keys(client: TestClient, issue: Issue) -> None:
    headers = bearer(issue("lint"))
    answer = client.post("/api/v1/lint", json={"text": "您好，他欠了我們兩萬塊。", "lang": "zh"}, headers=headers)
    assert answer.status_code == 200
    findings = answer.json()["findings"]
    assert findings
    assert set(findings[0]) == {"rule", "start", "end", "excerpt", "message", "severity"}
    clean = client.post(
        "/api/v1/lint", json={"text": "请通过官方APP还款，如有疑问可拨打客服热线核实。"}, headers=headers
    )
    assert clean.json() == {"findings": []}
    missing = client.post("/api/v1/lint", json={"lang": "zh"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["where"] == "text"
    assert missing.json()["error"]["message"] == "text: Field required"


def test_classify_resolves_the_promise_against_today(client: TestClient, issue: Issue) -> None:
    answer = client.post(
        "/api/v1/scripts/classify",
        json={"text": "下周五还三千", "today": "2026-03-03"},
        headers=bearer(issue("scripts:classify")),
    )
    assert answer.status_code == 200
    assert answer.json()["promise"] == {"date": "2026-03-13", "amount": "3000.00"}
    same_as_cli = run_arrears("scripts", "classify", "下周五还三千", "--today", "2026-03-03", "--json")
    assert same_as_cli.returncode == 0, same_as_cli.stderr
    assert answer.json() == json.loads(same_as_cli.stdout)


def test_suggest_answers_for_the_tenants_case_and_hides_other_tenants(
    client: TestClient, db_session: Session, issue: Issue
) -> None:
    """One seeded library for both cases: seeding lints every shipped script, which takes a while."""
    factories = Factories(db_session)
    loan = factories.loan()
    tenant = db_session.get_one(Tenant, loan.tenant_id)
    run_pass(db_session=db_session, as_of=date(2026, 2, 20), tenant_code=tenant.code)
    seed(db_session=db_session, at=datetime(2026, 1, 1, tzinfo=UTC))
    case = db_session.scalars(select(Case).where(Case.borrower_id == loan.borrower_id)).one()
    collector = factories.user(tenant)
    request = {
        "case_id": case.id,
        "utterance": "好的，我现在就转账",
        "today": "2026-02-20",
        "collector": collector.username,
    }

    answer = client.post(
        "/api/v1/scripts/suggest", json=request, headers=bearer(issue("scripts:suggest", tenant=tenant))
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["intent"] == "agree_to_pay_now"
    assert body["script_key"] and body["script_id"] > 0
    assert body["text"] and "{{" not in body["text"]

    stranger = bearer(issue("scripts:suggest"))
    hidden = client.post("/api/v1/scripts/suggest", json=request, headers=stranger)
    missing = client.post("/api/v1/scripts/suggest", json={**request, "case_id": 10**9}, headers=stranger)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"].replace(str(case.id), "N") == missing.json()["error"]["message"].replace(
        str(10**9), "N"
    )


def test_routing_failures_use_the_envelope(client: TestClient) -> None:
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    wrong_method = client.get("/api/v1/lint")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


def test_the_openapi_document_lists_every_api_route_and_no_page(api_app: FastAPI) -> None:
    paths = set(api_app.openapi()["paths"])
    assert not paths & {"/", "/login", "/logout", "/queue", "/cases/{case_id}", "/cases/{case_id}/contacts"}
    assert {
        "/api/v1/health",
        "/api/v1/compliance/check",
        "/api/v1/lint",
        "/api/v1/scripts/classify",
        "/api/v1/scripts/suggest",
    } <= paths
    schemas = api_app.openapi()["components"]["schemas"]
    assert {"CheckOut", "LintOut", "ClassifyOut", "SuggestOut"} <= set(schemas)


def test_each_operation_says_which_permission_it_needs(api_app: FastAPI) -> None:
    paths = api_app.openapi()["paths"]
    lint_operation = paths["/api/v1/lint"]["post"]
    assert lint_operation["x-permissions"] == ["lint"]
    assert lint_operation["description"].endswith("Needs: `lint`.")
    assert paths["/api/v1/health"]["get"]["x-permissions"] == []
