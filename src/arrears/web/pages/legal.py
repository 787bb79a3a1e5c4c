"""The legal desk: deadlines, referrals with their checklist and proceedings, the pack, and agency placements.

Thin adapters over :mod:`arrears.legal`: reading needs ``legal:read``, acting
``legal:manage``, placing with agencies ``agency:place``. Referrals are reached
through their case, so the caller's case scope applies (out of scope is 404).
Every form posts back and is redirected to the page it came from.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from arrears.compliance.pack import describe
from arrears.errors import InvalidInput, NotFound
from arrears.legal import alerts, pack, placements, rules, service
from arrears.legal.enums import FeeCategory, JudgmentOutcome, ProceedingKind, RecoveryCategory
from arrears.legal.models import LegalReferral
from arrears.legal.schemas import MAX_ROW_ID, AmountIn, PlacementIn, ProceedingIn, ReferralIn, TransitionIn
from arrears.org import service as tenants
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession, Now
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
_Model = TypeVar("_Model", bound=BaseModel)

PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Reader = Annotated[Principal, Depends(require("legal:read"))]
Manager = Annotated[Principal, Depends(require("legal:manage"))]
Placer = Annotated[Principal, Depends(require("agency:place"))]
Text = Annotated[str, Form(max_length=2000)]


def _valid(model: type[_Model], **fields: object) -> _Model:
    try:
        return model.model_validate({key: value for key, value in fields.items() if value not in (None, "")})
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None


def _today(db_session: DbSession, caller: Principal, moment: datetime) -> date:
    zone = tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone
    return moment.astimezone(ZoneInfo(zone)).date()


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date", where=field, hint="pick a day, YYYY-MM-DD") from None


def _referral(db_session: DbSession, caller: Principal, referral_id: int) -> LegalReferral:
    if not 1 <= referral_id <= MAX_ROW_ID:
        raise NotFound(f"no legal referral {referral_id}")
    referral = service.get_referral(db_session=db_session, referral_id=referral_id, tenant_id=caller.tenant_id)
    visible_case(db_session=db_session, principal=caller, case_id=referral.case_id)
    return referral


def _back(referral_id: int) -> Response:
    return RedirectResponse(f"/legal/referrals/{referral_id}", status_code=303)


@router.get("/legal", response_class=HTMLResponse)
def desk(request: Request, db_session: DbSession, caller: Reader, moment: Now) -> Response:
    """Deadlines in the next week (and any missed), and the live referrals of the cases in scope."""
    today = _today(db_session, caller, moment)
    scope = case_clause(caller)
    due = alerts.alerts_due(db_session=db_session, tenant_id=caller.tenant_id, as_of=today, actor=caller.actor)
    reachable = {
        referral.case_id
        for referral in service.get_referrals(
            db_session=db_session, tenant_id=caller.tenant_id, cases=scope, live_only=False
        )
    }
    context = {
        "today": today,
        "alerts": [alert for alert in due if alert.case_id in reachable],
        "referrals": [
            (referral, service.missing_items(referral))
            for referral in service.get_referrals(db_session=db_session, tenant_id=caller.tenant_id, cases=scope)
        ],
    }
    return render(request, "legal/desk.html", context, principal=caller)


@router.post("/legal/referrals", response_class=HTMLResponse)
def refer(
    db_session: DbSession,
    caller: Manager,
    moment: Now,
    case_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
    reason: Text,
) -> Response:
    """Refer a case in scope to legal."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    referral_in = _valid(ReferralIn, case_id=case_id, referred_on=_today(db_session, caller, moment), reason=reason)
    referral = service.refer(
        db_session=db_session, referral_in=referral_in, actor=caller.actor, actor_user_id=caller.user_id
    )
    return _back(referral.id)


