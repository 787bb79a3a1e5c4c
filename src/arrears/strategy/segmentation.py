"""Segmentation (客户分类): ability x willingness, cost of default (违约成本), reason for delay and persona.

Pure functions over Polars frames, one row per case: no I/O, no clock, no loop per
row, so the end-of-day run can segment millions of cases as columns. The frame
comes from :func:`arrears.strategy.features.read_features` (or a test) and holds the
columns listed in :data:`FEATURE_SCHEMA`; the optional business columns in
:data:`BUSINESS_COLUMNS` are used when present.

Every score is a weighted sum of factors between 0 and 1; a factor whose data is
missing counts as :data:`NEUTRAL`, so unknown is neither rewarded nor punished. The
weights below are the whole model: docs/segmentation.md explains each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from arrears.strategy.definitions import HABITUAL_LATE_ENTRIES
from arrears.strategy.enums import Quadrant

NEUTRAL = 0.5
"""The factor value of missing data."""


QUADRANT_THRESHOLD = 50
"""A score of 50 or more is able (or willing); below 50 is unable (or unwilling)."""

ABILITY_WEIGHTS: dict[str, int] = {
    "income": 50,  # monthly income against the reference income, capped at 1
    "stability": 25,  # an employer on file; a latest reason that cuts income (job loss, illness) zeroes it
    "assets": 25,  # owns a home
}

WILLINGNESS_WEIGHTS: dict[str, int] = {
    "punctuality": 40,  # 1 with no delinquency entry in the past year, 0 at HABITUAL_LATE_ENTRIES or more
    "promises": 35,  # kept (partly kept counts half) over all resolved promises
    "responsiveness": 25,  # debtor contacts that connected over debtor contact attempts
}

COST_OF_DEFAULT_WEIGHTS: dict[str, int] = {
    # family side
    "married": 20,
    "children": 15,
    "owns_home": 20,
    "is_local": 20,
    "age": 10,
    # business side: neutral unless the frame carries the columns
    "years_in_business": 5,
    "years_at_site": 5,
    "repeat_customers": 5,
}

AGE_BANDS: tuple[tuple[int, float], ...] = ((25, 0.2), (35, 0.6), (55, 1.0))
"""(below this age, factor): standing and what there is to lose peak in middle age; 55 and over is 0.6."""
AGE_FROM_55 = 0.6

INCOME_CUTTING_REASONS: frozenset[str] = frozenset({"job_loss", "illness", "accident"})
"""Reasons for delay that say the income has stopped: the employer on file no longer counts."""

FEATURE_SCHEMA: dict[str, type[pl.DataType]] = {
    "case_id": pl.Int64,
    "monthly_income": pl.Float64,
    "has_employer": pl.Boolean,
    "owns_home": pl.Boolean,
    "marital_status": pl.String,
    "children": pl.Int64,
    "is_local": pl.Boolean,
    "birth_date": pl.Date,
    "entries_last_year": pl.Int64,
    "promises_kept": pl.Int64,
    "promises_partly_kept": pl.Int64,
    "promises_broken": pl.Int64,
    "attempts": pl.Int64,
    "connected": pl.Int64,
    "reason": pl.String,
    "persona": pl.String,
}
"""The columns :func:`segment` reads; nulls are allowed wherever the data can be unknown."""

BUSINESS_COLUMNS: dict[str, type[pl.DataType]] = {
    "years_in_business": pl.Float64,
    "years_at_site": pl.Float64,
    "repeat_customers": pl.Boolean,
}

BUSINESS_FULL_YEARS = 5.0
"""Years in business (or at the same site) that earn the whole factor."""


@dataclass(frozen=True, slots=True)
class SegmentationConfig:
    income_reference: Decimal = Decimal("8000.00")
    """Monthly income that earns the whole income factor (a tenant sets its own market's figure)."""


DEFAULT_CONFIG = SegmentationConfig()

SEGMENT_COLUMNS = (
    "case_id",
    "as_of",
    "quadrant",
    "ability_score",
    "willingness_score",
    "cost_of_default",
    "reason",
    "persona",
)


def segment(features: pl.DataFrame, *, as_of: date, config: SegmentationConfig = DEFAULT_CONFIG) -> pl.DataFrame:
    """One segment row per case of ``features`` (columns :data:`SEGMENT_COLUMNS`)."""
    frame = with_scores(features, as_of=as_of, config=config)
    return frame.select(
        "case_id",
        pl.lit(as_of, dtype=pl.Date).alias("as_of"),
        "quadrant",
        "ability_score",
        "willingness_score",
        "cost_of_default",
        "reason",
        "persona",
    )


def with_scores(features: pl.DataFrame, *, as_of: date, config: SegmentationConfig = DEFAULT_CONFIG) -> pl.DataFrame:
    """``features`` with ability, willingness, quadrant and cost of default added (the propensity rules use them)."""
    frame = with_optional_columns(features)
    scored = frame.with_columns(
        ability_score=ability_score(config),
        willingness_score=willingness_score(),
        cost_of_default=_points(cost_of_default_factors(as_of), COST_OF_DEFAULT_WEIGHTS),
    )
    return scored.with_columns(quadrant=quadrant_expr(pl.col("ability_score"), pl.col("willingness_score")))


def ability_score(config: SegmentationConfig = DEFAULT_CONFIG) -> pl.Expr:
    """Ability to pay (还款能力), 0-100."""
    return _points(ability_factors(config), ABILITY_WEIGHTS)


def willingness_score() -> pl.Expr:
    """Willingness to pay (还款意愿), 0-100."""
    return _points(willingness_factors(), WILLINGNESS_WEIGHTS)


def ability_factors(config: SegmentationConfig = DEFAULT_CONFIG) -> dict[str, pl.Expr]:
    reference = float(config.income_reference)
    cut = pl.col("reason").is_in(sorted(INCOME_CUTTING_REASONS)).fill_null(False)
    employed = _known(pl.col("has_employer").cast(pl.Float64))
    return {
        "income": _known((pl.col("monthly_income") / reference).clip(0.0, 1.0)),
        "stability": pl.when(cut).then(0.0).otherwise(employed),
        "assets": _known(pl.col("owns_home").cast(pl.Float64)),
    }


def willingness_factors() -> dict[str, pl.Expr]:
    late = pl.col("entries_last_year").fill_null(0).clip(0, HABITUAL_LATE_ENTRIES).cast(pl.Float64)
    kept = pl.col("promises_kept").fill_null(0) + 0.5 * pl.col("promises_partly_kept").fill_null(0)
    resolved = (
        pl.col("promises_kept").fill_null(0)
        + pl.col("promises_partly_kept").fill_null(0)
        + pl.col("promises_broken").fill_null(0)
    )
    attempts = pl.col("attempts").fill_null(0)
    return {
        "punctuality": 1.0 - late / HABITUAL_LATE_ENTRIES,
        "promises": pl.when(resolved > 0).then(kept / resolved).otherwise(NEUTRAL),
        "responsiveness": pl.when(attempts > 0).then(pl.col("connected").fill_null(0) / attempts).otherwise(NEUTRAL),
    }


def cost_of_default_factors(as_of: date) -> dict[str, pl.Expr]:
    marital = pl.col("marital_status")
    married = (
        pl.when(marital == "married")
        .then(1.0)
        .when(marital.is_in(["single", "divorced", "widowed"]))
        .then(0.0)
        .otherwise(NEUTRAL)
    )
    return {
        "married": married,
        "children": _known((pl.col("children") > 0).cast(pl.Float64)),
        "owns_home": _known(pl.col("owns_home").cast(pl.Float64)),
        "is_local": _known(pl.col("is_local").cast(pl.Float64)),
        "age": _age_factor(as_of),
        "years_in_business": _known((pl.col("years_in_business") / BUSINESS_FULL_YEARS).clip(0.0, 1.0)),
        "years_at_site": _known((pl.col("years_at_site") / BUSINESS_FULL_YEARS).clip(0.0, 1.0)),
        "repeat_customers": _known(pl.col("repeat_customers").cast(pl.Float64)),
    }


def quadrant_expr(ability: pl.Expr, willingness: pl.Expr) -> pl.Expr:
    """The quadrant of two 0-100 scores; :data:`QUADRANT_THRESHOLD` itself is on the able / willing side."""
    able = ability >= QUADRANT_THRESHOLD
    willing = willingness >= QUADRANT_THRESHOLD
    return (
        pl.when(able & willing)
        .then(pl.lit(Quadrant.ABLE_WILLING.value))
        .when(willing)
        .then(pl.lit(Quadrant.UNABLE_WILLING.value))
        .when(able)
        .then(pl.lit(Quadrant.ABLE_UNWILLING.value))
        .otherwise(pl.lit(Quadrant.UNABLE_UNWILLING.value))
    )


def age_in_years(as_of: date) -> pl.Expr:
    """Whole years since ``birth_date`` at ``as_of`` (null when the birth date is unknown)."""
    born = pl.col("birth_date")
    had_birthday = (born.dt.month() < as_of.month) | ((born.dt.month() == as_of.month) & (born.dt.day() <= as_of.day))
    return as_of.year - born.dt.year() - pl.when(had_birthday).then(0).otherwise(1)


def _age_factor(as_of: date) -> pl.Expr:
    age = age_in_years(as_of)
    banded = pl.lit(AGE_FROM_55)
    for below, factor in reversed(AGE_BANDS):
        banded = pl.when(age < below).then(factor).otherwise(banded)
    return pl.when(age.is_null()).then(NEUTRAL).otherwise(banded)


def _points(factors: dict[str, pl.Expr], weights: dict[str, int]) -> pl.Expr:
    """Sum of weight x factor over the weights, as whole points, halves rounded up (weights sum to 100)."""
    total = pl.sum_horizontal([factors[name] * weight for name, weight in weights.items()])
    return total.round(0, mode="half_away_from_zero").cast(pl.Int64)


def _known(factor: pl.Expr) -> pl.Expr:
    return factor.fill_null(NEUTRAL)


def with_optional_columns(features: pl.DataFrame) -> pl.DataFrame:
    """Add the optional columns a frame lacks as nulls: absent data counts as neutral."""
    optional: dict[str, type[pl.DataType]] = {**BUSINESS_COLUMNS, "reason": pl.String, "persona": pl.String}
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in optional.items() if name not in features]
    return features.with_columns(missing) if missing else features
