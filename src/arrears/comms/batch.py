"""The day's letters (信函批次): every letter action of a run date as one PDF per letter and one batch PDF.

Each letter is first queued as a message (the same idempotency key as its
action, so rendering the day twice adds no letter), then laid out with
:mod:`arrears.comms.letters`. The batch holds the letters that may still go out
(queued or already handed to print); the sender hands each one to the print
channel through the guard like any other message.

A US-pack tenant's first letter on a case is the validation notice; later ones
are collection letters. A lawyer's letter (律师函) is never planned by the run:
only a user of an engaged law firm issues one (:func:`issue_lawyer_letter`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.comms import service
from arrears.comms.config import CommsSettings
from arrears.comms.context import letter_facts, recipient
from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.letters import LetterDocument, letter_html, write_pdfs
from arrears.comms.models import Message
from arrears.comms.outbox import MessageRequest, QueueReport, actions_for, opt_out_text, queue_into, queue_message
from arrears.comms.templates import render
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.org.enums import TenantKind
from arrears.org.models import User
from arrears.scripts.library import ScriptSettings
from arrears.scripts.library.enums import Locale
from arrears.strategy.enums import Treatment

BATCH_FILE = "batch.pdf"


@dataclass
class LetterBatch:
    """What ``arrears letters render`` produced: the queue report, each letter's PDF and the batch PDF."""

    report: QueueReport
    letters: list[Path] = field(default_factory=list)
    batch: Path | None = None


def tenant_letters_dir(data_dir: Path, tenant_id: int) -> Path:
    """Where a lender's rendered letters live: one folder per tenant, so no lender's batch overwrites another's."""
    return data_dir / "letters" / f"tenant-{tenant_id}"


def render_day(
    *,
    db_session: Session,
    tenant_id: int,
    as_of: date,
    out_dir: Path,
    sender: User | None,
    settings: ScriptSettings,
    comms: CommsSettings,
    seal_path: Path | None = None,
    actor: str | None = None,
) -> LetterBatch:
    """Queue and render every letter the run planned for ``as_of``; writes PDFs under ``out_dir``."""
    tenant = tenants.get(db_session=db_session, tenant_id=tenant_id)
    report = QueueReport()
    messages: list[Message] = []
    for action in actions_for(db_session=db_session, tenant_id=tenant_id, as_of=as_of, treatments=(Treatment.LETTER,)):
        kind = TemplateKind.COLLECTION_LETTER
        if tenant.compliance_pack == "us" and TemplateKind.VALIDATION_NOTICE not in service.sent_kinds(
            db_session=db_session, case_id=action.case_id
        ):
            kind = TemplateKind.VALIDATION_NOTICE
        request = MessageRequest(
            case_id=action.case_id,
            kind=kind,
            channel=MessageChannel.LETTER,
            as_of=as_of,
            idempotency_key=f"action:{action.key}",
            action_key=action.key,
        )
        message = queue_into(
            report, db_session=db_session, request=request, sender=sender, settings=settings, comms=comms, actor=actor
        )
        if message is not None and message.status in (
            MessageStatus.QUEUED,
            MessageStatus.SENT,
            MessageStatus.DELIVERED,
        ):
            messages.append(message)
    return _write(db_session, report, messages, out_dir / f"letters-{as_of.isoformat()}", settings, seal_path)


def issue_lawyer_letter(
    *,
    db_session: Session,
    case_id: int,
    lawyer: User,
    as_of: date,
    out_dir: Path,
    settings: ScriptSettings,
    comms: CommsSettings,
    seal_path: Path | None = None,
) -> LetterBatch:
    """A lawyer's letter on a case, issued by a user of a law firm the case's lender has engaged on ``as_of``."""
    firm = tenants.get(db_session=db_session, tenant_id=lawyer.tenant_id)
    if firm.kind is not TenantKind.LAW_FIRM:
        raise InvalidInput(
            f"{lawyer.username} is not with a law firm: lawyer's letters come only from an engaged law firm",
            where="lawyer",
            hint="a collector sends a collection letter instead",
        )
    case_tenant = _case_tenant(db_session, case_id)
    if service.live_engagement(db_session=db_session, tenant_id=case_tenant, law_firm_id=firm.id, on=as_of) is None:
        raise InvalidInput(
            f"{firm.name} is not engaged by the case's lender on {as_of.isoformat()}",
            where="lawyer",
            hint="record the engagement first",
        )
    request = MessageRequest(
        case_id=case_id,
        kind=TemplateKind.LAWYER_LETTER,
        channel=MessageChannel.LETTER,
        as_of=as_of,
        idempotency_key=f"lawyer:{firm.id}:{case_id}:{as_of.isoformat()}",
        law_firm=firm.name,
        lawyer_name=lawyer.display_name,
    )
    report = QueueReport()
    message = queue_message(db_session=db_session, request=request, sender=lawyer, settings=settings, comms=comms)
    if message.status is MessageStatus.FAILED:
        raise InvalidInput(f"the lawyer's letter breaks the content rules: {message.last_error}", where="template")
    report.queued.append(message.id)
    return _write(db_session, report, [message], out_dir / f"lawyer-{as_of.isoformat()}", settings, seal_path)


