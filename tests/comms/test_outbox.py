"""Sending through real channels: the guard first, the linter, opt-outs, retries, and never twice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.comms import MessageChannel, MessageRequest, MessageStatus, TemplateKind, queue_message, send_due
from arrears.comms.channels.base import Channel, Outgoing, Receipt
from arrears.comms.channels.print_batch import PrintBatchChannel
from arrears.comms.channels.sms_http import HttpSmsChannel
from arrears.comms.channels.smtp import SmtpChannel
from arrears.comms.models import Message
from arrears.comms.optout import handle_inbound_sms, is_opt_out, unsubscribe
from arrears.comms.outbox import LEASE, link_signature, queue_reminders, record_delivery_report
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.models import ContactAttempt
from arrears.errors import InvalidInput
from arrears.scripts.library.enums import Locale
from arrears.strategy.enums import Treatment
from tests.comms.conftest import (
    AS_OF,
    EMAIL,
    PHONE,
    SETTINGS,
    SMS_KEY,
    SMS_SECRET,
    SmsGateway,
    World,
    factory_on,
    shanghai,
)

MORNING = shanghai("2026-03-14T10:00:00")


def sms_channel(gateway: SmsGateway) -> HttpSmsChannel:
    return HttpSmsChannel(endpoint=gateway.url, api_key=SMS_KEY, secret=SMS_SECRET, timeout=5)


def queue(db_session: Session, world: World, channel: MessageChannel, key: str = "test:1", **fields: object) -> Message:
    request = MessageRequest(
        case_id=world.case.id,
        kind=fields.pop("kind", TemplateKind.PAYMENT_REMINDER),  # type: ignore[arg-type]
        channel=channel,
        as_of=AS_OF,
        idempotency_key=key,
    )
    return queue_message(
        db_session=db_session, request=request, sender=world.sender, settings=SETTINGS, comms=world.comms
    )


def send(
    db_session: Session, world: World, channels: dict[MessageChannel, Channel], now: object = MORNING
) -> dict[str, int]:
    db_session.commit()  # what the CLI does between queueing and sending; the senders' sessions see it
    report = send_due(
        factory=factory_on(db_session),
        tenant_id=world.tenant.id,
        now=now,
        channels=channels,
        comms=world.comms,
        actor="test",  # type: ignore[arg-type]
    )
    db_session.expire_all()
    return report.as_dict()


def attempts(db_session: Session, world: World, channel: ContactChannel) -> list[ContactAttempt]:
    stmt = select(ContactAttempt).where(ContactAttempt.case_id == world.case.id, ContactAttempt.channel == channel)
    return list(db_session.scalars(stmt))


def test_an_sms_reaches_the_gateway_signed_and_is_recorded_as_one_contact(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    assert message.status is MessageStatus.QUEUED
    assert "回复TD退订" in message.body and "张伟" in message.body

    first = send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})
    second = send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})

    assert first["sent"] == 1 and second["sent"] == 0
    assert sms_gateway.bad_signatures == 0
    assert [(r["to"], r["idempotency_key"]) for r in sms_gateway.delivered] == [(PHONE, "test:1")]
    db_session.refresh(message)
    assert (message.status, message.provider_id, message.attempts) == (MessageStatus.SENT, "gw-1", 1)
    [attempt] = attempts(db_session, world, ContactChannel.SMS)
    assert (attempt.id, attempt.number, attempt.outcome) == (message.contact_attempt_id, PHONE, Outcome.DELIVERED)


def test_queueing_the_same_key_twice_keeps_one_message(db_session: Session, world: World) -> None:
    first = queue(db_session, world, MessageChannel.SMS)
    again = queue(db_session, world, MessageChannel.SMS)
    assert first.id == again.id
    count = db_session.scalar(select(func.count()).select_from(Message).where(Message.case_id == world.case.id))
    assert count == 1


def test_a_wrong_signing_secret_is_refused_by_the_gateway_and_nothing_is_delivered(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    queue(db_session, world, MessageChannel.SMS)
    forged = HttpSmsChannel(endpoint=sms_gateway.url, api_key=SMS_KEY, secret="not-the-secret")
    report = send(db_session, world, {MessageChannel.SMS: forged})
    assert report["failed"] == 1 and sms_gateway.bad_signatures == 1 and sms_gateway.delivered == []


class CrashAfterAccept:
    """The provider accepts the message, then the sender dies before it can store the outcome."""

    def __init__(self, inner: Channel) -> None:
        self.inner = inner
        self.name = inner.name

    def send(self, outgoing: Outgoing) -> Receipt:
        self.inner.send(outgoing)
        raise SystemExit("killed after the provider accepted")


def test_a_send_retried_after_a_crash_is_not_delivered_twice(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    with pytest.raises(SystemExit):
        send(db_session, world, {MessageChannel.SMS: CrashAfterAccept(sms_channel(sms_gateway))})
    db_session.expire_all()
    assert message.status is MessageStatus.QUEUED and message.attempts == 1
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})["sent"] == 0, "still leased"
    assert len(sms_gateway.requests) == 1

    later = MORNING + LEASE + timedelta(seconds=1)
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)}, later)["sent"] == 1

    assert len(sms_gateway.requests) == 2 and len(sms_gateway.delivered) == 1
    db_session.refresh(message)
    assert (message.status, message.provider_id, message.attempts) == (MessageStatus.SENT, "gw-1", 2)
    assert len(attempts(db_session, world, ContactChannel.SMS)) == 1


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def test_an_email_is_delivered_once_over_smtp_with_its_opt_out_link(
    db_session: Session, world: World, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    message = queue(db_session, world, MessageChannel.EMAIL)
    smtp = SmtpChannel(host="127.0.0.1", port=port, sender="collections@lender.example")

    assert send(db_session, world, {MessageChannel.EMAIL: smtp})["sent"] == 1
    assert send(db_session, world, {MessageChannel.EMAIL: smtp})["sent"] == 0

    [received] = box.messages
    assert received["To"] == EMAIL
    assert received["Message-ID"] == "<test.1@lender.example>"
    text = received.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "张伟" in text and "https://lender.example/unsubscribe?m=test%3A1&s=" in text
    db_session.refresh(message)
    assert message.provider_id == "<test.1@lender.example>"
    assert len(attempts(db_session, world, ContactChannel.EMAIL)) == 1


def test_a_message_at_night_waits_for_the_morning_without_reaching_the_gateway(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    night = shanghai("2026-03-13T22:00:00")

    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)}, night)["deferred"] == 1
    db_session.refresh(message)
    assert message.next_attempt_at == shanghai("2026-03-14T08:00:00")
    assert message.last_error is not None and "quiet_hours" in message.last_error
    assert sms_gateway.requests == [] and attempts(db_session, world, ContactChannel.SMS) == []

    just_before = shanghai("2026-03-14T07:59:59")
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)}, just_before)["sent"] == 0
    assert sms_gateway.requests == []
    assert (
        send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)}, shanghai("2026-03-14T08:00:00"))["sent"]
        == 1
    )


@pytest.mark.parametrize("reply", ["TD", " td ", "退订", "ＴＤ", "Stop", "STOP."])
def test_opt_out_replies_are_recognised(reply: str) -> None:
    assert is_opt_out(reply)


@pytest.mark.parametrize("reply", ["好的我明天还", "TD明天还", "stop calling my mum", ""])
def test_other_replies_are_not_opt_outs(reply: str) -> None:
    assert not is_opt_out(reply)


def test_an_opt_out_reply_stops_every_further_sms(db_session: Session, world: World, sms_gateway: SmsGateway) -> None:
    waiting = queue(db_session, world, MessageChannel.SMS, key="test:waiting")
    report = handle_inbound_sms(
        db_session=db_session,
        tenant_id=world.tenant.id,
        sender="13800138000",
        text="td",
        received_at=shanghai("2026-03-13T20:00:00"),
        actor="gateway",
    )
    assert report.opted_out and report.cases == [world.case.id] and report.cancelled == [waiting.id]
    [hold] = db_session.scalars(select(Hold).where(Hold.case_id == world.case.id))
    assert (hold.type, hold.channel) == (HoldType.CHANNEL_OPT_OUT, "sms")

    later = queue(db_session, world, MessageChannel.SMS, key="test:later")
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})["cancelled"] == 1
    db_session.refresh(later)
    assert later.status is MessageStatus.CANCELLED and "channel_opt_out" in (later.last_error or "")
    assert sms_gateway.requests == []


def test_the_signed_email_link_opts_out_of_email_and_a_forged_one_is_refused(db_session: Session, world: World) -> None:
    message = queue(db_session, world, MessageChannel.EMAIL)
    with pytest.raises(InvalidInput, match="not valid"):
        unsubscribe(db_session=db_session, key=message.idempotency_key, signature="退订", at=MORNING, comms=world.comms)
    with pytest.raises(InvalidInput, match="not valid"):
        unsubscribe(
            db_session=db_session, key=message.idempotency_key, signature="0" * 32, at=MORNING, comms=world.comms
        )
    signature = link_signature(message.idempotency_key, world.comms)
    report = unsubscribe(
        db_session=db_session, key=message.idempotency_key, signature=signature, at=MORNING, comms=world.comms
    )
    assert report.cancelled == [message.id]
    assert db_session.scalar(select(Hold.channel).where(Hold.case_id == world.case.id)) == "email"


def test_a_linter_finding_in_the_final_text_blocks_the_send(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    message.body = "你再不还钱就等着坐牢吧。" + message.body
    db_session.flush()

    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})["failed"] == 1
    db_session.refresh(message)
    assert message.status is MessageStatus.FAILED and "content rules" in (message.last_error or "")
    assert sms_gateway.requests == [] and attempts(db_session, world, ContactChannel.SMS) == []


def test_an_sms_without_its_opt_out_keyword_is_not_sent(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    message.body = message.body.replace("回复TD退订", "")
    db_session.flush()
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})["failed"] == 1
    db_session.refresh(message)
    assert "opt_out_notice" in (message.last_error or "") and sms_gateway.requests == []


def test_a_busy_gateway_is_retried_with_doubling_waits_then_given_up(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    sms_gateway.answer_status = 503
    channels: dict[MessageChannel, Channel] = {MessageChannel.SMS: sms_channel(sms_gateway)}

    assert send(db_session, world, channels, MORNING)["retrying"] == 1
    db_session.refresh(message)
    assert message.next_attempt_at == MORNING + timedelta(seconds=60)
    assert send(db_session, world, channels, MORNING + timedelta(seconds=59))["retrying"] == 0
    assert send(db_session, world, channels, MORNING + timedelta(seconds=60))["retrying"] == 1
    db_session.refresh(message)
    assert message.next_attempt_at == MORNING + timedelta(seconds=60 + 120)
    assert send(db_session, world, channels, MORNING + timedelta(seconds=180))["failed"] == 1
    db_session.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "503" in (message.last_error or "") and attempts(db_session, world, ContactChannel.SMS) == []


def test_a_refused_number_fails_at_once_and_is_recorded_as_undelivered(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    sms_gateway.answer_status = 400
    assert send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})["failed"] == 1
    db_session.refresh(message)
    assert message.attempts == 1
    [attempt] = attempts(db_session, world, ContactChannel.SMS)
    assert attempt.outcome is Outcome.UNDELIVERED


def test_a_delivery_report_marks_the_message_delivered(
    db_session: Session, world: World, sms_gateway: SmsGateway
) -> None:
    message = queue(db_session, world, MessageChannel.SMS)
    send(db_session, world, {MessageChannel.SMS: sms_channel(sms_gateway)})
    record_delivery_report(
        db_session=db_session, tenant_id=world.tenant.id, provider_id="gw-1", delivered=True, at=MORNING, error=None
    )
    db_session.refresh(message)
    assert (message.status, message.delivered_at) == (MessageStatus.DELIVERED, MORNING)
    with pytest.raises(InvalidInput, match="no message with provider id"):
        record_delivery_report(
            db_session=db_session, tenant_id=world.tenant.id, provider_id="gw-9", delivered=True, at=MORNING, error=None
        )


def test_the_runs_sms_actions_become_one_reminder_each(db_session: Session, world: World) -> None:
    world.action(db_session, Treatment.SMS_REMINDER)
    world.action(db_session, Treatment.CALL)
    first = queue_reminders(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=AS_OF,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )
    again = queue_reminders(
        db_session=db_session,
        tenant_id=world.tenant.id,
        as_of=AS_OF,
        sender=world.sender,
        settings=SETTINGS,
        comms=world.comms,
    )
    assert len(first.queued) == 1 and again.queued == [] and again.existing == first.queued


def test_a_debtor_without_an_email_address_is_listed_not_fatal(db_session: Session, world: World) -> None:
    from arrears.portfolio.models import ContactPoint

    for point in db_session.scalars(select(ContactPoint).where(ContactPoint.value == EMAIL)):
        db_session.delete(point)
    db_session.flush()
    with pytest.raises(InvalidInput, match="no email address"):
        queue(db_session, world, MessageChannel.EMAIL)


def test_the_print_folder_keeps_one_copy_of_a_letter_handed_over_twice(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "print"
    pdf = Path(str(tmp_path)) / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    channel = PrintBatchChannel(directory=folder)
    outgoing = Outgoing(idempotency_key="action:1:letter", recipient="上海", body="", document=pdf)
    first, second = channel.send(outgoing), channel.send(outgoing)
    assert first.provider_id == second.provider_id and second.duplicate
    assert len((folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_a_zh_tw_sms_carries_its_opt_out_keyword_in_traditional_characters(db_session: Session, world: World) -> None:
    request = MessageRequest(
        case_id=world.case.id,
        kind=TemplateKind.PAYMENT_REMINDER,
        channel=MessageChannel.SMS,
        as_of=AS_OF,
        idempotency_key="test:tw",
        locale=Locale.ZH_TW,
    )
    message = queue_message(
        db_session=db_session, request=request, sender=world.sender, settings=SETTINGS, comms=world.comms
    )
    assert message.status is MessageStatus.QUEUED and message.body.endswith("回覆TD退訂")
    assert "還款" in message.body
