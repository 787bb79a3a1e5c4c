"""Recovery curve and recovery by age of debt on small books whose figures are worked out by hand below."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters
from arrears.analytics.recovery import Target, age_band, recovery_by_age, recovery_curve
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.service import upsert_bucket_set
from arrears.errors import InvalidInput
from arrears.org.models import Team, Tenant
from tests.analytics.book import Book
from tests.factories import Factories

MARCH = (date(2026, 3, 1), date(2026, 3, 25))


def _curve_book(db_session: Session, factories: Factories) -> tuple[Tenant, int, int]:
    """Three entries in March, one too late, one in another tenant.

    A: enters 1-5 on 03-02 with 1,000.00; pays 300 on day 2, 400 on day 7, 500 on day 18.
    B: enters 1-5 on 03-10 with 500.00; pays 500 on day 0; a 100 paid on day 1 was reversed.
    C: enters 6-10 on 03-07 with 2,000.00 (another product); pays 200 on day 5.
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    main, other = factories.product(tenant), factories.product(tenant)
    a = factories.loan(tenant=tenant, product=main)
    book.stay(a, "1-5", date(2026, 3, 2), "1000.00", dpd=1)
    factories.payment(a, "300.00", date(2026, 3, 4))
    factories.payment(a, "400.00", date(2026, 3, 9))
    factories.payment(a, "500.00", date(2026, 3, 20))
    b = factories.loan(tenant=tenant, product=main)
    book.stay(b, "1-5", date(2026, 3, 10), "500.00", dpd=1)
    factories.payment(b, "500.00", date(2026, 3, 10))
    factories.payment(b, "100.00", date(2026, 3, 11)).reversed_at = datetime(2026, 3, 12, tzinfo=UTC)
    c = factories.loan(tenant=tenant, product=other)
    book.stay(c, "6-10", date(2026, 3, 7), "2000.00", dpd=6)
    factories.payment(c, "200.00", date(2026, 3, 12))
    late = factories.loan(tenant=tenant, product=main)
    book.stay(late, "1-5", date(2026, 3, 28), "900.00", dpd=1)
    elsewhere = factories.loan()
    book.stay(elsewhere, "1-5", date(2026, 3, 2), "700.00", dpd=1)
    factories.payment(elsewhere, "700.00", date(2026, 3, 2))
    db_session.flush()
    return tenant, main[0].id, other[0].id


def test_recovery_curve_counts_each_day_over_the_entries_old_enough(db_session: Session, factories: Factories) -> None:
    """As of 03-20, bucket 1-5:

    day 0:  A and B old enough; entered 1,500; recovered 0 + 500 = 500 -> 1/3
    day 7:  A (03-09) and B (03-17); recovered 300 + 400 + 500 = 1,200 -> 4/5, target 60%: met
    day 11: B would be 03-21, after as-of: A alone, 1,000; 700 -> 7/10
    day 15: A alone; 700 -> 7/10, target 80%: not met
    day 18: A alone; 700 + min(500, 300 left) = 1,000 -> 1
    day 19: nothing old enough: no row.
    Bucket 6-10: C, 2,000; 0 until day 4, 200 from day 5 -> 1/10; last day 13.
    """
    tenant, _, _ = _curve_book(db_session, factories)
    table = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH), as_of=date(2026, 3, 20))

    assert table.row(bucket="1-5", day=0)[2:5] == (Decimal("1500.00"), Decimal("500.00"), Fraction(1, 3))
    assert table.row(bucket="1-5", day=7)[2:] == (
        Decimal("1500.00"),
        Decimal("1200.00"),
        Fraction(4, 5),
        Fraction(3, 5),
        True,
    )
    assert table.row(bucket="1-5", day=11)[2:5] == (Decimal("1000.00"), Decimal("700.00"), Fraction(7, 10))
    assert table.row(bucket="1-5", day=15)[4:] == (Fraction(7, 10), Fraction(4, 5), False)
    assert table.row(bucket="1-5", day=18)[2:5] == (Decimal("1000.00"), Decimal("1000.00"), Fraction(1))
    assert [day for bucket, day, *_ in table.rows if bucket == "1-5"] == list(range(19))
    assert table.cell("rate", bucket="6-10", day=4) == 0
    assert table.cell("rate", bucket="6-10", day=5) == Fraction(1, 10)
    assert table.cell("target", bucket="6-10", day=7) is None
    assert [day for bucket, day, *_ in table.rows if bucket == "6-10"][-1] == 13
    assert table.columns.index("bucket") == 0 and table.rows[0][0] == "1-5"  # earliest bucket first