def document_for(message: Message, *, hotline: str, company: str, seal_path: Path | None = None) -> LetterDocument:
    """A queued letter message, ready for the layout."""
    return LetterDocument(
        reference=f"{message.as_of.isoformat()}-{message.id}",
        locale=Locale(message.locale),
        company=company,
        hotline=hotline,
        address=message.recipient,
        subject=message.subject or "",
        body=message.body,
        seal_path=seal_path,
    )


def preview(message: Message, *, hotline: str, company: str) -> str:
    """The letter's HTML, as it will be printed (the preview page shows this)."""
    return letter_html(document_for(message, hotline=hotline, company=company))


def _write(
    db_session: Session,
    report: QueueReport,
    messages: list[Message],
    directory: Path,
    settings: ScriptSettings,
    seal_path: Path | None,
) -> LetterBatch:
    batch = LetterBatch(report=report)
    if not messages:
        return batch
    directory.mkdir(parents=True, exist_ok=True)
    pages = []
    for message in messages:
        company = tenants.get(db_session=db_session, tenant_id=message.tenant_id).name
        pages.append(letter_html(document_for(message, hotline=settings.hotline, company=company, seal_path=seal_path)))
    each, combined = write_pdfs(pages)
    for message, pdf in zip(messages, each, strict=True):
        path = (directory / f"letter-{message.id}.pdf").resolve()
        path.write_bytes(pdf)
        message.document_path = str(path)
        batch.letters.append(path)
    db_session.flush()
    batch.batch = (directory / BATCH_FILE).resolve()
    batch.batch.write_bytes(combined)
    return batch


def _case_tenant(db_session: Session, case_id: int) -> int:
    case = db_session.get(Case, case_id)
    if case is None:
        raise InvalidInput(f"no case {case_id}", where="case")
    return case.tenant_id


@dataclass(frozen=True)
class Preview:
    """A template filled for one case, as it would be sent: subject, body and, for a letter, the page's HTML."""

    subject: str | None
    body: str
    html: str


def preview_template(
    *,
    db_session: Session,
    template_id: int,
    case_id: int,
    locale: Locale,
    as_of: date,
    sender_user_id: int | None,
    settings: ScriptSettings,
    comms: CommsSettings,
) -> Preview:
    """Any version of a template (a draft too, for its reviewer) rendered for a case; nothing is queued or sent."""
    template = service.get_template(db_session=db_session, template_id=template_id)
    text = template.text_for(locale.value)
    if text is None:
        raise InvalidInput(f"template {template.id} has no {locale.value} text", where="locale")
    case = db_session.get(Case, case_id)
    if case is None or (template.tenant_id is not None and template.tenant_id != case.tenant_id):
        raise InvalidInput(f"no case {case_id} for template {template.id}", where="case")
    opt_out = opt_out_text(channel=template.channel, locale=locale, key=f"preview:{template.id}:{case_id}", comms=comms)
    facts = letter_facts(
        db_session=db_session,
        case_id=case_id,
        sender_user_id=sender_user_id,
        as_of=as_of,
        settings=settings,
        opt_out={locale: opt_out} if opt_out else None,
        law_firm="（律师事务所）" if locale is not Locale.EN else "(law firm)",
        lawyer_name="（律师）" if locale is not Locale.EN else "(lawyer)",
    )
    body = render(text.body, facts, locale)
    subject = render(text.subject, facts, locale) if text.subject else None
    company = tenants.get(db_session=db_session, tenant_id=case.tenant_id).name
    document = LetterDocument(
        reference=f"preview-{template.id}",
        locale=locale,
        company=company,
        hotline=settings.hotline,
        address=recipient(db_session=db_session, case=case, channel=template.channel, locale=locale) or "",
        subject=subject or "",
        body=body,
    )
    return Preview(subject=subject, body=body, html=letter_html(document))
