"""The daily aggregates: written per tenant and closed day, read by the slow measures instead of the whole book.

A day's aggregates are a pure function of the book: :func:`refresh` deletes the
rows of the days it is given and writes them again, so aggregating a day twice
leaves what aggregating it once does. The end-of-day run's ``aggregate`` stage
refreshes the run's day, any days skipped since the last one, and the days that
payments received or reversed, or contact attempts recorded, since their refresh
could change, and adds the case payments of cases opened since; ``arrears
analytics refresh --from --to`` backfills history. A measure reads the
aggregates only when every day it needs is listed in ``analytics_days`` and its
filters are ones the aggregates hold (tenant, period, product, bucket; for
contacts, the person); otherwise it reads the book as before, with the same
result (docs/metrics.md).

Polars is imported where it is used: the run and the command line load this
module without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Date,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from arrears.analytics.filters import Filters, actor_dimensions
from arrears.analytics.models import (
    AggregatedDay,
    BucketEntryDay,
    BucketFlowMonth,
    CasePaymentDay,
    CollectorRecoveryDay,
    ContactDay,
    EntryRecoveryDay,
)
from arrears.cases.models import Case, CaseAssignment
from arrears.contact.models import ContactAttempt
from arrears.dates import add_months
from arrears.db.base import utcnow
from arrears.delinquency.models import BucketHistory
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, Payment
from arrears.strategy.enums import RunStatus
from arrears.strategy.models import Run, RunStep

if TYPE_CHECKING:
    import polars as pl

    from arrears.strategy.run import RunContext

HORIZON_DAYS = 30
"""Days after entry a payment counts towards an entry's recovery (:data:`arrears.analytics.recovery.HORIZON_DAYS`)."""

WINDOW_DAYS = 31
"""Days refreshed per bulk read of stays and payments (bounds the memory of a long backfill)."""

CATCH_UP_DAYS = 31
"""The most days the run's stage fills in when runs were skipped; older gaps are the backfill command's."""

TABLES = (BucketEntryDay, EntryRecoveryDay, BucketFlowMonth, CollectorRecoveryDay, CasePaymentDay, ContactDay)


class PlusDays(FunctionElement[date]):
    """A date column plus a whole number of days, in each dialect's own date arithmetic."""

    type = Date()
    inherit_cache = True


