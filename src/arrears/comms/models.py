"""Tables of letters and messages: versioned templates, the outbox with delivery state, law-firm engagements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.db.base import Base, UtcDateTime, utcnow
from arrears.db.types import enum_column
from arrears.scripts.library.enums import ScriptStatus


class CommsTemplate(Base):
    """One version of a letter or message template; ``tenant_id`` NULL is the set shipped with Arrears.

    The key is ``<kind>/<channel>``; versions, statuses and maker-checker are the
    script library's (draft -> approved -> retired, effective-dated).
    """

    __tablename__ = "comms_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), index=True, doc="<kind>/<channel>")
    kind: Mapped[TemplateKind] = mapped_column(enum_column(TemplateKind))
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    status: Mapped[ScriptStatus] = mapped_column(
        enum_column(ScriptStatus), index=True, server_default=ScriptStatus.DRAFT.value
    )
    author: Mapped[str] = mapped_column(String(80), doc="username of the maker")
    approver: Mapped[str | None] = mapped_column(String(80), doc="username of the checker (compliance)")
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, doc="exclusive; set when a newer version is approved")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    texts: Mapped[list[CommsTemplateText]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="CommsTemplateText.locale"
    )

    def text_for(self, locale: str) -> CommsTemplateText | None:
        return next((entry for entry in self.texts if entry.locale == locale), None)


class CommsTemplateText(Base):
    """A template's subject (email, letter title) and body in one locale."""

    __tablename__ = "comms_template_texts"
    __table_args__ = (UniqueConstraint("template_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("comms_templates.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(10), server_default="zh-CN")
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    template: Mapped[CommsTemplate] = relationship(back_populates="texts")


class Message(Base):
    """One letter, text or email to a debtor, with its delivery state (the outbox, 发件箱).

    ``idempotency_key`` is derived from what asked for the message (the run's action,
    or the request), so queueing twice adds nothing; it is also given to the
    provider, so that a send retried after a crash is recognised there.
    """

    __tablename__ = "comms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("comms_templates.id"))
    kind: Mapped[TemplateKind] = mapped_column(enum_column(TemplateKind))
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[date] = mapped_column(Date, index=True, doc="the run date that asked for it")
    action_key: Mapped[str | None] = mapped_column(String(120), doc="the strategy action it carries out, if any")
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    recipient: Mapped[str] = mapped_column(String(300), doc="E.164 number, email address or postal address")
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, doc="the rendered text, as linted and sent")
    document_path: Mapped[str | None] = mapped_column(String(500), doc="a letter's PDF")
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus), index=True, server_default=MessageStatus.QUEUED.value
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(120), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LawFirmEngagement(Base):
    """A law firm (a tenant of kind ``law_firm``) engaged by a lender: only its users may issue lawyer's letters."""

    __tablename__ = "law_firm_engagements"
    __table_args__ = (UniqueConstraint("tenant_id", "law_firm_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True, doc="the lender")
    law_firm_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, doc="inclusive; open-ended when empty")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
