"""Segmentation by hand: every expected score below is worked out from the weights in the module."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from arrears.strategy.enums import Quadrant
from arrears.strategy.segmentation import (
    ABILITY_WEIGHTS,
    COST_OF_DEFAULT_WEIGHTS,
    FEATURE_SCHEMA,
    WILLINGNESS_WEIGHTS,
    SegmentationConfig,
    age_in_years,
    quadrant_expr,
    segment,
)

AS_OF = date(2026, 3, 15)

UNKNOWN: dict[str, Any] = dict.fromkeys(FEATURE_SCHEMA) | {
    "entries_last_year": 0,
    "promises_kept": 0,
    "promises_partly_kept": 0,
    "promises_broken": 0,
    "attempts": 0,
    "connected": 0,
}


def _frame(*rows: dict[str, Any], extra: dict[str, type[pl.DataType]] | None = None) -> pl.DataFrame:
    schema = FEATURE_SCHEMA | (extra or {})
    return pl.DataFrame([UNKNOWN | {"case_id": number} | row for number, row in enumerate(rows, 1)], schema=schema)


STRONG = {
    "monthly_income": 12000.0,  # income 1.0 -> 50
    "has_employer": True,  # 25
    "owns_home": True,  # 25
    "promises_kept": 2,  # promises 1.0 -> 35; no late entries -> 40
    "attempts": 4,
    "connected": 4,  # responsiveness 1.0 -> 25
    "marital_status": "married",  # 20
    "children": 2,  # 15
    "is_local": True,  # 20 (+ owns_home 20)
    "birth_date": date(1986, 1, 1),  # 40 years old -> 10; business unknown 3 x 2.5
}
WILLING_UNABLE = {
    "monthly_income": 2000.0,  # 0.25 x 50 = 12.5
    "has_employer": False,
    "owns_home": False,  # ability 12.5 -> 13 (halves round up)
    "entries_last_year": 1,  # 2/3 x 40 = 26.67
    "promises_kept": 1,  # 35
    "attempts": 4,
    "connected": 3,  # 0.75 x 25 = 18.75 -> willingness 80.42 -> 80
    "marital_status": "single",
    "children": 0,
    "is_local": True,  # 20
    "birth_date": date(2002, 6, 1),  # 23 -> 0.2 x 10 = 2; + 7.5 business -> 29.5 -> 30
}
ABLE_UNWILLING = {
    "monthly_income": 8000.0,  # 50
    "has_employer": True,  # 25
    "owns_home": None,  # 12.5 -> 87.5 -> 88
    "entries_last_year": 3,  # habitual: 0
    "promises_broken": 2,  # 0
    "attempts": 5,
    "connected": 1,  # 0.2 x 25 = 5
    "marital_status": "divorced",  # 0
    "birth_date": date(1966, 3, 15),  # 60 today -> 0.6 x 10 = 6; children, home, local unknown: 7.5+10+10; +7.5
}
NEITHER = {
    "monthly_income": None,  # 25
    "has_employer": True,
    "reason": "job_loss",  # stability 0
    "owns_home": False,  # ability 25
    "entries_last_year": 5,  # 0
    "promises_partly_kept": 2,
    "promises_broken": 2,  # 1/4 x 35 = 8.75; no attempts 12.5 -> 21.25 -> 21
    "children": 0,
    "is_local": False,  # married unknown 10, age unknown 5
    "years_in_business": 10.0,  # 5
    "years_at_site": 2.5,  # 2.5
    "repeat_customers": True,  # 5 -> 27.5 -> 28
}
BUSINESS: dict[str, type[pl.DataType]] = {
    "years_in_business": pl.Float64,
    "years_at_site": pl.Float64,
    "repeat_customers": pl.Boolean,
}


@pytest.mark.parametrize(
    ("borrower", "ability", "willingness", "quadrant", "cost"),
    [
        (STRONG, 100, 100, Quadrant.ABLE_WILLING, 93),
        (WILLING_UNABLE, 13, 80, Quadrant.UNABLE_WILLING, 30),
        (ABLE_UNWILLING, 88, 5, Quadrant.ABLE_UNWILLING, 41),
        (NEITHER, 25, 21, Quadrant.UNABLE_UNWILLING, 28),
    ],
)
def test_hand_computed_segments(
    borrower: dict[str, Any], ability: int, willingness: int, quadrant: Quadrant, cost: int
) -> None:
    row = segment(_frame(borrower, extra=BUSINESS), as_of=AS_OF).row(0, named=True)

    assert (row["ability_score"], row["willingness_score"], row["cost_of_default"]) == (ability, willingness, cost)
    assert row["quadrant"] == quadrant.value
    assert row["as_of"] == AS_OF


def test_every_weight_table_adds_up_to_100() -> None:
    for weights in (ABILITY_WEIGHTS, WILLINGNESS_WEIGHTS, COST_OF_DEFAULT_WEIGHTS):
        assert sum(weights.values()) == 100


@pytest.mark.parametrize(
    ("ability", "willingness", "quadrant"),
    [
        (50, 50, Quadrant.ABLE_WILLING),
        (49, 50, Quadrant.UNABLE_WILLING),
        (50, 49, Quadrant.ABLE_UNWILLING),
        (49, 49, Quadrant.UNABLE_UNWILLING),
        (100, 0, Quadrant.ABLE_UNWILLING),
        (0, 100, Quadrant.UNABLE_WILLING),
    ],
)
def test_quadrant_boundaries_sit_at_50(ability: int, willingness: int, quadrant: Quadrant) -> None:
    frame = pl.DataFrame({"a": [ability], "w": [willingness]})

    assert frame.select(quadrant_expr(pl.col("a"), pl.col("w"))).item() == quadrant.value


def test_a_borrower_with_no_data_is_neutral_everywhere() -> None:
    row = segment(_frame({}), as_of=AS_OF).row(0, named=True)

    assert (row["ability_score"], row["willingness_score"], row["cost_of_default"]) == (50, 70, 50)
    assert row["quadrant"] == Quadrant.ABLE_WILLING.value


def test_absent_business_columns_count_as_unknown_ones() -> None:
    family = {"marital_status": "married", "children": 3, "owns_home": True}
    without = segment(_frame(family), as_of=AS_OF)
    with_nulls = segment(_frame(family, extra=BUSINESS), as_of=AS_OF)

    # married 20, children 15, home 20, local unknown 10, age unknown 5, business unknown 7.5: 77.5 rounds up
    assert without["cost_of_default"].item() == with_nulls["cost_of_default"].item() == 78


def test_a_long_standing_business_raises_the_cost_of_default() -> None:
    business = {"years_in_business": 8.0, "years_at_site": 6.0, "repeat_customers": True}
    scores = segment(_frame({}, business, extra=BUSINESS), as_of=AS_OF)["cost_of_default"].to_list()

    assert scores == [50, 58]  # each business factor goes from 2.5 to 5: 57.5 rounds up


def test_the_income_reference_is_configurable() -> None:
    frame = _frame({"monthly_income": 4000.0})

    default = segment(frame, as_of=AS_OF)["ability_score"].item()
    lower = segment(frame, as_of=AS_OF, config=SegmentationConfig(income_reference=Decimal("4000")))

    assert (default, lower["ability_score"].item()) == (25 + 12 + 13, 50 + 12 + 13)


@pytest.mark.parametrize(
    ("born", "age"),
    [(date(2001, 3, 15), 25), (date(2001, 3, 16), 24), (date(2000, 2, 29), 26), (None, None)],
)
def test_age_counts_whole_years_at_the_as_of_date(born: date | None, age: int | None) -> None:
    frame = pl.DataFrame({"birth_date": [born]}, schema={"birth_date": pl.Date})

    assert frame.select(age_in_years(AS_OF)).item() == age


def test_reason_and_persona_are_carried_as_tagged() -> None:
    rows = segment(_frame({"reason": "salary_late", "persona": "serial_promiser"}, {}), as_of=AS_OF)

    assert rows.select("reason", "persona").rows() == [("salary_late", "serial_promiser"), (None, None)]


def test_segments_are_computed_as_columns_for_many_cases() -> None:
    many = _frame(STRONG, WILLING_UNABLE, ABLE_UNWILLING)[[0, 1, 2] * 10_000]

    result = segment(many, as_of=AS_OF)

    assert result.height == 30_000
    assert result["quadrant"].value_counts().height == 3
