"""The compliance console as an officer uses it: audit search and chain, reviews, holds, complaints, approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.comms import TemplateIn, TextIn
from arrears.comms import save_draft as save_template
from arrears.comms.models import CommsTemplate
from arrears.compliance.enums import ComplaintStatus, HoldType
from arrears.compliance.models import Complaint, Hold
from arrears.contact.enums import ContactChannel, Outcome, Party
from arrears.contact.models import ContactAttempt
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.org.passwords import hash_password
from arrears.scripts.library import flows
from arrears.scripts.library.enums import ScriptStatus
from arrears.scripts.library.models import Script
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

_HASH = hash_password(PASSWORD)
HX = {"HX-Request": "true"}
KEY = "early/debtor/ask_payment_today/-/-"
POLITE = {"zh-CN": "您好，今天方便通过{{ payment_channels|channels }}还款吗？", "en": "Could you pay today?"}
SMS = (
    "【{{ company }}】{{ addressee }}您好，您有{{ amount_overdue|money }}已逾期，"
    "请通过官方渠道还款，疑问请致电{{ hotline }}。{{ opt_out }}"
)


@dataclass
class Office:
    tenant: Tenant
    officer: User
    colleague: User
    collector: User
    lead: User
    case: Case


def office(db_session: Session) -> Office:
    factories = Factories(db_session)
    tenant = factories.tenant()
    team = Team(tenant_id=tenant.id, name="早期一组")
    db_session.add(team)
    db_session.flush()
    officer = factories.user(tenant, Role.COMPLIANCE, password_hash=_HASH)
    colleague = factories.user(tenant, Role.COMPLIANCE, password_hash=_HASH)
    collector = factories.user(tenant, Role.COLLECTOR, team_id=team.id, password_hash=_HASH)
    lead = factories.user(tenant, Role.TEAM_LEAD, team_id=team.id, password_hash=_HASH)
    case = factories.case(factories.borrower(tenant))
    db_session.add(CaseAssignment(case_id=case.id, user_id=collector.id, team_id=team.id))
    db_session.flush()
    return Office(tenant, officer, colleague, collector, lead, case)


def _post(browser: TestClient, token: str, url: str, **data: object) -> Response:
    answer: Response = browser.post(url, data=data, headers={"X-CSRF-Token": token, **HX})
    return answer


# The audit log ---------------------------------------------------------------------


def test_an_officer_finds_an_entry_by_actor_and_only_in_their_tenant(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    elsewhere = Factories(db_session).tenant()
    for tenant_id, subject in ((world.tenant.id, "mine"), (elsewhere.id, "theirs")):
        audit.record(
            db_session=db_session,
            actor="zhang.wei",
            action="case.reassigned",
            subject_type="case",
            subject_id=subject,
            tenant_id=tenant_id,
        )
    audit.record(
        db_session=db_session, actor="li.na", action="hold.placed", subject_type="case", tenant_id=world.tenant.id
    )
    sign_in(browser, world.officer.username)
    page = browser.get("/compliance/audit", params={"actor": "zhang"})
    assert page.status_code == 200
    rows = page.text[page.text.index('id="entries"') :]
    assert "case.reassigned" in rows and "mine" in rows
    assert "theirs" not in rows and "hold.placed" not in rows


def test_the_audit_search_pages_newest_first(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    for number in range(55):
        audit.record(
            db_session=db_session,
            actor="batch",
            action="test.entry",
            subject_type="thing",
            subject_id=number,
            tenant_id=world.tenant.id,
        )
    sign_in(browser, world.officer.username)
    first = browser.get("/compliance/audit", params={"action": "test."}).text
    assert first.count('data-seq="') == 50
    assert first.index(">thing 54<") < first.index(">thing 5<")
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = browser.get("/compliance/audit", params={"action": "test.", "page": 2}).text
    assert second.count('data-seq="') == 5 and ">thing 0<" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_audit_search_narrows_by_subject_and_date(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    for day, subject in ((datetime(2026, 3, 1, 3, tzinfo=UTC), "7"), (datetime(2026, 3, 5, 3, tzinfo=UTC), "7")):
        audit.record_many(
            db_session=db_session,
            rows=[
                {
                    "actor": "x",
                    "action": "hold.placed",
                    "subject_type": "case",
                    "subject_id": subject,
                    "tenant_id": world.tenant.id,
                    "occurred_at": day,
                }
            ],
        )
    sign_in(browser, world.officer.username)
    page = browser.get(
        "/compliance/audit",
        params={"subject_type": "case", "subject_id": "7", "since": "2026-03-04", "until": "2026-03-05"},
    ).text
    assert page.count('data-seq="') == 1 and "2026-03-05" in page
    assert browser.get("/compliance/audit", params={"since": "2026-03-05", "until": "2026-03-01"}).status_code == 422
    assert browser.get("/compliance/audit", params={"since": "March"}).status_code == 422
    assert browser.get("/compliance/audit", params={"page": 0}).status_code == 422


def test_verifying_the_chain_says_it_holds_and_then_that_an_edit_breaks_it(
    browser: TestClient, db_session: Session
) -> None:
    world = office(db_session)
    entry = audit.record(
        db_session=db_session, actor="x", action="hold.placed", subject_type="case", tenant_id=world.tenant.id
    )
    token = sign_in(browser, world.officer.username)
    intact = _post(browser, token, "/compliance/audit/verify")
    assert intact.status_code == 200 and 'data-chain="ok"' in intact.text and "审计链完整无误" in intact.text
    _tamper(db_session, "UPDATE audit_log SET actor = 'someone else' WHERE seq = :seq", seq=entry.seq)
    broken = _post(browser, token, "/compliance/audit/verify")
    assert 'data-chain="broken"' in broken.text and f"seq {entry.seq}" in broken.text


def _tamper(db_session: Session, sql: str, **params: object) -> None:
    """Edit the log as an attacker with database access would: append-only triggers off, in this test's transaction."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        db_session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
    db_session.execute(text(sql), params)


