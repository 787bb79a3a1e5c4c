"""Recovery (回款率): of the amount entering a bucket, how much came back by each day since entry; and by age.

Both read in bulk (one aggregate query for the cohort, one for its payments) and
finish in Polars: no loop over loans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, SQLColumnExpression, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters, loan_dimensions
from arrears.analytics.tables import Cell, Table, ratio
from arrears.delinquency.models import BucketHistory, BucketSetRow
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan, Payment
from arrears.money import from_minor

HORIZON_DAYS = 30
"""The recovery curve runs from the day of entry (day 0) to this many days after it."""


@dataclass(frozen=True)
class Target:
    """Recover ``share`` of the amount that entered ``bucket`` by ``day`` days after entry (None: the first bucket)."""

    day: int
    share: Fraction
    bucket: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.day <= HORIZON_DAYS:
            raise InvalidInput(f"a target day must be 0..{HORIZON_DAYS}, not {self.day}", where="target")
        if not 0 < self.share <= 1:
            raise InvalidInput(f"a target share must be above 0 and at most 1, not {self.share}", where="target")


DEFAULT_TARGETS = (Target(7, Fraction(60, 100)), Target(15, Fraction(80, 100)))
"""60% by day 7 and 80% by day 15 of the amount entering the first bucket (DOMAIN.md)."""


def bucket_order(*, db_session: Session, tenant_id: int, seen: set[str] | None = None) -> list[str]:
    """The tenant's bucket names from the earliest stage to the latest.

    From the tenant's bucket sets (by each bucket's lowest DPD), which is one small
    read; when a name in ``seen`` is in none of them (buckets renamed since, or
    history imported without sets), from the history itself: the lowest DPD each
    bucket was entered at.
    """
    lowest: dict[str, int] = {}
    for buckets in db_session.scalars(select(BucketSetRow.buckets).where(BucketSetRow.tenant_id == tenant_id)):
        for bucket in buckets:
            name, dpd = str(bucket["name"]), int(bucket["min_dpd"])
            lowest[name] = min(dpd, lowest.get(name, dpd))
    if lowest and (seen is None or seen <= lowest.keys()):
        return sorted(lowest, key=lambda name: (lowest[name], name))
    rows = db_session.execute(
        select(BucketHistory.bucket, func.min(BucketHistory.dpd_at_entry))
        .join(Loan, Loan.id == BucketHistory.loan_id)
        .where(Loan.tenant_id == tenant_id)
        .group_by(BucketHistory.bucket)
        .order_by(func.min(BucketHistory.dpd_at_entry), BucketHistory.bucket)
    )
    return [name for name, _ in rows]


def _cents(column: SQLColumnExpression[Decimal]) -> ColumnElement[int]:
    """A Money sum read as integer cents (Polars adds integers exactly and fast)."""
    return type_coerce(func.sum(column), BigInteger)


def capped_gains(paid: pl.DataFrame, horizon: int, keys: tuple[str, ...]) -> pl.DataFrame:
    """What each stay's payments added to its recovery, capped at its amount, summed by ``keys`` and offset.

    ``paid`` has one row per stay and value date: stay, entered_on, amount,
    value_date, paid (and the ``keys``). A stay's recovery by a day is its
    payments from entry to that day, at most its amount; the gain on a day is
    what that figure rose by.
    """
    return (
        paid.with_columns(offset=(pl.col("value_date") - pl.col("entered_on")).dt.total_days())
        .filter(pl.col("offset") <= horizon)
        .sort("stay", "offset")
        .with_columns(capped=pl.min_horizontal(pl.col("paid").cum_sum().over("stay"), pl.col("amount")))
        .with_columns(gain=pl.col("capped") - pl.col("capped").shift(1, fill_value=0).over("stay"))
        .group_by(*keys, "offset")
        .agg(pl.col("gain").sum())
    )


PAID_SCHEMA = {
    "stay": pl.Int64,
    "bucket": pl.String,
    "entered_on": pl.Date,
    "amount": pl.Int64,
    "value_date": pl.Date,
    "paid": pl.Int64,
}


def recovery_curve(
    *,
    db_session: Session,
    filters: Filters,
    as_of: date,
    targets: tuple[Target, ...] = DEFAULT_TARGETS,
    horizon: int = HORIZON_DAYS,
) -> Table:
    """Cumulative recovery of the amount entering each bucket in the period, by days since entry.

    An entry is a stay in :class:`BucketHistory` entered between ``start`` and
    ``end``; its amount is ``overdue_at_entry``. It recovered, by day ``d``, the
    payments (not reversed) valued from its entry date to ``d`` days later, at
    most its amount. Day ``d`` counts only entries with ``entered_on + d <= as_of``,
    so recent entries do not pull the curve down before their days have passed.

    Read from the daily aggregates when every day from ``start`` to the last
    payment day that can count is aggregated (and no filter needs the case);
    otherwise from the bucket history and payments. Both give the same figures.
    """
    if as_of < filters.start:
        raise InvalidInput(f"as of {as_of} is before the period starts ({filters.start})", where="as_of")
    last_day = min(as_of, filters.end + timedelta(days=horizon))
    from arrears.analytics import daily

    if (
        horizon == HORIZON_DAYS
        and daily.answers(filters)
        and daily.covered(db_session=db_session, tenant_id=filters.tenant_id, first=filters.start, last=last_day)
    ):
        entries, increments = daily.read_recovery(db_session=db_session, filters=filters, last_day=last_day)
    else:
        entries, increments = _live_recovery(db_session, filters, last_day, horizon)
    return _curve(db_session, filters, as_of, targets, horizon, entries, increments)


def _live_recovery(
    db_session: Session, filters: Filters, last_day: date, horizon: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries (bucket, entered_on, amount) and increments (bucket, entered_on, offset, gain) from the history."""
    stay = [
        loan_dimensions(filters),
        BucketHistory.entered_on >= filters.start,
        BucketHistory.entered_on <= filters.end,
    ]
    if filters.bucket is not None:
        stay.append(BucketHistory.bucket == filters.bucket)
    entries = pl.DataFrame(
        db_session.execute(
            select(BucketHistory.bucket, BucketHistory.entered_on, _cents(BucketHistory.overdue_at_entry))
            .join(Loan, Loan.id == BucketHistory.loan_id)
            .where(*stay)
            .group_by(BucketHistory.bucket, BucketHistory.entered_on)
        ).all(),
        schema={"bucket": pl.String, "entered_on": pl.Date, "amount": pl.Int64},
        orient="row",
    )
    paid = pl.DataFrame(
        db_session.execute(
            select(
                BucketHistory.id,
                BucketHistory.bucket,
                BucketHistory.entered_on,
                type_coerce(BucketHistory.overdue_at_entry, BigInteger),
                Payment.value_date,
                _cents(Payment.amount),
            )
            .join(Loan, Loan.id == BucketHistory.loan_id)
            .join(Payment, Payment.loan_id == BucketHistory.loan_id)
            .where(*stay, Payment.reversed_at.is_(None))
            .where(Payment.value_date >= BucketHistory.entered_on, Payment.value_date <= last_day)
            .group_by(
                BucketHistory.id,
                BucketHistory.bucket,
                BucketHistory.entered_on,
                BucketHistory.overdue_at_entry,
                Payment.value_date,
            )
        ).all(),
        schema=PAID_SCHEMA,
        orient="row",
    )
    return entries, capped_gains(paid, horizon, ("bucket", "entered_on"))