def test_recovery_curve_filters_by_product_and_bucket(db_session: Session, factories: Factories) -> None:
    tenant, main, other = _curve_book(db_session, factories)
    as_of = date(2026, 3, 20)

    by_product = recovery_curve(
        db_session=db_session, filters=Filters(tenant.id, *MARCH, product_id=other), as_of=as_of
    )
    by_main = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH, product_id=main), as_of=as_of)
    by_bucket = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH, bucket="1-5"), as_of=as_of)

    assert {row[0] for row in by_product.rows} == {"6-10"}
    assert {row[0] for row in by_main.rows} == {"1-5"}
    assert {row[0] for row in by_bucket.rows} == {"1-5"}
    assert by_bucket.cell("rate", bucket="1-5", day=7) == Fraction(4, 5)


def test_recovery_targets_are_configurable(db_session: Session, factories: Factories) -> None:
    """A 10% target for 6-10 by day 5 is met exactly (200 / 2,000 = 10%); the default first-bucket ones are gone."""
    tenant, _, _ = _curve_book(db_session, factories)
    table = recovery_curve(
        db_session=db_session,
        filters=Filters(tenant.id, *MARCH),
        as_of=date(2026, 3, 20),
        targets=(Target(5, Fraction(1, 10), bucket="6-10"),),
    )

    assert table.row(bucket="6-10", day=5)[5:] == (Fraction(1, 10), True)
    assert table.cell("target", bucket="1-5", day=7) is None


def test_recovery_curve_refuses_an_as_of_before_the_period(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    with pytest.raises(InvalidInput, match="before the period"):
        recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH), as_of=date(2026, 2, 28))


@pytest.mark.parametrize("day", [-1, 31])
def test_a_target_outside_the_curve_is_refused(day: int) -> None:
    with pytest.raises(InvalidInput, match="target day"):
        Target(day, Fraction(1, 2))


def test_a_target_share_above_one_is_refused() -> None:
    with pytest.raises(InvalidInput, match="share"):
        Target(7, Fraction(3, 2))


@pytest.mark.parametrize(
    ("days", "band"),
    [(0, "0-30"), (30, "0-30"), (31, "31-90"), (365, "181-365"), (366, "366-730"), (730, "366-730"), (731, "731+")],
)
def test_age_bands_at_their_edges(days: int, band: str) -> None:
    assert age_band(days) == band


