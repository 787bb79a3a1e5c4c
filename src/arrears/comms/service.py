"""Reads of templates, messages and engagements; never commits.

A template is in force on ``as_of`` when it is approved (or retired since) and
``effective_from <= as_of < effective_to``; the tenant's own version wins over the
shipped one (tenant NULL), and a newer version over an older one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.models import CommsTemplate, CommsTemplateText, LawFirmEngagement, Message
from arrears.errors import NotFound
from arrears.scripts.library.enums import Locale, ScriptStatus

IN_FORCE_STATUSES = (ScriptStatus.APPROVED, ScriptStatus.RETIRED)


@dataclass(frozen=True)
class Published:
    """The template chosen for a kind and channel, and its text in the locale asked for."""

    template: CommsTemplate
    locale: Locale
    text: CommsTemplateText


def get_template(*, db_session: Session, template_id: int) -> CommsTemplate:
    template = db_session.get(CommsTemplate, template_id)
    if template is None:
        raise NotFound(f"no template {template_id}", hint="see `arrears templates list`")
    return template


def get_latest(*, db_session: Session, tenant_id: int | None, key: str) -> CommsTemplate | None:
    """The newest version of ``key`` for the tenant (None: the shipped set), whatever its status."""
    stmt = (
        select(CommsTemplate)
        .where(_owner(tenant_id), CommsTemplate.key == key)
        .options(selectinload(CommsTemplate.texts))
        .order_by(CommsTemplate.version.desc())
        .limit(1)
    )
    return db_session.scalars(stmt).first()


def get_approved(*, db_session: Session, tenant_id: int | None, key: str) -> CommsTemplate | None:
    stmt = select(CommsTemplate).where(
        _owner(tenant_id), CommsTemplate.key == key, CommsTemplate.status == ScriptStatus.APPROVED
    )
    return db_session.scalars(stmt.order_by(CommsTemplate.version.desc())).first()


def get_all(*, db_session: Session, tenant_id: int | None, status: ScriptStatus | None = None) -> list[CommsTemplate]:
    """Every version of every template of the tenant (None: the shipped set), by key then version."""
    stmt = select(CommsTemplate).where(_owner(tenant_id)).options(selectinload(CommsTemplate.texts))
    if status is not None:
        stmt = stmt.where(CommsTemplate.status == status)
    return list(db_session.scalars(stmt.order_by(CommsTemplate.key, CommsTemplate.version)))


def get_published(
    *,
    db_session: Session,
    tenant_id: int,
    kind: TemplateKind,
    channel: MessageChannel,
    as_of: date,
    locale: Locale,
) -> Published:
    """The template in force for ``kind`` by ``channel``: the tenant's own first, then the shipped one."""
    key = f"{kind.value}/{channel.value}"
    stmt = (
        select(CommsTemplate)
        .where(
            or_(CommsTemplate.tenant_id.is_(None), CommsTemplate.tenant_id == tenant_id),
            CommsTemplate.key == key,
            CommsTemplate.status.in_(IN_FORCE_STATUSES),
            CommsTemplate.effective_from <= as_of,
            or_(CommsTemplate.effective_to.is_(None), CommsTemplate.effective_to > as_of),
        )
        .options(selectinload(CommsTemplate.texts))
    )
    candidates = [template for template in db_session.scalars(stmt) if template.text_for(locale) is not None]
    if not candidates:
        raise NotFound(
            f"no approved template {key} in {locale} on {as_of.isoformat()}", hint="run `arrears templates seed`"
        )
    best = min(candidates, key=lambda t: (0 if t.tenant_id == tenant_id else 1, -t.version))
    text = best.text_for(locale)
    assert text is not None
    return Published(template=best, locale=locale, text=text)


def get_message(*, db_session: Session, message_id: int) -> Message:
    message = db_session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}", hint="see `arrears messages status`")
    return message


def get_by_idempotency_key(*, db_session: Session, key: str) -> Message | None:
    return db_session.scalar(select(Message).where(Message.idempotency_key == key))


def get_by_provider_id(*, db_session: Session, tenant_id: int, provider_id: str) -> Message | None:
    stmt = select(Message).where(Message.tenant_id == tenant_id, Message.provider_id == provider_id)
    return db_session.scalar(stmt)


def get_due(
    *, db_session: Session, tenant_id: int, now: datetime, channels: Sequence[MessageChannel] | None = None
) -> list[int]:
    """Ids of the tenant's queued messages whose next attempt is due at ``now``, oldest first."""
    stmt = select(Message.id).where(
        Message.tenant_id == tenant_id,
        Message.status == MessageStatus.QUEUED,
        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
    )
    if channels:
        stmt = stmt.where(Message.channel.in_(list(channels)))
    return list(db_session.scalars(stmt.order_by(Message.id)))


def get_messages(
    *,
    db_session: Session,
    tenant_id: int,
    as_of: date | None = None,
    case_id: int | None = None,
    status: MessageStatus | None = None,
    limit: int = 200,
) -> list[Message]:
    stmt = select(Message).where(Message.tenant_id == tenant_id)
    if as_of is not None:
        stmt = stmt.where(Message.as_of == as_of)
    if case_id is not None:
        stmt = stmt.where(Message.case_id == case_id)
    if status is not None:
        stmt = stmt.where(Message.status == status)
    return list(db_session.scalars(stmt.order_by(Message.id).limit(limit)))


def status_counts(*, db_session: Session, tenant_id: int, as_of: date | None = None) -> dict[tuple[str, str], int]:
    """How many messages per (channel, status)."""
    stmt = select(Message.channel, Message.status, func.count()).where(Message.tenant_id == tenant_id)
    if as_of is not None:
        stmt = stmt.where(Message.as_of == as_of)
    rows = db_session.execute(stmt.group_by(Message.channel, Message.status))
    return {(channel.value, status.value): count for channel, status, count in rows}


def sent_kinds(*, db_session: Session, case_id: int) -> set[TemplateKind]:
    """The kinds already sent (or on their way) on a case: a validation notice goes once."""
    stmt = select(Message.kind).where(
        Message.case_id == case_id, Message.status.not_in([MessageStatus.FAILED, MessageStatus.CANCELLED])
    )
    return set(db_session.scalars(stmt))


def live_engagement(*, db_session: Session, tenant_id: int, law_firm_id: int, on: date) -> LawFirmEngagement | None:
    stmt = select(LawFirmEngagement).where(
        LawFirmEngagement.tenant_id == tenant_id,
        LawFirmEngagement.law_firm_id == law_firm_id,
        LawFirmEngagement.starts_on <= on,
        or_(LawFirmEngagement.ends_on.is_(None), LawFirmEngagement.ends_on >= on),
    )
    return db_session.scalars(stmt).first()


def _owner(tenant_id: int | None) -> ColumnElement[bool]:
    return CommsTemplate.tenant_id.is_(None) if tenant_id is None else CommsTemplate.tenant_id == tenant_id
