"""Letters and messages in the browser, as operations uses them: the outbox, a preview, the day's batch, templates."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.comms.enums import MessageChannel, TemplateKind
from arrears.comms.models import Message
from arrears.comms.outbox import MessageRequest, queue_message
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.org.passwords import hash_password
from arrears.strategy.enums import Treatment
from arrears.web.routes.comms import comms_settings
from tests.comms.conftest import AS_OF, SETTINGS, World, make_world
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

_HASH = hash_password(PASSWORD)
DAY = AS_OF.isoformat()


@pytest.fixture
def world(db_session: Session, factories: Factories, tmp_path: Path, api_app: FastAPI) -> Iterator[World]:
    """A lender's debtor; the app's files go to the test's own directory."""
    made = make_world(db_session, factories, tmp_path)
    settings = api_app.state.settings
    api_app.state.settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    api_app.dependency_overrides[comms_settings] = lambda: made.comms
    try:
        yield made
    finally:
        api_app.dependency_overrides.pop(comms_settings, None)
        api_app.state.settings = settings


def person(db_session: Session, factories: Factories, world: World, role: Role) -> User:
    return factories.user(world.tenant, role, password_hash=_HASH)


def queue_sms(db_session: Session, world: World, key: str = "page-test:sms:1") -> Message:
    request = MessageRequest(
        case_id=world.case.id,
        kind=TemplateKind.PAYMENT_REMINDER,
        channel=MessageChannel.SMS,
        as_of=AS_OF,
        idempotency_key=key,
    )
    return queue_message(
        db_session=db_session, request=request, sender=world.sender, settings=SETTINGS, comms=world.comms
    )


