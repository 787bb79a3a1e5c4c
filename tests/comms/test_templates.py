"""Templates: the shipped set in three locales, content rules, and maker-checker approval."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from arrears.comms import MessageChannel, TemplateIn, TemplateKind, TextIn, approve, save_draft, seed_shipped
from arrears.comms.flows import load_shipped
from arrears.comms.rules import TemplateTexts, check_template_texts
from arrears.comms.service import get_published
from arrears.errors import Conflict, InvalidInput
from arrears.org.enums import Role
from arrears.scripts.library.enums import Locale, ScriptStatus
from tests.comms.conftest import World
from tests.factories import Factories

AT = datetime(2026, 3, 1, tzinfo=UTC)
SMS = (
    "【{{ company }}】{{ addressee }}您好，您有{{ amount_overdue|money }}已逾期，"
    "请通过官方渠道还款，疑问请致电{{ hotline }}。{{ opt_out }}"
)


def draft(db_session: Session, tenant_id: int, author: str, body: str = SMS, key: str = "payment_reminder/sms") -> int:
    template_in = TemplateIn(
        key=key, tenant_id=tenant_id, effective_from=date(2026, 3, 1), texts={"zh-CN": TextIn(body=body)}
    )
    return save_draft(db_session=db_session, template_in=template_in, author=author).id


def test_every_shipped_template_has_three_locales_and_zh_tw_is_traditional() -> None:
    shipped = load_shipped()
    assert {key.partition("/")[0] for key in shipped} == {kind.value for kind in TemplateKind}
    for key, texts in shipped.items():
        assert set(texts) == {"zh-CN", "zh-TW", "en"}, key
    assert "還款" in shipped["payment_reminder/sms"]["zh-TW"].body
    assert "还款" not in shipped["payment_reminder/sms"]["zh-TW"].body


def test_seeding_twice_changes_nothing(db_session: Session, world: World) -> None:
    again = seed_shipped(db_session=db_session, at=AT)
    assert again.created == [] and len(again.unchanged) == len(load_shipped())


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "{{ addressee }}，再不还钱就等着坐牢吧，欠款{{ amount_overdue|money }}，{{ hotline }}。{{ opt_out }}",
            "threat",
        ),
        ("{{ addressee }}您好，您有{{ amount_overdue|money }}已逾期，请致电{{ hotline }}。", "opt_out"),
        ("{{ addressee }}您好，请致电{{ hotline }}。{{ opt_out }}", "amount_overdue"),
        ("您好，您有{{ amount_overdue|money }}已逾期，请致电{{ hotline }}。{{ opt_out }}", "addressee"),
    ],
)
def test_a_draft_breaking_the_content_rules_is_refused_naming_the_problem(body: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        check_template_texts(TemplateKind.PAYMENT_REMINDER, MessageChannel.SMS, {"zh-CN": TemplateTexts(body=body)})


def test_an_sms_too_long_to_read_as_one_message_is_refused() -> None:
    body = "{{ addressee }}您好，您有{{ amount_overdue|money }}已逾期，请致电{{ hotline }}。" + "请尽快处理。" * 50
    with pytest.raises(InvalidInput, match="sms_too_long"):
        check_template_texts(
            TemplateKind.PAYMENT_REMINDER, MessageChannel.SMS, {"zh-CN": TemplateTexts(body=body + "{{ opt_out }}")}
        )


def test_a_collection_letter_must_state_the_contract_it_rests_on() -> None:
    body = (
        "{{ addressee }}：截至{{ letter_date|date }}，您欠{{ company }}{{ payoff_amount|money }}。"
        "核实请拨打{{ hotline }}。"
    )
    with pytest.raises(InvalidInput, match=r"missing_variable «contract_date».*missing_variable «loan_accounts»"):
        check_template_texts(TemplateKind.COLLECTION_LETTER, MessageChannel.LETTER, {"zh-CN": TemplateTexts(body=body)})


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("collection_letter/sms", "cannot be sent by sms"),
        ("reminder/sms", "unknown template kind"),
        ("payment_reminder/fax", "unknown channel"),
    ],
)
def test_a_key_must_name_a_kind_its_channel_can_carry(
    db_session: Session, world: World, key: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        draft(db_session, world.tenant.id, "maker", key=key)


def test_a_template_is_approved_by_another_compliance_user_and_then_wins_over_the_shipped_one(
    db_session: Session, world: World, factories: Factories
) -> None:
    maker = factories.user(world.tenant, role=Role.COMPLIANCE)
    checker = factories.user(world.tenant, role=Role.COMPLIANCE)
    collector = factories.user(world.tenant)
    template_id = draft(db_session, world.tenant.id, maker.username)

    def published() -> int:
        return get_published(
            db_session=db_session,
            tenant_id=world.tenant.id,
            kind=TemplateKind.PAYMENT_REMINDER,
            channel=MessageChannel.SMS,
            as_of=date(2026, 3, 2),
            locale=Locale.ZH_CN,
        ).template.id

    shipped = published()
    assert shipped != template_id, "a draft is not in force"
    with pytest.raises(InvalidInput, match="cannot also approve"):
        approve(db_session=db_session, template_id=template_id, approver=maker, at=AT)
    with pytest.raises(InvalidInput, match="only compliance"):
        approve(db_session=db_session, template_id=template_id, approver=collector, at=AT)
    approved = approve(db_session=db_session, template_id=template_id, approver=checker, at=AT)
    assert (approved.status, approved.approver) == (ScriptStatus.APPROVED, checker.username)
    assert published() == template_id
    with pytest.raises(Conflict, match="only a draft"):
        approve(db_session=db_session, template_id=template_id, approver=checker, at=AT)

    second = draft(db_session, world.tenant.id, maker.username, body=SMS.replace("您好", "你好"))
    approve(db_session=db_session, template_id=second, approver=checker, at=AT)
    assert published() == second
    assert approved.status is ScriptStatus.RETIRED


def test_saving_the_same_texts_again_adds_no_version(db_session: Session, world: World) -> None:
    assert draft(db_session, world.tenant.id, "maker") == draft(db_session, world.tenant.id, "maker")
