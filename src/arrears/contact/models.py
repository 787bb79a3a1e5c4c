"""Contact attempts (催收记录) and promises to pay (承诺还款)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import enum_column


class ContactAttempt(Base):
    """One attempt to reach someone about a case. Written only after the compliance guard allowed it."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel))
    party: Mapped[Party] = mapped_column(enum_column(Party))
    third_party_id: Mapped[int | None] = mapped_column(ForeignKey("third_parties.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), doc="the debt the contact was about")
    number: Mapped[str | None] = mapped_column(String(40), index=True, doc="the number dialled or messaged (E.164)")
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    conversation: Mapped[bool] = mapped_column(Boolean, default=False, doc="a conversation about the debt took place")
    right_party: Mapped[bool] = mapped_column(Boolean, default=False, doc="right-party contact (RPC)")
    consented: Mapped[bool] = mapped_column(Boolean, default=False, doc="placed with the person's prior consent")
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False, doc="the person asked not to be contacted")
    purpose: Mapped[str | None] = mapped_column(String(40), doc="for third parties: why they were contacted")
    collectors: Mapped[list[str]] = mapped_column(JSON, default=list, doc="everyone present on a visit")
    pack_version: Mapped[str] = mapped_column(String(60), doc="the rule pack version that allowed the contact")
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list, doc="obligations the guard attached")
    note_findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, doc="linter findings on notes")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True, doc="notes need compliance review")
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    reason_code: Mapped[str | None] = mapped_column(String(40), doc="reason for delay, e.g. job_loss")
    persona: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PromiseToPay(Base):
    __tablename__ = "promises_to_pay"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str | None] = mapped_column(String(40), doc="how the debtor said they would pay")
    status: Mapped[PromiseStatus] = mapped_column(enum_column(PromiseStatus), default=PromiseStatus.OPEN, index=True)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    resolved_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
