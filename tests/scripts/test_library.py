"""The script library on both back ends: linted drafts, versions, maker-checker approval, fallback, YAML."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.errors import Conflict, InvalidInput
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.enums import Gender
from arrears.portfolio.models import Borrower
from arrears.scripts.library import exchange, flows, service
from arrears.scripts.library.context import ScriptSettings, context_for_case
from arrears.scripts.library.enums import Locale, ScriptStatus
from arrears.scripts.library.keys import parse_key
from arrears.scripts.library.models import Script

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = "early/debtor/ask_payment_today/-/-"
POLITE = {"zh-CN": "您好，今天方便通过{{ payment_channels|channels }}还款吗？", "en": "Could you pay today?"}


def _draft(db_session: Session, tenant: Tenant, texts: dict[str, str], key: str = KEY, author: str = "maker") -> Script:
    script_in = flows.ScriptIn(key=key, tenant_id=tenant.id, effective_from=date(2026, 3, 1))
    return flows.save_draft(db_session=db_session, script_in=script_in, texts_by_locale=texts, author=author)


def _checker(factories: object, tenant: Tenant) -> User:
    return factories.user(tenant, role=Role.COMPLIANCE)  # type: ignore[attr-defined,no-any-return]


def test_a_threatening_draft_is_refused_with_rule_excerpt_and_locale(db_session: Session, factories: object) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match=r"zh-CN threat_\w+ «") as refused:
        _draft(db_session, tenant, {"zh-CN": "再不还钱，我就找人打断你的腿。", "en": "Please pay today."})
    assert KEY in refused.value.one_line()
    assert db_session.scalars(select(Script).where(Script.tenant_id == tenant.id)).all() == []


@pytest.mark.parametrize(
    "texts",
    [
        {"zh-CN": "您好，关于{{ debtor_name }}的欠款，请他回电。"},
        {"zh-CN": "请转告{{ debtor_name }}回电。", "zh-TW": "他的帳款已經逾期了。"},
        {"zh-CN": "请转告他回电。", "en": "Please tell {{ debtor_name }} that the loan is overdue."},
        {"zh-CN": "请转告他回电。", "en": "He owes us money."},
    ],
)
def test_a_third_party_script_that_mentions_the_debt_is_refused(
    db_session: Session, factories: object, texts: dict[str, str]
) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="third_party_disclosure"):
        _draft(db_session, tenant, texts, key="any/third_party/secure_promise/-/-")


def test_a_template_with_an_unknown_variable_is_refused_naming_it(db_session: Session, factories: object) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="unknown variable 'id_number'"):
        _draft(db_session, tenant, {"zh-CN": "您的身份证号是{{ id_number }}。"})


def test_each_save_with_new_text_is_a_new_version_and_same_text_is_not(db_session: Session, factories: object) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    first = _draft(db_session, tenant, POLITE)
    again = _draft(db_session, tenant, POLITE)
    second = _draft(db_session, tenant, {**POLITE, "en": "Could you pay it today?"})
    assert (first.version, again.id, second.version) == (1, first.id, 2)
    actions = db_session.scalars(
        select(AuditRecord.action).where(AuditRecord.subject_type == "script", AuditRecord.tenant_id == tenant.id)
    ).all()
    assert actions == ["script.drafted", "script.drafted"]


def test_only_a_compliance_user_who_did_not_write_it_approves(db_session: Session, factories: object) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    collector = factories.user(tenant, role=Role.TEAM_LEAD)  # type: ignore[attr-defined]
    maker = _checker(factories, tenant)
    script = _draft(db_session, tenant, POLITE, author=maker.username)
    with pytest.raises(InvalidInput, match="only compliance"):
        flows.approve(db_session=db_session, script_id=script.id, approver=collector, at=NOW)
    with pytest.raises(InvalidInput, match="cannot also approve"):
        flows.approve(db_session=db_session, script_id=script.id, approver=maker, at=NOW)
    other_tenant = _checker(factories, factories.tenant())  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="not a user of the script's tenant"):
        flows.approve(db_session=db_session, script_id=script.id, approver=other_tenant, at=NOW)
    checker = _checker(factories, tenant)
    approved = flows.approve(db_session=db_session, script_id=script.id, approver=checker, at=NOW)
    assert (approved.status, approved.approver, approved.approved_at) == (ScriptStatus.APPROVED, checker.username, NOW)
    with pytest.raises(Conflict):
        flows.approve(db_session=db_session, script_id=script.id, approver=checker, at=NOW)


def test_approving_retires_the_previous_version_from_the_new_ones_first_day(
    db_session: Session, factories: object
) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    checker = _checker(factories, tenant)
    first = _draft(db_session, tenant, POLITE)
    flows.approve(db_session=db_session, script_id=first.id, approver=checker, at=NOW)
    script_in = flows.ScriptIn(key=KEY, tenant_id=tenant.id, effective_from=date(2026, 4, 1))
    texts = {**POLITE, "en": "Could you pay it today?"}
    second = flows.save_draft(db_session=db_session, script_in=script_in, texts_by_locale=texts, author="maker")
    flows.approve(db_session=db_session, script_id=second.id, approver=checker, at=NOW)
    assert (first.status, first.effective_to) == (ScriptStatus.RETIRED, date(2026, 4, 1))
    key = parse_key(KEY)

    def in_force(day: date) -> int:
        found = service.get_published(db_session=db_session, tenant_id=tenant.id, key=key, as_of=day, locale=Locale.EN)
        return found.script.id

    assert (in_force(date(2026, 3, 31)), in_force(date(2026, 4, 1))) == (first.id, second.id)


def test_the_shipped_library_cannot_be_approved_per_tenant(db_session: Session, factories: object) -> None:
    script_in = flows.ScriptIn(key="any/debtor/close/-/-", tenant_id=None, effective_from=date(2026, 1, 1))
    script = flows.save_draft(db_session=db_session, script_in=script_in, texts_by_locale=POLITE, author="maker")
    checker = _checker(factories, factories.tenant())  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="shipped library"):
        flows.approve(db_session=db_session, script_id=script.id, approver=checker, at=NOW)


def _library(db_session: Session, keys: dict[str, str]) -> None:
    scripts = {key: {"zh-CN": text, "en": text} for key, text in keys.items()}
    flows.seed_shipped(db_session=db_session, scripts=scripts, effective_from=date(2026, 1, 1), at=NOW)


def test_fallback_prefers_objection_then_persona_then_stage_then_the_tenants_own(
    db_session: Session, factories: object
) -> None:
    _library(
        db_session,
        {
            "early/debtor/ask_payment_today/-/-": "library step",
            "early/debtor/ask_payment_today/hostile/-": "library hostile step",
            "any/debtor/listen_reason/-/no_money": "library objection",
        },
    )
    tenant = factories.tenant()  # type: ignore[attr-defined]
    checker = _checker(factories, tenant)
    own = _draft(db_session, tenant, {"zh-CN": "tenant step", "en": "tenant step"})
    flows.approve(db_session=db_session, script_id=own.id, approver=checker, at=NOW)

    def chosen(key: str, tenant_id: int | None = tenant.id) -> str:
        found = service.get_published(
            db_session=db_session, tenant_id=tenant_id, key=parse_key(key), as_of=date(2026, 3, 5), locale=Locale.EN
        )
        return found.template

    assert chosen("early/debtor/ask_payment_today/-/-") == "tenant step"
    assert chosen("early/debtor/ask_payment_today/-/-", tenant_id=None) == "library step"
    assert chosen("early/debtor/ask_payment_today/hostile/-") == "library hostile step"
    assert chosen("early/debtor/ask_payment_today/victim/-") == "tenant step"
    assert chosen("early/debtor/ask_payment_today/hostile/no_money") == "library objection"
    assert chosen("early/debtor/ask_payment_today/-/refuse_to_pay") == "tenant step"


def test_yaml_round_trip_is_idempotent_and_errors_name_file_key_and_locale(
    db_session: Session, factories: object, tmp_path: Path
) -> None:
    tenant = factories.tenant()  # type: ignore[attr-defined]
    _draft(db_session, tenant, POLITE)
    _draft(db_session, tenant, {"zh-CN": "感谢您的配合，再见。"}, key="early/debtor/close/-/-")
    exported = tmp_path / "scripts.yaml"
    exported.write_text(exchange.export_yaml(db_session=db_session, tenant_id=tenant.id), encoding="utf-8")
    other = factories.tenant()  # type: ignore[attr-defined]

    def load(path: Path) -> exchange.ImportReport:
        return exchange.import_yaml(
            db_session=db_session, path=path, author="reviewer", tenant_id=other.id, effective_from=date(2026, 3, 1)
        )

    assert load(exported).saved == ["early/debtor/ask_payment_today/-/-", "early/debtor/close/-/-"]
    assert load(exported).unchanged == ["early/debtor/ask_payment_today/-/-", "early/debtor/close/-/-"]
    assert exchange.export_yaml(db_session=db_session, tenant_id=other.id).replace("reviewer", "maker") == (
        exported.read_text(encoding="utf-8")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("scripts:\n  - key: early/debtor/close/-/-\n    texts: {zh-CN: 你这个老赖}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="zh-CN insult") as refused:
        load(bad)
    assert refused.value.one_line().startswith(f"{bad}: early/debtor/close/-/-: ")


def test_the_context_of_a_case_comes_from_the_database(db_session: Session, factories: object) -> None:
    loan = factories.loan()  # type: ignore[attr-defined]
    borrower = db_session.get_one(Borrower, loan.borrower_id)
    borrower.gender = Gender.FEMALE
    case = factories.case(borrower)  # type: ignore[attr-defined]
    collector = factories.user(db_session.get_one(Tenant, loan.tenant_id))  # type: ignore[attr-defined]
    settings = ScriptSettings(hotline="400-000-1111", payment_channels={Locale.ZH_CN: ["官方APP"]})
    context = context_for_case(
        db_session=db_session,
        case_id=case.id,
        collector_user_id=collector.id,
        as_of=date(2026, 3, 5),
        settings=settings,
    )
    assert (context.debtor_name, context.gender, context.staff_number) == (
        borrower.name,
        "female",
        collector.staff_number,
    )
    assert context.company == db_session.get_one(Tenant, loan.tenant_id).name
    assert context.variables(Locale.ZH_TW)["addressee"] == f"{borrower.name}小姐"
    assert context.variables(Locale.EN)["payment_channels"] == ["官方APP"]