# Flagged contacts ------------------------------------------------------------------


def _flagged(db_session: Session, world: Office) -> ContactAttempt:
    attempt = ContactAttempt(
        case_id=world.case.id,
        user_id=world.collector.id,
        channel=ContactChannel.CALL,
        party=Party.DEBTOR,
        attempted_at=datetime(2026, 3, 2, 3, tzinfo=UTC),
        outcome=Outcome.REFUSED,
        pack_version="cn 1",
        notes="跟他说不还就让他全家丢脸",
        note_findings=[{"rule": "threat_shame", "excerpt": "让他全家丢脸", "message": "shaming"}],
        flagged=True,
    )
    db_session.add(attempt)
    db_session.flush()
    return attempt


def test_an_officer_reviews_a_flagged_note_once_and_it_leaves_the_queue(
    browser: TestClient, db_session: Session
) -> None:
    world = office(db_session)
    attempt = _flagged(db_session, world)
    token = sign_in(browser, world.officer.username)
    page = browser.get("/compliance").text
    assert f'data-attempt="{attempt.id}"' in page and "threat_shame" in page
    assert world.collector.display_name in page
    url = f"/compliance/contacts/{attempt.id}/review"
    assert _post(browser, token, url, outcome="breach", note="").status_code == 422
    done = _post(browser, token, url, outcome="breach", note="已约谈催收员并复训")
    assert done.status_code == 200 and "记录已复核" in done.text
    entry = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "contact.reviewed")).one()
    assert entry.subject_id == str(attempt.id) and entry.actor == world.officer.username
    assert entry.details["outcome"] == "breach" and entry.details["rules"] == ["threat_shame"]
    assert f'data-attempt="{attempt.id}"' not in browser.get("/compliance").text
    assert _post(browser, token, url, outcome="no_issue").status_code == 409


