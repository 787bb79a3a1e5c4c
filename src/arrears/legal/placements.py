"""Agency placement (委外): a lender hands a case to an outside agency for a period, on commission.

A placement is live from ``starts_on`` to ``ends_on`` inclusive. The lender may
recall it early (the agency holds the case through the recall day); at the end
of its period :func:`expire_due` recalls it automatically. The agency earns its
commission on what the debtor paid, by value date, while it held the case.
An agency's users reach only the cases placed with it while live
(:func:`live_placement_clause`, used by the web scoping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, exists, func, select, type_coerce
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.ledger.models import Loan, Payment, Product
from arrears.legal import rules
from arrears.legal.enums import PlacementStatus
from arrears.legal.models import AgencyPlacement
from arrears.legal.schemas import PlacementIn
from arrears.money import from_minor
from arrears.org.enums import TenantKind
from arrears.org.models import Tenant


@dataclass(frozen=True)
class PlacementStatement:
    """What the agency recovered while it held the case, and its commission."""

    placement_id: int
    held_from: date
    held_until: date
    recovered: Decimal
    commission_rate: Decimal
    commission: Decimal
    payments: int
    currency: str


def live_placement_clause(*, agency_tenant_id: int, on: date) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Case`: the case is placed with ``agency_tenant_id`` and live on ``on``."""
    return exists().where(
        AgencyPlacement.case_id == Case.id,
        AgencyPlacement.agency_tenant_id == agency_tenant_id,
        AgencyPlacement.status == PlacementStatus.LIVE,
        AgencyPlacement.starts_on <= on,
        AgencyPlacement.ends_on >= on,
    )


def agency_tenants(*, db_session: Session) -> list[Tenant]:
    """The tenants a case may be placed with."""
    return list(db_session.scalars(select(Tenant).where(Tenant.kind == TenantKind.AGENCY).order_by(Tenant.code)))


def get(*, db_session: Session, placement_id: int, tenant_id: int | None = None) -> AgencyPlacement:
    placement = db_session.get(AgencyPlacement, placement_id)
    if placement is None or (
        tenant_id is not None and tenant_id not in (placement.tenant_id, placement.agency_tenant_id)
    ):
        raise NotFound(f"no placement {placement_id}", hint="list placements with `arrears agency list`")
    return placement


def get_all(
    *,
    db_session: Session,
    tenant_id: int,
    status: PlacementStatus | None = None,
    case_id: int | None = None,
) -> list[AgencyPlacement]:
    """Placements made by ``tenant_id`` (a lender) or with it (an agency), newest first."""
    stmt = select(AgencyPlacement).where(
        (AgencyPlacement.tenant_id == tenant_id) | (AgencyPlacement.agency_tenant_id == tenant_id)
    )
    if status is not None:
        stmt = stmt.where(AgencyPlacement.status == status)
    if case_id is not None:
        stmt = stmt.where(AgencyPlacement.case_id == case_id)
    return list(db_session.scalars(stmt.order_by(AgencyPlacement.starts_on.desc(), AgencyPlacement.id.desc())))


