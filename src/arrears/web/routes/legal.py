"""``/api/v1/legal``: referrals, proceedings and their steps, fees and recoveries, deadline alerts,
the document pack, and agency placements. Thin adapters over :mod:`arrears.legal`.

Every referral and proceeding is reached through its case, so the caller's case
scope applies (out of scope is 404). Placements belong to the lender that made them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.errors import NotFound
from arrears.legal import alerts, outcomes, pack, placements, rules, service
from arrears.legal.enums import JudgmentOutcome, PlacementStatus, ProceedingKind
from arrears.legal.models import AgencyPlacement, LegalReferral, Proceeding
from arrears.legal.schemas import MAX_ROW_ID, AmountIn, PlacementIn, ProceedingIn, ReferralIn, TransitionIn
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.scoping import case_clause, visible_case

router = APIRouter(prefix="/api/v1/legal", tags=["legal"])

PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Reader = Annotated[Principal, Depends(require("legal:read"))]
Manager = Annotated[Principal, Depends(require("legal:manage"))]
Placer = Annotated[Principal, Depends(require("agency:place"))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


class ChecklistItemOut(BaseModel):
    key: str
    zh: str
    en: str
    done_on: date | None
    done_by: str | None
    note: str | None


class EventOut(BaseModel):
    event: str
    from_status: str | None
    to_status: str
    on: date
    note: str | None
    actor: str


class AmountOut(BaseModel):
    id: int
    kind: str
    category: str
    amount: str = Field(description="exact decimal string")
    currency: str
    on: date
    note: str | None


class ProceedingOut(BaseModel):
    id: int
    referral_id: int
    case_id: int
    parent_id: int | None
    kind: ProceedingKind
    status: str
    court: str | None
    court_reference: str | None
    claimed: str | None
    opened_on: date
    served_on: date | None
    objection_deadline: date | None = Field(description="payment order: last day to object, on the court calendar")
    hearing_on: date | None
    judgment_on: date | None
    judgment_outcome: JudgmentOutcome | None
    closed_on: date | None
    allowed_events: list[str]
    events: list[EventOut]
    amounts: list[AmountOut]


class ReferralOut(BaseModel):
    id: int
    case_id: int
    status: str
    referred_on: date
    referred_by: str
    reason: str
    closed_on: date | None
    checklist: list[ChecklistItemOut]
    missing: list[str]
    proceedings: list[ProceedingOut]


class TickIn(_In):
    on: date
    note: str | None = Field(default=None, max_length=2000)


class CloseIn(_In):
    on: date
    withdraw: bool = Field(default=False, description="withdrawn rather than closed")


class AlertOut(BaseModel):
    proceeding_id: int
    case_id: int
    kind: str
    due_on: date
    days_left: int = Field(description="negative once the day has passed without the proceeding moving on")
    new: bool = Field(description="raised (and audited) by this request")
    message_zh: str
    message_en: str


class OutcomeOut(BaseModel):
    proceeding_id: int
    case_id: int
    kind: ProceedingKind
    status: str
    finished: bool
    opened_on: date
    closed_on: date | None
    judgment_outcome: JudgmentOutcome | None
    claimed: str | None
    fees: str
    recovered: str
    net: str
    currency: str


class KindSummaryOut(BaseModel):
    kind: ProceedingKind
    proceedings: int
    open: int
    fees: str
    recovered: str
    currency: str


class OutcomesOut(BaseModel):
    proceedings: list[OutcomeOut]
    by_kind: list[KindSummaryOut]


class RecallIn(_In):
    on: date = Field(description="the agency's last day with the case")
    reason: str = Field(min_length=1, max_length=2000)


class ExpireIn(_In):
    as_of: date


class PlacementOut(BaseModel):
    id: int
    case_id: int
    agency_tenant_id: int
    status: PlacementStatus
    starts_on: date
    ends_on: date
    commission_rate: str
    recalled_on: date | None
    recall_reason: str | None
    recovered: str = Field(description="payments valued while the agency held the case, up to as_of")
    commission: str
    currency: str


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _proceeding_out(db_session: Session, proceeding: Proceeding) -> ProceedingOut:
    events = service.get_events(db_session=db_session, proceeding_id=proceeding.id)
    amounts = service.get_amounts(db_session=db_session, proceeding_id=proceeding.id)
    return ProceedingOut(
        id=proceeding.id,
        referral_id=proceeding.referral_id,
        case_id=proceeding.case_id,
        parent_id=proceeding.parent_id,
        kind=proceeding.kind,
        status=proceeding.status.value,
        court=proceeding.court,
        court_reference=proceeding.court_reference,
        claimed=_money(proceeding.claimed),
        opened_on=proceeding.opened_on,
        served_on=proceeding.served_on,
        objection_deadline=proceeding.objection_deadline,
        hearing_on=proceeding.hearing_on,
        judgment_on=proceeding.judgment_on,
        judgment_outcome=proceeding.judgment_outcome,
        closed_on=proceeding.closed_on,
        allowed_events=rules.allowed_events(proceeding.kind, proceeding.status),
        events=[
            EventOut(
                event=e.event,
                from_status=e.from_status.value if e.from_status else None,
                to_status=e.to_status.value,
                on=e.happened_on,
                note=e.note,
                actor=e.actor,
            )
            for e in events
        ],
        amounts=[
            AmountOut(
                id=a.id,
                kind=a.kind.value,
                category=a.category,
                amount=str(a.amount),
                currency=a.currency,
                on=a.happened_on,
                note=a.note,
            )
            for a in amounts
        ],
    )


def _referral_out(db_session: Session, referral: LegalReferral) -> ReferralOut:
    checklist = []
    for item in rules.CHECKLIST:
        done: dict[str, Any] = referral.checklist.get(item.key) or {}
        checklist.append(
            ChecklistItemOut(
                key=item.key,
                zh=item.zh,
                en=item.en,
                done_on=date.fromisoformat(done["on"]) if done else None,
                done_by=done.get("by"),
                note=done.get("note"),
            )
        )
    proceedings = service.get_proceedings(db_session=db_session, referral_id=referral.id)
    return ReferralOut(
        id=referral.id,
        case_id=referral.case_id,
        status=referral.status.value,
        referred_on=referral.referred_on,
        referred_by=referral.referred_by,
        reason=referral.reason,
        closed_on=referral.closed_on,
        checklist=checklist,
        missing=service.missing_items(referral),
        proceedings=[_proceeding_out(db_session, p) for p in proceedings],
    )


def _referral(db_session: Session, principal: Principal, referral_id: int) -> LegalReferral:
    referral = service.get_referral(db_session=db_session, referral_id=referral_id)
    visible_case(db_session=db_session, principal=principal, case_id=referral.case_id)
    return referral


def _proceeding(db_session: Session, principal: Principal, proceeding_id: int) -> Proceeding:
    proceeding = service.get_proceeding(db_session=db_session, proceeding_id=proceeding_id)
    visible_case(db_session=db_session, principal=principal, case_id=proceeding.case_id)
    return proceeding


@router.post("/referrals", status_code=201)
def refer(principal: Manager, db_session: DbSession, referral_in: Annotated[ReferralIn, Body()]) -> ReferralOut:
    """Refer a case in scope to legal; its checklist must be completed before any proceeding."""
    visible_case(db_session=db_session, principal=principal, case_id=referral_in.case_id)
    referral = service.refer(
        db_session=db_session, referral_in=referral_in, actor=principal.actor, actor_user_id=principal.user_id
    )
    return _referral_out(db_session, referral)


@router.get("/referrals/{referral_id}")
def get_referral(principal: Reader, db_session: DbSession, referral_id: PathId) -> ReferralOut:
    """A referral with its checklist and its proceedings (steps, fees, recoveries)."""
    return _referral_out(db_session, _referral(db_session, principal, referral_id))


@router.post("/referrals/{referral_id}/checklist/{item}")
def tick(principal: Manager, db_session: DbSession, referral_id: PathId, item: str, tick_in: TickIn) -> ReferralOut:
    """Mark a checklist item done; the sign-off must come from someone other than the referrer."""
    _referral(db_session, principal, referral_id)
    referral = service.tick(
        db_session=db_session,
        referral_id=referral_id,
        item=item,
        on=tick_in.on,
        note=tick_in.note,
        actor=principal.actor,
        actor_user_id=principal.user_id,
    )
    return _referral_out(db_session, referral)


@router.post("/referrals/{referral_id}/close")
def close(principal: Manager, db_session: DbSession, referral_id: PathId, close_in: CloseIn) -> ReferralOut:
    """End the legal stage once every proceeding is over."""
    _referral(db_session, principal, referral_id)
    referral = service.close_referral(
        db_session=db_session,
        referral_id=referral_id,
        on=close_in.on,
        withdraw=close_in.withdraw,
        actor=principal.actor,
        actor_user_id=principal.user_id,
    )
    return _referral_out(db_session, referral)


@router.get(
    "/referrals/{referral_id}/pack",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the document pack"}},
)
def download_pack(principal: Manager, db_session: DbSession, referral_id: PathId) -> Response:
    """The document pack as one PDF (an export of personal data: audited)."""
    referral = _referral(db_session, principal, referral_id)
    pdf = pack.build_pack(
        db_session=db_session,
        referral_id=referral.id,
        at=datetime.now(UTC),
        actor=principal.actor,
        actor_user_id=principal.user_id,
    )
    filename = f"legal-pack-case-{referral.case_id}-referral-{referral.id}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.post("/proceedings", status_code=201)
def open_proceeding(
    principal: Manager, db_session: DbSession, proceeding_in: Annotated[ProceedingIn, Body()]
) -> ProceedingOut:
    """Start a proceeding on a ready referral (enforcement, restriction and listing name what they stand on)."""
    _referral(db_session, principal, proceeding_in.referral_id)
    proceeding = service.open_proceeding(
        db_session=db_session, proceeding_in=proceeding_in, actor=principal.actor, actor_user_id=principal.user_id
    )
    return _proceeding_out(db_session, proceeding)


@router.get("/proceedings/{proceeding_id}")
def get_proceeding(principal: Reader, db_session: DbSession, proceeding_id: PathId) -> ProceedingOut:
    return _proceeding_out(db_session, _proceeding(db_session, principal, proceeding_id))


@router.post("/proceedings/{proceeding_id}/transitions")
def transition(
    principal: Manager, db_session: DbSession, proceeding_id: PathId, transition_in: Annotated[TransitionIn, Body()]
) -> ProceedingOut:
    """Apply one event; one the lifecycle does not allow is 409 illegal_transition, naming those allowed."""
    _proceeding(db_session, principal, proceeding_id)
    proceeding = service.advance(
        db_session=db_session,
        proceeding_id=proceeding_id,
        transition_in=transition_in,
        actor=principal.actor,
        actor_user_id=principal.user_id,
    )
    return _proceeding_out(db_session, proceeding)


@router.post("/proceedings/{proceeding_id}/amounts", status_code=201)
def record_amount(
    principal: Manager, db_session: DbSession, proceeding_id: PathId, amount_in: Annotated[AmountIn, Body()]
) -> AmountOut:
    """Record a fee or a recovery; amounts are decimal strings with at most two decimals."""
    _proceeding(db_session, principal, proceeding_id)
    row = service.record_amount(
        db_session=db_session,
        proceeding_id=proceeding_id,
        amount_in=amount_in,
        actor=principal.actor,
        actor_user_id=principal.user_id,
    )
    return AmountOut(
        id=row.id,
        kind=row.kind.value,
        category=row.category,
        amount=str(row.amount),
        currency=row.currency,
        on=row.happened_on,
        note=row.note,
    )


@router.get("/alerts")
def list_alerts(
    principal: Reader,
    db_session: DbSession,
    as_of: Annotated[date, Query(description="the day to look from")],
    within_days: Annotated[int, Query(ge=0, le=alerts.MAX_WITHIN_DAYS)] = alerts.DEFAULT_WITHIN_DAYS,
) -> list[AlertOut]:
    """Deadlines due within the window, and past ones not yet acted on, for cases in scope."""
    found = alerts.alerts_due(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        as_of=as_of,
        within_days=within_days,
        actor=principal.actor,
    )
    reachable = _reachable_cases(db_session, principal, {a.case_id for a in found})
    return [
        AlertOut(
            proceeding_id=a.proceeding_id,
            case_id=a.case_id,
            kind=a.kind.value,
            due_on=a.due_on,
            days_left=a.days_left,
            new=a.newly_raised,
            message_zh=a.message_zh,
            message_en=a.message_en,
        )
        for a in found
        if a.case_id in reachable
    ]


def _reachable_cases(db_session: Session, principal: Principal, case_ids: set[int]) -> set[int]:
    if not case_ids:
        return set()
    stmt = select(Case.id).where(Case.id.in_(case_ids), case_clause(principal))
    return set(db_session.scalars(stmt))


@router.get("/outcomes")
def list_outcomes(
    principal: Reader, db_session: DbSession, kind: Annotated[ProceedingKind | None, Query()] = None
) -> OutcomesOut:
    """Fees and recoveries of every proceeding on cases in scope, and per kind."""
    scope = case_clause(principal)
    rows = outcomes.proceeding_outcomes(db_session=db_session, tenant_id=principal.tenant_id, kind=kind, cases=scope)
    summary = outcomes.summary_by_kind(db_session=db_session, tenant_id=principal.tenant_id, cases=scope)
    return OutcomesOut(
        proceedings=[
            OutcomeOut(
                proceeding_id=o.proceeding_id,
                case_id=o.case_id,
                kind=o.kind,
                status=o.status.value,
                finished=o.finished,
                opened_on=o.opened_on,
                closed_on=o.closed_on,
                judgment_outcome=o.judgment_outcome,
                claimed=_money(o.claimed),
                fees=str(o.fees),
                recovered=str(o.recovered),
                net=str(o.net),
                currency=o.currency,
            )
            for o in rows
        ],
        by_kind=[
            KindSummaryOut(
                kind=s.kind,
                proceedings=s.proceedings,
                open=s.open,
                fees=str(s.fees),
                recovered=str(s.recovered),
                currency=s.currency,
            )
            for s in summary
        ],
    )


def _placement_out(db_session: Session, placement: AgencyPlacement, as_of: date) -> PlacementOut:
    statement = placements.statement(db_session=db_session, placement_id=placement.id, as_of=as_of)
    return PlacementOut(
        id=placement.id,
        case_id=placement.case_id,
        agency_tenant_id=placement.agency_tenant_id,
        status=placement.status,
        starts_on=placement.starts_on,
        ends_on=placement.ends_on,
        commission_rate=str(placement.commission_rate),
        recalled_on=placement.recalled_on,
        recall_reason=placement.recall_reason,
        recovered=str(statement.recovered),
        commission=str(statement.commission),
        currency=statement.currency,
    )


@router.post("/placements", status_code=201)
def place(principal: Placer, db_session: DbSession, placement_in: Annotated[PlacementIn, Body()]) -> PlacementOut:
    """Place a case of the caller's own tenant with an agency tenant for a period, on commission."""
    case = visible_case(db_session=db_session, principal=principal, case_id=placement_in.case_id)
    if case.tenant_id != principal.tenant_id:
        raise NotFound(f"no case {case.id}", hint="only the lender that owns a case places it")
    placement = placements.place(
        db_session=db_session, placement_in=placement_in, actor=principal.actor, actor_user_id=principal.user_id
    )
    return _placement_out(db_session, placement, placement.starts_on)