def test_a_contact_that_was_not_flagged_or_is_elsewhere_cannot_be_reviewed(
    browser: TestClient, db_session: Session
) -> None:
    world = office(db_session)
    attempt = _flagged(db_session, world)
    attempt.flagged = False
    token = sign_in(browser, world.officer.username)
    assert _post(browser, token, f"/compliance/contacts/{attempt.id}/review", outcome="no_issue").status_code == 409
    assert _post(browser, token, "/compliance/contacts/999999/review", outcome="no_issue").status_code == 404
    assert _post(browser, token, f"/compliance/contacts/{attempt.id}/review", outcome="maybe").status_code == 422


# Holds -----------------------------------------------------------------------------


def test_an_officer_places_and_lifts_a_hold(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    placed = _post(
        browser, token, "/compliance/holds", case_id=world.case.id, type="dispute", reason="借款人称已结清，待核实"
    )
    assert placed.status_code == 200 and "暂停已设置" in placed.text
    hold = db_session.scalars(select(Hold).where(Hold.case_id == world.case.id)).one()
    assert hold.type is HoldType.DISPUTE and hold.ends_on is None and hold.pauses_aging
    assert f'data-hold="{hold.id}"' in browser.get("/compliance").text
    assert _post(browser, token, f"/compliance/holds/{hold.id}/lift", reason="").status_code == 422
    lifted = _post(browser, token, f"/compliance/holds/{hold.id}/lift", reason="核实为本人欠款")
    assert lifted.status_code == 200 and hold.lifted_at is not None and hold.lifted_by_id == world.officer.id
    assert f'data-hold="{hold.id}"' not in browser.get("/compliance").text
    assert _post(browser, token, f"/compliance/holds/{hold.id}/lift", reason="again").status_code == 409
    actions = db_session.scalars(
        select(AuditRecord.action)
        .where(AuditRecord.subject_type == "case", AuditRecord.subject_id == str(world.case.id))
        .order_by(AuditRecord.seq)
    ).all()
    assert actions == ["hold.placed", "hold.lifted"]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"type": "dispute", "starts_on": "2026-03-05", "ends_on": "2026-03-01"}, "before"),
        ({"type": "dispute", "channel": "sms"}, "channel"),
        ({"type": "dispute", "starts_on": "soon"}, "date"),
        ({"type": "moon_phase"}, "type"),
    ],
)
def test_a_hold_that_does_not_make_sense_is_refused(
    browser: TestClient, db_session: Session, fields: dict[str, str], where: str
) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    answer = _post(browser, token, "/compliance/holds", case_id=world.case.id, reason="r", **fields)
    assert answer.status_code == 422 and where in answer.text
    assert db_session.scalar(select(Hold.id).where(Hold.case_id == world.case.id)) is None


