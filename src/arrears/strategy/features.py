"""The database side of segmentation: bulk reads into Polars frames, set-based writes of segments.

Reads are a handful of GROUP BY statements over a tenant (or one case-id range of
it, the end-of-day run's partition), never a query per case. Money leaves the
database as integer cents (``*_cents`` columns): the frames feed statistics, and
no amount is ever computed from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import polars as pl
from sqlalchemy import BigInteger, Select, Table, and_, case, delete, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arrears.cases.models import Case
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.models import BucketHistory
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, LoanPosition, Payment
from arrears.portfolio.models import Borrower
from arrears.strategy.bulk import insert_rows
from arrears.strategy.definitions import DELINQUENCY_ENTRY_MAX_DPD
from arrears.strategy.models import CaseSegment
from arrears.strategy.segmentation import FEATURE_SCHEMA

LOOKBACK_DAYS = 365
"""Past punctuality looks at delinquency entries in this many days up to the as-of date."""

DELETE_CHUNK = 5_000
"""Case ids per DELETE statement: far below the bound-parameter limits of SQLite and PostgreSQL."""

CASE_FEATURE_SCHEMA: dict[str, type[pl.DataType]] = {
    **FEATURE_SCHEMA,
    "borrower_id": pl.Int64,
    "days_past_due": pl.Int64,
    "overdue_cents": pl.Int64,
    "principal_cents": pl.Int64,
}

SEGMENT_ROW_COLUMNS = (
    "case_id",
    "quadrant",
    "ability_score",
    "willingness_score",
    "cost_of_default",
    "reason",
    "persona",
    "propensity",
    "propensity_source",
)


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` in UTC: contacts up to the end of the as-of day count."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def read_features(*, db_session: Session, tenant_id: int, as_of: date, case_ids: range | None = None) -> pl.DataFrame:
    """One row per case open at the end of ``as_of`` (columns :data:`CASE_FEATURE_SCHEMA`), in case-id order.

    The cases with their borrowers are one query and each aggregate (positions,
    delinquency entries, promises, attempts, the latest tags) another, joined
    on the case id in memory. As one statement of outer-joined GROUP BY
    subqueries, the planner, misled by statistics that lag a run's fresh rows,
    would re-run an aggregate for every case (minutes on a large book); each
    query alone has no such plan to pick.
    """
    cases = _case_filter(tenant_id, as_of, case_ids)
    borrowers = (
        select(
            Case.id,
            Borrower.id,
            type_coerce(Borrower.monthly_income, BigInteger),
            Borrower.employer,
            Borrower.owns_home,
            Borrower.marital_status,
            Borrower.children,
            Borrower.is_local,
            Borrower.birth_date,
        )
        .join(Borrower, Borrower.id == Case.borrower_id)
        .where(*cases)
    )
    frame = _frame(db_session, borrowers, _BORROWER_SCHEMA)
    parts = (
        (_entries_by_case(cases, as_of), _ENTRY_COUNT_SCHEMA),
        (_promises_by_case(cases, as_of), _PROMISE_COUNT_SCHEMA),
        (_attempts_by_case(cases, as_of), _ATTEMPT_COUNT_SCHEMA),
        (_latest_tag(cases, as_of, ContactAttempt.reason_code), {"case_id": pl.Int64, "reason": pl.String}),
        (_latest_tag(cases, as_of, ContactAttempt.persona), {"case_id": pl.Int64, "persona": pl.String}),
        (_positions_by_case(cases), _POSITION_SCHEMA),
    )
    for stmt, schema in parts:
        frame = frame.join(_frame(db_session, stmt, schema), on="case_id", how="left")
    return _shape(frame.sort("case_id"))


_BORROWER_SCHEMA: dict[str, type[pl.DataType]] = {
    "case_id": pl.Int64,
    "borrower_id": pl.Int64,
    "income_cents": pl.Int64,
    "employer": pl.String,
    "owns_home": pl.Boolean,
    "marital_status": pl.String,
    "children": pl.Int64,
    "is_local": pl.Boolean,
    "birth_date": pl.Date,
}
_ENTRY_COUNT_SCHEMA: dict[str, type[pl.DataType]] = {"case_id": pl.Int64, "entries_last_year": pl.Int64}
_PROMISE_COUNT_SCHEMA: dict[str, type[pl.DataType]] = {
    "case_id": pl.Int64,
    "promises_kept": pl.Int64,
    "promises_partly_kept": pl.Int64,
    "promises_broken": pl.Int64,
}
_ATTEMPT_COUNT_SCHEMA: dict[str, type[pl.DataType]] = {"case_id": pl.Int64, "attempts": pl.Int64, "connected": pl.Int64}
_POSITION_SCHEMA: dict[str, type[pl.DataType]] = {
    "case_id": pl.Int64,
    "days_past_due": pl.Int64,
    "overdue_cents": pl.Int64,
    "principal_cents": pl.Int64,
}


def _shape(raw: pl.DataFrame) -> pl.DataFrame:
    counts = [
        "entries_last_year",
        "promises_kept",
        "promises_partly_kept",
        "promises_broken",
        "attempts",
        "connected",
        "days_past_due",
        "overdue_cents",
        "principal_cents",
    ]
    shaped = raw.with_columns(
        pl.col(counts).fill_null(0),
        monthly_income=pl.col("income_cents") / 100,
        has_employer=pl.col("employer").str.strip_chars().str.len_chars() > 0,
    )
    return shaped.select(list(CASE_FEATURE_SCHEMA))


def _case_filter(tenant_id: int, as_of: date, case_ids: range | None) -> list[ColumnElement[bool]]:
    """Cases of the tenant open at the end of ``as_of`` (by dates, so a past day can be replayed)."""
    conditions = [
        Case.tenant_id == tenant_id,
        Case.opened_on <= as_of,
        (Case.closed_on.is_(None)) | (Case.closed_on > as_of),
    ]
    if case_ids is not None:
        if case_ids.step != 1:
            raise InvalidInput("a case-id partition must be a contiguous range", where="case_ids")
        conditions += [Case.id >= case_ids.start, Case.id < case_ids.stop]
    return conditions


def _loans_of_case() -> ColumnElement[bool]:
    """A case holds every loan of its borrower within its tenant."""
    return and_(Loan.borrower_id == Case.borrower_id, Loan.tenant_id == Case.tenant_id)


def _positions_by_case(cases: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    overdue = LoanPosition.overdue_principal + LoanPosition.overdue_interest + LoanPosition.overdue_charges
    return (
        select(
            Case.id.label("case_id"),
            func.max(LoanPosition.days_past_due).label("days_past_due"),
            type_coerce(func.sum(type_coerce(overdue, BigInteger)), BigInteger).label("overdue_cents"),
            type_coerce(func.sum(type_coerce(Loan.principal, BigInteger)), BigInteger).label("principal_cents"),
        )
        .join(Loan, _loans_of_case())
        .outerjoin(LoanPosition, LoanPosition.loan_id == Loan.id)
        .where(*cases)
        .group_by(Case.id)
    )


def _entries_by_case(cases: list[ColumnElement[bool]], as_of: date) -> Select[*tuple[Any, ...]]:
    return (
        select(Case.id.label("case_id"), func.count(BucketHistory.id).label("entries"))
        .join(Loan, _loans_of_case())
        .join(BucketHistory, BucketHistory.loan_id == Loan.id)
        .where(
            *cases,
            BucketHistory.dpd_at_entry <= DELINQUENCY_ENTRY_MAX_DPD,
            BucketHistory.entered_on > as_of - timedelta(days=LOOKBACK_DAYS),
            BucketHistory.entered_on <= as_of,
        )
        .group_by(Case.id)
    )


def _count_when(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _promises_by_case(cases: list[ColumnElement[bool]], as_of: date) -> Select[*tuple[Any, ...]]:
    """Promises resolved by ``as_of`` (a broken promise without a resolution date counts from its due date)."""
    return (
        select(
            Case.id.label("case_id"),
            _count_when(PromiseToPay.status == PromiseStatus.KEPT).label("kept"),
            _count_when(PromiseToPay.status == PromiseStatus.PARTLY_KEPT).label("partly_kept"),
            _count_when(PromiseToPay.status == PromiseStatus.BROKEN).label("broken"),
        )
        .join(PromiseToPay, PromiseToPay.case_id == Case.id)
        .where(*cases, func.coalesce(PromiseToPay.resolved_on, PromiseToPay.due_on) <= as_of)
        .group_by(Case.id)
    )


def _attempts_by_case(cases: list[ColumnElement[bool]], as_of: date) -> Select[*tuple[Any, ...]]:
    """Attempts on the debtor (not on third parties) up to the end of ``as_of``."""
    return (
        select(
            Case.id.label("case_id"),
            func.count(ContactAttempt.id).label("attempts"),
            _count_when(ContactAttempt.connected.is_(True)).label("connected"),
        )
        .join(ContactAttempt, ContactAttempt.case_id == Case.id)
        .where(
            *cases,
            ContactAttempt.third_party_id.is_(None),
            ContactAttempt.attempted_at < _end_of(as_of),
        )
        .group_by(Case.id)
    )


def _latest_tag(cases: list[ColumnElement[bool]], as_of: date, column: Any) -> Select[*tuple[Any, ...]]:
    """Each case's latest non-null tag up to ``as_of`` (its tags ranked newest first, rank 1 kept)."""
    rank = func.row_number().over(
        partition_by=ContactAttempt.case_id,
        order_by=(ContactAttempt.attempted_at.desc(), ContactAttempt.id.desc()),
    )
    ranked = (
        select(ContactAttempt.case_id.label("case_id"), column.label("tag"), rank.label("rank"))
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(*cases, column.is_not(None), ContactAttempt.attempted_at < _end_of(as_of))
        .subquery()
    )
    return select(ranked.c.case_id, ranked.c.tag).where(ranked.c.rank == 1)