@router.get("/placements")
def list_placements(
    principal: Placer,
    db_session: DbSession,
    as_of: Annotated[date, Query(description="count recoveries up to this day")],
    status: Annotated[PlacementStatus | None, Query()] = None,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> list[PlacementOut]:
    """Placements made by the caller's tenant, with what was recovered and the commission earned."""
    found = placements.get_all(db_session=db_session, tenant_id=principal.tenant_id, status=status, case_id=case_id)
    return [_placement_out(db_session, p, as_of) for p in found if p.tenant_id == principal.tenant_id]


@router.post("/placements/{placement_id}/recall")
def recall(principal: Placer, db_session: DbSession, placement_id: PathId, recall_in: RecallIn) -> PlacementOut:
    """Take a case back from the agency; it holds the case through the recall day."""
    placement = placements.recall(
        db_session=db_session,
        placement_id=placement_id,
        on=recall_in.on,
        reason=recall_in.reason,
        actor=principal.actor,
        actor_user_id=principal.user_id,
        tenant_id=principal.tenant_id,
    )
    return _placement_out(db_session, placement, recall_in.on)


@router.post("/placements/expire")
def expire(principal: Placer, db_session: DbSession, expire_in: ExpireIn) -> list[PlacementOut]:
    """Recall automatically the caller's placements whose period ended before ``as_of``."""
    expired = placements.expire_due(
        db_session=db_session, as_of=expire_in.as_of, actor=principal.actor, tenant_id=principal.tenant_id
    )
    return [_placement_out(db_session, p, expire_in.as_of) for p in expired]
