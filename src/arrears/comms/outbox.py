"""The outbox (发件箱): queue a message once, send it through the guard, retry with backoff, never twice.

Queueing renders the template for the case, lints the final text and stores the
message under its idempotency key: queueing the same thing again returns the
message already there. Sending (:func:`send_due`) takes each due message through
three units of work:

1. **check** — the text is linted again (an error-level finding fails the
   message), an electronic message must carry its opt-out notice, and the
   compliance guard is asked about a contact on that channel *now*
   (:func:`arrears.contact.flows.check_contact`, audited). Refused with a time it
   reopens (quiet hours): the message waits until then. Refused for good (a hold,
   an opt-out): it is cancelled. Allowed: the attempt is counted and the message
   is leased for :data:`LEASE` so that no other sender takes it meanwhile.
2. **send** — the channel is called outside any transaction, with the idempotency key.
3. **record** — the send is recorded as a contact attempt through
   :func:`arrears.contact.flows.record_contact` (the only door) and the message
   becomes ``sent``; a temporary failure schedules the next attempt with
   exponential backoff, a permanent one fails the message.

A crash between 2 and 3 leaves the message queued and leased; once the lease
runs out it is sent again with the same key. The SMS gateway and the print
folder recognise the key and do not deliver twice; an SMTP relay cannot, so an
email may arrive twice in that one case (with the same Message-ID). That is the
at-least-once boundary, documented in docs/comms.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import false, select, update
from sqlalchemy.orm import Session, sessionmaker

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.comms import service
from arrears.comms.channels.base import Channel, Outgoing, PermanentFailure, Receipt, TemporaryFailure
from arrears.comms.config import CommsSettings
from arrears.comms.context import case_locale, letter_facts, recipient
from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.models import Message
from arrears.comms.rules import Problem, pack_allows, send_problems
from arrears.comms.templates import render
from arrears.contact import flows as contact
from arrears.contact.enums import Outcome
from arrears.contact.schemas import ContactIn
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.scripts.library import ScriptSettings
from arrears.scripts.library.enums import Locale
from arrears.strategy.enums import ActionStatus, Treatment
from arrears.strategy.models import CollectionAction

LEASE = timedelta(minutes=5)
"""How long a sender holds a message it is sending; a crashed send is retried after it."""

REMINDER_TREATMENTS: dict[Treatment, MessageChannel] = {
    Treatment.SMS_REMINDER: MessageChannel.SMS,
    Treatment.EMAIL_REMINDER: MessageChannel.EMAIL,
}


@dataclass(frozen=True)
class MessageRequest:
    """What to send to whom: a kind by a channel on a case, identified by its idempotency key."""

    case_id: int
    kind: TemplateKind
    channel: MessageChannel
    as_of: date
    idempotency_key: str
    action_key: str | None = None
    locale: Locale | None = None
    law_firm: str | None = None
    lawyer_name: str | None = None


@dataclass
class QueueReport:
    queued: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in vars(self).items()}


def opt_out_text(*, channel: MessageChannel, locale: Locale, key: str, comms: CommsSettings) -> str | None:
    """The opt-out notice a message must carry: a reply keyword by SMS, a signed link by email."""
    if channel is MessageChannel.SMS:
        keyword = comms.sms_keyword(locale)
        return {Locale.EN: f"Reply {keyword} to opt out", Locale.ZH_TW: f"回覆{keyword}退訂"}.get(
            locale, f"回复{keyword}退订"
        )
    if channel is MessageChannel.EMAIL:
        link = f"{comms.unsubscribe_url}?{urlencode({'m': key, 's': link_signature(key, comms)})}"
        return {Locale.EN: f"Unsubscribe: {link}", Locale.ZH_TW: f"取消訂閱：{link}"}.get(locale, f"退订邮件：{link}")
    return None


def link_signature(key: str, comms: CommsSettings) -> str:
    """Signs an opt-out link so that only the message's recipient can use it."""
    secret = comms.link_secret.get_secret_value().encode()
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:32]