def write_segments(*, db_session: Session, frame: pl.DataFrame, as_of: date, within: range | None = None) -> int:
    """Replace the segments of ``frame``'s cases for ``as_of``: delete, then one bulk insert (idempotent per day).

    ``frame`` holds :data:`SEGMENT_ROW_COLUMNS`; ``propensity`` is a probability
    (float) stored exactly as four decimals. ``within`` is the case-id range
    the frame covers (the run's partition): that date's rows in it are
    replaced with one DELETE by range instead of by lists of ids. Returns the
    number of rows written.
    """
    missing = [name for name in SEGMENT_ROW_COLUMNS if name not in frame.columns]
    if missing:
        raise InvalidInput(f"the segment frame lacks {', '.join(missing)}", where="write_segments")
    case_ids: list[int] = frame["case_id"].to_list()
    if within is not None and case_ids and not (min(case_ids) in within and max(case_ids) in within):
        raise InvalidInput("the segment frame holds cases outside its range", where="write_segments")
    rows = frame.select(
        "case_id",
        pl.lit(as_of, dtype=pl.Date).alias("as_of"),
        *SEGMENT_ROW_COLUMNS[1:],
    ).with_columns(pl.col("propensity").round(4).cast(pl.Decimal(precision=6, scale=4)).cast(pl.String))
    if within is None:
        _delete_segments(db_session, case_ids, as_of)
    else:
        db_session.execute(
            delete(CaseSegment).where(
                CaseSegment.as_of == as_of, CaseSegment.case_id >= within.start, CaseSegment.case_id < within.stop
            )
        )
    return insert_rows(db_session, cast(Table, CaseSegment.__table__), rows.columns, rows.rows())


