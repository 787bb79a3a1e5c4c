"""Roll rates (迁徙率) and cure rate from the bucket history: where the loans in each bucket were a month later.

For each calendar month that has ended by ``as_of`` and starts inside the period,
a loan's state on the first day of the month and on the first day of the next
month is read from :class:`BucketHistory`: the stay with ``entered_on <= day <
left_on`` (or still open) gives the bucket; with no such stay, the ``left_to`` of
the loan's last stay left on or before that day says ``current`` (cured) or
``closed``. One aggregate query per month; no loop over loans.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters, loan_dimensions
from arrears.analytics.recovery import bucket_order
from arrears.analytics.tables import Cell, Table, ratio
from arrears.dates import add_months
from arrears.delinquency.models import BucketHistory
from arrears.ledger.models import Loan

CURRENT = "current"
CLOSED = "closed"


def months(filters: Filters, as_of: date) -> list[date]:
    """First days of the months that start inside the period and have ended by ``as_of``."""
    first = filters.start if filters.start.day == 1 else add_months(filters.start.replace(day=1), 1)
    found = []
    while first <= filters.end and add_months(first, 1) <= as_of:
        found.append(first)
        first = add_months(first, 1)
    return found


def read_stays(*, db_session: Session, where: list[ColumnElement[bool]], first: date, last: date) -> pl.DataFrame:
    """The stays that can matter to the months ``first`` .. ``last``: entered by ``last``, not left by ``first``.

    ``where`` selects the loans (on :class:`Loan`); each stay carries its loan's product.
    """
    return pl.DataFrame(
        db_session.execute(
            select(
                BucketHistory.id,
                BucketHistory.loan_id,
                Loan.product_id,
                BucketHistory.bucket,
                BucketHistory.entered_on,
                BucketHistory.left_on,
                BucketHistory.left_to,
            )
            .join(Loan, Loan.id == BucketHistory.loan_id)
            .where(
                *where,
                BucketHistory.entered_on <= last,
                or_(BucketHistory.left_on.is_(None), BucketHistory.left_on > first),
            )
        ).all(),
        schema={
            "id": pl.Int64,
            "loan": pl.Int64,
            "product": pl.Int64,
            "bucket": pl.String,
            "entered": pl.Date,
            "left": pl.Date,
            "left_to": pl.String,
        },
        orient="row",
    )


def month_flows(stays: pl.DataFrame, month: date, bucket: str | None = None) -> pl.DataFrame:
    """Loans by (source bucket on ``month``, target state on the next 1st, product): columns source, target,
    product, len. ``stays`` must hold every stay entered by the next 1st and not left by ``month``.
    """
    following = add_months(month, 1)
    start = _covering(stays, month).select("loan", "product", pl.col("bucket").alias("source"))
    if bucket is not None:
        start = start.filter(pl.col("source") == bucket)
    end = _covering(stays, following).select("loan", pl.col("bucket").alias("covering"))
    gone = (
        stays.filter(pl.col("left") <= following)
        .sort("left", "id")
        .group_by("loan")
        .agg(pl.col("left_to").last().alias("gone_to"))
    )
    return (
        start.join(end, on="loan", how="left")
        .join(gone, on="loan", how="left")
        .with_columns(target=pl.coalesce("covering", "gone_to", pl.lit(CLOSED)))
        .group_by("source", "target", "product")
        .len()
    )


def flows(*, db_session: Session, filters: Filters, as_of: date) -> list[tuple[date, str, str, int]]:
    """(month, from bucket, to state, loans) for every month of :func:`months`.

    From the daily aggregates when every month's next 1st is aggregated and no
    filter needs the case (team, collector, arm); otherwise one bulk read of the
    stays that can matter (entered by the last boundary, not left before the
    first), then each month's two snapshots in Polars. Both give the same counts.
    """
    firsts = months(filters, as_of)
    if not firsts:
        return []
    from arrears.analytics import daily

    if daily.answers(filters) and daily.covered_days(
        db_session=db_session, tenant_id=filters.tenant_id, days=[add_months(m, 1) for m in firsts]
    ):
        return daily.read_flows(db_session=db_session, filters=filters, months=firsts)
    stays = read_stays(
        db_session=db_session, where=[loan_dimensions(filters)], first=firsts[0], last=add_months(firsts[-1], 1)
    )
    found: list[tuple[date, str, str, int]] = []
    for month in firsts:
        counted = month_flows(stays, month, filters.bucket).group_by("source", "target").agg(pl.col("len").sum())
        found.extend((month, source, target, count) for source, target, count in counted.iter_rows())
    return found


def _covering(stays: pl.DataFrame, day: date) -> pl.DataFrame:
    """The stays a loan was in on ``day``: entered on or before it, not left by then."""
    return stays.filter((pl.col("entered") <= day) & (pl.col("left").is_null() | (pl.col("left") > day)))


def _named(rows: list[tuple[date, str, str, int]]) -> set[str]:
    """The bucket names in some flows (states that are not buckets left out)."""
    return {name for _, source, target, _ in rows for name in (source, target)} - {CURRENT, CLOSED}


def roll_matrix(*, db_session: Session, filters: Filters, as_of: date) -> Table:
    """Per month: loans by bucket on the 1st against their state on the next 1st, and each cell's share of its row."""
    rows_in = flows(db_session=db_session, filters=filters, as_of=as_of)
    order = bucket_order(db_session=db_session, tenant_id=filters.tenant_id, seen=_named(rows_in))
    rank = {name: i for i, name in enumerate([*order, CURRENT, CLOSED])}
    totals: defaultdict[tuple[date, str], int] = defaultdict(int)
    for month, source, _, count in rows_in:
        totals[(month, source)] += count
    rows: list[tuple[Cell, ...]] = [
        (month, source, target, count, ratio(count, totals[(month, source)]))
        for month, source, target, count in sorted(
            rows_in, key=lambda r: (r[0], rank.get(r[1], 99), rank.get(r[2], 99), r[2])
        )
    ]
    return Table("roll_matrix", ("month", "from_bucket", "to_state", "loans", "share"), rows)


