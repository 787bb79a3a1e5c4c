"""What legal action brought in, for analytics: read-only, one row per proceeding or per kind.

Money is summed in SQL over integer cents, so totals are exact on both back ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.legal import rules
from arrears.legal.enums import AmountKind, JudgmentOutcome, ProceedingKind, ProceedingStatus
from arrears.legal.models import Proceeding, ProceedingAmount
from arrears.money import ZERO, from_minor


@dataclass(frozen=True)
class ProceedingOutcome:
    proceeding_id: int
    case_id: int
    kind: ProceedingKind
    status: ProceedingStatus
    finished: bool
    opened_on: date
    closed_on: date | None
    judgment_outcome: JudgmentOutcome | None
    claimed: Decimal | None
    fees: Decimal
    recovered: Decimal
    currency: str

    @property
    def net(self) -> Decimal:
        """Recovered less fees: negative when the proceeding cost more than it brought in."""
        return self.recovered - self.fees


@dataclass(frozen=True)
class KindSummary:
    kind: ProceedingKind
    proceedings: int
    open: int
    fees: Decimal
    recovered: Decimal
    currency: str


def _totals() -> tuple[ColumnElement[int], ColumnElement[int]]:
    cents = type_coerce(ProceedingAmount.amount, BigInteger)
    fee = func.coalesce(func.sum(case((ProceedingAmount.kind == AmountKind.FEE, cents), else_=0)), 0)
    recovery = func.coalesce(func.sum(case((ProceedingAmount.kind == AmountKind.RECOVERY, cents), else_=0)), 0)
    return fee, recovery


def _cents(value: object) -> Decimal:
    """Sums are taken over the stored integer cents and turned into money once, here."""
    return from_minor(int(str(value))) if value else ZERO


def proceeding_outcomes(
    *,
    db_session: Session,
    tenant_id: int,
    kind: ProceedingKind | None = None,
    cases: ColumnElement[bool] | None = None,
) -> list[ProceedingOutcome]:
    """Every proceeding of ``tenant_id`` with its fees and recoveries, oldest first.

    ``cases`` narrows to the cases matching a WHERE clause on :class:`Case` (a caller's scope).
    """
    fee, recovery = _totals()
    stmt = (
        select(Proceeding, fee, recovery)
        .outerjoin(ProceedingAmount, ProceedingAmount.proceeding_id == Proceeding.id)
        .where(Proceeding.tenant_id == tenant_id)
        .group_by(Proceeding.id)
        .order_by(Proceeding.opened_on, Proceeding.id)
    )
    if kind is not None:
        stmt = stmt.where(Proceeding.kind == kind)
    if cases is not None:
        stmt = stmt.where(Proceeding.case_id.in_(select(Case.id).where(cases)))
    return [
        ProceedingOutcome(
            proceeding_id=proceeding.id,
            case_id=proceeding.case_id,
            kind=proceeding.kind,
            status=proceeding.status,
            finished=proceeding.status in rules.TERMINAL,
            opened_on=proceeding.opened_on,
            closed_on=proceeding.closed_on,
            judgment_outcome=proceeding.judgment_outcome,
            claimed=proceeding.claimed,
            fees=_cents(fees),
            recovered=_cents(recovered),
            currency=proceeding.currency,
        )
        for proceeding, fees, recovered in db_session.execute(stmt)
    ]


def summary_by_kind(
    *, db_session: Session, tenant_id: int, cases: ColumnElement[bool] | None = None
) -> list[KindSummary]:
    """Per kind and currency: how many proceedings, how many still open, fees and recoveries."""
    totals: dict[tuple[ProceedingKind, str], KindSummary] = {}
    for outcome in proceeding_outcomes(db_session=db_session, tenant_id=tenant_id, cases=cases):
        key = (outcome.kind, outcome.currency)
        before = totals.get(key) or KindSummary(outcome.kind, 0, 0, ZERO, ZERO, outcome.currency)
        totals[key] = KindSummary(
            kind=outcome.kind,
            proceedings=before.proceedings + 1,
            open=before.open + (0 if outcome.finished else 1),
            fees=before.fees + outcome.fees,
            recovered=before.recovered + outcome.recovered,
            currency=outcome.currency,
        )
    return [totals[key] for key in sorted(totals)]
