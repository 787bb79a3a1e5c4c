"""The script library's tables: versioned scripts (话术) and their text per locale."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arrears.db.base import Base, UtcDateTime, utcnow
from arrears.db.types import enum_column
from arrears.scripts.library.enums import CallStep, Objection, Persona, ScriptParty, ScriptStatus


class Script(Base):
    """One version of a script; ``tenant_id`` NULL is the library shipped with Arrears."""

    __tablename__ = "scripts"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    key: Mapped[str] = mapped_column(String(160), index=True, doc="stage/party/step/persona/objection")
    stage: Mapped[str] = mapped_column(String(40), index=True, doc="a strategy state name or 'any'")
    party: Mapped[ScriptParty] = mapped_column(enum_column(ScriptParty), server_default=ScriptParty.DEBTOR.value)
    step: Mapped[CallStep] = mapped_column(enum_column(CallStep))
    persona: Mapped[Persona | None] = mapped_column(enum_column(Persona))
    objection: Mapped[Objection | None] = mapped_column(enum_column(Objection), index=True)
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

    texts: Mapped[list[ScriptText]] = relationship(
        back_populates="script", cascade="all, delete-orphan", order_by="ScriptText.locale"
    )

    def text_for(self, locale: str) -> str | None:
        return next((entry.template for entry in self.texts if entry.locale == locale), None)


class ScriptText(Base):
    """The template of a script in one locale (zh-CN, zh-TW, en)."""

    __tablename__ = "script_texts"
    __table_args__ = (UniqueConstraint("script_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(10), server_default="zh-CN")
    template: Mapped[str] = mapped_column(Text)

    script: Mapped[Script] = relationship(back_populates="texts")