def roll_rates(*, db_session: Session, filters: Filters, as_of: date) -> Table:
    """Per month and bucket: the share that rolled to a later bucket, stayed, and cured (returned to current).

    ``rolled`` counts loans found in any later bucket a month on; ``cured`` those
    current again; a loan closed (written off, settled, sold) is neither.
    """
    found = flows(db_session=db_session, filters=filters, as_of=as_of)
    order = bucket_order(db_session=db_session, tenant_id=filters.tenant_id, seen=_named(found))
    rank = {name: i for i, name in enumerate(order)}
    cells: defaultdict[tuple[date, str], dict[str, int]] = defaultdict(
        lambda: {"loans": 0, "rolled": 0, "stayed": 0, "cured": 0, "improved": 0, "closed": 0}
    )
    for month, source, target, count in found:
        cell = cells[(month, source)]
        cell["loans"] += count
        if target == CURRENT:
            cell["cured"] += count
        elif target == CLOSED:
            cell["closed"] += count
        elif target == source:
            cell["stayed"] += count
        elif rank.get(target, -1) > rank.get(source, -1):
            cell["rolled"] += count
        else:
            cell["improved"] += count
    rows: list[tuple[Cell, ...]] = []
    for (month, bucket), c in sorted(cells.items(), key=lambda item: (item[0][0], rank.get(item[0][1], 99))):
        rows.append(
            (
                month,
                bucket,
                c["loans"],
                c["rolled"],
                ratio(c["rolled"], c["loans"]),
                c["stayed"],
                c["improved"],
                c["cured"],
                ratio(c["cured"], c["loans"]),
                c["closed"],
            )
        )
    columns = (
        "month",
        "bucket",
        "loans",
        "rolled",
        "roll_rate",
        "stayed",
        "improved",
        "cured",
        "cure_rate",
        "closed",
    )
    return Table("roll_rates", columns, rows)
