"""A tenant's recovery targets: versions, refusals, and the curve judged against them by default."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.analytics import targets
from arrears.analytics.filters import Filters
from arrears.analytics.measures import Request, compute
from arrears.analytics.models import RecoveryTargetVersion
from arrears.analytics.recovery import DEFAULT_TARGETS, Target
from arrears.audit.models import AuditRecord
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.service import upsert_bucket_set
from arrears.errors import Conflict, InvalidInput
from arrears.org.models import Tenant
from tests.analytics.test_recovery import MARCH, _curve_book
from tests.factories import Factories

HALF_BY_DAY_7 = (Target(7, Fraction(1, 2)),)


def versions(db_session: Session, tenant: Tenant) -> int:
    return (
        db_session.scalar(
            select(func.count()).select_from(RecoveryTargetVersion).where(RecoveryTargetVersion.tenant_id == tenant.id)
        )
        or 0
    )


def test_a_tenant_without_targets_has_the_defaults(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    assert targets.current(db_session=db_session, tenant_id=tenant.id) == DEFAULT_TARGETS
    assert targets.describe(DEFAULT_TARGETS) == "7:0.6, 15:0.8"


def test_each_change_is_a_new_version_and_the_same_targets_are_not(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()

    first = targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=HALF_BY_DAY_7, actor="ops")
    again = targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=HALF_BY_DAY_7, actor="ops")
    second = targets.set_targets(
        db_session=db_session, tenant_id=tenant.id, targets=(Target(15, Fraction(9, 10)), *HALF_BY_DAY_7), actor="ops"
    )

    assert (first, again, second) == ((1, True), (1, False), (2, True))
    assert targets.current(db_session=db_session, tenant_id=tenant.id) == (*HALF_BY_DAY_7, Target(15, Fraction(9, 10)))
    assert [v.version for v in targets.history(db_session=db_session, tenant_id=tenant.id)] == [2, 1]
    audited = db_session.scalars(
        select(AuditRecord)
        .where(AuditRecord.tenant_id == tenant.id, AuditRecord.action == "analytics.targets_set")
        .order_by(AuditRecord.id)
    ).all()
    assert [entry.details["version"] for entry in audited] == [1, 2]
    assert audited[0].details["before"] == [
        {"bucket": None, "day": 7, "share": "3/5"},
        {"bucket": None, "day": 15, "share": "4/5"},
    ]


def test_setting_the_defaults_on_a_tenant_that_has_none_adds_nothing(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    assert targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=DEFAULT_TARGETS, actor="o") == (
        0,
        False,
    )
    assert versions(db_session, tenant) == 0


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ((), "no target given"),
        ((Target(7, Fraction(1, 2)), Target(7, Fraction(3, 5))), "two targets for M1-early:day 7"),
        ((Target(7, Fraction(1, 2)), Target(7, Fraction(3, 5), bucket="M1-early")), "two targets for M1-early:day 7"),
        ((Target(7, Fraction(1, 2), bucket="M9"),), "no bucket 'M9' in this tenant"),
        (tuple(Target(day, Fraction(1, 2)) for day in range(21)), "21 targets are more than 20"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_written(
    db_session: Session, factories: Factories, wanted: tuple[Target, ...], message: str
) -> None:
    tenant = factories.tenant()
    upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    with pytest.raises(InvalidInput, match=message):
        targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=wanted, actor="ops")
    assert versions(db_session, tenant) == 0


def test_an_unknown_bucket_names_the_tenants_buckets(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    with pytest.raises(InvalidInput) as refused:
        targets.set_targets(
            db_session=db_session, tenant_id=tenant.id, targets=(Target(7, Fraction(1, 2), bucket="M9"),), actor="o"
        )
    assert refused.value.hint is not None and refused.value.hint.startswith("its buckets are M1-early, M1-mid")


def test_the_curve_is_judged_against_the_tenants_targets_unless_the_request_names_its_own(
    db_session: Session, factories: Factories
) -> None:
    """Bucket 1-5 recovers 4/5 by day 7 (test_recovery): against the tenant's 90% it is not met; against the
    request's own 50% it is; another tenant keeps the default 60%."""
    tenant, _, _ = _curve_book(db_session, factories)
    other = factories.tenant()
    targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=(Target(7, Fraction(9, 10)),), actor="ops")

    def day_7(tenant_id: int, wanted: tuple[Target, ...] | None) -> tuple[object, ...]:
        request = Request(Filters(tenant_id, *MARCH), as_of=date(2026, 3, 20), targets=wanted)
        return compute(db_session=db_session, name="recovery_curve", request=request).row(bucket="1-5", day=7)[4:]

    assert day_7(tenant.id, None) == (Fraction(4, 5), Fraction(9, 10), False)
    assert day_7(tenant.id, HALF_BY_DAY_7) == (Fraction(4, 5), Fraction(1, 2), True)
    assert targets.current(db_session=db_session, tenant_id=other.id) == DEFAULT_TARGETS


def test_a_version_taken_by_someone_else_at_the_same_moment_is_a_conflict(
    db_session: Session, factories: Factories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two managers read the same latest version and both write the next: the second is refused, the first kept."""
    tenant = factories.tenant()
    targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=HALF_BY_DAY_7, actor="first")
    monkeypatch.setattr(targets, "_next_version", lambda _session, _tenant: 1)

    with pytest.raises(Conflict, match="at the same moment"):
        targets.set_targets(db_session=db_session, tenant_id=tenant.id, targets=DEFAULT_TARGETS[:1], actor="second")

    assert targets.current(db_session=db_session, tenant_id=tenant.id) == HALF_BY_DAY_7
    assert versions(db_session, tenant) == 1
