"""``/api/v1/comms``: templates under maker-checker, the outbox in the caller's case scope, opt-outs and receipts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.comms.batch import tenant_letters_dir
from arrears.comms.outbox import link_signature
from arrears.compliance.models import Hold
from arrears.strategy.enums import Treatment
from arrears.web.routes.comms import comms_settings
from tests.comms.conftest import AS_OF, World, make_world
from tests.factories import Factories
from tests.web.conftest import Issue, bearer

SMS = (
    "【{{ company }}】{{ addressee }}您好，您有{{ amount_overdue|money }}已逾期，"
    "请通过官方渠道还款，疑问请致电{{ hotline }}。{{ opt_out }}"
)


@pytest.fixture
def world(db_session: Session, factories: Factories, tmp_path: Path, api_app: FastAPI) -> Iterator[World]:
    made = make_world(db_session, factories, tmp_path)
    api_app.dependency_overrides[comms_settings] = lambda: made.comms
    yield made
    api_app.dependency_overrides.pop(comms_settings, None)


def test_every_comms_route_needs_its_permission(client: TestClient, world: World, issue: Issue) -> None:
    reader = bearer(issue("cases:read", tenant=world.tenant))
    assert client.get("/api/v1/comms/templates", headers=reader).status_code == 403
    body = {"case_id": world.case.id, "kind": "payment_reminder", "channel": "sms", "as_of": AS_OF.isoformat()}
    refused = client.post("/api/v1/comms/messages", json=body, headers=reader)
    assert refused.status_code == 403 and "messages:send" in refused.json()["error"]["message"]
    assert client.post("/api/v1/comms/letters/render", json={"as_of": "2026-03-13"}, headers=reader).status_code == 403


def test_a_template_drafted_over_the_api_is_linted_and_only_a_person_approves_it(
    client: TestClient, world: World, issue: Issue
) -> None:
    manager = bearer(issue("templates:manage", "scripts:approve", tenant=world.tenant))
    listed = client.get("/api/v1/comms/templates", headers=manager).json()
    assert {"collection_letter/letter", "payment_reminder/sms"} <= {t["key"] for t in listed if t["shipped"]}

    threat = {
        "zh-CN": {"body": "{{ addressee }}，不还钱就等着坐牢，{{ amount_overdue|money }}，{{ hotline }}{{ opt_out }}"}
    }
    refused = client.post(
        "/api/v1/comms/templates",
        json={"key": "payment_reminder/sms", "effective_from": "2026-03-01", "texts": threat},
        headers=manager,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_input"

    drafted = client.post(
        "/api/v1/comms/templates",
        json={"key": "payment_reminder/sms", "effective_from": "2026-03-01", "texts": {"zh-CN": {"body": SMS}}},
        headers=manager,
    )
    assert drafted.status_code == 201, drafted.text
    assert (drafted.json()["status"], drafted.json()["shipped"]) == ("draft", False)
    approved = client.post(f"/api/v1/comms/templates/{drafted.json()['id']}/approve", headers=manager)
    assert approved.status_code == 422 and "sign in as a compliance user" in approved.json()["error"]["message"]


def test_a_message_is_queued_once_per_key_and_only_on_cases_in_scope(
    client: TestClient, world: World, issue: Issue, db_session: Session, factories: Factories, tmp_path: Path
) -> None:
    sender = bearer(issue("messages:send", "cases:read", tenant=world.tenant))
    body = {"case_id": world.case.id, "kind": "payment_reminder", "channel": "sms", "as_of": AS_OF.isoformat()}
    first = client.post("/api/v1/comms/messages", json=body, headers=sender)
    again = client.post("/api/v1/comms/messages", json=body, headers=sender)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == again.json()["id"] and first.json()["status"] == "queued"
    assert "回复TD退订" in first.json()["body"]

    other = make_world(db_session, factories, tmp_path)
    elsewhere = client.post("/api/v1/comms/messages", json={**body, "case_id": other.case.id}, headers=sender)
    assert elsewhere.status_code == 404

    listed = client.get("/api/v1/comms/messages", params={"case_id": world.case.id}, headers=sender).json()
    assert [m["id"] for m in listed] == [first.json()["id"]]


def test_an_opt_out_reply_and_a_delivery_report_arrive_over_the_api(
    client: TestClient, world: World, issue: Issue, db_session: Session
) -> None:
    gateway = bearer(issue("messages:send", tenant=world.tenant))
    body = {"case_id": world.case.id, "kind": "payment_reminder", "channel": "sms", "as_of": AS_OF.isoformat()}
    queued = client.post("/api/v1/comms/messages", json=body, headers=gateway).json()
    reply = {"from": "+8613800138000", "text": "退订", "received_at": "2026-03-13T20:00:00+08:00"}
    answered = client.post("/api/v1/comms/inbound/sms", json=reply, headers=gateway)
    assert answered.json() == {"opted_out": True, "cases": [world.case.id], "cancelled": [queued["id"]]}
    assert db_session.scalar(select(Hold.channel).where(Hold.case_id == world.case.id)) == "sms"

    unknown = client.post(
        "/api/v1/comms/receipts",
        json={"provider_id": "gw-404", "delivered": True, "at": "2026-03-14T10:00:00+08:00"},
        headers=gateway,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["where"] == "provider_id"


def test_the_email_opt_out_link_works_without_a_token_but_not_forged(
    client: TestClient, world: World, issue: Issue, db_session: Session
) -> None:
    sender = bearer(issue("messages:send", tenant=world.tenant))
    body = {"case_id": world.case.id, "kind": "payment_reminder", "channel": "email", "as_of": AS_OF.isoformat()}
    key = client.post("/api/v1/comms/messages", json=body, headers=sender).json()["idempotency_key"]
    forged = client.get("/api/v1/comms/unsubscribe", params={"m": key, "s": "f" * 32})
    assert forged.status_code == 422
    followed = client.get("/api/v1/comms/unsubscribe", params={"m": key, "s": link_signature(key, world.comms)})
    assert followed.status_code == 200 and "退订" in followed.text
    assert db_session.scalar(select(Hold.channel).where(Hold.case_id == world.case.id)) == "email"


def test_the_days_letters_render_and_download_as_pdf(
    client: TestClient, world: World, issue: Issue, db_session: Session, api_app: FastAPI
) -> None:
    world.action(db_session, Treatment.LETTER)
    renderer = bearer(issue("letters:render", "cases:read", tenant=world.tenant))
    rendered = client.post("/api/v1/comms/letters/render", json={"as_of": AS_OF.isoformat()}, headers=renderer)
    assert rendered.status_code == 200, rendered.text
    assert rendered.json()["letters"] == 1 and rendered.json()["batch_pdf"]
    own_folder = tenant_letters_dir(api_app.state.settings.data_dir, world.tenant.id)
    assert (own_folder / f"letters-{AS_OF.isoformat()}" / "batch.pdf").is_file()
    [message_id] = rendered.json()["queued"]
    pdf = client.get(f"/api/v1/comms/messages/{message_id}/pdf", headers=renderer)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    page = client.get(f"/api/v1/comms/messages/{message_id}/preview", headers=renderer)
    assert "<h1>催收函</h1>" in page.text

    template_id = next(
        t["id"]
        for t in client.get(
            "/api/v1/comms/templates", headers=bearer(issue("templates:manage", tenant=world.tenant))
        ).json()
        if t["key"] == "collection_letter/letter"
    )
    preview = client.get(
        f"/api/v1/comms/templates/{template_id}/preview",
        params={"case_id": world.case.id, "as_of": AS_OF.isoformat(), "locale": "en"},
        headers=renderer,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == "Notice of overdue payment" and "Noto Sans CJK SC" in preview.json()["html"]