def place(
    *, db_session: Session, placement_in: PlacementIn, actor: str, actor_user_id: int | None = None
) -> AgencyPlacement:
    """Place a case with an agency tenant; a case is with at most one agency at a time."""
    # Locked until the unit of work ends, so two requests for the same case cannot both pass the check below.
    case = db_session.get(Case, placement_in.case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case {placement_in.case_id}", hint="check the case id")
    agency = db_session.get(Tenant, placement_in.agency_tenant_id)
    if agency is None:
        raise NotFound(f"no tenant {placement_in.agency_tenant_id}", hint="check the agency's tenant id")
    if agency.kind is not TenantKind.AGENCY:
        raise InvalidInput(
            f"tenant {agency.code} is a {agency.kind.value}, not an agency",
            where="agency_tenant_id",
            hint="create the agency with `arrears tenant create --kind agency`",
        )
    if agency.id == case.tenant_id:
        raise InvalidInput("a tenant cannot place its own case with itself", where="agency_tenant_id")
    overlapping = db_session.scalar(
        select(AgencyPlacement.id).where(
            AgencyPlacement.case_id == case.id,
            AgencyPlacement.status == PlacementStatus.LIVE,
            AgencyPlacement.starts_on <= placement_in.ends_on,
            AgencyPlacement.ends_on >= placement_in.starts_on,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"case {case.id} is already placed for part of that period (placement {overlapping})",
            hint="recall it first, or start the new placement after it ends",
        )
    placement = AgencyPlacement(
        tenant_id=case.tenant_id,
        case_id=case.id,
        agency_tenant_id=agency.id,
        status=PlacementStatus.LIVE,
        starts_on=placement_in.starts_on,
        ends_on=placement_in.ends_on,
        commission_rate=placement_in.commission_rate,
        placed_by=actor,
    )
    db_session.add(placement)
    db_session.flush()
    _audit(db_session, placement, "agency.placed", actor, actor_user_id, placement_in.model_dump(mode="json"))
    return placement


def recall(
    *,
    db_session: Session,
    placement_id: int,
    on: date,
    reason: str,
    actor: str,
    actor_user_id: int | None = None,
    tenant_id: int | None = None,
) -> AgencyPlacement:
    """Take a live placement back on ``on`` (the agency's last day with the case)."""
    placement = get(db_session=db_session, placement_id=placement_id, tenant_id=tenant_id)
    if tenant_id is not None and placement.tenant_id != tenant_id:
        raise NotFound(f"no placement {placement_id}", hint="only the lender that placed a case recalls it")
    if placement.status is not PlacementStatus.LIVE:
        raise Conflict(f"placement {placement.id} is already {placement.status.value}")
    if not reason.strip():
        raise InvalidInput("a reason is needed to recall a placement", where="reason")
    if not placement.starts_on <= on <= placement.ends_on:
        raise InvalidInput(
            f"{on} is outside the placement ({placement.starts_on} to {placement.ends_on})",
            where="on",
            hint="a placement past its end is recalled automatically by `arrears agency expire`",
        )
    placement.status = PlacementStatus.RECALLED
    placement.recalled_on = on
    placement.recall_reason = reason.strip()
    db_session.flush()
    _audit(db_session, placement, "agency.recalled", actor, actor_user_id, {"on": on.isoformat(), "reason": reason})
    return placement


def expire_due(*, db_session: Session, as_of: date, actor: str, tenant_id: int | None = None) -> list[AgencyPlacement]:
    """Recall automatically every live placement whose period ended before ``as_of``."""
    stmt = select(AgencyPlacement).where(
        AgencyPlacement.status == PlacementStatus.LIVE, AgencyPlacement.ends_on < as_of
    )
    if tenant_id is not None:
        stmt = stmt.where(AgencyPlacement.tenant_id == tenant_id)
    expired = list(db_session.scalars(stmt.order_by(AgencyPlacement.id).with_for_update()))
    for placement in expired:
        placement.status = PlacementStatus.EXPIRED
        placement.recalled_on = placement.ends_on
        placement.recall_reason = "period ended"
        _audit(db_session, placement, "agency.expired", actor, None, {"as_of": as_of.isoformat()})
    db_session.flush()
    return expired


def statement(
    *, db_session: Session, placement_id: int, as_of: date, tenant_id: int | None = None
) -> PlacementStatement:
    """Recoveries and commission of a placement, counting payments valued up to ``as_of``."""
    placement = get(db_session=db_session, placement_id=placement_id, tenant_id=tenant_id)
    case = db_session.get_one(Case, placement.case_id)
    held_until = min(placement.recalled_on or placement.ends_on, as_of)
    paid = (
        select(func.coalesce(func.sum(type_coerce(Payment.amount, BigInteger)), 0), func.count(Payment.id))
        .join(Loan, Loan.id == Payment.loan_id)
        .where(
            Loan.tenant_id == case.tenant_id,
            Loan.borrower_id == case.borrower_id,
            Payment.reversed_at.is_(None),
            Payment.value_date >= placement.starts_on,
            Payment.value_date <= held_until,
        )
    )
    cents, count = db_session.execute(paid).one()
    recovered = from_minor(int(cents))
    currencies = set(
        db_session.scalars(
            select(Product.currency)
            .join(Loan, Loan.product_id == Product.id)
            .where(Loan.tenant_id == case.tenant_id, Loan.borrower_id == case.borrower_id)
        )
    )
    if len(currencies) > 1:
        raise Conflict(
            f"case {case.id} has loans in {', '.join(sorted(currencies))}: one commission cannot mix currencies"
        )
    currency = currencies.pop() if currencies else "CNY"
    return PlacementStatement(
        placement_id=placement.id,
        held_from=placement.starts_on,
        held_until=held_until,
        recovered=recovered,
        commission_rate=placement.commission_rate,
        commission=rules.commission(recovered, placement.commission_rate, currency),
        payments=int(count),
        currency=currency,
    )


def _audit(
    db_session: Session,
    placement: AgencyPlacement,
    action: str,
    actor: str,
    actor_user_id: int | None,
    details: dict[str, object],
) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action=action,
        subject_type="agency_placement",
        subject_id=placement.id,
        tenant_id=placement.tenant_id,
        details={"case_id": placement.case_id, "agency_tenant_id": placement.agency_tenant_id, **details},
    )