def test_operations_sees_a_queued_message_in_the_outbox_and_its_text(
    browser: TestClient, db_session: Session, factories: Factories, world: World
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    message = queue_sms(db_session, world)
    sign_in(browser, operations.username)

    today = browser.get("/letters")  # the app's clock says 2026-03-03 in Shanghai
    assert 'value="2026-03-03"' in today.text and f'data-message="{message.id}"' not in today.text
    page = browser.get("/letters", params={"day": DAY})
    assert page.status_code == 200, page.text
    assert 'href="/letters"' in page.text  # in the navigation
    assert f'data-message="{message.id}"' in page.text
    assert f'href="/letters/messages/{message.id}"' in page.text
    counts = page.text.split('id="counts"')[1].split("</p>")[0]
    assert 'data-status="queued"' in counts and '<span class="pill">1</span>' in counts

    assert f'data-message="{message.id}"' not in browser.get("/letters", params={"day": "2026-03-12"}).text
    assert f'data-message="{message.id}"' not in browser.get("/letters", params={"day": DAY, "channel": "email"}).text
    assert f'data-message="{message.id}"' not in browser.get("/letters", params={"day": DAY, "status": "sent"}).text
    assert f'data-message="{message.id}"' in browser.get("/letters", params={"day": DAY, "status": "queued"}).text

    preview = browser.get(f"/letters/messages/{message.id}")
    assert preview.status_code == 200
    assert html.escape(message.body, quote=False) in preview.text
    assert "13800138000" not in preview.text.split('id="h-text"')[0]  # the number is masked


def test_the_outbox_is_newest_first_and_paginated(
    browser: TestClient, db_session: Session, factories: Factories, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.web.pages import letters

    monkeypatch.setattr(letters, "PAGE_SIZE", 2)
    operations = person(db_session, factories, world, Role.OPERATIONS)
    first, second, third = (queue_sms(db_session, world, key=f"page-test:sms:{n}") for n in range(3))
    sign_in(browser, operations.username)
    page_one = browser.get("/letters", params={"day": DAY}).text
    assert page_one.index(f'data-message="{third.id}"') < page_one.index(f'data-message="{second.id}"')
    assert f'data-message="{first.id}"' not in page_one and 'rel="next"' in page_one
    page_two = browser.get("/letters", params={"day": DAY, "page": "2"}).text
    assert f'data-message="{first.id}"' in page_two and f'data-message="{third.id}"' not in page_two
    assert 'rel="next"' not in page_two and 'rel="prev"' in page_two


def test_the_days_batch_renders_from_the_page_and_downloads_as_pdf(
    browser: TestClient, db_session: Session, factories: Factories, world: World
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    world.action(db_session, Treatment.LETTER)
    csrf = sign_in(browser, operations.username)
    assert 'id="batch-pdf"' not in browser.get("/letters", params={"day": DAY}).text
    assert browser.get(f"/letters/batches/{DAY}/pdf").status_code == 404

    rendered = browser.post("/letters/render", data={"day": DAY, "csrf_token": csrf})
    assert rendered.status_code == 200, rendered.text
    assert f'href="/letters/batches/{DAY}/pdf"' in rendered.text
    pdf = browser.get(f"/letters/batches/{DAY}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'id="batch-pdf"' in browser.get("/letters", params={"day": DAY}).text

    letter = db_session.query(Message).filter_by(case_id=world.case.id, channel=MessageChannel.LETTER).one()
    preview = browser.get(f"/letters/messages/{letter.id}")
    assert '<iframe sandbox=""' in preview.text and "srcdoc=" in preview.text
    assert "&lt;h1&gt;催收函&lt;/h1&gt;" in preview.text  # the letter's HTML is data for the frame, not markup
    assert f'href="/letters/messages/{letter.id}/pdf"' in preview.text
    own = browser.get(f"/letters/messages/{letter.id}/pdf")
    assert own.headers["content-type"] == "application/pdf" and own.content.startswith(b"%PDF")

    again = browser.post("/letters/render", data={"day": DAY, "csrf_token": csrf})
    assert again.status_code == 200
    assert db_session.query(Message).filter_by(case_id=world.case.id, channel=MessageChannel.LETTER).count() == 1


def test_another_lenders_batch_of_the_same_day_is_not_theirs(
    browser: TestClient, db_session: Session, factories: Factories, world: World, tmp_path: Path
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    world.action(db_session, Treatment.LETTER)
    csrf = sign_in(browser, operations.username)
    assert browser.post("/letters/render", data={"day": DAY, "csrf_token": csrf}).status_code == 200
    browser.post("/logout", data={"csrf_token": csrf})

    other = make_world(db_session, factories, tmp_path / "other")
    outsider = factories.user(other.tenant, Role.OPERATIONS, password_hash=_HASH)
    sign_in(browser, outsider.username)
    assert browser.get(f"/letters/batches/{DAY}/pdf").status_code == 404
    letter = db_session.query(Message).filter_by(case_id=world.case.id).one()
    assert f'data-message="{letter.id}"' not in browser.get("/letters", params={"day": DAY}).text
    assert browser.get(f"/letters/messages/{letter.id}").status_code == 404
    assert browser.get(f"/letters/messages/{letter.id}/pdf").status_code == 404


def test_a_collector_has_no_letters_pages(
    browser: TestClient, db_session: Session, factories: Factories, world: World
) -> None:
    collector = person(db_session, factories, world, Role.COLLECTOR)
    message = queue_sms(db_session, world)
    csrf = sign_in(browser, collector.username)
    assert 'href="/letters"' not in browser.get("/queue").text
    for url in ("/letters", f"/letters/messages/{message.id}", "/letters/templates", f"/letters/batches/{DAY}/pdf"):
        assert browser.get(url).status_code == 403, url
    assert browser.post("/letters/render", data={"day": DAY, "csrf_token": csrf}).status_code == 403


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"day": "13/03/2026"}, "is not a date"),
        ({"day": "1999-12-31"}, "is outside"),
        ({"channel": "pigeon"}, "is not a channel"),
        ({"status": "lost"}, "is not a status"),
        ({"page": "0"}, "is not a page number"),
        ({"page": "-1"}, "is not a page number"),
    ],
)
def test_bad_filters_are_one_clear_message(
    browser: TestClient, db_session: Session, factories: Factories, world: World, params: dict[str, str], said: str
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    sign_in(browser, operations.username)
    answer = browser.get("/letters", params=params)
    assert answer.status_code == 422 and said in answer.text
    assert "Traceback" not in answer.text


def test_bad_render_day_and_ids_are_refused(
    browser: TestClient, db_session: Session, factories: Factories, world: World
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    csrf = sign_in(browser, operations.username)
    refused = browser.post("/letters/render", data={"day": "tomorrow", "csrf_token": csrf})
    assert refused.status_code == 422 and "is not a date" in refused.text
    assert browser.get("/letters/batches/..%2F..%2Fetc/pdf").status_code in (404, 422)
    assert browser.get(f"/letters/messages/{2**63}").status_code == 422
    assert browser.get("/letters/messages/987654").status_code == 404


def test_templates_are_listed_with_status_and_previewed_for_a_case(
    browser: TestClient, db_session: Session, factories: Factories, world: World
) -> None:
    operations = person(db_session, factories, world, Role.OPERATIONS)
    sign_in(browser, operations.username)
    listed = browser.get("/letters/templates")
    assert listed.status_code == 200
    shipped = listed.text.split('id="templates-shipped"')[1]
    template_id = int(shipped.split('data-template="')[1].split('"')[0])
    rows = [row.split("</tr>")[0] for row in shipped.split('data-template="')[1:]]
    assert rows and all('<span class="pill ok">已批准</span>' in row for row in rows)  # in the person's language
    letter = next(row.split('"')[0] for row in rows if "<td>催收函</td>" in row and "<td>信函</td>" in row)
    page = browser.get(f"/letters/templates/{letter}", params={"case_id": str(world.case.id), "locale": "en"})
    assert page.status_code == 200, page.text
    assert "Notice of overdue payment" in page.text and "<iframe sandbox=" in page.text
    assert browser.get(f"/letters/templates/{template_id}", params={"locale": "fr"}).status_code == 422
    assert browser.get(f"/letters/templates/{template_id}", params={"case_id": "987654"}).status_code == 404
    assert browser.get("/letters/templates/987654").status_code == 404
