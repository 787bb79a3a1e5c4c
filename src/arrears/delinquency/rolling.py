"""Rolling positions forward inside their windows (有效期内顺延), for the daily pass.

A loan whose window (:class:`arrears.ledger.columnar.Window`) still covers the day,
and which has seen no payment since its last replay, is not replayed: one
statement moves its position to the day, in the database, as
:func:`arrears.ledger.columnar.roll` does in Python. Its charges keep the exact
figures of that replay (``charges.as_of`` is the position's ``window_from``);
only the position, which every reader uses, is written.

What else could change the loan is seen elsewhere: a payment posted, back-dated
or reversed changes the count or the sum of the loan's standing payment ids
(checked here); holds and restructures send a loan to the row engine, whose
positions have no window (the pass leaves such loans out); a changed schedule
or loan clears the window where it is imported
(:func:`arrears.ledger.service.forget_windows`); a changed bucket set is caught
here, by the bucket the DPD falls in on the day. docs/run.md, Windows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from arrears.db.base import utcnow
from arrears.ledger.models import LoanPosition

_ROLLING = """
WITH standing AS (
    SELECT loan_id, COUNT(*) AS seen, SUM(id) AS id_sum FROM payments
    WHERE loan_id {among} AND reversed_at IS NULL AND value_date <= {day}
    GROUP BY loan_id
)
SELECT p.loan_id, p.window_from <= {day} AND p.valid_until >= {day}, p.as_of = {day}, p.bucket,
       p.overdue_principal + p.overdue_interest + p.overdue_charges, p.oldest_unpaid_due_date
FROM loan_positions p LEFT JOIN standing s ON s.loan_id = p.loan_id
WHERE p.loan_id {among} AND p.valid_until IS NOT NULL
  AND COALESCE(s.seen, 0) = p.payments_seen AND COALESCE(s.id_sum, 0) = p.payments_key
"""
"""The loans whose facts are those of their last replay: whether their window covers the day (then they can be
rolled to it), whether they are on it already, their bucket, what is overdue."""

_ROLL = """
WITH charged AS (
    SELECT c.loan_id,
           SUM((c.exact + {elapsed} * c.daily) / q.exact_unit * q.minor_cents) AS accrued,
           SUM(CASE WHEN c.payable THEN (c.exact + {elapsed} * c.daily) / q.exact_unit * q.minor_cents - c.paid
                    ELSE 0 END) AS owed
    FROM charges c JOIN loan_positions q ON q.loan_id = c.loan_id
    WHERE c.loan_id {among}
    GROUP BY c.loan_id
)
UPDATE loan_positions SET
    as_of = {day},
    days_past_due = CASE WHEN oldest_unpaid_due_date IS NULL THEN 0 ELSE {dpd} END,
    overdue_charges = COALESCE(rolled.owed, 0),
    charges_accrued = COALESCE(rolled.accrued, 0),
    cap_cut = (cut_exact + {since} * cut_daily) / exact_unit * minor_cents,
    payoff_amount = payoff_amount - overdue_charges + COALESCE(rolled.owed, 0),
    computed_at = :now
FROM (SELECT k.loan_id, charged.owed, charged.accrued FROM {listed} LEFT JOIN charged ON charged.loan_id = k.loan_id)
    AS rolled
WHERE loan_positions.loan_id = rolled.loan_id
RETURNING loan_positions.loan_id, loan_positions.bucket,
    loan_positions.overdue_principal + loan_positions.overdue_interest + loan_positions.overdue_charges
"""
"""Roll the given positions to the day, as ``columnar.roll`` does; what each then owes."""


def _days_past_due(day: date, oldest: date | str | None) -> int:
    """DPD on the day from the oldest unpaid due date, as read by plain SQL (a string on SQLite)."""
    if oldest is None:
        return 0
    return (day - (oldest if isinstance(oldest, date) else date.fromisoformat(oldest))).days


@dataclass
class RolledForward:
    """What :func:`roll_positions` did."""

    loans: dict[int, tuple[str | None, int]] = field(default_factory=dict)
    """Loans rolled to the day, or found on it already: their bucket and what they owe overdue, in cents."""
    same_payments: set[int] = field(default_factory=set)
    """Loans not rolled whose payments are still those of their last replay: a replay gives them the allocations
    they have (their window ended, or their DPD left its bucket)."""


def roll_positions(
    *,
    db_session: Session,
    loans: Sequence[tuple[int, int]],
    as_of: date,
    bucket_for: Callable[[int, int], str | None],
) -> RolledForward:
    """Roll forward the positions of these loans (id, product id) whose window covers ``as_of``.

    A position already on the day is left as it is, so running a day again writes nothing. A loan whose DPD on
    the day falls in another bucket (``bucket_for(product id, dpd)``) than its position's, because the bucket set
    was changed since, is left to be replayed.
    """
    result = RolledForward()
    if not loans:
        return result
    ids = [loan_id for loan_id, _ in loans]
    products = dict(loans)
    on_postgres = db_session.get_bind().dialect.name == "postgresql"
    if on_postgres:
        day = "CAST(:day AS DATE)"
        among = "= ANY(CAST(:ids AS BIGINT[]))"
        listed_ids = "unnest(CAST(:ids AS BIGINT[])) AS k(loan_id)"
        days = {
            "elapsed": f"({day} - q.window_from)",
            "dpd": f"({day} - oldest_unpaid_due_date)",
            "since": f"({day} - window_from)",
        }
    else:
        day = ":day"
        among = "IN (SELECT value FROM json_each(:ids))"
        listed_ids = "(SELECT value AS loan_id FROM json_each(:ids)) AS k"
        days = {
            "elapsed": "CAST(julianday(:day) - julianday(q.window_from) AS INTEGER)",
            "dpd": "CAST(julianday(:day) - julianday(oldest_unpaid_due_date) AS INTEGER)",
            "since": "CAST(julianday(:day) - julianday(window_from) AS INTEGER)",
        }

    def statement(sql: str) -> Any:
        typed = [bindparam("day", type_=LoanPosition.__table__.c.as_of.type)]
        if ":now" in sql:
            typed.append(bindparam("now", type_=LoanPosition.__table__.c.computed_at.type))
        return text(sql.format(among=among, day=day, listed=listed_ids, **days)).bindparams(*typed)

    def listed(values: list[int]) -> Any:
        return values if on_postgres else json.dumps(values)

    moving = []
    for loan_id, inside, current, bucket, overdue, oldest in db_session.execute(
        statement(_ROLLING), {"ids": listed(ids), "day": as_of}
    ):
        if not inside or bucket_for(products[loan_id], _days_past_due(as_of, oldest)) != bucket:
            result.same_payments.add(loan_id)
        elif current:
            result.loans[loan_id] = (bucket, int(overdue))
        else:
            moving.append(loan_id)
    if moving:
        params = {"ids": listed(moving), "day": as_of, "now": utcnow()}
        for loan_id, bucket, overdue in db_session.execute(statement(_ROLL), params):
            result.loans[loan_id] = (bucket, int(overdue))
    return result
