"""Negotiation on the case page: a collector compares plans, proposes one for approval and uploads hardship evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case, CaseAssignment
from arrears.ledger.models import Installment, Loan
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.org.passwords import hash_password
from arrears.portfolio.models import Borrower
from arrears.settlement import service
from arrears.settlement.enums import EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.schemas import PlanIn, QuoteIn
from arrears.web.routes.settlement import evidence_dir
from arrears.web.templating import money
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

TODAY = date(2026, 3, 3)
"""The browser fixture's clock, in Shanghai."""
PDF = b"%PDF-1.4\n% three months of bank statements\n%%EOF\n"
HX = {"HX-Request": "true"}
_HASH = hash_password(PASSWORD)


@dataclass
class Desk:
    tenant: Tenant
    collector: User
    colleague: User
    case: Case
    colleagues_case: Case
    files: Path


def _case_with_loan(factories: Factories, db_session: Session, tenant: Tenant, user: User) -> Case:
    product = factories.product(tenant, charges={"late_fee_daily_rate": "0.01"}, cost_cap={"kind": "none"})
    loan = factories.loan(tenant=tenant, product=product)
    case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
    db_session.add(CaseAssignment(case_id=case.id, user_id=user.id))
    db_session.flush()
    return case


@pytest.fixture
def desk(db_session: Session, factories: Factories, api_app: FastAPI, tmp_path: Path) -> Iterator[Desk]:
    api_app.dependency_overrides[evidence_dir] = lambda: tmp_path
    tenant = factories.tenant()
    collector = factories.user(tenant, Role.COLLECTOR, password_hash=_HASH)
    colleague = factories.user(tenant, Role.COLLECTOR, password_hash=_HASH)
    yield Desk(
        tenant,
        collector,
        colleague,
        _case_with_loan(factories, db_session, tenant, collector),
        _case_with_loan(factories, db_session, tenant, colleague),
        tmp_path,
    )


def _propose(browser: TestClient, csrf: str, case_id: int, **fields: str) -> tuple[int, str]:
    form = {
        "kind": "instalments",
        "effective_on": TODAY.isoformat(),
        "periods": "6",
        "reason": "失业三个月，新工作下月入职",
        **fields,
    }
    answer = browser.post(f"/cases/{case_id}/negotiation/plans", data=form, headers={**HX, "X-CSRF-Token": csrf})
    return answer.status_code, answer.text


def test_the_case_page_loads_the_negotiation_section_for_a_proposer(browser: TestClient, desk: Desk) -> None:
    sign_in(browser, desk.collector.username)
    page = browser.get(f"/cases/{desk.case.id}")
    assert page.status_code == 200
    assert f'hx-get="/cases/{desk.case.id}/negotiation"' in page.text
    assert "协商还款" in page.text


def test_a_collector_sees_each_option_with_the_debtors_cost_and_the_lenders_recovery(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    sign_in(browser, desk.collector.username)
    section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX)
    assert section.status_code == 200, section.text
    quote = service.quote_options(
        db_session=db_session,
        tenant_id=desk.tenant.id,
        case_id=desk.case.id,
        quote_in=QuoteIn(effective_on=TODAY, periods=12),
    )
    assert {option.kind for option in quote.options} == set(PlanKind)
    for option in quote.options:
        row = section.text.split(f'data-option="{option.kind.value}"')[1].split("</tr>")[0]
        assert money(option.debtor_total) in row and money(option.expected_recovery) in row
        for item in option.schedule:  # what the collector reads out to the debtor, instalment by instalment
            assert f"{item.due_on.isoformat()} · {money(item.total)}" in row
    assert money(quote.balance.total) in section.text
    assert "停息挂账" in section.text and "先还部分" in section.text
    assert "尚无还款方案" in section.text  # no plan yet


