"""Bucket sets (逾期分档): every DPD from the first lower bound up falls in exactly one bucket."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from arrears.delinquency.buckets import STANDARD_BUCKETS, BucketSet, BucketSpec, check_ranges
from arrears.errors import InvalidInput


def bucket_set(*ranges: tuple[str, int, int | None]) -> BucketSet:
    return BucketSet(
        name="test",
        buckets=tuple(BucketSpec(name=name, min_dpd=low, max_dpd=high) for name, low, high in ranges),
    )


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, None),
        (1, "M1-early"),
        (5, "M1-early"),
        (6, "M1-mid"),
        (10, "M1-mid"),
        (11, "M1-late"),
        (30, "M1-late"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4+"),
        (3650, "M4+"),
    ],
)
def test_standard_buckets_on_each_side_of_every_boundary(dpd: int, bucket: str | None) -> None:
    assert STANDARD_BUCKETS.bucket_for(dpd) == bucket


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, None), (1, "early"), (5, "early"), (6, "middle"), (18, "middle"), (19, "late"), (28, "late"), (29, "legal")],
)
def test_early_middle_late_scheme_boundaries(dpd: int, bucket: str | None) -> None:
    scheme = bucket_set(("early", 1, 5), ("middle", 6, 18), ("late", 19, 28), ("legal", 29, None))
    assert scheme.bucket_for(dpd) == bucket


def test_dpd_below_the_first_bucket_is_current() -> None:
    scheme = bucket_set(("late", 3, None))
    assert [scheme.bucket_for(dpd) for dpd in (0, 1, 2, 3)] == [None, None, None, "late"]


def test_buckets_may_be_listed_in_any_order() -> None:
    scheme = bucket_set(("M2", 31, None), ("M1", 1, 30))
    assert (scheme.bucket_for(30), scheme.bucket_for(31)) == ("M1", "M2")


@pytest.mark.parametrize(
    "ranges",
    [
        (("a", 1, 5), ("b", 5, None)),  # share day 5
        (("a", 1, 10), ("b", 5, None)),  # b inside a
        (("a", 1, None), ("b", 31, None)),  # an open bucket before another
        (("a", 1, 30), ("b", 1, None)),  # same start
    ],
)
def test_overlapping_ranges_are_rejected(ranges: tuple[tuple[str, int, int | None], ...]) -> None:
    with pytest.raises(InvalidInput, match="overlap"):
        bucket_set(*ranges)


def test_a_gap_is_rejected_with_the_missing_days() -> None:
    with pytest.raises(InvalidInput, match="DPD 6-7 falls between a and b") as caught:
        bucket_set(("a", 1, 5), ("b", 8, None))
    assert "start b at 6" in caught.value.one_line()


def test_a_bounded_last_bucket_is_rejected_because_later_dpd_would_look_current() -> None:
    with pytest.raises(InvalidInput, match="DPD above 10 falls in no bucket"):
        bucket_set(("a", 1, 5), ("b", 6, 10))


def test_repeated_names_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="bucket names repeat: M1"):
        bucket_set(("M1", 1, 30), ("M1", 31, None))


def test_a_range_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValidationError, match="max_dpd 4 is below min_dpd 5"):
        BucketSpec(name="a", min_dpd=5, max_dpd=4)


@pytest.mark.parametrize("field", [{"min_dpd": -1}, {"name": ""}, {"extra": 1}])
def test_bad_bucket_fields_are_rejected(field: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BucketSpec.model_validate({"name": "a", "min_dpd": 1, **field})


def test_an_empty_set_is_rejected() -> None:
    with pytest.raises(ValidationError):
        BucketSet(name="empty", buckets=())


def test_check_ranges_accepts_a_single_open_bucket() -> None:
    check_ranges([BucketSpec(name="all", min_dpd=1)])