def queue_message(
    *,
    db_session: Session,
    request: MessageRequest,
    sender: User | None,
    settings: ScriptSettings,
    comms: CommsSettings,
    actor: str | None = None,
) -> Message:
    """Render, lint and store one message; the same idempotency key returns the message already queued.

    A message whose final text the linter refuses is stored as ``failed`` with the
    findings, so that someone sees why nothing was sent.
    """
    existing = service.get_by_idempotency_key(db_session=db_session, key=request.idempotency_key)
    if existing is not None:
        return existing
    case = db_session.get(Case, request.case_id)
    by = actor or (sender.username if sender is not None else None)
    if by is None:
        raise InvalidInput("a message needs a sender or an actor", where="sender")
    outsider = sender is not None and case is not None and case.tenant_id != sender.tenant_id
    if case is None or (outsider and request.kind is not TemplateKind.LAWYER_LETTER):
        raise InvalidInput(f"no case {request.case_id} for {by}", where="case")
    tenant = tenants.get(db_session=db_session, tenant_id=case.tenant_id)
    if not pack_allows(request.kind, tenant.compliance_pack):
        raise InvalidInput(f"a {request.kind.value} is not used under the {tenant.compliance_pack} pack", where="kind")
    locale = request.locale or case_locale(db_session=db_session, case=case)
    address = recipient(db_session=db_session, case=case, channel=request.channel, locale=locale)
    if address is None:
        raise InvalidInput(f"case {case.id}: the debtor has no {request.channel.value} address on file", where="case")
    opt_out = opt_out_text(channel=request.channel, locale=locale, key=request.idempotency_key, comms=comms)
    facts = letter_facts(
        db_session=db_session,
        case_id=case.id,
        sender_user_id=None if sender is None else sender.id,
        as_of=request.as_of,
        settings=settings,
        opt_out={locale: opt_out} if opt_out else None,
        law_firm=request.law_firm,
        lawyer_name=request.lawyer_name,
    )
    published = service.get_published(
        db_session=db_session,
        tenant_id=case.tenant_id,
        kind=request.kind,
        channel=request.channel,
        as_of=request.as_of,
        locale=locale,
    )
    body = render(published.text.body, facts, locale)
    subject = render(published.text.subject, facts, locale) if published.text.subject else None
    problems = send_problems(channel=request.channel, locale=locale, body=body, subject=subject, opt_out=opt_out)
    message = Message(
        tenant_id=case.tenant_id,
        case_id=case.id,
        template_id=published.template.id,
        kind=request.kind,
        channel=request.channel,
        locale=locale.value,
        as_of=request.as_of,
        action_key=request.action_key,
        idempotency_key=request.idempotency_key,
        recipient=address,
        subject=subject,
        body=body,
        status=MessageStatus.FAILED if problems else MessageStatus.QUEUED,
        attempts=0,
        last_error=_describe(problems) if problems else None,
        created_by=by,
    )
    db_session.add(message)
    db_session.flush()
    _audit(
        db_session,
        message,
        "message.refused" if problems else "message.queued",
        by,
        {"template": published.template.key, "version": published.template.version, "error": message.last_error},
    )
    return message


def queue_reminders(
    *,
    db_session: Session,
    tenant_id: int,
    as_of: date,
    sender: User | None,
    settings: ScriptSettings,
    comms: CommsSettings,
    actor: str | None = None,
) -> QueueReport:
    """A payment reminder for every SMS and email action the run planned on ``as_of`` and the guard did not block."""
    report = QueueReport()
    for action in _actions(db_session, tenant_id, as_of, tuple(REMINDER_TREATMENTS)):
        request = MessageRequest(
            case_id=action.case_id,
            kind=TemplateKind.PAYMENT_REMINDER,
            channel=REMINDER_TREATMENTS[action.treatment],
            as_of=as_of,
            idempotency_key=f"action:{action.key}",
            action_key=action.key,
        )
        queue_into(
            report, db_session=db_session, request=request, sender=sender, settings=settings, comms=comms, actor=actor
        )
    return report


def queue_into(
    report: QueueReport,
    *,
    db_session: Session,
    request: MessageRequest,
    sender: User | None,
    settings: ScriptSettings,
    comms: CommsSettings,
    actor: str | None = None,
) -> Message | None:
    """Queue one message into ``report``; a case that cannot be written to is listed, not fatal for the batch."""
    before = service.get_by_idempotency_key(db_session=db_session, key=request.idempotency_key)
    try:
        with db_session.begin_nested():
            message = queue_message(
                db_session=db_session, request=request, sender=sender, settings=settings, comms=comms, actor=actor
            )
    except InvalidInput as error:
        report.skipped.append(f"case {request.case_id}: {error.one_line()}")
        return None
    if before is not None:
        report.existing.append(message.id)
    elif message.status is MessageStatus.FAILED:
        report.refused.append(message.id)
    else:
        report.queued.append(message.id)
    return message


def send_due(
    *,
    factory: sessionmaker[Session],
    tenant_id: int,
    now: datetime,
    channels: Mapping[MessageChannel, Channel],
    comms: CommsSettings,
    actor: str,
) -> SendReport:
    """Send every message of the tenant that is due at ``now`` (see the module docstring for the steps)."""
    with _unit_of_work(factory) as db_session:
        due = service.get_due(db_session=db_session, tenant_id=tenant_id, now=now)
    report = SendReport()
    for message_id in due:
        outcome = send_one(factory=factory, message_id=message_id, now=now, channels=channels, comms=comms, actor=actor)
        getattr(report, outcome).append(message_id)
    return report