def test_other_terms_give_other_figures_and_bad_terms_one_message(browser: TestClient, desk: Desk) -> None:
    sign_in(browser, desk.collector.username)
    url = f"/cases/{desk.case.id}/negotiation/options"
    settle = browser.get(url, params={"settlement_amount": "1500.00", "periods": "3"}, headers=HX)
    assert settle.status_code == 200
    row = settle.text.split('data-option="settle_for_less"')[1].split("</tr>")[0]
    assert money(1500) in row
    too_long = browser.get(url, params={"periods": "61"}, headers=HX)
    assert too_long.status_code == 422 and "periods" in too_long.text and 'class="alert bad"' in too_long.text
    not_money = browser.get(url, params={"amount_now": "一千"}, headers=HX)
    assert not_money.status_code == 422 and "is not an amount" in not_money.text
    before_loan = browser.get(url, params={"effective_on": "2025-12-31"}, headers=HX)
    assert before_loan.status_code == 422
    assert "effective_on: the plan must start after the loan" in before_loan.text


def test_a_proposal_is_shown_awaiting_approval_and_stored_as_proposed(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    csrf = sign_in(browser, desk.collector.username)
    status, text = _propose(browser, csrf, desk.case.id, waive_charges="10.00", annual_rate="")
    assert status == 200, text
    plan = db_session.scalars(select(Plan).where(Plan.case_id == desk.case.id)).one()
    assert plan.status is PlanStatus.PROPOSED and plan.decided_by is None and plan.restructure_id is None
    assert plan.proposed_by == desk.collector.username and plan.periods == 6
    assert str(plan.waive_charges) == "10.00"
    assert f'data-proposed="{plan.id}"' in text and "等待审批" in text
    assert 'hx-swap-oob="true"' in text and 'data-status="proposed"' in text
    audited = db_session.scalars(select(AuditRecord.action).where(AuditRecord.subject_type == "plan")).all()
    assert audited == ["plan.proposed"]

    section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX).text
    row = section.split(f'data-plan="{plan.id}"')[1].split("</tr>")[0]
    assert "等待审批：尚未批准任何减免或分期" in row and "已批准" not in row
    assert f'data-open-plan="{plan.id}"' in section

    again, message = _propose(browser, csrf, desk.case.id)
    assert again == 409 and f"already has plan {plan.id} open" in message
    assert db_session.scalars(select(Plan).where(Plan.case_id == desk.case.id)).all() == [plan]


def test_a_bad_proposal_is_one_message_and_writes_nothing(browser: TestClient, db_session: Session, desk: Desk) -> None:
    csrf = sign_in(browser, desk.collector.username)
    for fields, expected in (
        ({"waive_charges": "99999.00"}, "cannot waive 99999.00 of charges"),
        ({"periods": "0"}, "periods:"),
        ({"reason": "   "}, "reason:"),
        ({"kind": "settle_for_less", "amount": ""}, "needs a positive amount"),
        ({"effective_on": "3月3日"}, "effective_on:"),
    ):
        status, text = _propose(browser, csrf, desk.case.id, **fields)
        assert status == 422, (fields, text)
        assert expected in text and 'class="alert bad"' in text and "Traceback" not in text
    assert db_session.scalars(select(Plan)).all() == []


