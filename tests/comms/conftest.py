"""A lender with the shipped templates seeded and one overdue debtor reachable by SMS, email and post."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.cases.models import Case
from arrears.comms import CommsSettings, seed_shipped
from arrears.comms.channels.sms_http import verify
from arrears.delinquency.daily_pass import recompute_loans
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.enums import Channel, ContactLabel
from arrears.portfolio.models import Borrower, ContactPoint
from arrears.scripts.library import ScriptSettings
from arrears.scripts.library.enums import Locale
from arrears.strategy.enums import ActionStatus, Arm, Timing, Treatment
from arrears.strategy.models import CollectionAction
from tests.factories import Factories

AS_OF = date(2026, 3, 13)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "+8613800138000"
EMAIL = "zhang.wei@example.com"
ADDRESS = "上海市浦东新区世纪大道100号"
SETTINGS = ScriptSettings(
    hotline="400-820-1234",
    payment_channels={Locale.ZH_CN: ["官方APP", "对公银行账户"], Locale.EN: ["the official app"]},
)
SMS_KEY = "sms-api-key"
SMS_SECRET = "sms-signing-secret"


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class World:
    tenant: Tenant
    case: Case
    borrower: Borrower
    sender: User
    comms: CommsSettings

    def action(
        self, db_session: Session, treatment: Treatment, as_of: date = AS_OF, index: int = 0
    ) -> CollectionAction:
        action = CollectionAction(
            key=f"{self.case.id}:{as_of.isoformat()}:{treatment.value}:{index}",
            case_id=self.case.id,
            as_of=as_of,
            treatment=treatment,
            timing=Timing.ANY_TIME,
            plan={},
            state="central",
            arm=Arm.CHAMPION,
            status=ActionStatus.DUE,
        )
        db_session.add(action)
        db_session.flush()
        return action


def make_world(
    db_session: Session, factories: Factories, tmp_path: object, *, pack: str = "cn", tenant: Tenant | None = None
) -> World:
    """A debtor of ``tenant`` (a new lender on ``pack`` by default)."""
    if tenant is None:
        tenant = factories.tenant()
        tenant.name = "安信消费金融" if pack == "cn" else "Anxin Consumer Finance"
        tenant.compliance_pack = pack
    loan = factories.loan(tenant=tenant)
    borrower = db_session.get_one(Borrower, loan.borrower_id)
    borrower.name = "张伟" if pack == "cn" else "Zhang Wei"
    borrower.address = ADDRESS
    if pack == "us":
        borrower.timezone = "America/New_York"
    db_session.add_all(
        [
            ContactPoint(
                borrower_id=borrower.id, channel=Channel.PHONE, label=ContactLabel.MOBILE, value=PHONE, is_primary=True
            ),
            ContactPoint(borrower_id=borrower.id, channel=Channel.EMAIL, label=ContactLabel.OTHER, value=EMAIL),
        ]
    )
    db_session.flush()
    recompute_loans(db_session=db_session, loan_ids=[loan.id], as_of=AS_OF, actor="test")
    case = db_session.scalars(select(Case).where(Case.borrower_id == borrower.id)).one()
    sender = factories.user(tenant, role=Role.OPERATIONS)
    seed_shipped(db_session=db_session, at=datetime(2026, 1, 1, tzinfo=UTC))
    comms = CommsSettings(
        sms_endpoint="http://127.0.0.1:9/unused",
        print_dir=tmp_path / "print",  # type: ignore[operator]
        unsubscribe_url="https://lender.example/unsubscribe",
        backoff_seconds=60,
        max_attempts=3,
    )
    return World(tenant=tenant, case=case, borrower=borrower, sender=sender, comms=comms)


@pytest.fixture
def world(db_session: Session, factories: Factories, tmp_path: object) -> World:
    return make_world(db_session, factories, tmp_path)


def factory_on(db_session: Session) -> sessionmaker[Session]:
    """Units of work that are savepoints of the test's transaction (as the run's tests do)."""
    return sessionmaker(bind=db_session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


@dataclass
class SmsGateway:
    """A real HTTP SMS gateway on localhost: checks key and signature, deduplicates by idempotency key."""

    url: str
    requests: list[dict[str, object]] = field(default_factory=list)
    delivered: list[dict[str, object]] = field(default_factory=list)
    answer_status: int | None = None
    bad_signatures: int = 0


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    ids: dict[str, str] = {}
    lock = threading.Lock()
    gateway = SmsGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp, presented = self.headers["X-Timestamp"], self.headers["X-Signature"]
            if self.headers["X-Api-Key"] != SMS_KEY or not verify(SMS_SECRET, timestamp, body, presented):
                gateway.bad_signatures += 1
                return self._answer(401, {"error": "bad signature"})
            payload = json.loads(body)
            with lock:
                gateway.requests.append(payload)
                if gateway.answer_status is not None:
                    return self._answer(gateway.answer_status, {"error": "scripted failure"})
                key = str(payload["idempotency_key"])
                if key in ids:
                    return self._answer(409, {"id": ids[key], "duplicate": True})
                ids[key] = f"gw-{len(ids) + 1}"
                gateway.delivered.append(payload)
                return self._answer(200, {"id": ids[key]})

        def _answer(self, status: int, data: dict[str, object]) -> None:
            encoded = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
