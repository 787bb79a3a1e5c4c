"""Roll matrix, roll rate and cure rate on a hand-built bucket history (B1 < B2 < B3)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters
from arrears.analytics.rolls import months, roll_matrix, roll_rates
from arrears.org.models import Tenant
from tests.analytics.book import Book
from tests.factories import Factories

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
PERIOD = (date(2026, 1, 1), date(2026, 3, 31))
AS_OF = date(2026, 3, 15)  # March has not ended: only January and February are measured


def _history(db_session: Session, factories: Factories) -> Tenant:
    """Six loans; where each stands on 01-01, 02-01 and 03-01.

    L1: B1 (12-20) -> B2 (01-19) -> B3 (02-18)          B1, B2, B3
    L2: B1 (12-25) -> current (01-10)                    B1, current, -
    L3: B1 (12-28), still there                          B1, B1, B1
    L4: B2 (12-01) -> closed (01-15)                     B2, closed, -
    L5: B1 (01-05) -> B2 (01-20) -> B1 (02-05)           -, B2, B1
    L6: B1 (02-01, the day itself), still there          -, B1, B1
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    l1, l2, l3, l4, l5, l6 = (factories.loan(tenant=tenant) for _ in range(6))
    book.stay(l1, "B1", date(2025, 12, 20), "100.00", dpd=1, left_on=date(2026, 1, 19), left_to="B2")
    book.stay(l1, "B2", date(2026, 1, 19), "100.00", dpd=31, left_on=date(2026, 2, 18), left_to="B3")
    book.stay(l1, "B3", date(2026, 2, 18), "100.00", dpd=61)
    book.stay(l2, "B1", date(2025, 12, 25), "100.00", dpd=1, left_on=date(2026, 1, 10), left_to="current")
    book.stay(l3, "B1", date(2025, 12, 28), "100.00", dpd=1)
    book.stay(l4, "B2", date(2025, 12, 1), "100.00", dpd=31, left_on=date(2026, 1, 15), left_to="closed")
    book.stay(l5, "B1", date(2026, 1, 5), "100.00", dpd=1, left_on=date(2026, 1, 20), left_to="B2")
    book.stay(l5, "B2", date(2026, 1, 20), "100.00", dpd=31, left_on=date(2026, 2, 5), left_to="B1")
    book.stay(l5, "B1", date(2026, 2, 5), "100.00", dpd=25)
    book.stay(l6, "B1", date(2026, 2, 1), "100.00", dpd=1)
    return tenant


def test_months_measured_are_those_ended_by_the_as_of_date() -> None:
    assert months(Filters(1, *PERIOD), AS_OF) == [JAN, FEB]
    assert months(Filters(1, date(2026, 1, 2), date(2026, 3, 31)), date(2026, 4, 1)) == [FEB, date(2026, 3, 1)]


def test_roll_matrix_counts_each_loan_once_per_month(db_session: Session, factories: Factories) -> None:
    """January: B1 holds L1, L2, L3 (to B2, current, B1: a third each); B2 holds L4 (closed).
    February: B1 holds L3, L6 (both stay); B2 holds L1 (to B3) and L5 (back to B1), a half each.
    """
    tenant = _history(db_session, factories)
    table = roll_matrix(db_session=db_session, filters=Filters(tenant.id, *PERIOD), as_of=AS_OF)

    third = Fraction(1, 3)
    assert table.rows == [
        (JAN, "B1", "B1", 1, third),
        (JAN, "B1", "B2", 1, third),
        (JAN, "B1", "current", 1, third),
        (JAN, "B2", "closed", 1, Fraction(1)),
        (FEB, "B1", "B1", 2, Fraction(1)),
        (FEB, "B2", "B1", 1, Fraction(1, 2)),
        (FEB, "B2", "B3", 1, Fraction(1, 2)),
    ]


def test_roll_and_cure_rates(db_session: Session, factories: Factories) -> None:
    """January B1: 3 loans, 1 rolled (1/3), 1 stayed, 1 cured (1/3). January B2: 1 loan closed: roll 0, cure 0.
    February B1: 2 stayed. February B2: L1 rolled (1/2), L5 improved.
    """
    tenant = _history(db_session, factories)
    table = roll_rates(db_session=db_session, filters=Filters(tenant.id, *PERIOD), as_of=AS_OF)

    assert table.rows == [
        (JAN, "B1", 3, 1, Fraction(1, 3), 1, 0, 1, Fraction(1, 3), 0),
        (JAN, "B2", 1, 0, Fraction(0), 0, 0, 0, Fraction(0), 1),
        (FEB, "B1", 2, 0, Fraction(0), 2, 0, 0, Fraction(0), 0),
        (FEB, "B2", 2, 1, Fraction(1, 2), 0, 1, 0, Fraction(0), 0),
    ]


def test_roll_rates_by_bucket_keep_only_that_bucket(db_session: Session, factories: Factories) -> None:
    tenant = _history(db_session, factories)
    table = roll_rates(db_session=db_session, filters=Filters(tenant.id, *PERIOD, bucket="B2"), as_of=AS_OF)

    assert [(row[0], row[1], row[2]) for row in table.rows] == [(JAN, "B2", 1), (FEB, "B2", 2)]


def test_no_month_ended_means_no_rows(db_session: Session, factories: Factories) -> None:
    tenant = _history(db_session, factories)
    table = roll_rates(db_session=db_session, filters=Filters(tenant.id, *PERIOD), as_of=date(2026, 1, 31))

    assert table.rows == []
