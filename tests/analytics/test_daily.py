"""The daily aggregates: the measures read from them give what the book gives, and a day refreshed twice is unchanged.

The book is generated (seeded, so a failure reproduces): loans of two products
in and out of buckets over five months, payments (some reversed) around their
entries, cases changing hands between collectors of two teams.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from arrears.analytics import daily
from arrears.analytics.contacts import complaint_rate, contact_rates
from arrears.analytics.experiment import arm_comparison
from arrears.analytics.filters import Filters
from arrears.analytics.models import AggregatedDay
from arrears.analytics.productivity import productivity
from arrears.analytics.recovery import recovery_curve
from arrears.analytics.rolls import roll_matrix, roll_rates
from arrears.analytics.tables import Table
from arrears.cases.enums import CaseStatus
from arrears.contact.enums import PromiseStatus
from arrears.ledger.models import Loan
from arrears.org.models import Team, Tenant, User
from arrears.strategy.arms import compare
from arrears.strategy.enums import Arm, RunStatus
from arrears.strategy.models import CaseStateHistory, Run, RunStep
from arrears.strategy.run import RunContext
from tests.analytics.book import Book, at
from tests.factories import Factories

FIRST, LAST = date(2025, 12, 1), date(2026, 5, 31)
BUCKETS = ("B1", "B2", "B3")


@pytest.fixture
def source() -> str:
    """These tests compare the two paths themselves: no day is aggregated behind their backs."""
    return "book"


@pytest.fixture
def book(db_session: Session, factories: Factories) -> tuple[Tenant, list[int], list[int], list[Loan]]:
    """40 loans with one or two delinquency episodes each; returns the tenant, product ids, team ids and loans."""
    rng = random.Random(20260301)
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    made = [factories.product(tenant) for _ in range(2)]
    products = [product.id for product, _ in made]
    teams = []
    for name in ("X", "Y"):
        team = Team(tenant_id=tenant.id, name=name)
        db_session.add(team)
        db_session.flush()
        teams.append(team.id)
    collectors = [factories.user(tenant, team_id=teams[n % 2]) for n in range(3)]
    loans = []
    for n in range(40):
        loan = factories.loan(tenant=tenant, product=made[n % 2])
        loans.append(loan)
        case = helper.case_of(loan)
        holder = rng.choice(collectors)
        handover = at(FIRST + timedelta(days=rng.randrange(0, 180)), rng.randrange(0, 24))
        helper.assign(case, holder, at(FIRST - timedelta(days=30), 0), handover)
        helper.assign(case, rng.choice(collectors), handover)
        day = FIRST - timedelta(days=rng.randrange(0, 20))
        for _ in range(rng.choice((1, 2))):
            for index, bucket in enumerate(BUCKETS):
                length = rng.randrange(1, 45)
                left = day + timedelta(days=length)
                if left > LAST:
                    helper.stay(loan, bucket, day, f"{rng.randrange(100, 900)}.00", dpd=1 + 30 * index)
                    break
                onward = rng.random() < 0.4 and index < len(BUCKETS) - 1
                to = BUCKETS[index + 1] if onward else rng.choice(("current", "current", "closed"))
                helper.stay(
                    loan, bucket, day, f"{rng.randrange(100, 900)}.00", dpd=1 + 30 * index, left_on=left, left_to=to
                )
                day = left
                if not onward:
                    break
            day += timedelta(days=rng.randrange(5, 40))
        for k in range(rng.randrange(0, 7)):
            value = FIRST + timedelta(days=rng.randrange(-10, 185))
            payment = factories.payment(loan, f"{rng.randrange(10, 400)}.{rng.randrange(0, 100):02d}", value)
            if k == 0 and rng.random() < 0.3:
                payment.reversed_at = at(value + timedelta(days=1))
        entered = FIRST + timedelta(days=rng.randrange(-20, 150))
        for arm in rng.sample((Arm.CHAMPION, Arm.CHALLENGER), rng.choice((1, 2))):
            left = entered + timedelta(days=rng.randrange(1, 60))
            db_session.add(
                CaseStateHistory(case_id=case.id, policy_code="p", arm=arm, state="s", entered_on=entered, left_on=left)
            )
            entered = left
        for _ in range(rng.randrange(0, 8)):
            when = at(FIRST + timedelta(days=rng.randrange(-5, 185)), rng.randrange(0, 24))
            connected = rng.random() < 0.6
            attempt = helper.contact(
                case,
                rng.choice((*collectors, None)),
                when,
                connected=connected,
                right_party=connected and rng.random() < 0.7,
                loan=rng.choice((loan, None)),
            )
            if rng.random() < 0.4:
                status = rng.choice(list(PromiseStatus))
                helper.promise(case, "50.00", when.date() + timedelta(days=3), status, attempt=attempt, loan=loan)
            if rng.random() < 0.1:
                helper.complaint(case, when + timedelta(hours=rng.randrange(0, 30)), about=rng.choice(collectors))
        if rng.random() < 0.2:
            case.status = CaseStatus.CLOSED
    db_session.flush()
    return tenant, products, teams, loans


def _measures(db_session: Session, tenant: Tenant, products: list[int], teams: list[int]) -> dict[str, Table]:
    found: dict[str, Table] = {}
    collector = db_session.scalars(select(User.id).where(User.tenant_id == tenant.id).order_by(User.id)).first()
    assert collector is not None
    for label, start, end, as_of in (
        ("jan", date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 20)),
        ("feb-apr", date(2026, 2, 1), date(2026, 4, 30), date(2026, 5, 31)),
        ("mid-march", date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 25)),
    ):
        for product in (None, products[1]):
            for bucket in (None, "B2"):
                filters = Filters(tenant.id, start, end, product_id=product, bucket=bucket)
                key = f"{label}/{product}/{bucket}"
                found[f"curve {key}"] = recovery_curve(db_session=db_session, filters=filters, as_of=as_of)
                found[f"matrix {key}"] = roll_matrix(db_session=db_session, filters=filters, as_of=as_of)
                found[f"rates {key}"] = roll_rates(db_session=db_session, filters=filters, as_of=as_of)
                found[f"people {key}"] = productivity(db_session=db_session, filters=filters)
        team = Filters(tenant.id, start, end, team_id=teams[0])
        found[f"people {label} team"] = productivity(db_session=db_session, filters=team)
        period = Filters(tenant.id, start, end)
        found[f"arms {label}"] = arm_comparison(db_session=db_session, filters=period)
        for name, filters in (
            ("all", period),
            ("product", Filters(tenant.id, start, end, product_id=products[1])),
            ("team", team),
            ("collector", Filters(tenant.id, start, end, collector_id=collector)),
        ):
            found[f"contacts {label} {name}"] = contact_rates(db_session=db_session, filters=filters)
            found[f"complaints {label} {name}"] = complaint_rate(db_session=db_session, filters=filters)
    return found


def test_the_aggregates_give_what_the_book_gives(
    db_session: Session, book: tuple[Tenant, list[int], list[int], list[Loan]]
) -> None:
    tenant, products, teams, _ = book
    live = _measures(db_session, tenant, products, teams)
    assert sum(len(table.rows) for table in live.values()) > 500  # the book is not empty where it is measured

    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=FIRST, last=LAST)
    assert daily.covered(db_session=db_session, tenant_id=tenant.id, first=FIRST, last=LAST)
    aggregated = _measures(db_session, tenant, products, teams)

    for name, table in live.items():
        assert aggregated[name].rows == table.rows, name


def _snapshot(db_session: Session) -> dict[str, list[Any]]:
    tables = {
        "analytics_bucket_entries": "day, product_id, bucket, stays, amount",
        "analytics_entry_recoveries": "day, entered_on, product_id, bucket, days_since_entry, recovered",
        "analytics_bucket_flows": "day, product_id, from_bucket, to_state, month, loans",
        "analytics_collector_recoveries": "day, user_id, product_id, recovered",
        "analytics_case_payments": "day, case_id",
        "analytics_contacts": "day, user_id, product_id, attempts, connected, right_party",
        "analytics_days": "day",
    }
    return {
        table: sorted(tuple(row) for row in db_session.execute(text(f"SELECT {columns} FROM {table}")))
        for table, columns in tables.items()
    }


def test_refreshing_days_again_replaces_them(
    db_session: Session, book: tuple[Tenant, list[int], list[int], list[Loan]]
) -> None:
    tenant, _, _, _ = book
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=FIRST, last=LAST)
    once = _snapshot(db_session)
    assert all(once.values())

    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 1))
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 2, 10), last=date(2026, 4, 5))
    assert _snapshot(db_session) == once


def test_a_reversal_after_the_refresh_marks_its_day_and_the_stage_redoes_it(
    db_session: Session, factories: Factories
) -> None:
    """One stay in B1 from 03-02 with 100.00; 60.00 paid on 03-04 and 70.00 on 03-05 (capped: 60 + 40).
    Reversing the first payment after the refresh makes 03-04 stale; the run's stage for 03-10 refreshes from
    03-04, and the curve then counts 70.00 on day 3.
    """
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    loan = factories.loan(tenant=tenant)
    helper.stay(loan, "B1", date(2026, 3, 2), "100.00")
    first = factories.payment(loan, "60.00", date(2026, 3, 4))
    factories.payment(loan, "70.00", date(2026, 3, 5))
    db_session.flush()
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 9))
    filters = Filters(tenant.id, date(2026, 3, 1), date(2026, 3, 9))
    curve = recovery_curve(db_session=db_session, filters=filters, as_of=date(2026, 3, 9))
    assert curve.cell("recovered", bucket="B1", day=2) == 60
    assert curve.cell("recovered", bucket="B1", day=3) == 100
    assert daily.changed_since_refresh(db_session=db_session, tenant_id=tenant.id) is None

    refreshed = db_session.scalar(select(AggregatedDay.refreshed_at).where(AggregatedDay.day == date(2026, 3, 4)))
    assert refreshed is not None
    first.reversed_at = refreshed + timedelta(seconds=1)
    db_session.flush()
    assert daily.changed_since_refresh(db_session=db_session, tenant_id=tenant.id) == date(2026, 3, 4)

    context = RunContext(run_id=0, tenant_id=tenant.id, tenant_code=tenant.code, as_of=date(2026, 3, 10), actor="t")
    counts = daily.stage_aggregate(db_session, context, range(0))
    assert counts["from"] == "2026-03-04"
    assert daily.covered(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 10))
    curve = recovery_curve(db_session=db_session, filters=filters, as_of=date(2026, 3, 10))
    assert curve.cell("recovered", bucket="B1", day=2) == 0
    assert curve.cell("recovered", bucket="B1", day=3) == 70


def test_a_period_with_a_day_not_aggregated_is_read_from_the_book(db_session: Session, factories: Factories) -> None:
    """March aggregated, then 25.00 paid on 03-15 after the refresh. While 03-15 stays aggregated, productivity
    shows March as of its refresh (100.00); once 03-15 is not, March is read from the book (125.00).
    """
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    collector = factories.user(tenant)
    loan = factories.loan(tenant=tenant)
    helper.assign(helper.case_of(loan), collector, at(date(2026, 2, 1)))
    factories.payment(loan, "100.00", date(2026, 3, 3))
    db_session.flush()
    march = Filters(tenant.id, date(2026, 3, 1), date(2026, 3, 31))
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=march.start, last=march.end)
    factories.payment(loan, "25.00", date(2026, 3, 15))
    db_session.flush()

    assert productivity(db_session=db_session, filters=march).cell("recovered", collector_id=collector.id) == 100
    day = db_session.get_one(AggregatedDay, (tenant.id, date(2026, 3, 15)))
    db_session.delete(day)
    db_session.flush()
    assert productivity(db_session=db_session, filters=march).cell("recovered", collector_id=collector.id) == 125


def test_refresh_refuses_days_that_end_before_they_start(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    with pytest.raises(Exception, match="before they start"):
        daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 2), last=date(2026, 3, 1))
    assert db_session.scalar(select(AggregatedDay).where(AggregatedDay.tenant_id == tenant.id)) is None


def test_a_case_opened_after_its_payment_day_was_aggregated_is_added_by_the_stage(
    db_session: Session, factories: Factories
) -> None:
    """40.00 paid on 03-03; 03-01..03-09 aggregated; the borrower's case opened after that (champion from 03-05),
    an empty challenger beside it. The day's rows miss the case until the run's stage for 03-10 adds it; then the
    aggregates, like the book, count it as recovered in March 1-9.
    """
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    loan = factories.loan(tenant=tenant)
    factories.payment(loan, "40.00", date(2026, 3, 3))
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 9))
    refreshed = db_session.scalar(select(func.max(AggregatedDay.refreshed_at)))
    assert refreshed is not None
    case = helper.case_of(loan)
    case.created_at = refreshed + timedelta(seconds=1)
    other = helper.case_of(factories.loan(tenant=tenant))
    for row, arm in ((case, Arm.CHAMPION), (other, Arm.CHALLENGER)):
        db_session.add(
            CaseStateHistory(case_id=row.id, policy_code="p", arm=arm, state="s", entered_on=date(2026, 3, 5))
        )
    db_session.flush()
    start, end = date(2026, 3, 1), date(2026, 3, 9)

    def recovered(paid: Select[Any] | None) -> int:
        report = compare(db_session=db_session, tenant_id=tenant.id, start=start, end=end, paid=paid)
        return report.comparisons["recovered"].champion.successes

    assert recovered(None) == 1
    assert recovered(daily.paid_cases(tenant_id=tenant.id, start=start, end=end)) == 0

    context = RunContext(run_id=0, tenant_id=tenant.id, tenant_code=tenant.code, as_of=date(2026, 3, 10), actor="t")
    counts = daily.stage_aggregate(db_session, context, range(0))
    assert counts["new_case_payments"] == 1
    assert recovered(daily.paid_cases(tenant_id=tenant.id, start=start, end=end)) == 1
    assert daily.add_new_cases(db_session=db_session, tenant_id=tenant.id) == 0


def test_the_stage_looks_for_new_cases_only_since_the_previous_runs_stage_less_a_margin(
    db_session: Session, factories: Factories
) -> None:
    """Both borrowers paid on 03-03, aggregated at R. The previous run's aggregate stage began at R + 3 days, so
    this run looks at cases created after R + 2 days: the case opened at R + 2.5 days is added; the one opened
    at R + 1 second was that stage's to add, and is not looked at again (this book has no such stage's rows,
    so its absence shows what was looked at).
    """
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    loans = [factories.loan(tenant=tenant) for _ in range(2)]
    for loan in loans:
        factories.payment(loan, "40.00", date(2026, 3, 3))
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 9))
    refreshed = db_session.scalar(select(func.max(AggregatedDay.refreshed_at)))
    assert refreshed is not None
    old, new = (helper.case_of(loan) for loan in loans)
    old.created_at = refreshed + timedelta(seconds=1)
    new.created_at = refreshed + timedelta(days=2, hours=12)
    previous = Run(tenant_id=tenant.id, as_of=date(2026, 3, 9), status=RunStatus.DONE)
    db_session.add(previous)
    db_session.flush()
    db_session.add(
        RunStep(
            run_id=previous.id,
            stage="aggregate",
            partition=0,
            status=RunStatus.DONE,
            started_at=refreshed + timedelta(days=3),
        )
    )
    db_session.flush()

    context = RunContext(run_id=0, tenant_id=tenant.id, tenant_code=tenant.code, as_of=date(2026, 3, 10), actor="t")
    counts = daily.stage_aggregate(db_session, context, range(0))

    assert counts["new_case_payments"] == 1
    listed = db_session.scalars(daily.paid_cases(tenant_id=tenant.id, start=date(2026, 3, 3), end=date(2026, 3, 3)))
    assert list(listed) == [new.id]


def test_a_contact_recorded_after_the_refresh_marks_its_day_and_the_stage_redoes_it(
    db_session: Session, factories: Factories
) -> None:
    """One attempt at 23:30 UTC on 03-04 is aggregated; a second one of 03-04, recorded after the refresh, makes
    03-04 stale: until the stage runs, March from the aggregates shows 1 attempt, then 2.
    """
    helper = Book(db_session, factories)
    tenant = factories.tenant()
    collector = factories.user(tenant)
    case = helper.case_of(factories.loan(tenant=tenant))
    helper.contact(case, collector, datetime(2026, 3, 4, 23, 30, tzinfo=UTC), connected=True)
    daily.refresh(db_session=db_session, tenant_id=tenant.id, first=date(2026, 3, 1), last=date(2026, 3, 9))
    march = Filters(tenant.id, date(2026, 3, 1), date(2026, 3, 9), collector_id=collector.id)
    assert daily.read_contacts(db_session=db_session, filters=march) == (1, 1, 0)
    assert daily.changed_since_refresh(db_session=db_session, tenant_id=tenant.id) is None

    refreshed = db_session.scalar(select(func.max(AggregatedDay.refreshed_at)))
    assert refreshed is not None
    late = helper.contact(case, collector, datetime(2026, 3, 4, 8, 0, tzinfo=UTC), right_party=True)
    late.created_at = refreshed + timedelta(seconds=1)
    db_session.flush()
    assert daily.changed_since_refresh(db_session=db_session, tenant_id=tenant.id) == date(2026, 3, 4)
    assert daily.read_contacts(db_session=db_session, filters=march) == (1, 1, 0)

    context = RunContext(run_id=0, tenant_id=tenant.id, tenant_code=tenant.code, as_of=date(2026, 3, 10), actor="t")
    assert daily.stage_aggregate(db_session, context, range(0))["from"] == "2026-03-04"
    assert daily.read_contacts(db_session=db_session, filters=march) == (2, 1, 1)
    table = contact_rates(db_session=db_session, filters=march)
    assert table.rows[0][:2] == (2, 1)
