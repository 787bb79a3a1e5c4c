"""Two senders working the outbox at the same moment send each message once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from arrears.comms import MessageChannel, MessageRequest, MessageStatus, TemplateKind, queue_message, send_due
from arrears.comms.channels.base import Outgoing, Receipt
from arrears.comms.models import Message
from arrears.contact.models import ContactAttempt
from arrears.db.session import create_db_engine, make_session_factory
from tests.comms.conftest import AS_OF, SETTINGS, make_world, shanghai
from tests.factories import Factories

SENDERS = 3
MESSAGES = 4


class SlowCountingGateway:
    """A provider that takes a moment per message and counts what it was given, per idempotency key."""

    name = "counting"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> Receipt:
        time.sleep(0.05)
        with self.lock:
            self.sent.append(outgoing.idempotency_key)
            return Receipt(provider_id=f"p-{len(self.sent)}")


def test_concurrent_senders_send_every_message_exactly_once(fresh_database_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    with sessions() as db_session, db_session.begin():
        world = make_world(db_session, Factories(db_session), tmp_path)
        for number in range(MESSAGES):
            request = MessageRequest(
                case_id=world.case.id,
                kind=TemplateKind.PAYMENT_REMINDER,
                channel=MessageChannel.SMS,
                as_of=AS_OF,
                idempotency_key=f"race:{number}",
            )
            queue_message(
                db_session=db_session, request=request, sender=world.sender, settings=SETTINGS, comms=world.comms
            )
        tenant_id, comms = world.tenant.id, world.comms
    gateway = SlowCountingGateway()
    start = threading.Barrier(SENDERS)
    failures: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait()
            send_due(
                factory=sessions,
                tenant_id=tenant_id,
                now=shanghai("2026-03-14T10:00:00"),
                channels={MessageChannel.SMS: gateway},
                comms=comms,
                actor="sender",
            )
        except BaseException as error:  # reported by the main thread, which owns the assertions
            failures.append(error)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert sorted(gateway.sent) == [f"race:{number}" for number in range(MESSAGES)]
        with sessions() as db_session:
            statuses = list(db_session.scalars(select(Message.status)))
            recorded = db_session.scalar(select(func.count()).select_from(ContactAttempt))
        assert statuses == [MessageStatus.SENT] * MESSAGES and recorded == MESSAGES
    finally:
        engine.dispose()
