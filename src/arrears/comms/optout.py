"""Opt-outs (退订) that arrive by themselves: a reply keyword by SMS, the signed link of an email.

An opt-out is recorded where the compliance guard reads it: a ``channel_opt_out``
hold on each open case of the person, for that channel (the pack's
``channel_opt_out`` rule then blocks the channel for good). Messages of that
channel still queued on those cases are cancelled at once.
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.comms import service
from arrears.comms.config import CommsSettings
from arrears.comms.enums import MessageChannel, MessageStatus
from arrears.comms.models import Message
from arrears.comms.outbox import link_signature
from arrears.compliance import service as compliance
from arrears.compliance.enums import HoldType
from arrears.compliance.holds import HoldIn, place_hold
from arrears.compliance.models import Hold
from arrears.contact.enums import ContactChannel
from arrears.errors import InvalidInput
from arrears.portfolio.enums import Channel
from arrears.portfolio.models import Borrower, ContactPoint

OPT_OUT_KEYWORDS = frozenset({"TD", "T", "退订", "退訂", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
"""Replies that mean "no more texts": the Chinese carriers' TD/退订 and the US carriers' STOP words."""


@dataclass
class OptOutReport:
    """What an inbound message changed: the cases now opted out and the messages cancelled."""

    opted_out: bool
    cases: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


def is_opt_out(text: str) -> bool:
    """A reply that is one opt-out keyword, whatever its case, width or surrounding punctuation."""
    folded = unicodedata.normalize("NFKC", text).strip().strip("。.!！ ").upper()
    return folded in OPT_OUT_KEYWORDS


def handle_inbound_sms(
    *, db_session: Session, tenant_id: int, sender: str, text: str, received_at: datetime, actor: str
) -> OptOutReport:
    """An SMS reply from ``sender``: when it is an opt-out keyword, every open case of that number stops SMS."""
    number = _e164(sender)
    audit.record(
        db_session=db_session,
        actor=actor,
        action="message.inbound",
        subject_type="phone",
        subject_id=number,
        tenant_id=tenant_id,
        origin="comms",
        details={"channel": "sms", "opt_out": is_opt_out(text), "received_at": received_at.isoformat()},
    )
    if not is_opt_out(text):
        return OptOutReport(opted_out=False)
    stmt = (
        select(Case)
        .join(ContactPoint, ContactPoint.borrower_id == Case.borrower_id)
        .where(
            Case.tenant_id == tenant_id,
            Case.status == CaseStatus.OPEN,
            ContactPoint.channel == Channel.PHONE,
            ContactPoint.third_party_id.is_(None),
            ContactPoint.value == number,
        )
        .distinct()
    )
    cases = list(db_session.scalars(stmt))
    return _opt_out(db_session, cases, MessageChannel.SMS, received_at, actor, f"replied '{text.strip()}'")


def unsubscribe(*, db_session: Session, key: str, signature: str, at: datetime, comms: CommsSettings) -> OptOutReport:
    """The email opt-out link was followed: the message's case stops email."""
    if not hmac.compare_digest(link_signature(key, comms).encode(), signature.encode()):
        raise InvalidInput("this opt-out link is not valid", where="link")
    message = service.get_by_idempotency_key(db_session=db_session, key=key)
    if message is None:
        raise InvalidInput("this opt-out link is not valid", where="link")
    case = db_session.get_one(Case, message.case_id)
    return _opt_out(db_session, [case], MessageChannel.EMAIL, at, "debtor", "followed the email opt-out link")


def _opt_out(
    db_session: Session, cases: list[Case], channel: MessageChannel, at: datetime, actor: str, reason: str
) -> OptOutReport:
    report = OptOutReport(opted_out=True)
    for case in cases:
        borrower = db_session.get_one(Borrower, case.borrower_id)
        on = at.astimezone(compliance.borrower_zone(borrower)).date()
        if not _already(db_session, case.id, channel):
            hold_in = HoldIn(
                type=HoldType.CHANNEL_OPT_OUT, channel=ContactChannel(channel.value), starts_on=on, reason=reason
            )
            place_hold(db_session=db_session, case=case, hold_in=hold_in, actor=actor)
        report.cases.append(case.id)
        for message in _queued(db_session, case.id, channel):
            message.status = MessageStatus.CANCELLED
            message.next_attempt_at = None
            message.last_error = f"the debtor opted out of {channel.value}"
            report.cancelled.append(message.id)
    db_session.flush()
    return report


def _already(db_session: Session, case_id: int, channel: MessageChannel) -> bool:
    stmt = select(Hold.id).where(
        Hold.case_id == case_id,
        Hold.type == HoldType.CHANNEL_OPT_OUT,
        Hold.lifted_at.is_(None),
        (Hold.channel == channel.value) | Hold.channel.is_(None),
    )
    return db_session.scalar(stmt.limit(1)) is not None


def _queued(db_session: Session, case_id: int, channel: MessageChannel) -> list[Message]:
    stmt = select(Message).where(
        Message.case_id == case_id, Message.channel == channel, Message.status == MessageStatus.QUEUED
    )
    return list(db_session.scalars(stmt))


def _e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"'{number}' is not a phone number", where="from") from None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
