"""The next line for what the debtor just said, from the library, filled with the case's own figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.delinquency.daily_pass import run_pass
from arrears.org.models import Tenant
from arrears.scripts.intents import Intent
from arrears.scripts.library.bundled import load_shipped, seed
from arrears.scripts.library.enums import Locale, Objection
from arrears.scripts.suggest import Suggestion, suggest
from tests.factories import Factories

AS_OF = date(2026, 2, 20)


def overdue_case(db_session: Session, factories: Factories) -> tuple[Case, int]:
    loan = factories.loan()
    tenant = db_session.get_one(Tenant, loan.tenant_id)
    run_pass(db_session=db_session, as_of=AS_OF, tenant_code=tenant.code)
    seed(db_session=db_session, at=datetime(2026, 1, 1, tzinfo=UTC))
    case = db_session.scalars(select(Case).where(Case.borrower_id == loan.borrower_id)).one()
    return case, factories.user(tenant).id


def ask(db_session: Session, case: Case, collector: int, utterance: str, locale: Locale = Locale.ZH_CN) -> Suggestion:
    return suggest(
        db_session=db_session,
        case_id=case.id,
        utterance=utterance,
        today=AS_OF,
        settings=load_shipped().defaults,
        locale=locale,
        collector_user_id=collector,
    )


def test_each_utterance_gets_the_library_answer_filled_with_the_case(db_session: Session, factories: Factories) -> None:
    """One seeded library for the three cases: seeding lints every shipped script, which takes a while."""
    case, collector = overdue_case(db_session, factories)

    verify = ask(db_session, case, collector, "你是哪个公司的？我怎么知道你不是骗子，报一下你的工号")
    assert verify.classification.intent is Intent.VERIFY_IDENTITY
    assert Objection.VERIFY_IDENTITY.value in verify.key
    assert verify.text and "{{" not in verify.text

    agree = ask(db_session, case, collector, "好的，我现在就转账")
    assert agree.classification.intent is Intent.AGREE_TO_PAY_NOW
    assert agree.text

    paid = ask(db_session, case, collector, "I already paid this last week, check your records", Locale.EN)
    assert paid.classification.intent is Intent.ALREADY_PAID
    assert paid.text and not any("\u4e00" <= ch <= "\u9fff" for ch in paid.text)
