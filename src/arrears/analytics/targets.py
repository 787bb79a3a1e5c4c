"""A tenant's recovery targets (回款目标), kept as versions: what the recovery curve is judged against.

Until a tenant sets its own, the defaults of DOMAIN.md apply (60% by day 7 and
80% by day 15 of the first bucket). Setting targets equal to the current ones
adds no version; any other change adds one and an audit entry, so a figure can
always be explained with the targets it was read against.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.analytics.models import RecoveryTargetVersion
from arrears.analytics.recovery import DEFAULT_TARGETS, Target, bucket_order
from arrears.audit.service import record
from arrears.errors import Conflict, InvalidInput

MAX_TARGETS = 20
"""More would not fit the curve's table; the query parameter has the same limit."""


def latest(*, db_session: Session, tenant_id: int) -> RecoveryTargetVersion | None:
    """The tenant's current version, or None while it uses the defaults."""
    return db_session.scalars(
        select(RecoveryTargetVersion)
        .where(RecoveryTargetVersion.tenant_id == tenant_id)
        .order_by(RecoveryTargetVersion.version.desc())
        .limit(1)
    ).first()


def current(*, db_session: Session, tenant_id: int) -> tuple[Target, ...]:
    """The targets the tenant's recovery curve is judged against now."""
    found = latest(db_session=db_session, tenant_id=tenant_id)
    return DEFAULT_TARGETS if found is None else decode(found.targets)


def history(*, db_session: Session, tenant_id: int) -> list[RecoveryTargetVersion]:
    """Every version the tenant has set, newest first."""
    return list(
        db_session.scalars(
            select(RecoveryTargetVersion)
            .where(RecoveryTargetVersion.tenant_id == tenant_id)
            .order_by(RecoveryTargetVersion.version.desc())
        )
    )


def set_targets(
    *,
    db_session: Session,
    tenant_id: int,
    targets: tuple[Target, ...],
    actor: str,
    actor_user_id: int | None = None,
) -> tuple[int, bool]:
    """Make ``targets`` the tenant's current ones; returns (the current version, whether it is new).

    Refused, with nothing written: no target, more than :data:`MAX_TARGETS`, two
    for the same bucket and day, or a bucket the tenant does not have; and a
    conflict when someone else's version took the number first.
    """
    _check(db_session, tenant_id, targets)
    encoded = encode(targets)
    found = latest(db_session=db_session, tenant_id=tenant_id)
    if found is not None and found.targets == encoded:
        return found.version, False
    if found is None and encoded == encode(DEFAULT_TARGETS):
        return 0, False
    version = _next_version(db_session, tenant_id)
    try:
        with db_session.begin_nested():
            db_session.add(RecoveryTargetVersion(tenant_id=tenant_id, version=version, targets=encoded, set_by=actor))
    except IntegrityError:
        raise Conflict(
            f"the tenant's targets were set by someone else at the same moment (version {version})",
            hint="look at the current targets, then set yours again",
        ) from None
    record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action="analytics.targets_set",
        subject_type="tenant",
        subject_id=tenant_id,
        tenant_id=tenant_id,
        details={"version": version, "targets": encoded, "before": found.targets if found else encode(DEFAULT_TARGETS)},
    )
    return version, True


def ordered(targets: tuple[Target, ...]) -> tuple[Target, ...]:
    """The stable order targets are stored and shown in: the first bucket's, then by bucket, each by day."""
    return tuple(sorted(targets, key=lambda target: (target.bucket or "", target.day)))


def _next_version(db_session: Session, tenant_id: int) -> int:
    latest_version = db_session.scalar(
        select(func.max(RecoveryTargetVersion.version)).where(RecoveryTargetVersion.tenant_id == tenant_id)
    )
    return (latest_version or 0) + 1


def encode(targets: tuple[Target, ...]) -> list[dict[str, Any]]:
    """Targets as stored: in :func:`ordered` order, shares as exact fractions in text."""
    return [{"bucket": target.bucket, "day": target.day, "share": str(target.share)} for target in ordered(targets)]


def decode(stored: list[dict[str, Any]]) -> tuple[Target, ...]:
    return tuple(Target(int(item["day"]), Fraction(item["share"]), bucket=item["bucket"]) for item in stored)


def describe(targets: tuple[Target, ...]) -> str:
    """``7:0.6, M2:15:0.8``: the form they are typed in."""
    return ", ".join(
        ("" if target.bucket is None else f"{target.bucket}:") + f"{target.day}:{_share_text(target.share)}"
        for target in targets
    )


def _share_text(share: Fraction) -> str:
    """0.6 for 3/5; the fraction itself when it has no short decimal form (1/3)."""
    for places in range(1, 7):
        scaled = share * 10**places
        if scaled.denominator == 1:
            return f"{share.numerator / share.denominator:.{places}f}"
    return str(share)


def _check(db_session: Session, tenant_id: int, targets: tuple[Target, ...]) -> None:
    if not targets:
        raise InvalidInput("no target given", where="target", hint="give at least one, e.g. 7:0.6")
    if len(targets) > MAX_TARGETS:
        raise InvalidInput(f"{len(targets)} targets are more than {MAX_TARGETS}", where="target")
    known = bucket_order(db_session=db_session, tenant_id=tenant_id)
    first = known[0] if known else None
    seen: set[tuple[str | None, int]] = set()
    for target in targets:
        key = (target.bucket or first, target.day)
        if key in seen:
            where = f"{key[0]}:" if key[0] else ""
            raise InvalidInput(f"two targets for {where}day {target.day}", where="target", hint="give one per day")
        seen.add(key)
    unknown = sorted({target.bucket for target in targets if target.bucket is not None} - set(known))
    if unknown:
        raise InvalidInput(
            f"no bucket '{unknown[0]}' in this tenant",
            where="target",
            hint=f"its buckets are {', '.join(known)}" if known else "leave out the bucket: the first one is meant",
        )
