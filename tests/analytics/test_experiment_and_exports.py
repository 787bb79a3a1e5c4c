"""Champion against challenger as a table (figures from strategy.arms), the measures registry, and the exports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from sqlalchemy.orm import Session

from arrears.analytics.experiment import arm_comparison
from arrears.analytics.filters import Filters
from arrears.analytics.measures import MEASURES, Request, compute
from arrears.analytics.tables import Table, to_csv, to_xlsx
from arrears.cases.enums import CaseStatus
from arrears.errors import InvalidInput
from arrears.strategy.enums import Arm
from arrears.strategy.experiment import wilson_interval
from arrears.strategy.models import CaseStateHistory
from tests.analytics.book import Book, at
from tests.factories import Factories

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def test_arm_comparison_reports_rates_and_intervals(db_session: Session, factories: Factories) -> None:
    """Champion: C1 paid in March, C2 did not -> recovered 1/2. Challenger: C3 and C4 paid -> 2/2,
    C4 closed -> cured 1/2. Difference in recovery 1 - 1/2 = 1/2. Bounds are Wilson's (strategy.experiment).
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    loans = [factories.loan(tenant=tenant) for _ in range(4)]
    cases = [book.case_of(loan) for loan in loans]
    for case, arm in zip(cases, (Arm.CHAMPION, Arm.CHAMPION, Arm.CHALLENGER, Arm.CHALLENGER), strict=True):
        book.arm(case, arm, date(2026, 2, 20))
    for loan in (loans[0], loans[2], loans[3]):
        factories.payment(loan, "10.00", date(2026, 3, 5))
    cases[3].status = CaseStatus.CLOSED
    db_session.flush()

    table = arm_comparison(db_session=db_session, filters=Filters(tenant.id, *MARCH))

    recovered = table.row(outcome="recovered")
    assert recovered[1:4] == (2, 1, Fraction(1, 2))
    assert recovered[6:9] == (2, 2, Fraction(1))
    assert recovered[11] == Fraction(1, 2)
    low, high = wilson_interval(1, 2)
    assert (float(recovered[4]), float(recovered[5])) == (low, high)  # type: ignore[arg-type]
    assert table.cell("challenger_rate", outcome="cured") == Fraction(1, 2)
    assert table.cell("champion_rate", outcome="complained") == 0


