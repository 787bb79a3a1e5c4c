"""Reads and writes of bucket sets. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.delinquency.buckets import BucketSet, BucketSpec
from arrears.delinquency.models import BucketSetRow


def to_spec(row: BucketSetRow) -> BucketSet:
    return BucketSet(name=row.name, buckets=tuple(BucketSpec.model_validate(item) for item in row.buckets))


def upsert_bucket_set(*, db_session: Session, tenant_id: int, bucket_set: BucketSet) -> BucketSetRow:
    row = db_session.scalar(
        select(BucketSetRow).where(BucketSetRow.tenant_id == tenant_id, BucketSetRow.name == bucket_set.name)
    )
    payload = [bucket.model_dump() for bucket in bucket_set.buckets]
    if row is None:
        row = BucketSetRow(tenant_id=tenant_id, name=bucket_set.name, buckets=payload)
        db_session.add(row)
        db_session.flush()
    else:
        row.buckets = payload
    return row
