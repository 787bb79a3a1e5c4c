"""The document pack prints the borrower's name in a CJK font; outcomes sum exactly per proceeding and kind."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.models import CommsTemplate, Message
from arrears.contact.enums import ContactChannel, Outcome, Party
from arrears.contact.models import ContactAttempt
from arrears.errors import NotFound
from arrears.legal import outcomes, pack, service
from arrears.legal.enums import AmountKind, ProceedingKind
from arrears.legal.schemas import AmountIn
from arrears.portfolio.models import Borrower
from tests.factories import Factories
from tests.legal.helpers import MAKER, audit_actions, legal_case, open_proceeding, ready_referral, served_payment_order
from tests.legal.pdftext import fallback_text, pdf_text

AT = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


def letter(db_session: Session, case_id: int, at: datetime) -> None:
    db_session.add(
        ContactAttempt(
            case_id=case_id,
            channel=ContactChannel.LETTER,
            party=Party.DEBTOR,
            attempted_at=at,
            outcome=Outcome.DELIVERED,
            pack_version="cn-test",
        )
    )
    db_session.flush()


@pytest.mark.parametrize("force_fallback", [False, True], ids=["pdftotext", "fallback-reader"])
def test_the_pack_is_a_pdf_with_the_borrowers_chinese_name_and_the_deadline(
    db_session: Session, factories: Factories, tmp_path: Path, force_fallback: bool
) -> None:
    subject = legal_case(factories)
    borrower = db_session.get_one(Borrower, subject.case.borrower_id)
    borrower.name = "欧阳锦绣"
    borrower.resident_id = "110101199003071234"
    factories.payment(subject.loan, "120.00", date(2026, 2, 10))
    letter(db_session, subject.case.id, datetime(2026, 2, 20, 3, 0, tzinfo=UTC))
    referral = ready_referral(db_session, subject.case)
    served_payment_order(db_session, referral, served_on=date(2026, 3, 6))

    pdf = pack.build_pack(db_session=db_session, referral_id=referral.id, at=AT, actor=MAKER)

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path, force_fallback=force_fallback)
    assert "欧阳锦绣" in text
    assert "2026-03-23" in text  # the objection deadline
    assert "110101199003071234" not in text and "1234" in text  # masked ID
    assert "诉讼材料包" in text
    assert audit_actions(db_session, "legal_referral", referral.id)[-1] == "legal.pack_generated"


def outbox_letter(db_session: Session, case: Case, sent_at: datetime, status: MessageStatus) -> None:
    template = CommsTemplate(
        tenant_id=case.tenant_id,
        key=f"collection_letter/letter-{status.value}",
        kind=TemplateKind.COLLECTION_LETTER,
        channel=MessageChannel.LETTER,
        author="maker",
        effective_from=date(2026, 1, 1),
    )
    db_session.add(template)
    db_session.flush()
    db_session.add(
        Message(
            tenant_id=case.tenant_id,
            case_id=case.id,
            template_id=template.id,
            kind=TemplateKind.COLLECTION_LETTER,
            channel=MessageChannel.LETTER,
            locale="zh-CN",
            as_of=sent_at.date(),
            idempotency_key=f"letter-{case.id}-{status.value}",
            recipient="北京市东城区某路1号",
            subject="催收函",
            body="...",
            status=status,
            sent_at=sent_at if status is not MessageStatus.QUEUED else None,
            created_by="maker",
        )
    )
    db_session.flush()


def test_the_pack_lists_sent_outbox_letters_and_hand_recorded_letters_with_the_payments(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    factories.payment(subject.loan, "120.00", date(2026, 2, 10))
    letter(db_session, subject.case.id, datetime(2026, 2, 20, 3, 0, tzinfo=UTC))
    outbox_letter(db_session, subject.case, datetime(2026, 2, 25, 1, 0, tzinfo=UTC), MessageStatus.DELIVERED)
    outbox_letter(db_session, subject.case, datetime(2026, 2, 26, 1, 0, tzinfo=UTC), MessageStatus.QUEUED)
    referral = ready_referral(db_session, subject.case)
    facts = pack.gather(db_session=db_session, referral_id=referral.id, at=AT, actor=MAKER)
    assert [(line.at, line.kind, line.source) for line in facts.letters] == [
        ("2026-02-20 11:00", "letter", "contact history"),  # shown in Shanghai time
        ("2026-02-25 09:00", "collection_letter", "outbox"),
    ]
    assert [p.amount for p in facts.loans[0].payments] == [Decimal("120.00")]
    assert len(facts.loans[0].schedule) == 3
    html = pack.render_html(facts)
    assert "Noto Sans CJK SC" in html
    assert "催收函" in html


def test_the_fallback_reader_finds_nothing_that_is_not_there(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    pdf = pack.build_pack(db_session=db_session, referral_id=referral.id, at=AT, actor=MAKER)
    text = fallback_text(pdf)
    assert "诉讼材料包" in text
    assert "欧阳锦绣" not in text


def test_a_pack_of_an_unknown_referral_is_not_found(db_session: Session) -> None:
    with pytest.raises(NotFound, match="no legal referral 987654"):
        pack.build_pack(db_session=db_session, referral_id=987654, at=AT, actor=MAKER)


def test_outcomes_sum_fees_and_recoveries_exactly_per_proceeding_and_kind(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    referral = ready_referral(db_session, subject.case)
    order = served_payment_order(db_session, referral, served_on=date(2026, 3, 6))
    lawsuit = open_proceeding(db_session, referral, ProceedingKind.LAWSUIT)
    amounts = [
        (order, "fee", "court_fee", "0.10"),
        (order, "fee", "service_fee", "0.20"),
        (order, "recovery", "voluntary", "1500.00"),
        (lawsuit, "fee", "lawyer_fee", "3000.00"),
    ]
    for proceeding, kind, category, amount in amounts:
        service.record_amount(
            db_session=db_session,
            proceeding_id=proceeding.id,
            amount_in=AmountIn(kind=AmountKind(kind), category=category, amount=Decimal(amount), on=date(2026, 3, 20)),
            actor=MAKER,
        )
    rows = {
        row.proceeding_id: row
        for row in outcomes.proceeding_outcomes(db_session=db_session, tenant_id=subject.tenant.id)
    }
    assert (rows[order.id].fees, rows[order.id].recovered, rows[order.id].net) == (
        Decimal("0.30"),
        Decimal("1500.00"),
        Decimal("1499.70"),
    )
    assert (rows[lawsuit.id].fees, rows[lawsuit.id].recovered, rows[lawsuit.id].net) == (
        Decimal("3000.00"),
        Decimal("0.00"),
        Decimal("-3000.00"),
    )
    summary = outcomes.summary_by_kind(db_session=db_session, tenant_id=subject.tenant.id)
    assert [(s.kind, s.proceedings, s.open, s.fees) for s in summary] == [
        (ProceedingKind.LAWSUIT, 1, 1, Decimal("3000.00")),
        (ProceedingKind.PAYMENT_ORDER, 1, 1, Decimal("0.30")),
    ]
    assert outcomes.proceeding_outcomes(db_session=db_session, tenant_id=factories.tenant().id) == []
