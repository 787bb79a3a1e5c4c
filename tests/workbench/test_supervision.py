"""The supervisor's day, read side, on both back ends: load, money in against promises, blocks, scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import true
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case, CaseAssignment
from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.portfolio.models import Borrower
from arrears.strategy.models import QueueEntry
from arrears.workbench import supervision
from arrears.workbench.supervision import Day
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 3)
START = datetime.combine(TODAY, time(0), SHANGHAI)
DAY = Day(on=TODAY, start=START, end=START + timedelta(days=1))
D = Decimal


@dataclass
class Book:
    tenant: Tenant
    team: Team
    collector: User
    loan: Loan
    case: Case


def book(db_session: Session) -> Book:
    factories = Factories(db_session)
    tenant = factories.tenant()
    team = Team(tenant_id=tenant.id, name="一组")
    db_session.add(team)
    db_session.flush()
    collector = factories.user(tenant, Role.COLLECTOR, team_id=team.id)
    loan = factories.loan(tenant=tenant)
    case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
    db_session.add(CaseAssignment(case_id=case.id, user_id=collector.id, team_id=team.id))
    db_session.flush()
    return Book(tenant, team, collector, loan, case)


def test_money_in_counts_only_todays_unreversed_payments_on_the_cases_in_scope(db_session: Session) -> None:
    world = book(db_session)
    factories = Factories(db_session)
    received = {
        "start": DAY.start,  # 00:00 Shanghai: today
        "last": DAY.end - timedelta(microseconds=1),  # 23:59:59.999999: today
        "end": DAY.end,  # tomorrow
        "before": DAY.start - timedelta(seconds=1),  # yesterday
        "reversed": DAY.start + timedelta(hours=3),
    }
    for name, at in received.items():
        payment = factories.payment(world.loan, {"start": "100.00", "last": "0.50"}.get(name, "7000.00"), TODAY)
        payment.received_at = at.astimezone(UTC)
        if name == "reversed":
            payment.reversed_at = at
    elsewhere = factories.loan(tenant=world.tenant)
    factories.payment(elsewhere, "9999.00", TODAY).received_at = DAY.start
    db_session.flush()
    day = supervision.day_recovery(db_session=db_session, cases=Case.id == world.case.id, day=DAY)
    assert (day.paid, day.payments) == (D("100.50"), 2)


def test_promises_for_today_leave_out_cancelled_ones_and_other_days(db_session: Session) -> None:
    world = book(db_session)
    for amount, due_on, status, paid in (
        ("400.00", TODAY, PromiseStatus.OPEN, "0.00"),
        ("600.00", TODAY, PromiseStatus.PARTLY_KEPT, "250.00"),
        ("900.00", TODAY, PromiseStatus.CANCELLED, "0.00"),
        ("800.00", TODAY + timedelta(days=1), PromiseStatus.OPEN, "0.00"),
    ):
        db_session.add(
            PromiseToPay(case_id=world.case.id, amount=D(amount), due_on=due_on, status=status, amount_paid=D(paid))
        )
    Factories(db_session).payment(world.loan, "250.00", TODAY).received_at = DAY.start + timedelta(hours=1)
    db_session.flush()
    day = supervision.day_recovery(db_session=db_session, cases=Case.id == world.case.id, day=DAY)
    assert (day.promised, day.promises, day.promised_paid) == (D("1000.00"), 2, D("250.00"))
    assert day.share_of_promised == D("0.250")


def test_with_nothing_promised_there_is_no_share(db_session: Session) -> None:
    world = book(db_session)
    day = supervision.day_recovery(db_session=db_session, cases=Case.id == world.case.id, day=DAY)
    assert (day.paid, day.promised, day.share_of_promised) == (D("0.00"), D("0.00"), None)


def test_load_counts_todays_queue_distinct_cases_worked_today_and_open_promises(db_session: Session) -> None:
    world = book(db_session)
    factories = Factories(db_session)
    idle = factories.user(world.tenant, Role.COLLECTOR, team_id=world.team.id, daily_case_cap=0)
    factories.user(world.tenant, Role.COLLECTOR, team_id=world.team.id, active=False)
    factories.user(world.tenant, Role.COLLECTOR)  # no team
    spare = factories.case(factories.borrower(world.tenant))
    db_session.add_all(
        [
            QueueEntry(as_of=TODAY, user_id=world.collector.id, case_id=world.case.id, rank=1, expected_value=D("1")),
            QueueEntry(
                as_of=TODAY - timedelta(days=1),
                user_id=world.collector.id,
                case_id=world.case.id,
                rank=1,
                expected_value=D("1"),
            ),
            QueueEntry(as_of=TODAY, user_id=idle.id, case_id=spare.id, rank=1, expected_value=D("1")),
            PromiseToPay(case_id=world.case.id, amount=D("300.00"), due_on=TODAY),
            PromiseToPay(case_id=world.case.id, amount=D("50.00"), due_on=TODAY, status=PromiseStatus.KEPT),
        ]
    )
    for at in (DAY.start + timedelta(hours=2), DAY.start + timedelta(hours=5), DAY.start - timedelta(minutes=1)):
        db_session.add(
            ContactAttempt(
                case_id=world.case.id,
                user_id=world.collector.id,
                channel=ContactChannel.CALL,
                party=Party.DEBTOR,
                attempted_at=at,
                outcome=Outcome.NO_ANSWER,
                pack_version="cn 1",
            )
        )
    db_session.flush()
    loads = supervision.collector_loads(
        db_session=db_session, tenant_id=world.tenant.id, team_id=world.team.id, day=DAY
    )
    by_id = {load.user_id: load for load in loads}
    assert set(by_id) == {world.collector.id, idle.id}
    mine = by_id[world.collector.id]
    assert (mine.queued, mine.worked, mine.promises_due, mine.promised_amount) == (1, 1, 1, D("300.00"))
    assert by_id[idle.id].over_cap and not mine.over_cap
    everyone = supervision.collector_loads(db_session=db_session, tenant_id=world.tenant.id, team_id=None, day=DAY)
    assert len(everyone) == 3


def test_only_the_guards_refusals_of_today_on_cases_in_scope_are_listed(db_session: Session) -> None:
    world = book(db_session)
    factories = Factories(db_session)
    other_case = factories.case(factories.borrower(world.tenant))
    for case_id, action, at in (
        (world.case.id, "contact.blocked", DAY.start + timedelta(hours=1)),
        (world.case.id, "contact.allowed", DAY.start + timedelta(hours=1)),
        (world.case.id, "contact.blocked", DAY.start - timedelta(hours=1)),
        (other_case.id, "contact.blocked", DAY.start + timedelta(hours=1)),
    ):
        audit.record_many(
            db_session=db_session,
            rows=[
                {
                    "actor": "x",
                    "action": action,
                    "subject_type": "case",
                    "subject_id": case_id,
                    "tenant_id": world.tenant.id,
                    "occurred_at": at,
                    "details": {
                        "channel": "call",
                        "violations": [{"rule": "cn.hours", "message": "m"}],
                        "next_allowed_at": "2026-03-03T08:00:00+08:00",
                    },
                }
            ],
        )
    blocks = supervision.blocked_contacts(
        db_session=db_session, tenant_id=world.tenant.id, cases=Case.id == world.case.id, day=DAY
    )
    assert [(b.case_id, b.rules, b.next_allowed_at) for b in blocks] == [
        (world.case.id, ["cn.hours"], "2026-03-03T08:00:00+08:00")
    ]
    assert (
        len(supervision.blocked_contacts(db_session=db_session, tenant_id=world.tenant.id, cases=true(), day=DAY)) == 2
    )


@pytest.mark.parametrize(("typed", "expected"), [("12", [12]), ("12, 13 12，14", [12, 13, 14]), ("  7\n8 ", [7, 8])])
def test_case_numbers_are_read_once_each_in_order(typed: str, expected: list[int]) -> None:
    assert supervision.parse_case_ids(typed) == expected


@pytest.mark.parametrize("typed", ["", " , ", "-1", "12a", "1.5"])
def test_anything_but_case_numbers_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        supervision.parse_case_ids(typed)


def test_only_an_active_collector_of_the_team_may_be_given_work(db_session: Session) -> None:
    world = book(db_session)
    factories = Factories(db_session)
    other_team = Team(tenant_id=world.tenant.id, name="二组")
    db_session.add(other_team)
    db_session.flush()
    refused = {
        "another team": factories.user(world.tenant, Role.COLLECTOR, team_id=other_team.id).id,
        "inactive": factories.user(world.tenant, Role.COLLECTOR, team_id=world.team.id, active=False).id,
        "a lead": factories.user(world.tenant, Role.TEAM_LEAD, team_id=world.team.id).id,
        "another tenant": factories.user(role=Role.COLLECTOR).id,
        "nobody": 10**9,
    }
    for why, user_id in refused.items():
        with pytest.raises(InvalidInput):
            supervision.collector_in_scope(
                db_session=db_session, tenant_id=world.tenant.id, team_id=world.team.id, user_id=user_id
            )
            pytest.fail(why)
    found = supervision.collector_in_scope(
        db_session=db_session, tenant_id=world.tenant.id, team_id=None, user_id=refused["another team"]
    )
    assert found.team_id == other_team.id