def _curve(
    db_session: Session,
    filters: Filters,
    as_of: date,
    targets: tuple[Target, ...],
    horizon: int,
    entries: pl.DataFrame,
    increments: pl.DataFrame,
) -> Table:
    """The curve's rows from entries (bucket, entered_on, amount) and gains (bucket, entered_on, offset, gain)."""
    days = pl.DataFrame({"day": list(range(horizon + 1))}, schema={"day": pl.Int64})
    matured = entries.join(days, how="cross").filter(
        pl.col("entered_on") + pl.duration(days=pl.col("day")) <= pl.lit(as_of)
    )
    entered = matured.group_by("bucket", "day").agg(pl.col("amount").sum())
    recovered = (
        increments.join(days, how="cross")
        .filter((pl.col("offset") <= pl.col("day")) & (pl.col("entered_on") + pl.duration(days=pl.col("day")) <= as_of))
        .group_by("bucket", "day")
        .agg(pl.col("gain").sum().alias("recovered"))
    )
    curve = entered.join(recovered, on=["bucket", "day"], how="left").with_columns(pl.col("recovered").fill_null(0))

    order = bucket_order(
        db_session=db_session, tenant_id=filters.tenant_id, seen=set(curve.get_column("bucket").to_list())
    )
    first = order[0] if order else None
    goals = {(t.bucket or first, t.day): t.share for t in targets}
    rank = {name: i for i, name in enumerate(order)}
    rows: list[tuple[Cell, ...]] = []
    for bucket, day, amount, got in sorted(
        curve.select("bucket", "day", "amount", "recovered").iter_rows(), key=lambda r: (rank.get(r[0], 99), r[1])
    ):
        rate = ratio(got, amount)
        goal = goals.get((bucket, day))
        met = None if goal is None or rate is None else rate >= goal
        rows.append((bucket, day, from_minor(amount), from_minor(got), rate, goal, met))
    return Table("recovery_curve", ("bucket", "day", "entered", "recovered", "rate", "target", "met"), rows)