def test_a_colleagues_case_is_not_found_for_reading_proposing_or_uploading(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    csrf = sign_in(browser, desk.collector.username)
    theirs = desk.colleagues_case.id
    assert browser.get(f"/cases/{theirs}/negotiation", headers=HX).status_code == 404
    assert browser.get(f"/cases/{theirs}/negotiation/options", headers=HX).status_code == 404
    status, text = _propose(browser, csrf, theirs)
    assert status == 404 and f"no case {theirs}" in text
    upload = browser.post(
        f"/cases/{theirs}/negotiation/evidence",
        files={"file": ("income.pdf", PDF, "application/pdf")},
        data={"kind": "income_statement"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert upload.status_code == 404
    assert db_session.scalars(select(Plan)).all() == [] and db_session.scalars(select(Evidence)).all() == []
    assert not any(desk.files.rglob("*.*")) and not (desk.files / "evidence").exists()


def test_evidence_is_uploaded_listed_as_waiting_and_a_bad_file_is_refused_with_one_message(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    csrf = sign_in(browser, desk.collector.username)
    url = f"/cases/{desk.case.id}/negotiation/evidence"
    headers = {**HX, "X-CSRF-Token": csrf}
    for name, content, expected in (
        ("notes.txt", b"just some words", "is not a PDF, JPEG or PNG file"),
        ("photo.pdf", b"\xff\xd8\xff\xe0 a jpeg", "holds image/jpeg but is named .pdf"),
        ("empty.pdf", b"", "is empty"),
    ):
        refused = browser.post(
            url, files={"file": (name, content, "application/pdf")}, data={"kind": "other"}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        assert expected in refused.text and refused.text.count('class="alert bad"') == 1
    no_kind = browser.post(
        url, files={"file": ("income.pdf", PDF, "application/pdf")}, data={"kind": "payslip"}, headers=headers
    )
    assert no_kind.status_code == 422 and "kind" in no_kind.text
    assert db_session.scalars(select(Evidence)).all() == []
    assert not (desk.files / "evidence").exists() or not any((desk.files / "evidence").iterdir())

    uploaded = browser.post(
        url,
        files={"file": ("收入证明.pdf", PDF, "application/pdf")},
        data={"kind": "income_statement"},
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    row = db_session.scalars(select(Evidence)).one()
    assert (row.case_id, row.status, row.uploaded_by) == (desk.case.id, EvidenceStatus.PENDING, desk.collector.username)
    assert f'data-uploaded="{row.id}"' in uploaded.text and "收入证明.pdf" in uploaded.text
    listed = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX).text
    line = listed.split(f'data-evidence="{row.id}"')[1].split("</tr>")[0]
    assert "等待核实" in line and "收入或流水证明" in line


def test_someone_who_may_read_but_not_propose_sees_the_plans_without_the_forms(
    browser: TestClient, db_session: Session, factories: Factories, desk: Desk
) -> None:
    plan_in = {
        "kind": "freeze",
        "effective_on": TODAY.isoformat(),
        "periods": 24,
        "reason": "重病住院",
    }
    plan = service.propose(
        db_session=db_session,
        tenant_id=desk.tenant.id,
        case_id=desk.case.id,
        plan_in=PlanIn.model_validate(plan_in),
        actor=service.Actor(desk.collector.username, desk.collector.id, desk.collector.role),
    )
    approver = factories.user(desk.tenant, Role.APPROVER, password_hash=_HASH)
    csrf = sign_in(browser, approver.username)
    assert f"/cases/{desk.case.id}/negotiation" not in browser.get(f"/cases/{desk.case.id}").text
    section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX)
    assert section.status_code == 200
    assert f'data-plan="{plan.id}"' in section.text and "propose-form" not in section.text
    assert "evidence-form" not in section.text and "data-option" not in section.text
    status, _ = _propose(browser, csrf, desk.case.id)
    assert status == 403


def test_a_proposal_needs_the_pages_security_token_and_works_without_scripts(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    csrf = sign_in(browser, desk.collector.username)
    form = {"kind": "freeze", "effective_on": TODAY.isoformat(), "periods": "24", "reason": "重病住院"}
    forged = browser.post(f"/cases/{desk.case.id}/negotiation/plans", data=form, headers=HX)
    assert forged.status_code == 403
    assert db_session.scalars(select(Plan)).all() == []

    plain = browser.post(f"/cases/{desk.case.id}/negotiation/plans", data={**form, "csrf_token": csrf})
    assert plain.status_code == 303 and plain.headers["location"] == f"/cases/{desk.case.id}#negotiation"
    plan = db_session.scalars(select(Plan)).one()
    assert (plan.kind, plan.status, plan.periods) == (PlanKind.FREEZE, PlanStatus.PROPOSED, 24)

    uploaded = browser.post(
        f"/cases/{desk.case.id}/negotiation/evidence",
        files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n a scan", "image/png")},
        data={"kind": "medical_certificate", "csrf_token": csrf},
    )
    assert uploaded.status_code == 303
    assert db_session.scalars(select(Evidence.media_type)).all() == ["image/png"]


def test_the_section_speaks_the_persons_language(browser: TestClient, db_session: Session, desk: Desk) -> None:
    csrf = sign_in(browser, desk.collector.username)
    _propose(browser, csrf, desk.case.id)
    for lang, words in (
        ("en", ("Negotiation", "Awaiting approval: nothing is granted yet", "Lender expects to recover")),
        ("zh-TW", ("協商還款方案", "等待審批", "預計可回收")),
    ):
        chosen = browser.post("/language", data={"lang": lang}, headers={"X-CSRF-Token": csrf})
        assert chosen.status_code == 303
        section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX).text
        assert all(word in section for word in words), (lang, [word for word in words if word not in section])


def test_a_case_id_beyond_the_id_columns_is_bad_input_not_a_server_error(browser: TestClient, desk: Desk) -> None:
    csrf = sign_in(browser, desk.collector.username)
    for path in ("negotiation", "negotiation/options"):
        answer = browser.get(f"/cases/{2**31}/{path}", headers=HX)
        assert answer.status_code == 422 and "case_id" in answer.text
    status, _ = _propose(browser, csrf, 2**63)
    assert status == 422


def test_an_option_chosen_beside_the_calculator_fills_the_proposal_form(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    csrf = sign_in(browser, desk.collector.username)
    section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX).text
    button = section.split('data-option="settle_for_less"')[1].split("</tr>")[0]
    assert 'data-use="settle_for_less"' in button and "/negotiation/proposal-form" in button
    terms = {"kind": "settle_for_less", "periods": "12", "effective_on": "2026-03-05", "amount": "3100.00"}
    form = browser.get(f"/cases/{desk.case.id}/negotiation/proposal-form", params=terms, headers=HX)
    assert form.status_code == 200
    assert '<option value="settle_for_less" selected>' in form.text
    assert 'value="3100.00"' in form.text and 'value="2026-03-05"' in form.text
    assert db_session.scalars(select(Plan)).all() == []  # filling the form writes nothing

    status, text = _propose(browser, csrf, desk.case.id, **terms)
    assert status == 200, text
    plan = db_session.scalars(select(Plan)).one()
    assert (plan.kind, plan.debtor_total, plan.status) == (PlanKind.SETTLE_FOR_LESS, 3100, PlanStatus.PROPOSED)
    assert plan.waived_total > 0 and plan.decided_by is None


def test_a_case_with_two_loans_has_a_calculator_for_each_and_the_plan_names_its_loan(
    browser: TestClient, db_session: Session, desk: Desk
) -> None:
    first = db_session.scalars(select(Loan).where(Loan.borrower_id == desk.case.borrower_id)).one()
    second = Loan(
        tenant_id=first.tenant_id,
        borrower_id=first.borrower_id,
        product_id=first.product_id,
        rule_version_id=first.rule_version_id,
        account_number=f"{first.account_number}-2",
        principal=Decimal("500.00"),
        contract_date=date(2026, 1, 15),
        disbursed_on=date(2026, 1, 15),
    )
    db_session.add(second)
    db_session.flush()
    db_session.add(
        Installment(
            loan_id=second.id,
            number=1,
            due_date=date(2026, 2, 15),
            principal_due=Decimal("500.00"),
            interest_due=Decimal("20.00"),
        )
    )
    db_session.flush()
    csrf = sign_in(browser, desk.collector.username)
    section = browser.get(f"/cases/{desk.case.id}/negotiation", headers=HX).text
    assert f'data-loan="{first.id}"' in section and f'data-loan="{second.id}"' in section
    assert '<select id="p-loan" name="loan_id">' in section

    status, text = _propose(browser, csrf, desk.case.id, loan_id=str(second.id), periods="2")
    assert status == 200, text
    plan = db_session.scalars(select(Plan)).one()
    assert (plan.loan_id, plan.status) == (second.id, PlanStatus.PROPOSED)
    # the small loan's balance, not the first loan's: 500.00 + 20.00 + 1% x 520.00 x 16 days late
    assert plan.debtor_total == Decimal("603.20")
