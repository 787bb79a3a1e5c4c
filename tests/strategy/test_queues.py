"""Queues put promises due today first, then what the guard allows now by expected value, then the rest."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from arrears.strategy.queues import QueueCandidate, expected_value, rank_queues

OPENS = datetime(2026, 3, 3, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def candidate(case_id: int, overdue: str, propensity: str, **fields: object) -> QueueCandidate:
    return QueueCandidate(case_id, 10, Decimal(overdue), Decimal(propensity), **fields)  # type: ignore[arg-type]


def test_expected_value_is_overdue_times_propensity_times_urgency() -> None:
    assert expected_value(candidate(1, "1000.00", "0.40")) == Decimal("400.00")
    assert expected_value(candidate(1, "1000.00", "0.40", entered_state_today=True)) == Decimal("800.00")
    assert expected_value(candidate(1, "1000.00", "0.40", broken_promise=True)) == Decimal("600.00")


def test_promises_due_today_come_first_then_expected_value() -> None:
    queue = rank_queues(
        [
            candidate(1, "5000.00", "0.5"),
            candidate(2, "100.00", "0.1", promise_due_today=True),
            candidate(3, "9000.00", "0.5"),
        ],
        opens_at=OPENS,
    )[10]
    assert [r.candidate.case_id for r in queue] == [2, 3, 1]
    assert [r.rank for r in queue] == [1, 2, 3]


def test_cases_the_guard_holds_back_follow_in_the_order_they_open() -> None:
    later = datetime(2026, 3, 3, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    sooner = datetime(2026, 3, 3, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    queue = rank_queues(
        [
            candidate(1, "9000.00", "0.9", not_before=later),
            candidate(2, "10.00", "0.1"),
            candidate(3, "9000.00", "0.9", not_before=sooner),
            candidate(4, "20.00", "0.1", not_before=OPENS),
        ],
        opens_at=OPENS,
    )[10]
    assert [r.candidate.case_id for r in queue] == [4, 2, 3, 1]
