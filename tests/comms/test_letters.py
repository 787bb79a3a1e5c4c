"""The day's letters as PDF: the Chinese text is really on the pages; lawyer's letters only from an engaged firm."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.comms import MessageStatus, TemplateKind, engage_law_firm, issue_lawyer_letter, render_day
from arrears.comms.batch import preview
from arrears.comms.context import dispute_deadline
from arrears.comms.models import Message
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.org.enums import Role, TenantKind
from arrears.strategy.enums import Treatment
from tests.comms.conftest import AS_OF, SETTINGS, World, make_world
from tests.factories import Factories

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils is installed by `make system-deps`")


def pdf_text(path: Path) -> str:
    """The text on the PDF's pages as poppler reads it back (glyphs mapped to characters, not our HTML)."""
    assert PDFTOTEXT is not None
    done = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(done.stdout.decode("utf-8").split())


def pdf_pages(path: Path) -> int:
    return pdf_text_pages(path).count("\f") + 1


def pdf_text_pages(path: Path) -> str:
    assert PDFTOTEXT is not None
    done = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8").rstrip("\f")


@needs_pdftotext
def test_the_days_letter_batch_carries_the_chinese_letter_on_its_pages(
    db_session: Session, world: World, tmp_path: Path
) -> None:
    world.action(db_session, Treatment.LETTER)
    world.action(db_session, Treatment.CALL)
    loan = db_session.scalars(select(Loan).where(Loan.borrower_id == world.borrower.id)).one()

    batch = render_day(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=AS_OF,
        out_dir=tmp_path,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )

    assert len(batch.report.queued) == 1 and batch.batch is not None
    [letter] = batch.letters
    text = pdf_text(letter)
    for expected in (
        "催收函",
        "张伟",
        loan.account_number,
        "安信消费金融",
        "400-820-1234",
        "您的权利",
        "如有异议",
        "公司盖章处",
    ):
        assert expected in text, expected
    message = db_session.get_one(Message, batch.report.queued[0])
    assert message.kind is TemplateKind.COLLECTION_LETTER and message.document_path == str(letter)
    assert message.recipient == "上海市浦东新区世纪大道100号\n张伟 收"
    assert "上海市浦东新区世纪大道100号 张伟 收" in text
    assert "张伟" in pdf_text(batch.batch)


@needs_pdftotext
def test_rendering_the_day_again_adds_no_letter_and_the_batch_holds_every_letter(
    db_session: Session, factories: Factories, tmp_path: Path
) -> None:
    first = make_world(db_session, factories, tmp_path)
    second = make_world(db_session, factories, tmp_path, tenant=first.tenant)
    first.action(db_session, Treatment.LETTER)
    second.action(db_session, Treatment.LETTER)

    def render() -> list[Path]:
        batch = render_day(
            db_session=db_session,
            tenant_id=first.tenant.id,
            as_of=AS_OF,
            out_dir=tmp_path,
            sender=first.sender,
            settings=SETTINGS,
            comms=first.comms,
        )
        assert batch.batch is not None
        assert pdf_pages(batch.batch) == sum(pdf_pages(path) for path in batch.letters)
        return batch.letters

    assert len(render()) == 2
    assert len(render()) == 2
    count = db_session.scalar(select(func.count()).select_from(Message).where(Message.tenant_id == first.tenant.id))
    assert count == 2


@needs_pdftotext
def test_a_us_lenders_first_letter_is_the_validation_notice(
    db_session: Session, factories: Factories, tmp_path: Path
) -> None:
    world = make_world(db_session, factories, tmp_path, pack="us")
    world.action(db_session, Treatment.LETTER)
    batch = render_day(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=AS_OF,
        out_dir=tmp_path,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )
    [letter] = batch.letters
    text = pdf_text(letter)
    assert "Validation notice" in text and "Zhang Wei" in text
    assert "April 19, 2026" in text, "five working days to arrive, then thirty days"
    message = db_session.get_one(Message, batch.report.queued[0])
    assert (message.kind, message.locale) == (TemplateKind.VALIDATION_NOTICE, "en")

    world.action(db_session, Treatment.LETTER, as_of=date(2026, 3, 20))
    later = render_day(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=date(2026, 3, 20),
        out_dir=tmp_path,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )
    assert db_session.get_one(Message, later.report.queued[0]).kind is TemplateKind.COLLECTION_LETTER


