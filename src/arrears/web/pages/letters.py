"""Letters and messages in the browser: the outbox, a message as it is sent, the day's letter batch, the templates.

Thin adapters over :mod:`arrears.comms`, the same services as ``/api/v1/comms``.
Pages need ``letters:render`` or ``messages:send``; rendering the batch and its
PDFs need ``letters:render``. Messages are reached through their case, so the
caller's case scope applies (out of scope is 404). Letter HTML is shown in a
sandboxed frame without scripts; PDFs are answered by these routes after the
permission check, never from a static path.

The batch PDFs of a tenant live in their own directory under the data directory
(``letters/tenant-<id>/letters-<day>/batch.pdf``), so that two lenders rendering
the same day never overwrite, or download, each other's letters.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.comms import batch, service
from arrears.comms.enums import MessageChannel, MessageStatus
from arrears.comms.models import CommsTemplate, Message
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.portfolio.masking import mask_address, mask_email, mask_phone
from arrears.scripts.library.bundled import load_shipped as shipped_scripts
from arrears.scripts.library.enums import Locale
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession, Now
from arrears.web.routes.comms import EARLIEST, LATEST, MAX_ID, Comms
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 10_000

RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
Viewer = Annotated[Principal, Depends(require("letters:render", "messages:send"))]
Renderer = Annotated[Principal, Depends(require("letters:render"))]
Filter = str | None
Choice = TypeVar("Choice", MessageChannel, MessageStatus, Locale)


def _today(db_session: Session, caller: Principal, moment: datetime) -> date:
    zone = tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone
    return moment.astimezone(ZoneInfo(zone)).date()


def _day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text[:40]}' is not a date", where=field, hint="pick a day, YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            f"{day.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}",
            where=field,
            hint="pick a day in that range",
        )
    return day


def _choice(kind: type[Choice], text: str, field: str) -> Choice:
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"'{text[:40]}' is not a {field}", where=field, hint=f"one of {allowed}") from None


def _page(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidInput(f"'{text[:40]}' is not a page number", where="page", hint=f"a whole number 1 to {MAX_PAGE}")
    return int(text)


def _case_id(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(f"'{text[:40]}' is not a case number", where="case_id", hint="a case number, e.g. 1024")
    return int(text)


def _batch_dir(request: Request, caller: Principal) -> Path:
    data_dir: Path = request.app.state.settings.data_dir
    return batch.tenant_letters_dir(data_dir, caller.tenant_id)


def _batch_pdf(request: Request, caller: Principal, day: date) -> Path:
    return _batch_dir(request, caller) / f"letters-{day.isoformat()}" / batch.BATCH_FILE


def _visible_message(db_session: Session, caller: Principal, message_id: int) -> Message:
    message = db_session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    visible_case(db_session=db_session, principal=caller, case_id=message.case_id)
    return message


def _visible_template(db_session: Session, caller: Principal, template_id: int) -> CommsTemplate:
    template = db_session.get(CommsTemplate, template_id)
    if template is None or template.tenant_id not in (None, caller.tenant_id):
        raise NotFound(f"no template {template_id}")
    return template


def _masked(message: Message) -> str:
    """The recipient as pages show personal data: masked (the letter itself carries the address it is sent to)."""
    if message.channel is MessageChannel.SMS:
        return mask_phone(message.recipient)
    if message.channel is MessageChannel.EMAIL:
        return mask_email(message.recipient)
    return mask_address(message.recipient)


@router.get("/letters", response_class=HTMLResponse)
def outbox(
    request: Request,
    db_session: DbSession,
    caller: Viewer,
    moment: Now,
    day: Filter = None,
    channel: Filter = None,
    status: Filter = None,
    page: Filter = None,
) -> Response:
    """The day's messages on the cases in scope, newest first, with how many are in each state."""
    shown_day = _day(day, "day") if day else _today(db_session, caller, moment)
    shown_channel = _choice(MessageChannel, channel, "channel") if channel else None
    shown_status = _choice(MessageStatus, status, "status") if status else None
    number = _page(page) if page else 1

    where: list[ColumnElement[bool]] = [case_clause(caller), Message.as_of == shown_day]
    if shown_channel is not None:
        where.append(Message.channel == shown_channel)
    counted = db_session.execute(
        select(Message.status, func.count())
        .join(Case, Case.id == Message.case_id)
        .where(and_(*where))
        .group_by(Message.status)
    )
    counts = {row[0]: row[1] for row in counted}
    if shown_status is not None:
        where.append(Message.status == shown_status)
    found = list(
        db_session.scalars(
            select(Message)
            .join(Case, Case.id == Message.case_id)
            .where(and_(*where))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    filters = {"day": shown_day.isoformat(), "channel": channel or "", "status": status or ""}
    context = {
        "day": shown_day,
        "channel": shown_channel,
        "status": shown_status,
        "channels": list(MessageChannel),
        "statuses": list(MessageStatus),
        "counts": [(state, counts.get(state, 0)) for state in MessageStatus],
        "total": sum(counts.values()),
        "messages": found[:PAGE_SIZE],
        "page": number,
        "more": len(found) > PAGE_SIZE,
        "filters": filters,
        "batch_ready": caller.can("letters:render") and _batch_pdf(request, caller, shown_day).is_file(),
    }
    return render(request, "letters/outbox.html", context, principal=caller)


@router.get("/letters/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, db_session: DbSession, caller: Viewer, message_id: RowId) -> Response:
    """One message as it goes out: its text, and the printed page of a letter (in a frame that runs no script)."""
    message = _visible_message(db_session, caller, message_id)
    company = tenants.get(db_session=db_session, tenant_id=message.tenant_id).name
    context = {
        "message": message,
        "html": batch.preview(message, hotline=shipped_scripts().defaults.hotline, company=company),
        "has_pdf": message.document_path is not None and Path(message.document_path).is_file(),
        "masked_recipient": _masked(message),
    }
    return render(request, "letters/message.html", context, principal=caller)


@router.get("/letters/messages/{message_id}/pdf")
def message_pdf(db_session: DbSession, caller: Renderer, message_id: RowId) -> Response:
    """A rendered letter's PDF."""
    message = _visible_message(db_session, caller, message_id)
    if message.document_path is None or not Path(message.document_path).is_file():
        raise NotFound(f"message {message_id} has no rendered PDF", hint="render the day's letters first")
    return FileResponse(message.document_path, media_type="application/pdf", filename=f"letter-{message.id}.pdf")


@router.post("/letters/render", response_class=HTMLResponse)
def render_batch(
    request: Request,
    db_session: DbSession,
    caller: Renderer,
    comms: Comms,
    day: Annotated[str, Form(max_length=40)],
) -> Response:
    """Queue and render the letters the run planned for a day: one PDF each and the batch PDF."""
    as_of = _day(day, "day")
    sender = db_session.get(User, caller.user_id) if caller.user_id is not None else None
    result = batch.render_day(
        db_session=db_session,
        tenant_id=caller.tenant_id,
        as_of=as_of,
        out_dir=_batch_dir(request, caller),
        sender=sender,
        settings=shipped_scripts().defaults,
        comms=comms,
        actor=caller.actor,
    )
    context = {"day": as_of, "report": result.report, "letters": len(result.letters), "batch": result.batch}
    return render(request, "letters/rendered.html", context, principal=caller)


@router.get("/letters/batches/{day}/pdf")
def batch_pdf(request: Request, caller: Renderer, day: Annotated[str, PathParam(max_length=40)]) -> Response:
    """The day's batch PDF of the caller's tenant, as the last render wrote it."""
    as_of = _day(day, "day")
    path = _batch_pdf(request, caller, as_of)
    if not path.is_file():
        raise NotFound(f"no letter batch for {as_of.isoformat()}", hint="render the day's letters first")
    return FileResponse(path, media_type="application/pdf", filename=f"letters-{as_of.isoformat()}.pdf")


@router.get("/letters/templates", response_class=HTMLResponse)
def templates_page(request: Request, db_session: DbSession, caller: Viewer) -> Response:
    """The shipped templates and the tenant's own, every version with its status."""
    shipped = service.get_all(db_session=db_session, tenant_id=None)
    own = service.get_all(db_session=db_session, tenant_id=caller.tenant_id)
    return render(request, "letters/templates.html", {"shipped": shipped, "own": own}, principal=caller)


@router.get("/letters/templates/{template_id}", response_class=HTMLResponse)
def template_page(
    request: Request,
    db_session: DbSession,
    caller: Viewer,
    comms: Comms,
    moment: Now,
    template_id: RowId,
    case_id: Filter = None,
    locale: Filter = None,
) -> Response:
    """A template's texts; with a case in scope, filled for that case as of today (nothing is queued)."""
    template = _visible_template(db_session, caller, template_id)
    chosen = _choice(Locale, locale, "locale") if locale else Locale.ZH_CN
    context: dict[str, object] = {"template": template, "text_locale": chosen, "locales": list(Locale), "case_id": ""}
    if case_id:
        case = visible_case(db_session=db_session, principal=caller, case_id=_case_id(case_id))
        context["case_id"] = case.id
        context["filled"] = batch.preview_template(
            db_session=db_session,
            template_id=template.id,
            case_id=case.id,
            locale=chosen,
            as_of=_today(db_session, caller, moment),
            sender_user_id=caller.user_id,
            settings=shipped_scripts().defaults,
            comms=comms,
        )
    return render(request, "letters/template.html", context, principal=caller)
