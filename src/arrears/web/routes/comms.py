"""``/api/v1/comms``: templates, the outbox, letters, delivery reports and opt-outs.

Thin adapters over :mod:`arrears.comms`. A message is reached through its case,
so the caller's case scope applies (out of scope is 404). Sending itself is the
outbox's job (``arrears messages send``): the API queues, it never sends in the
request. The email opt-out link is the one route without a token: its HMAC
signature is the proof that the link came from one of our messages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.comms import batch, flows, optout, outbox, service
from arrears.comms.config import CommsSettings
from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.models import CommsTemplate, Message
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.scripts.library.bundled import load_shipped as shipped_scripts
from arrears.scripts.library.enums import Locale, ScriptStatus
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.scoping import case_clause, visible_case

router = APIRouter(prefix="/api/v1/comms", tags=["comms"])

MAX_ID = 2**31 - 1
"""Row ids are 32-bit integers in PostgreSQL: anything larger is refused as input, not a server error."""
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _plausible_day(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


def _plausible_moment(moment: datetime) -> datetime:
    _plausible_day(moment.date())
    return moment


def _printable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Day = Annotated[date, AfterValidator(_plausible_day)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]
Text = Annotated[str, AfterValidator(_printable)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
TemplateId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
MessageId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

Manager = Annotated[Principal, Depends(require("templates:manage"))]
Approver = Annotated[Principal, Depends(require("scripts:approve"))]
Sender = Annotated[Principal, Depends(require("messages:send"))]
Renderer = Annotated[Principal, Depends(require("letters:render"))]
Reader = Annotated[Principal, Depends(require("cases:read"))]


@cache
def comms_settings() -> CommsSettings:
    """The channel settings, read once per process from ``ARREARS_COMMS_*``."""
    return CommsSettings()


Comms = Annotated[CommsSettings, Depends(comms_settings)]


class TextModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Text = Field(min_length=1, max_length=20000)
    subject: Text | None = Field(default=None, max_length=200)


class TemplateDraftIn(BaseModel):
    """A new draft version of one of the tenant's templates; approval is a second person's act."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        max_length=80, description="<kind>/<channel>, e.g. payment_reminder/sms", examples=["payment_reminder/sms"]
    )
    effective_from: Day
    texts: dict[Locale, TextModel] = Field(min_length=1, description="zh-CN required")


class TemplateOut(BaseModel):
    id: int
    key: str
    kind: TemplateKind
    channel: MessageChannel
    version: int
    status: ScriptStatus
    shipped: bool = Field(description="part of the set shipped with Arrears (tenant NULL)")
    author: str
    approver: str | None
    effective_from: date
    effective_to: date | None
    texts: dict[str, TextModel]


class PreviewOut(BaseModel):
    subject: str | None
    body: str
    html: str


class MessageIn(BaseModel):
    """A message to queue; the same idempotency key always names the same message."""

    model_config = ConfigDict(extra="forbid")

    case_id: RowId
    kind: TemplateKind
    channel: MessageChannel
    as_of: Day
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=120, pattern=r"^[A-Za-z0-9:._-]+$")
    locale: Locale | None = None


class MessageOut(BaseModel):
    id: int
    case_id: int
    kind: TemplateKind
    channel: MessageChannel
    locale: str
    as_of: date
    idempotency_key: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_id: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    subject: str | None
    body: str
    has_pdf: bool


class LetterBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: Day


class LetterBatchOut(BaseModel):
    queued: list[int]
    existing: list[int]
    refused: list[int]
    skipped: list[str]
    letters: int
    batch_pdf: bool


class InboundSmsIn(BaseModel):
    """An SMS reply as the gateway forwards it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sender: str = Field(alias="from", max_length=40, description="the number it came from")
    text: Text = Field(max_length=1000)
    received_at: Moment


class OptOutOut(BaseModel):
    opted_out: bool
    cases: list[int]
    cancelled: list[int]


class ReceiptIn(BaseModel):
    """A delivery report (回执) for a message the provider accepted."""

    model_config = ConfigDict(extra="forbid")

    provider_id: Text = Field(min_length=1, max_length=120)
    delivered: bool
    at: Moment
    error: Text | None = Field(default=None, max_length=500)


@router.get("/templates", response_model=list[TemplateOut])
def list_templates(db_session: DbSession, principal: Manager) -> list[TemplateOut]:
    """The shipped templates and the tenant's own, every version."""
    found = service.get_all(db_session=db_session, tenant_id=None)
    found += service.get_all(db_session=db_session, tenant_id=principal.tenant_id)
    return [_template_out(template) for template in found]