AGE_BANDS = ((0, 30), (31, 90), (91, 180), (181, 365), (366, 730), (731, None))
"""Days past due at the start of the period; the last band is debt over two years old."""


def age_band(days: int) -> str:
    for low, high in AGE_BANDS:
        if high is None or days <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("the last band is open-ended")


def recovery_by_age(*, db_session: Session, filters: Filters) -> Table:
    """Of the amount overdue on loans delinquent at the start of the period, the share paid during it, by age.

    The cohort is every stay in :class:`BucketHistory` that covers ``start``
    (entered on or before it, not left by then). A stay's age at ``start`` is
    ``dpd_at_entry + (start - entered_on)``; its amount is ``overdue_at_entry``
    and it recovered the payments (not reversed) valued from ``start`` to ``end``,
    at most its amount.
    """
    # The loan is looked up per stay of the cohort (a correlated scalar subquery, which PostgreSQL keeps as
    # such): a join lets the planner hash every loan of the book for the few thousand stays covering a day.
    in_slice = select(Loan.id).where(Loan.id == BucketHistory.loan_id, loan_dimensions(filters)).scalar_subquery()
    covering = [
        BucketHistory.loan_id == in_slice,
        BucketHistory.entered_on <= filters.start,
        or_(BucketHistory.left_on.is_(None), BucketHistory.left_on > filters.start),
    ]
    if filters.bucket is not None:
        covering.append(BucketHistory.bucket == filters.bucket)
    # Only the cohort's payments are summed (an index look-up per stay), not the whole book's for the period.
    frame = pl.DataFrame(
        db_session.execute(
            select(
                BucketHistory.dpd_at_entry,
                BucketHistory.entered_on,
                type_coerce(BucketHistory.overdue_at_entry, BigInteger),
                func.coalesce(_cents(Payment.amount), 0),
            )
            .outerjoin(
                Payment,
                and_(
                    Payment.loan_id == BucketHistory.loan_id,
                    Payment.reversed_at.is_(None),
                    Payment.value_date >= filters.start,
                    Payment.value_date <= filters.end,
                ),
            )
            .where(and_(*covering))
            .group_by(
                BucketHistory.id, BucketHistory.dpd_at_entry, BucketHistory.entered_on, BucketHistory.overdue_at_entry
            )
        ).all(),
        schema={"dpd": pl.Int64, "entered_on": pl.Date, "amount": pl.Int64, "paid": pl.Int64},
        orient="row",
    )
    aged = frame.with_columns(
        age=pl.col("dpd") + (pl.lit(filters.start) - pl.col("entered_on")).dt.total_days(),
        recovered=pl.min_horizontal("paid", "amount"),
    )
    bands = pl.DataFrame(
        {"low": [low for low, _ in AGE_BANDS], "band": [age_band(low) for low, _ in AGE_BANDS]},
        schema={"low": pl.Int64, "band": pl.String},
    )
    totals = (
        aged.sort("age")
        .join_asof(bands.sort("low"), left_on="age", right_on="low")
        .group_by("band")
        .agg(pl.len().alias("loans"), pl.col("amount").sum(), pl.col("recovered").sum())
    )
    found = {band: (loans, amount, got) for band, loans, amount, got in totals.iter_rows()}
    rows: list[tuple[Cell, ...]] = []
    for low, _ in AGE_BANDS:
        loans, amount, got = found.get(age_band(low), (0, 0, 0))
        rows.append((age_band(low), loans, from_minor(amount), from_minor(got), ratio(got, amount)))
    return Table("recovery_by_age", ("age_band", "loans", "overdue", "recovered", "rate"), rows, ignored=())


def parse_target(text: str) -> Target:
    """``[bucket:]day:share`` as typed on the command line or in a query, e.g. ``7:0.6`` or ``M1:15:0.8``."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(f"target '{text}' is not [bucket:]day:share", where="target", hint="e.g. 7:0.6 or M1:15:0.8")
    bucket = parts[0] if len(parts) == 3 else None
    try:
        day, share = int(parts[-2]), Fraction(parts[-1])
    except (ValueError, ZeroDivisionError):
        raise InvalidInput(f"target '{text}' needs a whole day and a share such as 0.6", where="target") from None
    return Target(day, share, bucket=bucket or None)
