"""Two requests at once: a case is placed once, referred once, and an alert is raised (and audited) once.

These run in real, committed transactions on separate connections (threads). So that
what they commit never shows in other tests, they run on a database of their own,
created on the same back end and dropped afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.db.session import create_db_engine
from arrears.errors import ArrearsError
from arrears.legal import alerts, placements, service
from arrears.legal.models import LegalAlert
from arrears.legal.schemas import PlacementIn, ReferralIn
from arrears.org.enums import TenantKind
from tests.conftest import copy_sqlite, postgres_clone
from tests.factories import Factories
from tests.legal.helpers import legal_case, ready_referral, served_payment_order

T = TypeVar("T")


def race(engine: Engine, work: Callable[[Session], object], runners: int = 2) -> list[object]:
    """Run ``work`` in ``runners`` threads at once, each in its own committed transaction."""
    barrier = threading.Barrier(runners)
    results: list[object] = []

    def run() -> None:
        with Session(engine, expire_on_commit=False) as db_session:
            barrier.wait()
            try:
                with db_session.begin():
                    results.append(work(db_session))
            except ArrearsError as error:
                results.append(error)
            except Exception as error:  # SQLite: the loser may find the database locked
                results.append(error)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture(scope="module")
def engine(
    database_url: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """A migrated database used only by this module (shadows the shared one): a copy of the session's template."""
    if database_url.startswith("sqlite"):
        own = create_db_engine(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("race") / "race.sqlite3"))
        yield own
        own.dispose()
        return
    with postgres_clone(request.getfixturevalue("postgres_template"), "arrears_race") as url:
        own = create_db_engine(url)
        try:
            yield own
        finally:
            own.dispose()


def committed(engine: Engine, make: Callable[[Factories], T]) -> T:
    """Build rows in a transaction of their own that commits, so the racing threads see them."""
    with Session(engine, expire_on_commit=False) as db_session, db_session.begin():
        return make(Factories(db_session))


def test_two_placements_of_one_case_at_once_leave_one(engine: Engine) -> None:
    def make(factories: Factories) -> tuple[int, int]:
        subject = legal_case(factories)
        firm = factories.tenant()
        firm.kind = TenantKind.AGENCY
        return subject.case.id, firm.id

    case_id, agency_id = committed(engine, make)
    placement_in = PlacementIn(
        case_id=case_id,
        agency_tenant_id=agency_id,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 5, 31),
        commission_rate=Decimal("0.2"),
    )
    results = race(engine, lambda s: placements.place(db_session=s, placement_in=placement_in, actor="t").id)
    assert sum(isinstance(result, int) for result in results) == 1, results
    with Session(engine) as db_session:
        assert len(placements.get_all(db_session=db_session, tenant_id=agency_id, case_id=case_id)) == 1


def test_two_referrals_of_one_case_at_once_leave_one(engine: Engine) -> None:
    case_id = committed(engine, lambda factories: legal_case(factories).case.id)
    referral_in = ReferralIn(case_id=case_id, referred_on=date(2026, 3, 2), reason="r")
    results = race(engine, lambda s: service.refer(db_session=s, referral_in=referral_in, actor="t").id)
    assert sum(isinstance(result, int) for result in results) == 1, results
    with Session(engine) as db_session:
        assert len(service.get_referrals_of_case(db_session=db_session, case_id=case_id)) == 1


def test_an_alert_asked_for_twice_at_once_is_raised_and_audited_once(
    engine: Engine,
) -> None:
    def make(factories: Factories) -> tuple[int, int]:
        subject = legal_case(factories)
        order = served_payment_order(
            factories.db_session, ready_referral(factories.db_session, subject.case), date(2026, 3, 6)
        )
        return subject.tenant.id, order.id

    tenant_id, order_id = committed(engine, make)

    def ask(db_session: Session) -> list[bool]:
        found = alerts.alerts_due(db_session=db_session, tenant_id=tenant_id, as_of=date(2026, 3, 20))
        return [alert.newly_raised for alert in found]

    results = race(engine, ask)
    answered = [result for result in results if isinstance(result, list)]
    assert [True] in answered, results
    assert all(result == [False] for result in answered if result != [True])
    with Session(engine) as db_session:
        stored = db_session.scalar(select(func.count()).where(LegalAlert.proceeding_id == order_id))
        audited = db_session.scalar(
            select(func.count()).where(AuditRecord.action == "legal.alert_raised", AuditRecord.tenant_id == tenant_id)
        )
    assert (stored, audited) == (1, 1)
