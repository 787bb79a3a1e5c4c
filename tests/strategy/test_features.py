"""Features read in bulk and segments written set-based, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
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
from arrears.strategy.features import CASE_FEATURE_SCHEMA, read_entry_history, read_features, write_segments
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


def _varied_book(db_session: Session, factories: Factories, seed: int) -> Tenant:
    """Cases with zero to two loans, positions or none, entries, promises, tagged and untagged attempts, at random."""
    rng = random.Random(seed)
    tenant = factories.tenant()
    statuses = list(PromiseStatus)
    for number in range(14):
        case, loan = _case_with_loan(
            factories,
            tenant,
            monthly_income=rng.choice([None, Decimal("3500.50"), Decimal("12000.00")]),
            employer=rng.choice([None, "", "  ", "华为"]),
            owns_home=rng.choice([None, True, False]),
            marital_status=rng.choice(list(MaritalStatus)),
            children=rng.choice([None, 0, 2]),
            birth_date=rng.choice([None, date(1960, 3, 15), date(2001, 3, 16)]),
        )
        if number % 5 == 4:
            case.status, case.closed_on = CaseStatus.CLOSED, AS_OF - timedelta(days=rng.choice([0, -1]))
        loans = [loan]
        if rng.random() < 0.4:
            second = factories.loan(tenant=tenant)
            second.borrower_id = loan.borrower_id
            loans.append(second)
        if rng.random() < 0.2:
            loans = []  # the borrower's loans are with another tenant: no position at all
            loan.tenant_id = factories.tenant().id
        for each in loans:
            if rng.random() < 0.8:
                _position(db_session, each, dpd=rng.randint(0, 120), overdue=rng.choice(["0.00", "10.05", "999.99"]))
            for _ in range(rng.randint(0, 3)):
                _entry(
                    db_session,
                    each,
                    AS_OF - timedelta(days=rng.choice([0, 1, 200, 364, 365, -1])),
                    rng.choice([0, 1, 2]),
                )
        for _ in range(rng.randint(0, 3)):
            _promise(db_session, case, rng.choice(statuses), rng.choice([None, AS_OF, AS_OF + timedelta(days=1)]))
        for _ in range(rng.randint(0, 4)):
            at = _at(AS_OF - timedelta(days=rng.choice([0, 0, 1, 5, -1])), hour=rng.choice([0, 10, 23]))
            _attempt(
                db_session,
                case,
                at,
                connected=rng.random() < 0.5,
                reason_code=rng.choice([None, "job_loss", "salary_late"]),
                persona=rng.choice([None, "victim", "hostile"]),
            )
    db_session.flush()
    return tenant


def _features_case_by_case(db_session: Session, tenant: Tenant, case_ids: range | None) -> pl.DataFrame:
    """The features read the plain way: every case's rows fetched and counted in Python (the oracle)."""
    end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    rows = []
    cases = db_session.scalars(select(Case).where(Case.tenant_id == tenant.id).order_by(Case.id)).all()
    for case in cases:
        if case.opened_on > AS_OF or (case.closed_on is not None and case.closed_on <= AS_OF):
            continue
        if case_ids is not None and case.id not in case_ids:
            continue
        borrower = db_session.get_one(Borrower, case.borrower_id)
        loans = db_session.scalars(
            select(Loan).where(Loan.borrower_id == case.borrower_id, Loan.tenant_id == case.tenant_id)
        ).all()
        positions = [db_session.get(LoanPosition, loan.id) for loan in loans]
        known = [position for position in positions if position is not None]
        entries = [
            entry
            for loan in loans
            for entry in db_session.scalars(select(BucketHistory).where(BucketHistory.loan_id == loan.id))
            if entry.dpd_at_entry <= 1 and AS_OF - timedelta(days=365) < entry.entered_on <= AS_OF
        ]
        promises = [
            promise
            for promise in db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == case.id))
            if (promise.resolved_on or promise.due_on) <= AS_OF
        ]
        attempts = sorted(
            (
                attempt
                for attempt in db_session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case.id))
                if attempt.attempted_at < end
            ),
            key=lambda attempt: (attempt.attempted_at, attempt.id),
        )
        debtor = [attempt for attempt in attempts if attempt.third_party_id is None]
        reasons = [attempt.reason_code for attempt in attempts if attempt.reason_code is not None]
        personas = [attempt.persona for attempt in attempts if attempt.persona is not None]
        status_count = Counter(promise.status for promise in promises)
        rows.append(
            {
                "case_id": case.id,
                "monthly_income": None if borrower.monthly_income is None else float(borrower.monthly_income),
                "has_employer": None if borrower.employer is None else bool(borrower.employer.strip()),
                "owns_home": borrower.owns_home,
                "marital_status": borrower.marital_status.value,
                "children": borrower.children,
                "is_local": borrower.is_local,
                "birth_date": borrower.birth_date,
                "entries_last_year": len(entries),
                "promises_kept": status_count[PromiseStatus.KEPT],
                "promises_partly_kept": status_count[PromiseStatus.PARTLY_KEPT],
                "promises_broken": status_count[PromiseStatus.BROKEN],
                "attempts": len(debtor),
                "connected": sum(attempt.connected for attempt in debtor),
                "reason": reasons[-1] if reasons else None,
                "persona": personas[-1] if personas else None,
                "borrower_id": borrower.id,
                "days_past_due": max((position.days_past_due for position in known), default=0),
                "overdue_cents": sum(
                    int((p.overdue_principal + p.overdue_interest + p.overdue_charges) * 100) for p in known
                ),
                "principal_cents": sum(int(loan.principal * 100) for loan in loans),
            }
        )
    return pl.DataFrame(rows, schema=CASE_FEATURE_SCHEMA, orient="row")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_features_of_a_varied_book_are_what_reading_case_by_case_gives(
    db_session: Session, factories: Factories, seed: int
) -> None:
    """One query per aggregate joined in memory reads what fetching and counting each case's rows reads."""
    tenant = _varied_book(db_session, factories, seed)
    first = db_session.scalar(select(func.min(Case.id)).where(Case.tenant_id == tenant.id))
    assert first is not None
    for case_ids in (None, range(first + 3, first + 9)):
        fast = read_features(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF, case_ids=case_ids)
        assert_frame_equal(fast, _features_case_by_case(db_session, tenant, case_ids))
