"""Delinquency buckets (逾期分档): named DPD ranges grouped in a bucket set.

A set is validated as a whole: ranges may not overlap or leave gaps, so every
DPD from the first bucket's lower bound upwards falls in exactly one bucket.
DPD below the first bucket (normally 0) is *current* and has no bucket.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.errors import InvalidInput


class BucketSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40)
    min_dpd: int = Field(ge=0)
    max_dpd: int | None = Field(None, ge=0, description="inclusive; None means no upper bound")

    @model_validator(mode="after")
    def _ordered(self) -> BucketSpec:
        if self.max_dpd is not None and self.max_dpd < self.min_dpd:
            raise ValueError(f"bucket {self.name}: max_dpd {self.max_dpd} is below min_dpd {self.min_dpd}")
        return self

    def contains(self, dpd: int) -> bool:
        return dpd >= self.min_dpd and (self.max_dpd is None or dpd <= self.max_dpd)


class BucketSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    buckets: tuple[BucketSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap_no_gap(self) -> BucketSet:
        check_ranges(self.buckets)
        return self

    def bucket_for(self, dpd: int) -> str | None:
        """The bucket a DPD falls in, or None when current (below the first bucket)."""
        for bucket in self.buckets:
            if bucket.contains(dpd):
                return bucket.name
        return None


def check_ranges(buckets: Sequence[BucketSpec]) -> None:
    """Reject overlapping or gapped ranges, a bounded last range and repeated names, naming the offenders."""
    names = [bucket.name for bucket in buckets]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"bucket names repeat: {', '.join(repeated)}", hint="give each bucket its own name")
    ordered = sorted(buckets, key=lambda bucket: bucket.min_dpd)
    for before, after in itertools.pairwise(ordered):
        if before.max_dpd is None or before.max_dpd >= after.min_dpd:
            raise InvalidInput(
                f"buckets {before.name} and {after.name} overlap",
                hint=f"end {before.name} before day {after.min_dpd}",
            )
        if before.max_dpd + 1 != after.min_dpd:
            raise InvalidInput(
                f"DPD {before.max_dpd + 1}-{after.min_dpd - 1} falls between {before.name} and {after.name}",
                hint=f"start {after.name} at {before.max_dpd + 1} or extend {before.name}",
            )
    last = ordered[-1] if ordered else None
    if last is not None and last.max_dpd is not None:
        raise InvalidInput(
            f"DPD above {last.max_dpd} falls in no bucket",
            hint=f"leave max_dpd of {last.name} empty so that it takes every later day",
        )


STANDARD_BUCKETS = BucketSet(
    name="standard",
    buckets=(
        BucketSpec(name="M1-early", min_dpd=1, max_dpd=5),
        BucketSpec(name="M1-mid", min_dpd=6, max_dpd=10),
        BucketSpec(name="M1-late", min_dpd=11, max_dpd=30),
        BucketSpec(name="M2", min_dpd=31, max_dpd=60),
        BucketSpec(name="M3", min_dpd=61, max_dpd=90),
        BucketSpec(name="M4+", min_dpd=91, max_dpd=None),
    ),
)
"""The stages of DOMAIN.md: 1-5, 6-10, 11-30, then 30-day M buckets."""