@router.post("/templates", response_model=TemplateOut, status_code=201)
def draft_template(draft: TemplateDraftIn, db_session: DbSession, principal: Manager) -> TemplateOut:
    """Save a draft: checked as a template, for what its kind must say, its opt-out notice and by the linter."""
    template_in = flows.TemplateIn(
        key=draft.key,
        tenant_id=principal.tenant_id,
        effective_from=draft.effective_from,
        texts={locale.value: flows.TextIn(body=t.body, subject=t.subject) for locale, t in draft.texts.items()},
    )
    return _template_out(flows.save_draft(db_session=db_session, template_in=template_in, author=principal.actor))


@router.post("/templates/{template_id}/approve", response_model=TemplateOut)
def approve_template(
    template_id: TemplateId, request: Request, db_session: DbSession, principal: Approver
) -> TemplateOut:
    """Publish a draft: a compliance person of the tenant who did not write it (maker-checker)."""
    _own_template(db_session, principal, template_id)
    if principal.user_id is None:
        raise InvalidInput(
            "approval is a person's act: sign in as a compliance user",
            where="approver",
            hint="API tokens cannot approve",
        )
    approver = db_session.get_one(User, principal.user_id)
    clock = getattr(request.app.state, "clock", None)
    at = clock() if callable(clock) else datetime.now(UTC)
    return _template_out(flows.approve(db_session=db_session, template_id=template_id, approver=approver, at=at))


@router.get("/templates/{template_id}/preview", response_model=PreviewOut)
def preview_template(
    template_id: TemplateId,
    db_session: DbSession,
    principal: Renderer,
    comms: Comms,
    case_id: Annotated[int, Query(ge=1, le=MAX_ID, description="the case to fill it for")],
    as_of: Annotated[Day, Query()],
    locale: Annotated[Locale, Query()] = Locale.ZH_CN,
) -> PreviewOut:
    """A template (a draft too) filled for a case in scope, with the letter page's HTML. Nothing is queued."""
    _visible_template(db_session, principal, template_id)
    visible_case(db_session=db_session, principal=principal, case_id=case_id)
    shown = batch.preview_template(
        db_session=db_session,
        template_id=template_id,
        case_id=case_id,
        locale=locale,
        as_of=as_of,
        sender_user_id=principal.user_id,
        settings=shipped_scripts().defaults,
        comms=comms,
    )
    return PreviewOut(subject=shown.subject, body=shown.body, html=shown.html)


@router.post("/messages", response_model=MessageOut, status_code=201)
def queue_message(message_in: MessageIn, db_session: DbSession, principal: Sender, comms: Comms) -> MessageOut:
    """Queue one message for a case in scope; the outbox sends it through the guard. Same key, same message."""
    visible_case(db_session=db_session, principal=principal, case_id=message_in.case_id)
    key = message_in.idempotency_key or (
        f"api:{principal.tenant_id}:{message_in.case_id}:{message_in.kind.value}:"
        f"{message_in.channel.value}:{message_in.as_of.isoformat()}"
    )
    existing = service.get_by_idempotency_key(db_session=db_session, key=key)
    if existing is not None and existing.tenant_id != principal.tenant_id:
        raise InvalidInput("this idempotency key is taken", where="idempotency_key", hint="choose another key")
    request = outbox.MessageRequest(
        case_id=message_in.case_id,
        kind=message_in.kind,
        channel=message_in.channel,
        as_of=message_in.as_of,
        idempotency_key=key,
        locale=message_in.locale,
    )
    sender = db_session.get(User, principal.user_id) if principal.user_id is not None else None
    message = outbox.queue_message(
        db_session=db_session,
        request=request,
        sender=sender,
        settings=shipped_scripts().defaults,
        comms=comms,
        actor=principal.actor,
    )
    return _message_out(message)


@router.get("/messages", response_model=list[MessageOut])
def list_messages(
    db_session: DbSession,
    principal: Reader,
    as_of: Annotated[Day | None, Query()] = None,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessageOut]:
    """Messages on the cases in scope, oldest first, with their delivery state."""
    stmt = select(Message).join(Case, Case.id == Message.case_id).where(case_clause(principal))
    for column, value in ((Message.as_of, as_of), (Message.case_id, case_id), (Message.status, status)):
        if value is not None:
            stmt = stmt.where(column == value)
    return [_message_out(message) for message in db_session.scalars(stmt.order_by(Message.id).limit(limit))]


@router.get("/messages/{message_id}", response_model=MessageOut)
def get_message(message_id: MessageId, db_session: DbSession, principal: Reader) -> MessageOut:
    return _message_out(_visible_message(db_session, principal, message_id))


@router.get("/messages/{message_id}/pdf", response_class=FileResponse)
def message_pdf(message_id: MessageId, db_session: DbSession, principal: Renderer) -> FileResponse:
    """A rendered letter's PDF."""
    message = _visible_message(db_session, principal, message_id)
    if message.document_path is None or not Path(message.document_path).is_file():
        raise NotFound(f"message {message_id} has no rendered PDF", hint="render the day's letters first")
    return FileResponse(message.document_path, media_type="application/pdf", filename=f"letter-{message.id}.pdf")