def _delete_segments(db_session: Session, case_ids: Sequence[int], as_of: date) -> None:
    for start in range(0, len(case_ids), DELETE_CHUNK):
        chunk = case_ids[start : start + DELETE_CHUNK]
        db_session.execute(delete(CaseSegment).where(CaseSegment.as_of == as_of, CaseSegment.case_id.in_(chunk)))


@dataclass(frozen=True, slots=True)
class EntryHistory:
    """A tenant's bucket entries and the events around them, as frames (the propensity model's raw data).

    ``entries``: one row per bucket entry with the borrower's attributes.
    ``payments``: loan_id, value_date of payments not reversed.
    ``promises``: case_id, resolved_on (or due_on), status of resolved promises.
    ``attempts``: case_id, day, connected of attempts on the debtor.
    """

    entries: pl.DataFrame
    payments: pl.DataFrame
    promises: pl.DataFrame
    attempts: pl.DataFrame


ENTRY_SCHEMA: dict[str, type[pl.DataType]] = {
    "entry_id": pl.Int64,
    "loan_id": pl.Int64,
    "case_id": pl.Int64,
    "borrower_id": pl.Int64,
    "entered_on": pl.Date,
    "days_past_due": pl.Int64,
    "overdue_cents": pl.Int64,
    "principal_cents": pl.Int64,
    "income_cents": pl.Int64,
    "employer": pl.String,
    "owns_home": pl.Boolean,
    "marital_status": pl.String,
    "children": pl.Int64,
    "is_local": pl.Boolean,
    "birth_date": pl.Date,
}
PAYMENT_SCHEMA: dict[str, type[pl.DataType]] = {"loan_id": pl.Int64, "value_date": pl.Date}
PROMISE_SCHEMA: dict[str, type[pl.DataType]] = {"case_id": pl.Int64, "resolved_on": pl.Date, "status": pl.String}
ATTEMPT_SCHEMA: dict[str, type[pl.DataType]] = {
    "case_id": pl.Int64,
    "attempted_at": pl.Datetime,
    "connected": pl.Boolean,
}