def test_arm_comparison_edges_of_arms_payments_and_the_period(db_session: Session, factories: Factories) -> None:
    """March. C1 was champion from 20 Feb to 10 Mar, then challenger: its first state in the period counts, so it
    is champion; its only March payment was reversed -> not recovered. C3's state left on 1 Mar (the first day:
    in), it paid on 1 Mar on its borrower's second loan -> recovered. C8 paid on 31 Mar -> recovered. C4 (left
    28 Feb) and C5 (entered 1 Apr) are outside the period; C6 is another tenant's. Challenger: C2 entered on
    31 Mar, paid on 28 Feb and 1 Apr (both outside), complained at 23:59 UTC on 31 Mar -> complained; C7 closed
    -> cured; C3's complaint at 00:00 UTC on 1 Apr is outside.
    Champion: 3 cases, recovered 2, cured 0, complained 0. Challenger: 2 cases, recovered 0, cured 1, complained 1.
    """
    book = Book(db_session, factories)
    tenant, other = factories.tenant(), factories.tenant()
    loans = {name: factories.loan(tenant=tenant) for name in ("c1", "c2", "c3", "c4", "c5", "c7", "c8")}
    cases = {name: book.case_of(loan) for name, loan in loans.items()}
    second = factories.loan(tenant=tenant)
    second.borrower_id = loans["c3"].borrower_id
    foreign = factories.loan(tenant=other)
    for case, arm, entered, left in (
        (cases["c1"], Arm.CHAMPION, date(2026, 2, 20), date(2026, 3, 10)),
        (cases["c1"], Arm.CHALLENGER, date(2026, 3, 10), None),
        (cases["c2"], Arm.CHALLENGER, date(2026, 3, 31), None),
        (cases["c3"], Arm.CHAMPION, date(2026, 1, 1), date(2026, 3, 1)),
        (cases["c4"], Arm.CHALLENGER, date(2026, 1, 1), date(2026, 2, 28)),
        (cases["c5"], Arm.CHALLENGER, date(2026, 4, 1), None),
        (book.case_of(foreign), Arm.CHALLENGER, date(2026, 3, 1), None),
        (cases["c7"], Arm.CHALLENGER, date(2026, 3, 15), None),
        (cases["c8"], Arm.CHAMPION, date(2026, 3, 2), None),
    ):
        db_session.add(
            CaseStateHistory(case_id=case.id, policy_code="p", arm=arm, state="early", entered_on=entered, left_on=left)
        )
    factories.payment(loans["c1"], "10.00", date(2026, 3, 5)).reversed_at = at(date(2026, 3, 6))
    factories.payment(loans["c2"], "10.00", date(2026, 2, 28))
    factories.payment(loans["c2"], "10.00", date(2026, 4, 1))
    factories.payment(second, "10.00", date(2026, 3, 1))
    factories.payment(loans["c4"], "10.00", date(2026, 3, 5))
    factories.payment(loans["c5"], "10.00", date(2026, 3, 5))
    factories.payment(foreign, "10.00", date(2026, 3, 5))
    factories.payment(loans["c8"], "10.00", date(2026, 3, 31))
    book.complaint(cases["c2"], datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    book.complaint(cases["c3"], datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    cases["c7"].status = CaseStatus.CLOSED
    db_session.flush()

    table = arm_comparison(db_session=db_session, filters=Filters(tenant.id, *MARCH))

    def counts(outcome: str) -> tuple[object, ...]:
        row = table.row(outcome=outcome)
        return row[1], row[2], row[6], row[7]

    assert counts("recovered") == (3, 2, 2, 0)
    assert counts("cured") == (3, 0, 2, 1)
    assert counts("complained") == (3, 0, 2, 1)


def test_arm_comparison_with_an_empty_arm_has_counts_and_no_rates(db_session: Session, factories: Factories) -> None:
    book = Book(db_session, factories)
    tenant = factories.tenant()
    book.arm(book.case_of(factories.loan(tenant=tenant)), Arm.CHAMPION, date(2026, 3, 1))

    table = arm_comparison(db_session=db_session, filters=Filters(tenant.id, *MARCH))

    assert table.row(outcome="recovered") == ("recovered", 1, *(None,) * 4, 0, *(None,) * 8)


def test_every_measure_runs_on_an_empty_tenant(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    request = Request(Filters(tenant.id, *MARCH), as_of=date(2026, 4, 1))

    for name in MEASURES:
        table = compute(db_session=db_session, name=name, request=request)
        assert table.measure == name
        assert all(len(row) == len(table.columns) for row in table.rows)


def test_an_unknown_measure_is_bad_input_naming_the_known_ones(db_session: Session) -> None:
    with pytest.raises(InvalidInput, match="no measure 'recovery'") as caught:
        compute(db_session=db_session, name="recovery", request=Request(Filters(1, *MARCH), as_of=MARCH[1]))
    assert "recovery_curve" in (caught.value.hint or "")


SAMPLE = Table(
    "sample",
    ("bucket", "day", "entered", "rate", "met"),
    [("1-5", 7, Decimal("1500.00"), Fraction(4, 5), True), ("6-10", 7, Decimal("2000.00"), None, None)],
)


def test_csv_writes_amounts_and_rates_exactly() -> None:
    assert to_csv(SAMPLE) == "bucket,day,entered,rate,met\n1-5,7,1500.00,0.800000,True\n6-10,7,2000.00,,\n"


def test_xlsx_has_one_sheet_per_table_with_the_same_cells() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx([SAMPLE])))
    sheet = book["sample"]

    assert [cell.value for cell in sheet[1]] == ["bucket", "day", "entered", "rate", "met"]
    assert [cell.value for cell in sheet[2]] == ["1-5", 7, 1500, 0.8, True]
    assert [cell.value for cell in sheet[3]] == ["6-10", 7, 2000, None, None]