@router.get("/messages/{message_id}/preview", response_class=HTMLResponse)
def message_preview(message_id: MessageId, db_session: DbSession, principal: Renderer) -> HTMLResponse:
    """A letter as its printed page, in HTML."""
    message = _visible_message(db_session, principal, message_id)
    name = tenants.get(db_session=db_session, tenant_id=message.tenant_id).name
    return HTMLResponse(batch.preview(message, hotline=shipped_scripts().defaults.hotline, company=name))


@router.post("/letters/render", response_model=LetterBatchOut)
def render_letters(
    batch_in: LetterBatchIn, request: Request, db_session: DbSession, principal: Renderer, comms: Comms
) -> LetterBatchOut:
    """Render the letters the run planned for a day (one PDF each and a batch PDF under the data directory)."""
    data_dir: Path = request.app.state.settings.data_dir
    sender = db_session.get(User, principal.user_id) if principal.user_id is not None else None
    result = batch.render_day(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        as_of=batch_in.as_of,
        out_dir=batch.tenant_letters_dir(data_dir, principal.tenant_id),
        sender=sender,
        settings=shipped_scripts().defaults,
        comms=comms,
        actor=principal.actor,
    )
    report = result.report
    return LetterBatchOut(
        queued=report.queued,
        existing=report.existing,
        refused=report.refused,
        skipped=report.skipped,
        letters=len(result.letters),
        batch_pdf=result.batch is not None,
    )


@router.post("/inbound/sms", response_model=OptOutOut)
def inbound_sms(inbound: InboundSmsIn, db_session: DbSession, principal: Sender) -> OptOutOut:
    """An SMS reply forwarded by the gateway: an opt-out keyword stops SMS on every open case of that number."""
    report = optout.handle_inbound_sms(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        sender=inbound.sender,
        text=inbound.text,
        received_at=inbound.received_at,
        actor=principal.actor,
    )
    return OptOutOut(opted_out=report.opted_out, cases=report.cases, cancelled=report.cancelled)


@router.post("/receipts", response_model=MessageOut)
def delivery_receipt(receipt: ReceiptIn, db_session: DbSession, principal: Sender) -> MessageOut:
    """A provider's delivery report for one of the tenant's messages."""
    message = outbox.record_delivery_report(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        provider_id=receipt.provider_id,
        delivered=receipt.delivered,
        at=receipt.at,
        error=receipt.error,
    )
    return _message_out(message)


@router.get("/unsubscribe", response_class=HTMLResponse)
def email_unsubscribe(
    db_session: DbSession,
    comms: Comms,
    m: Annotated[str, Query(max_length=160)],
    s: Annotated[str, Query(max_length=64)],
) -> HTMLResponse:
    """The email opt-out link (no token: the signature proves the link is ours). 退订 / unsubscribe."""
    optout.unsubscribe(db_session=db_session, key=m, signature=s, at=datetime.now(UTC), comms=comms)
    return HTMLResponse(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>退订成功 / Unsubscribed</title></head>"
        "<body><p>您已退订催收邮件。/ You will receive no more collection emails from us.</p></body></html>"
    )


def _template_out(template: CommsTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        key=template.key,
        kind=template.kind,
        channel=template.channel,
        version=template.version,
        status=template.status,
        shipped=template.tenant_id is None,
        author=template.author,
        approver=template.approver,
        effective_from=template.effective_from,
        effective_to=template.effective_to,
        texts={t.locale: TextModel(body=t.body, subject=t.subject) for t in template.texts},
    )


def _message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        case_id=message.case_id,
        kind=message.kind,
        channel=message.channel,
        locale=message.locale,
        as_of=message.as_of,
        idempotency_key=message.idempotency_key,
        status=message.status,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        provider_id=message.provider_id,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
        subject=message.subject,
        body=message.body,
        has_pdf=message.document_path is not None,
    )


def _visible_template(db_session: Session, principal: Principal, template_id: int) -> CommsTemplate:
    template = db_session.get(CommsTemplate, template_id)
    if template is None or template.tenant_id not in (None, principal.tenant_id):
        raise NotFound(f"no template {template_id}")
    return template


def _own_template(db_session: Session, principal: Principal, template_id: int) -> CommsTemplate:
    template = _visible_template(db_session, principal, template_id)
    if template.tenant_id is None:
        raise InvalidInput(
            "the shipped templates are changed by a release, not approved per tenant",
            where="template",
            hint="draft the tenant's own version of the key and approve that",
        )
    return template


def _visible_message(db_session: Session, principal: Principal, message_id: int) -> Message:
    message = db_session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    visible_case(db_session=db_session, principal=principal, case_id=message.case_id)
    return message