def read_entry_history(*, db_session: Session, tenant_id: int, through: date) -> EntryHistory:
    """Every bucket entry of the tenant's loans up to ``through``, with payments, promises and attempts.

    Four bulk reads; the leakage-free features at each entry are computed by
    :func:`arrears.strategy.propensity.training_frame`, not here.
    """
    entries = (
        select(
            BucketHistory.id,
            Loan.id,
            Case.id,
            Borrower.id,
            BucketHistory.entered_on,
            BucketHistory.dpd_at_entry,
            type_coerce(BucketHistory.overdue_at_entry, BigInteger),
            type_coerce(Loan.principal, BigInteger),
            type_coerce(Borrower.monthly_income, BigInteger),
            Borrower.employer,
            Borrower.owns_home,
            Borrower.marital_status,
            Borrower.children,
            Borrower.is_local,
            Borrower.birth_date,
        )
        .join(Loan, Loan.id == BucketHistory.loan_id)
        .join(Borrower, Borrower.id == Loan.borrower_id)
        .join(Case, and_(Case.borrower_id == Loan.borrower_id, Case.tenant_id == Loan.tenant_id))
        .where(Loan.tenant_id == tenant_id, BucketHistory.entered_on <= through)
        .order_by(BucketHistory.entered_on, BucketHistory.id)
    )
    payments = (
        select(Payment.loan_id, Payment.value_date)
        .join(Loan, Loan.id == Payment.loan_id)
        .where(Loan.tenant_id == tenant_id, Payment.reversed_at.is_(None))
    )
    promises = (
        select(PromiseToPay.case_id, func.coalesce(PromiseToPay.resolved_on, PromiseToPay.due_on), PromiseToPay.status)
        .join(Case, Case.id == PromiseToPay.case_id)
        .where(Case.tenant_id == tenant_id, PromiseToPay.status != PromiseStatus.OPEN)
    )
    attempts = (
        select(ContactAttempt.case_id, ContactAttempt.attempted_at, ContactAttempt.connected)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(Case.tenant_id == tenant_id, ContactAttempt.third_party_id.is_(None))
    )
    return EntryHistory(
        entries=_frame(db_session, entries, ENTRY_SCHEMA),
        payments=_frame(db_session, payments, PAYMENT_SCHEMA),
        promises=_frame(db_session, promises, PROMISE_SCHEMA),
        attempts=_frame(db_session, attempts, ATTEMPT_SCHEMA),
    )


def _frame(db_session: Session, stmt: Select[*tuple[Any, ...]], schema: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    rows = [tuple(_plain(value) for value in row) for row in db_session.execute(stmt)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def _plain(value: object) -> object:
    """Enum members as their values and aware times as naive UTC, the way Polars columns hold them."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    value_of = getattr(value, "value", None)
    return value_of if isinstance(value_of, str) else value