@pytest.mark.parametrize(
    ("sent_on", "deadline"),
    [
        (date(2026, 3, 13), date(2026, 4, 19)),  # Friday: arrives the next Friday, +30
        (date(2026, 3, 16), date(2026, 4, 22)),  # Monday: arrives Monday, +30
        (date(2026, 3, 14), date(2026, 4, 19)),  # Saturday counts no working day itself
    ],
)
def test_the_dispute_deadline_counts_five_working_days_then_thirty(sent_on: date, deadline: date) -> None:
    assert dispute_deadline(sent_on) == deadline


def test_a_collector_cannot_issue_a_lawyers_letter(db_session: Session, world: World, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="only from an engaged law firm"):
        issue_lawyer_letter(
            db_session=db_session,
            case_id=world.case.id,
            lawyer=world.sender,
            as_of=AS_OF,
            out_dir=tmp_path,
            settings=SETTINGS,
            comms=world.comms,
        )
    assert db_session.scalar(select(func.count()).select_from(Message)) == 0


@needs_pdftotext
def test_only_an_engaged_law_firms_lawyer_issues_a_lawyers_letter(
    db_session: Session, world: World, factories: Factories, tmp_path: Path
) -> None:
    firm = factories.tenant()
    firm.kind, firm.name = TenantKind.LAW_FIRM, "恒信律师事务所"
    lawyer = factories.user(firm, role=Role.OPERATIONS)
    lawyer.display_name = "王芳"
    assignment_owner = factories.user(world.tenant)
    from arrears.cases.models import CaseAssignment

    db_session.add(CaseAssignment(case_id=world.case.id, user_id=assignment_owner.id))
    db_session.flush()

    def issue(on: date) -> Path:
        batch = issue_lawyer_letter(
            db_session=db_session,
            case_id=world.case.id,
            lawyer=lawyer,
            as_of=on,
            out_dir=tmp_path,
            settings=SETTINGS,
            comms=world.comms,
        )
        return batch.letters[0]

    with pytest.raises(InvalidInput, match="not engaged"):
        issue(AS_OF)
    engage_law_firm(
        db_session=db_session,
        tenant_id=world.tenant.id,
        law_firm_id=firm.id,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        actor="ops",
    )
    text = pdf_text(issue(AS_OF))
    assert "律师函" in text and "恒信律师事务所" in text and "王芳" in text and "张伟" in text
    with pytest.raises(InvalidInput, match="not engaged"):
        issue(date(2026, 4, 1))


def test_a_lender_cannot_be_engaged_as_a_law_firm(db_session: Session, world: World, factories: Factories) -> None:
    other = factories.tenant()
    with pytest.raises(InvalidInput, match="not a law firm"):
        engage_law_firm(
            db_session=db_session,
            tenant_id=world.tenant.id,
            law_firm_id=other.id,
            starts_on=AS_OF,
            ends_on=None,
            actor="ops",
        )


def test_the_preview_is_the_letter_as_html_with_its_text_escaped(
    db_session: Session, world: World, tmp_path: Path
) -> None:
    world.action(db_session, Treatment.LETTER)
    batch = render_day(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=AS_OF,
        out_dir=tmp_path,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )
    message = db_session.get_one(Message, batch.report.queued[0])
    message.body += "\n\n<script>alert(1)</script>"
    html = preview(message, hotline=SETTINGS.hotline, company=world.tenant.name)
    assert "Noto Sans CJK SC" in html and "WenQuanYi Micro Hei" in html
    assert "<h1>催收函</h1>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert message.status is MessageStatus.QUEUED