def test_a_hold_on_a_case_of_another_tenant_is_not_found(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    factories = Factories(db_session)
    foreign = factories.case(factories.borrower(factories.tenant()))
    token = sign_in(browser, world.officer.username)
    assert _post(browser, token, "/compliance/holds", case_id=foreign.id, type="dispute", reason="r").status_code == 404


# Complaints ------------------------------------------------------------------------


def test_an_officer_registers_and_resolves_a_complaint_and_the_hold_follows(
    browser: TestClient, db_session: Session
) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    registered = _post(
        browser,
        token,
        "/compliance/complaints",
        case_id=world.case.id,
        channel="regulator",
        category="harassment",
        complainant="借款人本人",
        description="一天接到十几个电话",
        collector_id=str(world.collector.id),
        hold_case="true",
    )
    assert registered.status_code == 200 and "投诉已登记" in registered.text
    complaint = db_session.scalars(select(Complaint).where(Complaint.case_id == world.case.id)).one()
    assert complaint.collector_id == world.collector.id and complaint.hold_id is not None
    page = browser.get("/compliance").text
    assert f'data-complaint="{complaint.id}"' in page and "监管转办" in page
    assert _post(browser, token, f"/compliance/complaints/{complaint.id}/resolve", resolution=" ").status_code == 422
    resolved = _post(
        browser, token, f"/compliance/complaints/{complaint.id}/resolve", resolution="核实属实，已处理", upheld="true"
    )
    assert resolved.status_code == 200 and "投诉已办结" in resolved.text
    assert complaint.status is ComplaintStatus.RESOLVED and complaint.upheld is True
    hold = db_session.get_one(Hold, complaint.hold_id)
    assert hold.lifted_at is not None
    assert f'data-complaint="{complaint.id}"' not in browser.get("/compliance").text


def test_a_complaint_without_the_hold_box_leaves_the_case_workable(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    answer = _post(
        browser,
        token,
        "/compliance/complaints",
        case_id=world.case.id,
        channel="phone",
        category="fees_or_rates",
        complainant="借款人",
        description="对罚息有疑问",
    )
    assert answer.status_code == 200
    assert db_session.scalars(select(Complaint.hold_id).where(Complaint.case_id == world.case.id)).one() is None


def test_a_complaint_with_an_empty_description_is_refused(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    answer = _post(
        browser,
        token,
        "/compliance/complaints",
        case_id=world.case.id,
        channel="phone",
        category="other",
        complainant="借款人",
        description="   ",
    )
    assert answer.status_code == 422 and "description" in answer.text
    assert db_session.scalar(select(Complaint.id).where(Complaint.case_id == world.case.id)) is None


def test_a_team_lead_handles_complaints_on_their_teams_cases_only(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    factories = Factories(db_session)
    other_case = factories.case(factories.borrower(world.tenant))
    token = sign_in(browser, world.lead.username)
    page = browser.get("/compliance")
    assert page.status_code == 200 and 'action="/compliance/complaints"' in page.text
    assert 'id="flagged"' not in page.text and 'action="/compliance/holds"' not in page.text
    common = {"channel": "phone", "category": "other", "complainant": "甲", "description": "乙"}
    assert _post(browser, token, "/compliance/complaints", case_id=world.case.id, **common).status_code == 200
    assert _post(browser, token, "/compliance/complaints", case_id=other_case.id, **common).status_code == 404
    assert browser.get("/compliance/audit").status_code == 403


# Scripts and templates -------------------------------------------------------------


def _draft(db_session: Session, world: Office, author: str) -> Script:
    script_in = flows.ScriptIn(key=KEY, tenant_id=world.tenant.id, effective_from=date(2026, 3, 1))
    return flows.save_draft(db_session=db_session, script_in=script_in, texts_by_locale=POLITE, author=author)


def test_an_officer_approves_a_script_drafted_by_someone_else(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    script = _draft(db_session, world, world.colleague.username)
    token = sign_in(browser, world.officer.username)
    page = browser.get("/compliance").text
    assert f'data-script="{script.id}"' in page and f'hx-post="/compliance/scripts/{script.id}/approve"' in page
    answer = _post(browser, token, f"/compliance/scripts/{script.id}/approve")
    assert answer.status_code == 200 and "话术已批准" in answer.text
    assert script.status is ScriptStatus.APPROVED and script.approver == world.officer.username
    assert f'data-script="{script.id}"' not in browser.get("/compliance").text


def test_an_officer_cannot_approve_their_own_script(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    script = _draft(db_session, world, world.officer.username)
    token = sign_in(browser, world.officer.username)
    page = browser.get("/compliance").text
    assert f'hx-post="/compliance/scripts/{script.id}/approve"' not in page and "本人起草" in page
    answer = _post(browser, token, f"/compliance/scripts/{script.id}/approve")
    assert answer.status_code == 422 and "cannot also approve it" in answer.text
    assert script.status is ScriptStatus.DRAFT


def test_an_officer_approves_a_letter_template_but_not_their_own(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)

    def draft(author: str, body: str) -> CommsTemplate:
        template_in = TemplateIn(
            key="payment_reminder/sms",
            tenant_id=world.tenant.id,
            effective_from=date(2026, 3, 1),
            texts={"zh-CN": TextIn(body=body)},
        )
        return save_template(db_session=db_session, template_in=template_in, author=author)

    theirs = draft(world.colleague.username, SMS)
    mine = draft(world.officer.username, SMS.replace("疑问", "如有疑问"))
    token = sign_in(browser, world.officer.username)
    assert f'data-template="{theirs.id}"' in browser.get("/compliance").text
    assert _post(browser, token, f"/compliance/templates/{theirs.id}/approve").status_code == 200
    assert theirs.status is ScriptStatus.APPROVED
    assert _post(browser, token, f"/compliance/templates/{mine.id}/approve").status_code == 422
    assert mine.status is ScriptStatus.DRAFT


# Who may see it --------------------------------------------------------------------


def test_a_collector_is_forbidden_and_a_signed_out_visitor_is_sent_to_sign_in(
    browser: TestClient, db_session: Session
) -> None:
    assert browser.get("/compliance").headers["location"].startswith("/login")
    world = office(db_session)
    token = sign_in(browser, world.collector.username)
    assert browser.get("/compliance").status_code == 403
    assert browser.get("/compliance/audit").status_code == 403
    assert (
        _post(browser, token, "/compliance/holds", case_id=world.case.id, type="dispute", reason="r").status_code == 403
    )
    assert _post(browser, token, "/compliance/audit/verify").status_code == 403


def test_an_administrator_reads_the_audit_log_but_handles_nothing(browser: TestClient, db_session: Session) -> None:
    world = office(db_session)
    admin = Factories(db_session).user(world.tenant, Role.ADMIN, password_hash=_HASH)
    token = sign_in(browser, admin.username)
    page = browser.get("/compliance")
    assert page.status_code == 200 and "/compliance/audit" in page.text
    assert 'id="h-holds"' not in page.text and 'id="h-scripts"' not in page.text
    assert browser.get("/compliance/audit").status_code == 200
    assert (
        _post(browser, token, "/compliance/holds", case_id=world.case.id, type="dispute", reason="r").status_code == 403
    )


def test_the_audit_log_links_a_case_only_for_those_who_may_open_it(browser: TestClient, db_session: Session) -> None:
    """An administrator reads the audit log but not cases: a case entry is named, not linked (the link was a 403)."""
    world = office(db_session)
    admin = Factories(db_session).user(world.tenant, Role.ADMIN, password_hash=_HASH)
    audit.record(
        db_session=db_session,
        actor="x",
        action="hold.placed",
        subject_type="case",
        subject_id=world.case.id,
        tenant_id=world.tenant.id,
    )
    link = f'href="/cases/{world.case.id}"'

    sign_in(browser, admin.username)
    as_admin = browser.get("/compliance/audit", params={"action": "hold."}).text
    sign_in(browser, world.officer.username)
    as_officer = browser.get("/compliance/audit", params={"action": "hold."}).text

    assert f"case {world.case.id}" in as_admin and link not in as_admin
    assert link in as_officer


def test_a_plain_form_returns_to_the_console_and_a_form_without_the_token_is_refused(
    browser: TestClient, db_session: Session
) -> None:
    world = office(db_session)
    token = sign_in(browser, world.officer.username)
    form = {"case_id": world.case.id, "type": "cease_contact", "reason": "借款人书面要求停止联系"}
    assert browser.post("/compliance/holds", data=form).status_code == 403
    assert db_session.scalar(select(Hold.id).where(Hold.case_id == world.case.id)) is None
    answer = browser.post("/compliance/holds", data={**form, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/compliance"
    assert db_session.scalars(select(Hold.type).where(Hold.case_id == world.case.id)).one() is HoldType.CEASE_CONTACT