def test_recovery_by_age_of_debt(db_session: Session, factories: Factories) -> None:
    """March 2026; the cohort is the stays covering 03-01.

    E: 1-5 since 02-27 at 2 DPD -> age 2 + 2 = 4 (0-30); 1,000 overdue; pays 600 in March -> 600.
    F: M3 since 01-01 at 61 DPD -> age 61 + 59 = 120 (91-180); 3,000; pays 5,000 -> capped at 3,000.
    G: M24 since 2025-03-01 at 400 DPD -> age 400 + 365 = 765 (731+); 10,000; 100 in February (before), 250 in March.
    Left out: H left on 02-20; I entered 03-02; J left on 03-01 itself.
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    e, f, g, h, i, j = (factories.loan(tenant=tenant) for _ in range(6))
    book.stay(e, "1-5", date(2026, 2, 27), "1000.00", dpd=2)
    factories.payment(e, "600.00", date(2026, 3, 31))
    book.stay(f, "M3", date(2026, 1, 1), "3000.00", dpd=61)
    factories.payment(f, "5000.00", date(2026, 3, 1))
    book.stay(g, "M24", date(2025, 3, 1), "10000.00", dpd=400)
    factories.payment(g, "100.00", date(2026, 2, 15))
    factories.payment(g, "250.00", date(2026, 3, 5))
    book.stay(h, "1-5", date(2026, 2, 1), "800.00", dpd=1, left_on=date(2026, 2, 20), left_to="current")
    book.stay(i, "1-5", date(2026, 3, 2), "800.00", dpd=1)
    book.stay(j, "1-5", date(2026, 2, 10), "800.00", dpd=1, left_on=date(2026, 3, 1), left_to="current")
    for loan in (h, i, j):
        factories.payment(loan, "800.00", date(2026, 3, 3))

    table = recovery_by_age(db_session=db_session, filters=Filters(tenant.id, date(2026, 3, 1), date(2026, 3, 31)))

    assert table.rows == [
        ("0-30", 1, Decimal("1000.00"), Decimal("600.00"), Fraction(3, 5)),
        ("31-90", 0, Decimal("0.00"), Decimal("0.00"), None),
        ("91-180", 1, Decimal("3000.00"), Decimal("3000.00"), Fraction(1)),
        ("181-365", 0, Decimal("0.00"), Decimal("0.00"), None),
        ("366-730", 0, Decimal("0.00"), Decimal("0.00"), None),
        ("731+", 1, Decimal("10000.00"), Decimal("250.00"), Fraction(1, 40)),
    ]


def test_filters_refuse_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="before it starts"):
        Filters(1, date(2026, 3, 2), date(2026, 3, 1))


def test_filters_refuse_a_period_longer_than_three_years() -> None:
    with pytest.raises(InvalidInput, match="longer than"):
        Filters(1, date(2020, 1, 1), date(2026, 1, 1))


def test_bucket_order_and_the_first_bucket_come_from_the_tenants_bucket_set(
    db_session: Session, factories: Factories
) -> None:
    """With the standard set, M1-early (1-5 DPD) is the first bucket even when a stay entered it at 3 DPD and
    M2 was entered at 2 (a mislabelled import): the set, not the history, orders the stages.
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    early, late = factories.loan(tenant=tenant), factories.loan(tenant=tenant)
    book.stay(late, "M2", date(2026, 3, 2), "100.00", dpd=2)
    book.stay(early, "M1-early", date(2026, 3, 2), "100.00", dpd=3)

    table = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH), as_of=date(2026, 3, 20))

    assert table.rows[0][0] == "M1-early"
    assert table.cell("target", bucket="M1-early", day=7) == Fraction(3, 5)
    assert table.cell("target", bucket="M2", day=7) is None


def test_a_bucket_outside_the_sets_orders_by_the_history(db_session: Session, factories: Factories) -> None:
    """ "old-M1" is in no set: the order falls back to the lowest DPD each bucket was entered at."""
    book = Book(db_session, factories)
    tenant = factories.tenant()
    upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    book.stay(factories.loan(tenant=tenant), "M2", date(2026, 3, 2), "100.00", dpd=31)
    book.stay(factories.loan(tenant=tenant), "old-M1", date(2026, 3, 2), "100.00", dpd=1)

    table = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH), as_of=date(2026, 3, 20))

    assert table.rows[0][0] == "old-M1"
    assert table.cell("target", bucket="old-M1", day=15) == Fraction(4, 5)


def test_the_curve_by_team_and_collector_counts_each_loan_by_its_own_case(
    db_session: Session, factories: Factories
) -> None:
    """A (1,000.00) is team X's case, held by U1; B (500.00) team Y's, held by U2; both enter 1-5 on 03-02 and
    recover nothing. Team X's curve has A's 1,000.00 alone, team Y's and U2's B's 500.00 alone: each loan is
    judged by the holder of its own borrower's case, not of some other case.
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    teams = [Team(tenant_id=tenant.id, name=name) for name in ("X", "Y")]
    db_session.add_all(teams)
    db_session.flush()
    holders = [factories.user(tenant, team_id=team.id) for team in teams]
    for holder, amount in zip(holders, ("1000.00", "500.00"), strict=True):
        loan = factories.loan(tenant=tenant)
        book.stay(loan, "1-5", date(2026, 3, 2), amount, dpd=1)
        book.assign(book.case_of(loan), holder, datetime(2026, 2, 1, tzinfo=UTC))
    as_of = date(2026, 3, 20)

    def entered(**slice_: int) -> object:
        table = recovery_curve(db_session=db_session, filters=Filters(tenant.id, *MARCH, **slice_), as_of=as_of)
        return table.row(bucket="1-5", day=0)[2]

    assert entered(team_id=teams[0].id) == Decimal("1000.00")
    assert entered(team_id=teams[1].id) == Decimal("500.00")
    assert entered(collector_id=holders[1].id) == Decimal("500.00")
    assert entered() == Decimal("1500.00")