@router.get("/legal/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(
    request: Request, db_session: DbSession, caller: Reader, moment: Now, referral_id: PathId
) -> Response:
    """The checklist, each proceeding with the steps it allows now, fees and recoveries."""
    referral = _referral(db_session, caller, referral_id)
    proceedings = [
        (
            proceeding,
            rules.allowed_events(proceeding.kind, proceeding.status),
            service.get_events(db_session=db_session, proceeding_id=proceeding.id),
            service.get_amounts(db_session=db_session, proceeding_id=proceeding.id),
        )
        for proceeding in service.get_proceedings(db_session=db_session, referral_id=referral.id)
    ]
    context = {
        "referral": referral,
        "checklist": rules.CHECKLIST,
        "missing": service.missing_items(referral),
        "proceedings": proceedings,
        "kinds": list(ProceedingKind),
        "outcomes": list(JudgmentOutcome),
        "fee_categories": list(FeeCategory),
        "recovery_categories": list(RecoveryCategory),
        "today": _today(db_session, caller, moment),
        "can_manage": caller.can("legal:manage"),
    }
    return render(request, "legal/referral.html", context, principal=caller)


@router.post("/legal/referrals/{referral_id}/tick", response_class=HTMLResponse)
def tick(
    db_session: DbSession,
    caller: Manager,
    referral_id: PathId,
    item: Annotated[str, Form(max_length=40)],
    on: Annotated[str, Form(max_length=10)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Mark a checklist item done (the sign-off by someone other than the referrer)."""
    _referral(db_session, caller, referral_id)
    service.tick(
        db_session=db_session,
        referral_id=referral_id,
        item=item,
        on=_day(on, "on"),
        note=note or None,
        actor=caller.actor,
        actor_user_id=caller.user_id,
    )
    return _back(referral_id)


@router.post("/legal/referrals/{referral_id}/proceedings", response_class=HTMLResponse)
def open_proceeding(
    db_session: DbSession,
    caller: Manager,
    referral_id: PathId,
    kind: Annotated[str, Form(max_length=40)],
    on: Annotated[str, Form(max_length=10)],
    parent_id: Annotated[str | None, Form(max_length=12)] = None,
    court: Annotated[str | None, Form(max_length=200)] = None,
    court_reference: Annotated[str | None, Form(max_length=100)] = None,
    claimed: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """Start a proceeding on the ready referral."""
    _referral(db_session, caller, referral_id)
    proceeding_in = _valid(
        ProceedingIn,
        referral_id=referral_id,
        kind=kind,
        opened_on=_day(on, "on"),
        parent_id=parent_id,
        court=court,
        court_reference=court_reference,
        claimed=claimed,
    )
    service.open_proceeding(
        db_session=db_session, proceeding_in=proceeding_in, actor=caller.actor, actor_user_id=caller.user_id
    )
    return _back(referral_id)


@router.post("/legal/proceedings/{proceeding_id}/advance", response_class=HTMLResponse)
def advance(
    db_session: DbSession,
    caller: Manager,
    proceeding_id: PathId,
    event: Annotated[str, Form(max_length=40)],
    on: Annotated[str, Form(max_length=10)],
    hearing_on: Annotated[str | None, Form(max_length=10)] = None,
    outcome: Annotated[str | None, Form(max_length=20)] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Apply one step; one the proceeding's status does not allow is refused, naming those it does."""
    proceeding = service.get_proceeding(db_session=db_session, proceeding_id=proceeding_id, tenant_id=caller.tenant_id)
    _referral(db_session, caller, proceeding.referral_id)
    transition_in = _valid(
        TransitionIn,
        event=event,
        on=_day(on, "on"),
        hearing_on=_day(hearing_on, "hearing_on") if hearing_on else None,
        outcome=outcome if event == "judge" else None,
        note=note,
    )
    service.advance(
        db_session=db_session,
        proceeding_id=proceeding.id,
        transition_in=transition_in,
        actor=caller.actor,
        actor_user_id=caller.user_id,
    )
    return _back(proceeding.referral_id)


@router.post("/legal/proceedings/{proceeding_id}/amounts", response_class=HTMLResponse)
def record_amount(
    db_session: DbSession,
    caller: Manager,
    proceeding_id: PathId,
    kind: Annotated[str, Form(max_length=20)],
    category: Annotated[str, Form(max_length=40)],
    amount: Annotated[str, Form(max_length=20)],
    on: Annotated[str, Form(max_length=10)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Record a fee or a recovery on a proceeding."""
    proceeding = service.get_proceeding(db_session=db_session, proceeding_id=proceeding_id, tenant_id=caller.tenant_id)
    _referral(db_session, caller, proceeding.referral_id)
    amount_in = _valid(AmountIn, kind=kind, category=category, amount=amount, on=_day(on, "on"), note=note)
    service.record_amount(
        db_session=db_session,
        proceeding_id=proceeding.id,
        amount_in=amount_in,
        actor=caller.actor,
        actor_user_id=caller.user_id,
    )
    return _back(proceeding.referral_id)


@router.get("/legal/referrals/{referral_id}/pack")
def download_pack(db_session: DbSession, caller: Manager, moment: Now, referral_id: PathId) -> Response:
    """The document pack as one PDF (audited)."""
    referral = _referral(db_session, caller, referral_id)
    pdf = pack.build_pack(
        db_session=db_session, referral_id=referral.id, at=moment, actor=caller.actor, actor_user_id=caller.user_id
    )
    filename = f"legal-pack-case-{referral.case_id}-referral-{referral.id}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/legal/placements", response_class=HTMLResponse)
def placements_page(request: Request, db_session: DbSession, caller: Placer, moment: Now) -> Response:
    """The tenant's placements with what each agency recovered and earned so far."""
    today = _today(db_session, caller, moment)
    found = [
        (placement, placements.statement(db_session=db_session, placement_id=placement.id, as_of=today))
        for placement in placements.get_all(db_session=db_session, tenant_id=caller.tenant_id)
        if placement.tenant_id == caller.tenant_id
    ]
    agencies = {tenant.id: tenant for tenant in placements.agency_tenants(db_session=db_session)}
    return render(
        request,
        "legal/placements.html",
        {"today": today, "placements": found, "agencies": agencies},
        principal=caller,
    )


@router.post("/legal/placements", response_class=HTMLResponse)
def place(
    db_session: DbSession,
    caller: Placer,
    case_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
    agency_tenant_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
    starts_on: Annotated[str, Form(max_length=10)],
    ends_on: Annotated[str, Form(max_length=10)],
    commission_rate: Annotated[str, Form(max_length=12)],
) -> Response:
    """Place a case of the caller's tenant with an agency."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    if case.tenant_id != caller.tenant_id:
        raise NotFound(f"no case {case_id}", hint="only the lender that owns a case places it")
    placement_in = _valid(
        PlacementIn,
        case_id=case_id,
        agency_tenant_id=agency_tenant_id,
        starts_on=_day(starts_on, "starts_on"),
        ends_on=_day(ends_on, "ends_on"),
        commission_rate=commission_rate,
    )
    placements.place(db_session=db_session, placement_in=placement_in, actor=caller.actor, actor_user_id=caller.user_id)
    return RedirectResponse("/legal/placements", status_code=303)


@router.post("/legal/placements/{placement_id}/recall", response_class=HTMLResponse)
def recall(
    db_session: DbSession,
    caller: Placer,
    moment: Now,
    placement_id: PathId,
    reason: Text,
) -> Response:
    """Take a case back from its agency today."""
    placements.recall(
        db_session=db_session,
        placement_id=placement_id,
        on=_today(db_session, caller, moment),
        reason=reason,
        actor=caller.actor,
        actor_user_id=caller.user_id,
        tenant_id=caller.tenant_id,
    )
    return RedirectResponse("/legal/placements", status_code=303)