def send_one(
    *,
    factory: sessionmaker[Session],
    message_id: int,
    now: datetime,
    channels: Mapping[MessageChannel, Channel],
    comms: CommsSettings,
    actor: str,
) -> str:
    """One message through check, send and record; returns the :class:`SendReport` list it belongs in."""
    with _unit_of_work(factory) as db_session:
        message = _lock(db_session, message_id)
        if message is None or message.status is not MessageStatus.QUEUED:
            return "waiting"
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return "waiting"
        channel = channels.get(message.channel)
        if channel is None:
            return "waiting"
        verdict = _check(db_session, message, now=now, comms=comms, actor=actor)
        if verdict is not None:
            return verdict
        message.attempts += 1
        message.next_attempt_at = now + LEASE
        outgoing = Outgoing(
            idempotency_key=message.idempotency_key,
            recipient=message.recipient,
            body=message.body,
            subject=message.subject,
            document=Path(message.document_path) if message.document_path else None,
            reference=f"message:{message.id}",
        )
    try:
        receipt = channel.send(outgoing)
    except TemporaryFailure as error:
        return _temporary(factory, message_id, error.message, now=now, comms=comms, actor=actor)
    except PermanentFailure as error:
        return _permanent(factory, message_id, error.message, now=now, actor=actor)
    return _sent(factory, message_id, receipt, now=now, actor=actor)


def record_delivery_report(
    *, db_session: Session, tenant_id: int, provider_id: str, delivered: bool, at: datetime, error: str | None
) -> Message:
    """A provider's delivery report (回执): the message becomes ``delivered``, or ``failed`` with the reason."""
    message = service.get_by_provider_id(db_session=db_session, tenant_id=tenant_id, provider_id=provider_id)
    if message is None:
        raise InvalidInput(f"no message with provider id {provider_id}", where="provider_id")
    if message.status not in (MessageStatus.SENT, MessageStatus.DELIVERED):
        raise InvalidInput(f"message {message.id} is {message.status.value}, not sent", where="provider_id")
    message.status = MessageStatus.DELIVERED if delivered else MessageStatus.FAILED
    message.delivered_at = at if delivered else None
    message.last_error = None if delivered else error or "the provider reported the message undelivered"
    _audit(db_session, message, "message.delivery_reported", "provider", {"delivered": delivered, "error": error})
    return message


def backoff(attempts: int, comms: CommsSettings) -> timedelta:
    """Wait before the next attempt: the base doubled per failure so far, capped."""
    seconds = comms.backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, comms.backoff_cap_seconds))


def _check(db_session: Session, message: Message, *, now: datetime, comms: CommsSettings, actor: str) -> str | None:
    """Lint, opt-out notice and the guard; ``None`` when the message may leave now."""
    locale = Locale(message.locale)
    opt_out = opt_out_text(channel=message.channel, locale=locale, key=message.idempotency_key, comms=comms)
    problems = send_problems(
        channel=message.channel, locale=locale, body=message.body, subject=message.subject, opt_out=opt_out
    )
    if problems:
        message.status = MessageStatus.FAILED
        message.last_error = _describe(problems)
        _audit(db_session, message, "message.refused", actor, {"error": message.last_error})
        return "failed"
    decision = contact.check_contact(
        db_session=db_session, contact_in=_contact_in(message, now, Outcome.DELIVERED), actor=actor, origin="comms"
    )
    if decision.allowed:
        return None
    rules = ", ".join(decision.rule_ids)
    if decision.next_allowed_at is not None:
        message.next_attempt_at = decision.next_allowed_at
        message.last_error = f"deferred by {rules} until {decision.next_allowed_at.isoformat()}"
        _audit(db_session, message, "message.deferred", actor, {"rules": decision.rule_ids})
        return "deferred"
    message.status = MessageStatus.CANCELLED
    message.next_attempt_at = None
    message.last_error = f"blocked by {rules}; no later time is allowed"
    _audit(db_session, message, "message.cancelled", actor, {"rules": decision.rule_ids})
    return "cancelled"


def _temporary(
    factory: sessionmaker[Session], message_id: int, error: str, *, now: datetime, comms: CommsSettings, actor: str
) -> str:
    with _unit_of_work(factory) as db_session:
        message = db_session.get_one(Message, message_id)
        message.last_error = error
        if message.attempts >= comms.max_attempts:
            message.status = MessageStatus.FAILED
            message.next_attempt_at = None
            _audit(db_session, message, "message.failed", actor, {"error": error, "attempts": message.attempts})
            return "failed"
        message.next_attempt_at = now + backoff(message.attempts, comms)
        _audit(db_session, message, "message.retry_scheduled", actor, {"error": error, "attempts": message.attempts})
        return "retrying"


