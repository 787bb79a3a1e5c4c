"""Features read in bulk and segments written set-based, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.models import BucketHistory
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, LoanPosition
from arrears.org.models import Tenant
from arrears.portfolio.enums import MaritalStatus
from arrears.portfolio.models import Borrower
from arrears.strategy.enums import Quadrant
from arrears.strategy.features import read_entry_history, read_features, write_segments
from arrears.strategy.models import CaseSegment
from arrears.strategy.segmentation import segment
from tests.factories import Factories

AS_OF = date(2026, 3, 15)
ZERO = Decimal("0.00")


def _case_with_loan(factories: Factories, tenant: Tenant, **borrower_fields: object) -> tuple[Case, Loan]:
    loan = factories.loan(tenant=tenant)
    borrower = factories.db_session.get(Borrower, loan.borrower_id)
    assert borrower is not None
    for name, value in borrower_fields.items():
        setattr(borrower, name, value)
    return factories.case(borrower), loan


def _attempt(db_session: Session, case: Case, at: datetime, *, connected: bool = False, **tags: str | None) -> None:
    db_session.add(
        ContactAttempt(
            case_id=case.id,
            channel=ContactChannel.CALL,
            party=Party.DEBTOR,
            attempted_at=at,
            outcome=Outcome.ANSWERED if connected else Outcome.NO_ANSWER,
            connected=connected,
            pack_version="cn-test",
            **tags,
        )
    )


def _promise(db_session: Session, case: Case, status: PromiseStatus, resolved_on: date | None) -> None:
    db_session.add(
        PromiseToPay(
            case_id=case.id,
            amount=Decimal("100.00"),
            due_on=resolved_on or AS_OF,
            status=status,
            resolved_on=resolved_on,
        )
    )


def _position(db_session: Session, loan: Loan, *, dpd: int, overdue: str) -> None:
    db_session.add(
        LoanPosition(
            loan_id=loan.id,
            as_of=AS_OF,
            days_past_due=dpd,
            bucket="M1",
            overdue_principal=Decimal(overdue),
            overdue_interest=ZERO,
            overdue_charges=ZERO,
            charges_accrued=ZERO,
            cap_cut=ZERO,
            principal_outstanding=Decimal("3000.00"),
            payoff_amount=Decimal("3000.00"),
            paid_total=ZERO,
        )
    )


def _entry(db_session: Session, loan: Loan, entered_on: date, dpd: int = 1) -> None:
    db_session.add(
        BucketHistory(
            loan_id=loan.id, bucket="M1", entered_on=entered_on, dpd_at_entry=dpd, overdue_at_entry=Decimal("1050.00")
        )
    )


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_features_count_behaviour_up_to_the_as_of_date(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case, loan = _case_with_loan(
        factories,
        tenant,
        monthly_income=Decimal("6000.00"),
        employer="华为",
        owns_home=True,
        marital_status=MaritalStatus.MARRIED,
        children=1,
        is_local=False,
        birth_date=date(1990, 6, 1),
    )
    _position(db_session, loan, dpd=14, overdue="1050.00")
    _entry(db_session, loan, date(2025, 4, 1))
    _entry(db_session, loan, date(2026, 2, 2))
    _entry(db_session, loan, date(2026, 2, 12), dpd=11)  # a roll to a later bucket, not a new delinquency
    _entry(db_session, loan, date(2025, 3, 1))  # more than a year ago
    _promise(db_session, case, PromiseStatus.KEPT, date(2026, 2, 20))
    _promise(db_session, case, PromiseStatus.BROKEN, date(2026, 3, 1))
    _promise(db_session, case, PromiseStatus.PARTLY_KEPT, date(2026, 3, 10))
    _promise(db_session, case, PromiseStatus.BROKEN, date(2026, 3, 20))  # after the as-of date
    _attempt(db_session, case, _at(date(2026, 3, 1)), connected=True)
    _attempt(db_session, case, _at(date(2026, 3, 2)))
    _attempt(db_session, case, _at(date(2026, 3, 15), hour=23), connected=True)
    _attempt(db_session, case, _at(date(2026, 3, 16)), connected=True)  # the day after
    db_session.flush()

    row = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF).row(0, named=True)

    assert row["case_id"] == case.id
    assert row["monthly_income"] == 6000.0
    assert row["has_employer"] is True
    assert row["marital_status"] == "married"
    assert (row["children"], row["owns_home"], row["is_local"]) == (1, True, False)
    assert row["birth_date"] == date(1990, 6, 1)
    assert row["entries_last_year"] == 2
    assert (row["promises_kept"], row["promises_partly_kept"], row["promises_broken"]) == (1, 1, 1)
    assert (row["attempts"], row["connected"]) == (3, 2)
    assert (row["days_past_due"], row["overdue_cents"], row["principal_cents"]) == (14, 105_000, 300_000)


def test_reason_and_persona_are_the_latest_tagged_ones(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case, _ = _case_with_loan(factories, tenant)
    day = date(2026, 3, 1)
    _attempt(db_session, case, _at(day), reason_code="salary_late", persona="victim")
    _attempt(db_session, case, _at(day + timedelta(days=2)), reason_code="job_loss")
    _attempt(db_session, case, _at(day + timedelta(days=3)))  # untagged: does not erase the tags
    _attempt(db_session, case, _at(AS_OF + timedelta(days=1)), reason_code="dispute", persona="hostile")
    db_session.flush()

    row = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF).row(0, named=True)

    assert (row["reason"], row["persona"]) == ("job_loss", "victim")


def test_only_cases_open_at_the_date_and_in_the_range_are_read(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    first, _ = _case_with_loan(factories, tenant)
    second, _ = _case_with_loan(factories, tenant)
    closed, _ = _case_with_loan(factories, tenant)
    closed.status, closed.closed_on = CaseStatus.CLOSED, date(2026, 3, 10)
    later, _ = _case_with_loan(factories, tenant)
    later.opened_on = date(2026, 4, 1)
    _case_with_loan(factories, factories.tenant())
    db_session.flush()

    everything = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)
    partition = read_features(
        db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, case_ids=range(second.id, second.id + 1)
    )

    assert everything["case_id"].to_list() == [first.id, second.id]
    assert partition["case_id"].to_list() == [second.id]
    with pytest.raises(InvalidInput):
        read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, case_ids=range(0, 10, 2))


def test_a_case_without_any_history_reads_as_zeros_and_unknowns(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case = factories.case(factories.borrower(tenant))

    row = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF).row(0, named=True)

    assert row["case_id"] == case.id
    assert row["monthly_income"] is None
    assert row["has_employer"] is None
    assert (row["entries_last_year"], row["attempts"], row["days_past_due"], row["overdue_cents"]) == (0, 0, 0, 0)
    assert row["reason"] is None


def _segments_frame(features: pl.DataFrame, propensity: float) -> pl.DataFrame:
    return segment(features, as_of=AS_OF).with_columns(propensity=pl.lit(propensity), propensity_source=pl.lit("rules"))


def test_writing_segments_twice_for_a_day_keeps_one_row_per_case(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    cases = [_case_with_loan(factories, tenant, monthly_income=Decimal("9000.00"))[0] for _ in range(3)]
    db_session.flush()
    features = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)

    write_segments(db_session=db_session, frame=_segments_frame(features, 0.25), as_of=AS_OF)
    written = write_segments(db_session=db_session, frame=_segments_frame(features, 0.123456), as_of=AS_OF)
    write_segments(db_session=db_session, frame=_segments_frame(features, 0.5), as_of=AS_OF + timedelta(days=1))

    ids = [case.id for case in cases]
    stored = db_session.scalars(
        select(CaseSegment).where(CaseSegment.case_id.in_(ids), CaseSegment.as_of == AS_OF).order_by(CaseSegment.id)
    ).all()
    history = db_session.scalar(select(func.count()).select_from(CaseSegment).where(CaseSegment.case_id.in_(ids)))
    assert written == 3
    assert [segment.case_id for segment in stored] == ids
    assert {segment.propensity for segment in stored} == {Decimal("0.1235")}
    assert stored[0].quadrant is Quadrant.ABLE_WILLING
    assert stored[0].propensity_source == "rules"
    assert history == 6


def test_writing_a_frame_without_propensity_is_refused(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    factories.case(factories.borrower(tenant))
    features = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)

    with pytest.raises(InvalidInput, match="propensity"):
        write_segments(db_session=db_session, frame=segment(features, as_of=AS_OF), as_of=AS_OF)


def test_entry_history_reads_entries_payments_promises_and_attempts(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case, loan = _case_with_loan(factories, tenant, monthly_income=Decimal("5000.00"))
    _entry(db_session, loan, date(2026, 2, 2))
    _entry(db_session, loan, AS_OF + timedelta(days=1))
    factories.payment(loan, "100.00", date(2026, 2, 5))
    reversed_payment = factories.payment(loan, "100.00", date(2026, 2, 6))
    reversed_payment.reversed_at = _at(date(2026, 2, 7))
    _promise(db_session, case, PromiseStatus.KEPT, date(2026, 2, 5))
    _promise(db_session, case, PromiseStatus.OPEN, None)
    _attempt(db_session, case, _at(date(2026, 2, 3)), connected=True)
    db_session.flush()

    history = read_entry_history(db_session=db_session, tenant_id=tenant.id, through=AS_OF)

    assert history.entries.select("loan_id", "case_id", "entered_on", "income_cents").rows() == [
        (loan.id, case.id, date(2026, 2, 2), 500_000)
    ]
    assert history.payments.rows() == [(loan.id, date(2026, 2, 5))]
    assert history.promises.rows() == [(case.id, date(2026, 2, 5), "kept")]
    assert history.attempts.rows() == [(case.id, datetime(2026, 2, 3, 10), True)]
