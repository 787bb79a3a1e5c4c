"""The pure rules: the objection deadline on the court calendar, the lifecycle table, the commission."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.errors import ConfigurationError, InvalidInput
from arrears.legal import rules
from arrears.legal.calendar import cn_court_calendar, parse_calendar
from arrears.legal.enums import ProceedingKind, ProceedingStatus
from arrears.legal.exceptions import ProceedingTransitionRefused

K = ProceedingKind
S = ProceedingStatus


@pytest.mark.parametrize(
    ("served_on", "deadline", "why"),
    [
        (date(2026, 3, 4), date(2026, 3, 19), "Wednesday: day 15 is a Thursday, a working day"),
        (date(2026, 3, 6), date(2026, 3, 23), "Friday: day 15 is a Saturday, so the Monday after"),
        (date(2026, 3, 7), date(2026, 3, 23), "Saturday: day 15 is a Sunday, so the Monday after"),
        (date(2026, 3, 8), date(2026, 3, 23), "Sunday: day 15 is the Monday itself"),
        (date(2026, 9, 10), date(2026, 9, 28), "day 15 is Mid-Autumn (Fri 25th) and the weekend after"),
        (date(2026, 9, 16), date(2026, 10, 8), "day 15 is 1 October: the National Day week rolls it to the 8th"),
        (date(2026, 9, 5), date(2026, 9, 20), "day 15 is Sunday 20 September, a worked weekend (调休)"),
        (date(2026, 2, 1), date(2026, 2, 24), "day 15 falls in the Spring Festival holiday"),
        (date(2025, 12, 20), date(2026, 1, 4), "across the year end onto Sunday 4 January, a worked day"),
        (date(2025, 12, 17), date(2026, 1, 4), "day 15 is 1 January: past the holiday to the worked Sunday"),
        (date(2026, 4, 20), date(2026, 5, 6), "day 15 is 5 May, the Labour Day holiday's last day"),
    ],
)
def test_objection_deadline_counts_15_days_from_the_day_after_service(
    served_on: date, deadline: date, why: str
) -> None:
    assert rules.objection_deadline(served_on, cn_court_calendar()) == deadline, why


def test_a_year_missing_from_the_calendar_is_refused_rather_than_guessed() -> None:
    with pytest.raises(InvalidInput, match="no public holidays for 2028") as refused:
        rules.objection_deadline(date(2028, 6, 1), cn_court_calendar())
    assert "holidays_cn.yaml" in refused.value.one_line()


def test_a_calendar_entry_under_the_wrong_year_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="listed under 2026"):
        parse_calendar({2026: {"holidays": ["2027-01-01"]}})


def test_every_kind_starts_in_a_status_the_table_knows_and_every_status_is_reachable() -> None:
    for kind, start in rules.INITIAL_STATUS.items():
        reachable = {start}
        frontier = [start]
        while frontier:
            status = frontier.pop()
            for (k, source, _event), target in rules.TRANSITIONS.items():
                if k is kind and source is status and target not in reachable:
                    reachable.add(target)
                    frontier.append(target)
        assert rules.allowed_events(kind, start), kind
        assert reachable & rules.TERMINAL, f"{kind} can never finish"


@pytest.mark.parametrize(
    ("kind", "status", "event"),
    [
        (K.PAYMENT_ORDER, S.APPLIED, "serve"),
        (K.PAYMENT_ORDER, S.OBJECTED, "lapse"),
        (K.LAWSUIT, S.FILED, "judge"),
        (K.LAWSUIT, S.CLOSED, "accept"),
        (K.ENFORCEMENT, S.APPLIED, "auction"),
        (K.DISHONEST_LISTING, S.LIFTED, "list"),
        (K.CONSUMPTION_RESTRICTION, S.APPLIED, "list"),
    ],
)
def test_illegal_transitions_are_refused_naming_what_is_allowed(
    kind: ProceedingKind, status: ProceedingStatus, event: str
) -> None:
    with pytest.raises(ProceedingTransitionRefused) as refused:
        rules.dry_transition(kind, status, event)
    assert refused.value.code == "illegal_transition"
    assert f"cannot '{event}'" in refused.value.one_line()
    assert "allowed now:" in refused.value.one_line()


def test_a_finished_proceeding_says_nothing_is_allowed() -> None:
    with pytest.raises(ProceedingTransitionRefused) as refused:
        rules.dry_transition(K.LAWSUIT, S.WITHDRAWN, "accept")
    assert refused.value.one_line().endswith("(allowed now: none: the proceeding is finished)")


def test_enforcement_measures_repeat_without_leaving_the_in_progress_status() -> None:
    for event in ("freeze", "deduct", "auction", "freeze"):
        assert rules.dry_transition(K.ENFORCEMENT, S.IN_PROGRESS, event) is S.IN_PROGRESS


@pytest.mark.parametrize(
    ("recovered", "rate", "commission"),
    [
        ("1000.00", "0.25", "250.00"),
        ("0.10", "0.15", "0.02"),  # 0.015 rounds half up
        ("333.33", "0.18", "60.00"),  # 59.9994
        ("0.00", "0.30", "0.00"),
        ("12345.67", "0", "0.00"),
    ],
)
def test_commission_is_exact_and_rounded_once_half_up(recovered: str, rate: str, commission: str) -> None:
    assert rules.commission(Decimal(recovered), Decimal(rate)) == Decimal(commission)