def _permanent(factory: sessionmaker[Session], message_id: int, error: str, *, now: datetime, actor: str) -> str:
    """The provider refused the message for good: failed, and the failed attempt recorded as undelivered."""
    with _unit_of_work(factory) as db_session:
        message = db_session.get_one(Message, message_id)
        message.status = MessageStatus.FAILED
        message.next_attempt_at = None
        message.last_error = error
        result = contact.record_contact(
            db_session=db_session,
            contact_in=_contact_in(message, now, Outcome.UNDELIVERED),
            actor=actor,
            origin="comms",
        )
        message.contact_attempt_id = result.attempt.id if result.attempt is not None else None
        _audit(db_session, message, "message.failed", actor, {"error": error, "attempts": message.attempts})
        return "failed"


def _sent(factory: sessionmaker[Session], message_id: int, receipt: Receipt, *, now: datetime, actor: str) -> str:
    """Record the contact (the guard is asked again, as it always is) and mark the message sent."""
    with _unit_of_work(factory) as db_session:
        message = db_session.get_one(Message, message_id)
        result = contact.record_contact(
            db_session=db_session, contact_in=_contact_in(message, now, Outcome.DELIVERED), actor=actor, origin="comms"
        )
        message.status = MessageStatus.DELIVERED if receipt.delivered else MessageStatus.SENT
        message.provider_id = receipt.provider_id
        message.sent_at = now
        message.delivered_at = now if receipt.delivered else None
        message.next_attempt_at = None
        message.contact_attempt_id = result.attempt.id if result.attempt is not None else None
        message.last_error = (
            None
            if result.attempt is not None
            else "sent, but the guard refused to record it: " + ", ".join(result.decision.rule_ids)
        )
        _audit(
            db_session,
            message,
            "message.sent",
            actor,
            {"provider_id": receipt.provider_id, "duplicate": receipt.duplicate, "attempts": message.attempts},
        )
        return "sent"


def _contact_in(message: Message, at: datetime, outcome: Outcome) -> ContactIn:
    return ContactIn(
        case_id=message.case_id,
        channel=message.channel.contact_channel,
        at=at,
        outcome=outcome,
        number=message.recipient if message.channel is MessageChannel.SMS else None,
        right_party=False,
    )


def _lock(db_session: Session, message_id: int) -> Message | None:
    """The message, held by this sender until its transaction ends, as it stands now.

    PostgreSQL: a row lock, skipped (``None``) when another sender holds it. SQLite:
    the unit of work already holds the database's write lock (:func:`_unit_of_work`).
    """
    stmt = select(Message).where(Message.id == message_id)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return db_session.scalar(stmt.execution_options(populate_existing=True))


def _actions(
    db_session: Session, tenant_id: int, as_of: date, treatments: tuple[Treatment, ...]
) -> list[CollectionAction]:
    stmt = (
        select(CollectionAction)
        .join(Case, Case.id == CollectionAction.case_id)
        .where(
            Case.tenant_id == tenant_id,
            CollectionAction.as_of == as_of,
            CollectionAction.treatment.in_(treatments),
            CollectionAction.status == ActionStatus.DUE,
        )
        .order_by(CollectionAction.case_id, CollectionAction.id)
    )
    return list(db_session.scalars(stmt))


def actions_for(
    *, db_session: Session, tenant_id: int, as_of: date, treatments: tuple[Treatment, ...]
) -> list[CollectionAction]:
    """The run's due actions of these treatments on ``as_of`` (for the letter batch)."""
    return _actions(db_session, tenant_id, as_of, treatments)


@contextmanager
def _unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction. On SQLite it takes the write lock before its first read: a transaction
    that read first and then wrote after another sender's commit would fail (SQLITE_BUSY),
    while one that waits for the lock up front reads what that sender committed."""
    with factory() as db_session, db_session.begin():
        if db_session.get_bind().dialect.name == "sqlite":
            db_session.execute(update(Message).where(false()).values(attempts=Message.attempts))
        yield db_session


def _describe(problems: list[Problem]) -> str:
    return "content rules: " + "; ".join(problem.describe() for problem in problems)


def _audit(db_session: Session, message: Message, action: str, actor: str, details: dict[str, object]) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        subject_type="comms_message",
        subject_id=message.id,
        tenant_id=message.tenant_id,
        origin="comms",
        details={"case_id": message.case_id, "channel": message.channel.value, "kind": message.kind.value, **details},
    )
