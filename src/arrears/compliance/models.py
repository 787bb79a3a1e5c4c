"""Holds (暂停): periods in which a case may not be worked, aged or charged as usual."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.compliance.enums import HoldType
from arrears.db.base import Base, UtcDateTime, utcnow
from arrears.db.types import enum_column


class Hold(Base):
    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[HoldType] = mapped_column(enum_column(HoldType))
    channel: Mapped[str | None] = mapped_column(String(20), doc="for channel_opt_out: which channel")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, doc="inclusive; open-ended when empty")
    pauses_aging: Mapped[bool] = mapped_column(Boolean, default=False)
    pauses_charges: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