@compiles(PlusDays, "postgresql")
def _plus_days_postgresql(element: PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return f"({compiler.process(column, **kw)} + {compiler.process(days, **kw)})"


@compiles(PlusDays, "sqlite")
def _plus_days_sqlite(element: PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


class UtcDay(FunctionElement[date]):
    """The UTC calendar day of a stored time (stored in UTC: naive on SQLite, ``timestamptz`` on PostgreSQL)."""

    type = Date()
    inherit_cache = True


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(UtcDay, "sqlite")
def _utc_day_sqlite(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"date({compiler.process(column, **kw)})"


def answers(filters: Filters) -> bool:
    """Whether the aggregates hold every filter given: they are kept by product and bucket, not by case."""
    return filters.team_id is None and filters.collector_id is None and filters.arm is None


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def covered(*, db_session: Session, tenant_id: int, first: date, last: date) -> bool:
    """Whether every day from ``first`` to ``last`` is aggregated (an empty range is)."""
    if last < first:
        return True
    found = db_session.scalar(
        select(func.count()).where(
            AggregatedDay.tenant_id == tenant_id, AggregatedDay.day >= first, AggregatedDay.day <= last
        )
    )
    return found == (last - first).days + 1


def covered_days(*, db_session: Session, tenant_id: int, days: Iterable[date]) -> bool:
    """Whether each of ``days`` is aggregated."""
    wanted = set(days)
    if not wanted:
        return True
    found = db_session.scalar(
        select(func.count()).where(AggregatedDay.tenant_id == tenant_id, AggregatedDay.day.in_(sorted(wanted)))
    )
    return found == len(wanted)


# --- reading -------------------------------------------------------------------------------------------------


def read_recovery(*, db_session: Session, filters: Filters, last_day: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries (bucket, entered_on, amount) and gains (bucket, entered_on, offset, gain) of the period's stays."""
    import polars as pl

    entry_where = [
        BucketEntryDay.tenant_id == filters.tenant_id,
        BucketEntryDay.day >= filters.start,
        BucketEntryDay.day <= filters.end,
    ]
    gain_where = [
        EntryRecoveryDay.tenant_id == filters.tenant_id,
        EntryRecoveryDay.entered_on >= filters.start,
        EntryRecoveryDay.entered_on <= filters.end,
        EntryRecoveryDay.day <= last_day,
    ]
    if filters.product_id is not None:
        entry_where.append(BucketEntryDay.product_id == filters.product_id)
        gain_where.append(EntryRecoveryDay.product_id == filters.product_id)
    if filters.bucket is not None:
        entry_where.append(BucketEntryDay.bucket == filters.bucket)
        gain_where.append(EntryRecoveryDay.bucket == filters.bucket)
    entries = pl.DataFrame(
        db_session.execute(
            select(BucketEntryDay.bucket, BucketEntryDay.day, type_coerce(func.sum(BucketEntryDay.amount), BigInteger))
            .where(*entry_where)
            .group_by(BucketEntryDay.bucket, BucketEntryDay.day)
        ).all(),
        schema={"bucket": pl.String, "entered_on": pl.Date, "amount": pl.Int64},
        orient="row",
    )
    gains = pl.DataFrame(
        db_session.execute(
            select(
                EntryRecoveryDay.bucket,
                EntryRecoveryDay.entered_on,
                EntryRecoveryDay.days_since_entry,
                type_coerce(func.sum(EntryRecoveryDay.recovered), BigInteger),
            )
            .where(*gain_where)
            .group_by(EntryRecoveryDay.bucket, EntryRecoveryDay.entered_on, EntryRecoveryDay.days_since_entry)
        ).all(),
        schema={"bucket": pl.String, "entered_on": pl.Date, "offset": pl.Int64, "gain": pl.Int64},
        orient="row",
    )
    return entries, gains


def read_flows(*, db_session: Session, filters: Filters, months: list[date]) -> list[tuple[date, str, str, int]]:
    """(month, from bucket, to state, loans) of ``months``, summed over products (or of the filtered one)."""
    where = [
        BucketFlowMonth.tenant_id == filters.tenant_id,
        BucketFlowMonth.day.in_([add_months(month, 1) for month in months]),
    ]
    if filters.product_id is not None:
        where.append(BucketFlowMonth.product_id == filters.product_id)
    if filters.bucket is not None:
        where.append(BucketFlowMonth.from_bucket == filters.bucket)
    rows = db_session.execute(
        select(
            BucketFlowMonth.month,
            BucketFlowMonth.from_bucket,
            BucketFlowMonth.to_state,
            func.sum(BucketFlowMonth.loans),
        )
        .where(*where)
        .group_by(BucketFlowMonth.month, BucketFlowMonth.from_bucket, BucketFlowMonth.to_state)
    )
    return [(month, source, target, int(loans)) for month, source, target, loans in rows]


def read_collector_recoveries(*, db_session: Session, filters: Filters) -> dict[int, int]:
    """Cents recovered in the period per collector (the holder at the end of each value date)."""
    where = [
        CollectorRecoveryDay.tenant_id == filters.tenant_id,
        CollectorRecoveryDay.day >= filters.start,
        CollectorRecoveryDay.day <= filters.end,
    ]
    if filters.product_id is not None:
        where.append(CollectorRecoveryDay.product_id == filters.product_id)
    rows = db_session.execute(
        select(CollectorRecoveryDay.user_id, type_coerce(func.sum(CollectorRecoveryDay.recovered), BigInteger))
        .where(*where)
        .group_by(CollectorRecoveryDay.user_id)
    )
    return {int(user): int(cents) for user, cents in rows}


def paid_cases(*, tenant_id: int, start: date, end: date) -> Select[Any]:
    """The ids (``case_id``) of the cases with a payment valued from ``start`` to ``end``, as
    :func:`arrears.strategy.arms.paid_cases` reads them from the book (a case paying on several days is listed
    once per day).
    """
    return select(CasePaymentDay.case_id).where(
        CasePaymentDay.tenant_id == tenant_id, CasePaymentDay.day >= start, CasePaymentDay.day <= end
    )


def read_contacts(*, db_session: Session, filters: Filters) -> tuple[int, int, int]:
    """Attempts, connected and right-party attempts of the period, by the filtered people on the filtered product."""
    where = [
        ContactDay.tenant_id == filters.tenant_id,
        ContactDay.day >= filters.start,
        ContactDay.day <= filters.end,
        actor_dimensions(filters, ContactDay.user_id),
    ]
    if filters.product_id is not None:
        where.append(ContactDay.product_id == filters.product_id)
    attempts, connected, right_party = db_session.execute(
        select(
            func.coalesce(_total(ContactDay.attempts), 0),
            func.coalesce(_total(ContactDay.connected), 0),
            func.coalesce(_total(ContactDay.right_party), 0),
        ).where(*where)
    ).one()
    return int(attempts), int(connected), int(right_party)


# --- writing -------------------------------------------------------------------------------------------------


def refresh(*, db_session: Session, tenant_id: int, first: date, last: date) -> dict[str, int]:
    """Aggregate the tenant's days ``first`` to ``last`` again, replacing what they held; rows written per table.

    Runs in the caller's transaction: a failure leaves the days as they were.
    """
    if last < first:
        raise InvalidInput(f"the days end ({last}) before they start ({first})", where="--to")
    if (last - first).days >= 366 * 3:
        raise InvalidInput(
            f"{first} to {last} is more than three years", where="--from", hint="refresh at most three years at once"
        )
    for table in TABLES:
        db_session.execute(delete(table).where(table.tenant_id == tenant_id, table.day >= first, table.day <= last))
    db_session.execute(
        delete(AggregatedDay).where(
            AggregatedDay.tenant_id == tenant_id, AggregatedDay.day >= first, AggregatedDay.day <= last
        )
    )
    written = {
        "entries": _write(db_session, BucketEntryDay, _entries(db_session, tenant_id, first, last)),
        "collector_recoveries": _write(
            db_session, CollectorRecoveryDay, _collectors(db_session, tenant_id, first, last)
        ),
        "case_payments": _case_payments(db_session, tenant_id, first, last),
        "contacts": _write(db_session, ContactDay, _contacts(db_session, tenant_id, first, last)),
        "entry_recoveries": 0,
        "flows": 0,
    }
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=WINDOW_DAYS - 1))
        written["entry_recoveries"] += _write(db_session, EntryRecoveryDay, _gains(db_session, tenant_id, start, end))
        start = end + timedelta(days=1)
    for day in _days(first, last):
        if day.day == 1:
            written["flows"] += _write(db_session, BucketFlowMonth, _flows(db_session, tenant_id, day))
    now = utcnow()
    written["days"] = _write(
        db_session,
        AggregatedDay,
        [{"tenant_id": tenant_id, "day": day, "refreshed_at": now} for day in _days(first, last)],
    )
    return written


def _write(db_session: Session, table: type[Any], rows: list[dict[str, Any]]) -> int:
    if rows:
        db_session.execute(insert(table), rows)
    return len(rows)


def _cents(column: Any) -> Any:
    return type_coerce(func.sum(column), BigInteger)


_total = _cents
"""A sum of whole numbers (counts), kept exact as :func:`_cents` keeps money."""


def _entries(db_session: Session, tenant_id: int, first: date, last: date) -> list[dict[str, Any]]:
    rows = db_session.execute(
        select(
            BucketHistory.entered_on,
            Loan.product_id,
            BucketHistory.bucket,
            func.count(),
            _cents(BucketHistory.overdue_at_entry),
        )
        .join(Loan, Loan.id == BucketHistory.loan_id)
        .where(Loan.tenant_id == tenant_id, BucketHistory.entered_on >= first, BucketHistory.entered_on <= last)
        .group_by(BucketHistory.entered_on, Loan.product_id, BucketHistory.bucket)
    )
    return [
        {"tenant_id": tenant_id, "day": day, "product_id": product, "bucket": bucket, "stays": stays, "amount": cents}
        for day, product, bucket, stays, cents in rows
    ]


def _gains(db_session: Session, tenant_id: int, first: date, last: date) -> list[dict[str, Any]]:
    """Capped gains on the value dates ``first`` .. ``last`` of every stay entered up to 30 days before."""
    import polars as pl

    from arrears.analytics.recovery import PAID_SCHEMA, capped_gains

    rows = db_session.execute(
        select(
            BucketHistory.id,
            BucketHistory.bucket,
            BucketHistory.entered_on,
            type_coerce(BucketHistory.overdue_at_entry, BigInteger),
            Payment.value_date,
            _cents(Payment.amount),
            Loan.product_id,
        )
        .join(Loan, Loan.id == BucketHistory.loan_id)
        .join(Payment, Payment.loan_id == BucketHistory.loan_id)
        .where(
            Loan.tenant_id == tenant_id,
            BucketHistory.entered_on >= first - timedelta(days=HORIZON_DAYS),
            BucketHistory.entered_on <= last,
            Payment.reversed_at.is_(None),
            Payment.value_date >= BucketHistory.entered_on,
            Payment.value_date <= last,
            Payment.value_date <= PlusDays(BucketHistory.entered_on, HORIZON_DAYS),
        )
        .group_by(
            BucketHistory.id,
            BucketHistory.bucket,
            BucketHistory.entered_on,
            BucketHistory.overdue_at_entry,
            Payment.value_date,
            Loan.product_id,
        )
    ).all()
    paid = pl.DataFrame(rows, schema={**PAID_SCHEMA, "product": pl.Int64}, orient="row")
    gains = (
        capped_gains(paid, HORIZON_DAYS, ("bucket", "entered_on", "product"))
        .with_columns(day=pl.col("entered_on") + pl.duration(days=pl.col("offset")))
        .filter((pl.col("day") >= first) & (pl.col("gain") != 0))
    )
    return [
        {
            "tenant_id": tenant_id,
            "day": day,
            "entered_on": entered_on,
            "product_id": product,
            "bucket": bucket,
            "days_since_entry": offset,
            "recovered": gain,
        }
        for bucket, entered_on, product, offset, gain, day in gains.select(
            "bucket", "entered_on", "product", "offset", "gain", "day"
        ).iter_rows()
    ]


def _flows(db_session: Session, tenant_id: int, day: date) -> list[dict[str, Any]]:
    """The month before ``day`` (a 1st): where each loan in a bucket on its 1st stood on ``day``."""
    from arrears.analytics.rolls import month_flows, read_stays

    month = add_months(day, -1)
    stays = read_stays(db_session=db_session, where=[Loan.tenant_id == tenant_id], first=month, last=day)
    return [
        {
            "tenant_id": tenant_id,
            "day": day,
            "month": month,
            "product_id": product,
            "from_bucket": source,
            "to_state": target,
            "loans": count,
        }
        for source, target, product, count in month_flows(stays, month).iter_rows()
    ]


def _collectors(db_session: Session, tenant_id: int, first: date, last: date) -> list[dict[str, Any]]:
    """Payments valued ``first`` .. ``last`` per value date, holder at the end of that date, and product."""
    from arrears.analytics.productivity import DayAfter

    day_end = DayAfter(Payment.value_date)
    rows = db_session.execute(
        select(Payment.value_date, CaseAssignment.user_id, Loan.product_id, _cents(Payment.amount))
        .select_from(Payment)
        .join(Loan, Loan.id == Payment.loan_id)
        .join(Case, (Case.tenant_id == Loan.tenant_id) & (Case.borrower_id == Loan.borrower_id))
        .join(
            CaseAssignment,
            and_(
                CaseAssignment.case_id == Case.id,
                CaseAssignment.assigned_at < day_end,
                or_(CaseAssignment.ended_at.is_(None), CaseAssignment.ended_at >= day_end),
            ),
        )
        .where(
            Loan.tenant_id == tenant_id,
            Payment.reversed_at.is_(None),
            Payment.value_date >= first,
            Payment.value_date <= last,
            CaseAssignment.user_id.is_not(None),
        )
        .group_by(Payment.value_date, CaseAssignment.user_id, Loan.product_id)
    )
    return [
        {"tenant_id": tenant_id, "day": day, "user_id": user, "product_id": product, "recovered": cents}
        for day, user, product, cents in rows
    ]


def _case_payments(db_session: Session, tenant_id: int, first: date, last: date) -> int:
    """Write each case with a payment (not reversed) valued ``first`` .. ``last`` on its borrower's loans, by value
    date, in the database (one INSERT ... SELECT: the rows never travel to Python); how many were written.
    """
    paid = (
        select(literal(tenant_id), Payment.value_date, Case.id)
        .select_from(Payment)
        .join(Loan, Loan.id == Payment.loan_id)
        .join(Case, (Case.tenant_id == Loan.tenant_id) & (Case.borrower_id == Loan.borrower_id))
        .where(
            Loan.tenant_id == tenant_id,
            Payment.reversed_at.is_(None),
            Payment.value_date >= first,
            Payment.value_date <= last,
        )
        .distinct()
    )
    db_session.execute(insert(CasePaymentDay).from_select(["tenant_id", "day", "case_id"], paid))
    written = db_session.scalar(
        select(func.count()).where(
            CasePaymentDay.tenant_id == tenant_id, CasePaymentDay.day >= first, CasePaymentDay.day <= last
        )
    )
    return int(written or 0)


def _contacts(db_session: Session, tenant_id: int, first: date, last: date) -> list[dict[str, Any]]:
    """Attempts on the tenant's cases from ``first`` 00:00 UTC to the end of ``last``, per UTC day, person and
    product of the loan they were about.
    """
    since = datetime.combine(first, time(0), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    day = UtcDay(ContactAttempt.attempted_at)
    user = func.coalesce(ContactAttempt.user_id, 0)
    product = func.coalesce(Loan.product_id, 0)
    rows = db_session.execute(
        select(
            day,
            user,
            product,
            func.count(),
            func.sum(case((ContactAttempt.connected, 1), else_=0)),
            func.sum(case((ContactAttempt.right_party, 1), else_=0)),
        )
        .select_from(ContactAttempt)
        .join(Case, Case.id == ContactAttempt.case_id)
        .outerjoin(Loan, Loan.id == ContactAttempt.loan_id)
        .where(Case.tenant_id == tenant_id, ContactAttempt.attempted_at >= since, ContactAttempt.attempted_at < until)
        .group_by(day, user, product)
    )
    return [
        {
            "tenant_id": tenant_id,
            "day": on,
            "user_id": user_id,
            "product_id": product_id,
            "attempts": attempts,
            "connected": connected,
            "right_party": right_party,
        }
        for on, user_id, product_id, attempts, connected, right_party in rows
    ]


def add_new_cases(*, db_session: Session, tenant_id: int, since: datetime | None = None) -> int:
    """Write the case payments of cases opened after the days their payments fall on were aggregated.

    A day's rows list the cases that existed when it was refreshed; a case the
    pass opens later (for a borrower who paid on that day) is added here, day
    by day, for the days refreshed before its creation. Only cases created after
    ``since`` are looked at: the run's stage passes the time its last run did
    this (less a margin), so a night's work is the cases opened since, not every
    case opened since the aggregates began (the default). Returns the rows added.
    """
    if since is None:
        since = db_session.scalar(
            select(func.min(AggregatedDay.refreshed_at)).where(AggregatedDay.tenant_id == tenant_id)
        )
        if since is None:
            return 0
    stale = (
        select(AggregatedDay.tenant_id, Payment.value_date, Case.id)
        .select_from(Case)
        .join(Loan, (Loan.tenant_id == Case.tenant_id) & (Loan.borrower_id == Case.borrower_id))
        .join(Payment, Payment.loan_id == Loan.id)
        .join(AggregatedDay, (AggregatedDay.tenant_id == Case.tenant_id) & (AggregatedDay.day == Payment.value_date))
        .where(
            Case.tenant_id == tenant_id,
            # Stated alone, it lets the cases be narrowed before any join.
            Case.created_at > since,
            Case.created_at > AggregatedDay.refreshed_at,
            Payment.reversed_at.is_(None),
            ~exists().where(
                CasePaymentDay.tenant_id == Case.tenant_id,
                CasePaymentDay.day == Payment.value_date,
                CasePaymentDay.case_id == Case.id,
            ),
        )
        .distinct()
    )
    rows = [{"tenant_id": tenant, "day": day, "case_id": case_id} for tenant, day, case_id in db_session.execute(stale)]
    return _write(db_session, CasePaymentDay, rows)


# --- keeping fresh -------------------------------------------------------------------------------------------


def changed_since_refresh(*, db_session: Session, tenant_id: int) -> date | None:
    """The earliest aggregated day with a payment received or reversed, or a contact attempt recorded, after that
    day was refreshed.
    """
    paid = db_session.scalar(
        select(func.min(Payment.value_date))
        .join(Loan, Loan.id == Payment.loan_id)
        .join(AggregatedDay, and_(AggregatedDay.tenant_id == Loan.tenant_id, AggregatedDay.day == Payment.value_date))
        .where(
            Loan.tenant_id == tenant_id,
            or_(Payment.received_at > AggregatedDay.refreshed_at, Payment.reversed_at > AggregatedDay.refreshed_at),
        )
    )
    day = UtcDay(ContactAttempt.attempted_at)
    contacted = db_session.scalar(
        select(func.min(day))
        .join(Case, Case.id == ContactAttempt.case_id)
        .join(AggregatedDay, and_(AggregatedDay.tenant_id == Case.tenant_id, AggregatedDay.day == day))
        .where(Case.tenant_id == tenant_id, ContactAttempt.created_at > AggregatedDay.refreshed_at)
    )
    found = [when for when in (paid, contacted) if when is not None]
    return min(found) if found else None


def catch_up(
    *, db_session: Session, tenant_id: int, as_of: date, new_cases_since: datetime | None = None
) -> tuple[date, dict[str, int]]:
    """Refresh ``as_of``, the days skipped since the last aggregated one (at most :data:`CATCH_UP_DAYS`), and
    every day from the earliest one a later payment or reversal changed: a payment on day P moves the capped
    recovery of its stay on the days after P, so everything from P to ``as_of`` is aggregated again. Then add
    the cases opened after ``new_cases_since`` to the days aggregated before them (:func:`add_new_cases`).
    """
    first = as_of
    latest = db_session.scalar(
        select(func.max(AggregatedDay.day)).where(AggregatedDay.tenant_id == tenant_id, AggregatedDay.day < as_of)
    )
    if latest is not None:
        first = min(first, max(latest + timedelta(days=1), as_of - timedelta(days=CATCH_UP_DAYS)))
    changed = changed_since_refresh(db_session=db_session, tenant_id=tenant_id)
    if changed is not None and changed < first:
        first = max(changed, as_of - timedelta(days=366 * 3 - 1))
    written = refresh(db_session=db_session, tenant_id=tenant_id, first=first, last=as_of)
    written["new_case_payments"] = add_new_cases(db_session=db_session, tenant_id=tenant_id, since=new_cases_since)
    return first, written


NEW_CASE_MARGIN = timedelta(days=1)
"""How far before the previous aggregate stage's start new cases are looked for again: a case stamped before
that start by a transaction that committed after it was not seen by that stage."""


def _previous_stage_start(db_session: Session, context: RunContext) -> datetime | None:
    """When the tenant's latest finished ``aggregate`` stage of another run began."""
    return db_session.scalar(
        select(func.max(RunStep.started_at))
        .join(Run, Run.id == RunStep.run_id)
        .where(
            Run.tenant_id == context.tenant_id,
            Run.id != context.run_id,
            RunStep.stage == "aggregate",
            RunStep.status == RunStatus.DONE,
        )
    )


def stage_aggregate(db_session: Session, context: RunContext, _ids: range) -> dict[str, Any]:
    """The run's ``aggregate`` stage: the day's aggregates (and any the day's changes made stale), and the cases
    opened since the previous run's stage (with a margin) added to the days aggregated before them.
    """
    previous = _previous_stage_start(db_session, context)
    first, written = catch_up(
        db_session=db_session,
        tenant_id=context.tenant_id,
        as_of=context.as_of,
        new_cases_since=previous - NEW_CASE_MARGIN if previous is not None else None,
    )
    return {"from": first.isoformat(), **written}
