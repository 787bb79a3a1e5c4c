"""Champion against challenger as a table: :func:`arrears.strategy.arms.compare`, not a second implementation."""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy.orm import Session

from arrears.analytics import daily
from arrears.analytics.filters import Filters
from arrears.analytics.tables import Cell, Table
from arrears.strategy import arms
from arrears.strategy.enums import Arm

COLUMNS = (
    "outcome",
    "champion_cases",
    "champion_hits",
    "champion_rate",
    "champion_low",
    "champion_high",
    "challenger_cases",
    "challenger_hits",
    "challenger_rate",
    "challenger_low",
    "challenger_high",
    "difference",
    "difference_low",
    "difference_high",
    "significant",
)


def _exact(value: float) -> Fraction:
    """A rate or bound computed in floating point (square roots), carried as the fraction of its decimal text."""
    return Fraction(repr(value))


def arm_comparison(*, db_session: Session, filters: Filters) -> Table:
    """Each outcome's rate per arm with 95% Wilson intervals, and challenger minus champion with its interval.

    Outcomes and the case-to-arm rule are those of :mod:`arrears.strategy.arms`;
    when every day of the period is aggregated, the cases that paid are read
    from the daily aggregates instead of the period's payments.
    With an arm that has no cases there is nothing to compare: one row per
    outcome with the case counts and empty rates.
    """
    paid = None
    if daily.covered(db_session=db_session, tenant_id=filters.tenant_id, first=filters.start, last=filters.end):
        paid = daily.paid_cases(tenant_id=filters.tenant_id, start=filters.start, end=filters.end)
    report = arms.compare(
        db_session=db_session, tenant_id=filters.tenant_id, start=filters.start, end=filters.end, paid=paid
    )
    rows: list[tuple[Cell, ...]] = []
    for outcome in arms.OUTCOMES:
        found = report.comparisons.get(outcome)
        if found is None:
            none4: tuple[Cell, ...] = (None, None, None, None)
            champion_cases, challenger_cases = report.cases[Arm.CHAMPION], report.cases[Arm.CHALLENGER]
            rows.append((outcome, champion_cases, *none4, challenger_cases, *none4, *none4))
            continue
        champion, challenger = found.champion, found.challenger
        rows.append(
            (
                outcome,
                champion.total,
                champion.successes,
                Fraction(champion.successes, champion.total),
                _exact(champion.low),
                _exact(champion.high),
                challenger.total,
                challenger.successes,
                Fraction(challenger.successes, challenger.total),
                _exact(challenger.low),
                _exact(challenger.high),
                Fraction(challenger.successes, challenger.total) - Fraction(champion.successes, champion.total),
                _exact(found.low),
                _exact(found.high),
                found.significant,
            )
        )
    ignored = tuple(n for n in ("product_id", "bucket", "team_id", "collector_id", "arm") if n in filters.given())
    return Table("arm_comparison", COLUMNS, rows, ignored)
