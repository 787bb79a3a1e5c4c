"""Each collector's queue for the day (今日待办), best expected value first.

Expected value = overdue amount x propensity to pay x urgency. Promises due
today come first (the 16:00 re-check); then cases the guard allows now, by
expected value; cases the guard holds back until later in the day follow, in
the order they open. Urgency is 2 on the day a case enters a new state (the
first 24 hours matter most), 1.5 after a broken promise, otherwise 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

NEW_STATE_URGENCY = Decimal("2")
BROKEN_PROMISE_URGENCY = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class QueueCandidate:
    case_id: int
    user_id: int
    overdue_total: Decimal
    propensity: Decimal
    entered_state_today: bool = False
    broken_promise: bool = False
    promise_due_today: bool = False
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: QueueCandidate
    rank: int
    expected_value: Decimal


def urgency(candidate: QueueCandidate) -> Decimal:
    if candidate.entered_state_today:
        return NEW_STATE_URGENCY
    if candidate.broken_promise:
        return BROKEN_PROMISE_URGENCY
    return Decimal("1")


def expected_value(candidate: QueueCandidate) -> Decimal:
    value = candidate.overdue_total * candidate.propensity * urgency(candidate)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rank_queues(candidates: Iterable[QueueCandidate], *, opens_at: datetime) -> dict[int, list[Ranked]]:
    """Per collector, the day's cases in working order (rank 1 first).

    ``opens_at`` is the start of the first pass: a case the guard allows by
    then counts as available now. Each candidate's expected value is computed
    once and serves both the order and the stored figure.
    """
    by_user: dict[int, list[tuple[tuple[int, float, Decimal, int], QueueCandidate, Decimal]]] = defaultdict(list)
    for candidate in candidates:
        value = expected_value(candidate)
        by_user[candidate.user_id].append((_order(candidate, opens_at, value), candidate, value))
    queues = {}
    for user_id, mine in by_user.items():
        mine.sort(key=lambda keyed: keyed[0])
        queues[user_id] = [Ranked(c, rank, value) for rank, (_, c, value) in enumerate(mine, start=1)]
    return queues


def _order(candidate: QueueCandidate, opens_at: datetime, value: Decimal) -> tuple[int, float, Decimal, int]:
    held_back = candidate.not_before is not None and candidate.not_before > opens_at
    opens = candidate.not_before.timestamp() if held_back and candidate.not_before is not None else 0.0
    return (0 if candidate.promise_due_today else 1, opens, -value, candidate.case_id)
