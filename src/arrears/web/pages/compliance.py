"""The compliance console: the audit log and its chain, flagged contacts, holds, complaints, scripts and templates.

Each section needs its own permission (``audit:read``, ``contacts:review``,
``holds:manage``, ``complaints:manage``, ``scripts:approve``) and shows only the
cases the caller reaches. Every change goes through the package that owns it
(holds, complaints, the script library, comms), which audits it; the review of a
flagged contact is recorded by :mod:`arrears.workbench.review`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from arrears.audit.verify import verify_chain
from arrears.comms import flows as comms_flows
from arrears.comms import service as comms
from arrears.comms.models import CommsTemplate
from arrears.compliance import complaints
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel, HoldType
from arrears.compliance.holds import HoldIn, lift_hold, place_hold
from arrears.compliance.models import Complaint
from arrears.contact.enums import ContactChannel
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.scripts.library import flows as script_flows
from arrears.scripts.library import service as scripts
from arrears.scripts.library.enums import ScriptStatus
from arrears.scripts.library.service import ScriptFilter
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession, Now
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import render
from arrears.workbench import review

router = APIRouter(include_in_schema=False)

SECTIONS = ("audit:read", "contacts:review", "holds:manage", "complaints:manage", "scripts:approve")

AnySection = Annotated[Principal, Depends(require(*SECTIONS))]
AuditReader = Annotated[Principal, Depends(require("audit:read"))]
Reviewer = Annotated[Principal, Depends(require("contacts:review"))]
HoldKeeper = Annotated[Principal, Depends(require("holds:manage"))]
ComplaintHandler = Annotated[Principal, Depends(require("complaints:manage"))]
ScriptApprover = Annotated[Principal, Depends(require("scripts:approve"))]


def _zone(db_session: DbSession, caller: Principal) -> ZoneInfo:
    return ZoneInfo(tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone)


def _done(request: Request, caller: Principal, message: str, detail: str = "", back: str = "/compliance") -> Response:
    """An HTMX request gets the confirmation fragment; a plain form post goes back to the console."""
    if request.headers.get("HX-Request"):
        return render(request, "compliance/_done.html", {"message": message, "detail": detail}, principal=caller)
    return RedirectResponse(back, status_code=303)


def _person(db_session: DbSession, caller: Principal) -> User:
    """The signed-in person behind the caller: approvals are made by people, not tokens."""
    user = db_session.get(User, caller.user_id) if caller.user_id is not None else None
    if user is None:
        raise InvalidInput("only a signed-in person can approve", where="approver", hint="sign in as yourself")
    return user


def _day(text: str, where: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text.strip()}' is not a date like 2026-12-01", where=where) from None


@router.get("/compliance", response_class=HTMLResponse)
def console(request: Request, db_session: DbSession, caller: AnySection, moment: Now) -> Response:
    """What needs a compliance officer's look today, each section for those who may act on it."""
    zone = _zone(db_session, caller)
    today = moment.astimezone(zone).date()
    cases = case_clause(caller)
    context: dict[str, object] = {"zone": str(zone), "today": today, "now": moment}
    if caller.can("contacts:review"):
        flagged = review.flagged_contacts(db_session=db_session, cases=cases)
        context["flagged"] = flagged
        context["people"] = _names(db_session, {attempt.user_id for attempt in flagged})
        context["review_outcomes"] = list(review.ReviewOutcome)
    if caller.can("holds:manage"):
        context["holds"] = review.active_holds(db_session=db_session, cases=cases, on=today)
        context["hold_types"] = list(HoldType)
        context["channels"] = list(ContactChannel)
    if caller.can("complaints:manage"):
        context["complaints"] = [
            complaint
            for complaint in complaints.get_all(db_session=db_session, tenant_id=caller.tenant_id, open_only=True)
            if _complaint_visible(db_session, caller, complaint)
        ]
        context["complaint_channels"] = list(ComplaintChannel)
        context["complaint_categories"] = list(ComplaintCategory)
    if caller.can("scripts:approve"):
        context["scripts"] = scripts.get_all(
            db_session=db_session, tenant_id=caller.tenant_id, where=ScriptFilter(status=ScriptStatus.DRAFT)
        )
        context["templates"] = comms.get_all(
            db_session=db_session, tenant_id=caller.tenant_id, status=ScriptStatus.DRAFT
        )
    return render(request, "compliance/console.html", context, principal=caller)


def _names(db_session: DbSession, user_ids: set[int | None]) -> dict[int, str]:
    """Display names of the people who made the contacts shown."""
    wanted = [user_id for user_id in user_ids if user_id is not None]
    if not wanted:
        return {}
    return {user.id: user.display_name for user in db_session.scalars(select(User).where(User.id.in_(wanted)))}


def _complaint_visible(db_session: DbSession, caller: Principal, complaint: Complaint) -> bool:
    try:
        visible_case(db_session=db_session, principal=caller, case_id=complaint.case_id)
    except NotFound:
        return False
    return True


# The audit log ---------------------------------------------------------------------


@router.get("/compliance/audit", response_class=HTMLResponse)
def audit_search(
    request: Request,
    db_session: DbSession,
    caller: AuditReader,
    actor: str = "",
    action: str = "",
    subject_type: str = "",
    subject_id: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    """The tenant's audit entries, newest first, fifty a page."""
    query = review.AuditQuery(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        since=_day(since, "since"),
        until=_day(until, "until"),
        page=page,
    )
    zone = _zone(db_session, caller)
    found = review.search_audit(db_session=db_session, tenant_id=caller.tenant_id, query=query, zone=zone)
    filters = {
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "since": since,
        "until": until,
    }
    context = {"found": found, "q": filters, "zone": str(zone)}
    return render(request, "compliance/audit.html", context, principal=caller)


@router.post("/compliance/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, db_session: DbSession, caller: AuditReader) -> Response:
    """Recompute every hash and link of the chain and show what does not hold."""
    report = verify_chain(db_session=db_session)
    return render(request, "compliance/_verified.html", {"report": report}, principal=caller)


# Flagged contacts ------------------------------------------------------------------


@router.post("/compliance/contacts/{attempt_id}/review", response_class=HTMLResponse)
def review_contact(
    request: Request,
    db_session: DbSession,
    caller: Reviewer,
    attempt_id: int,
    outcome: Annotated[review.ReviewOutcome, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a flagged contact reviewed, with what was found."""
    review.review_contact(
        db_session=db_session,
        cases=case_clause(caller),
        attempt_id=attempt_id,
        outcome=outcome,
        note=note,
        actor=caller.actor,
        actor_user_id=caller.user_id,
    )
    return _done(request, caller, "Contact reviewed", f"#{attempt_id}")


# Holds -----------------------------------------------------------------------------


@router.post("/compliance/holds", response_class=HTMLResponse)
def place(
    request: Request,
    db_session: DbSession,
    caller: HoldKeeper,
    moment: Now,
    case_id: Annotated[int, Form()],
    type: Annotated[HoldType, Form()],
    reason: Annotated[str, Form(max_length=2000)],
    starts_on: Annotated[str, Form(max_length=10)] = "",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    channel: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Place a hold on a case in scope: from today unless told otherwise, until lifted unless an end is given."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    if not reason.strip():
        raise InvalidInput("say why the case is put on hold", where="reason")
    start = _day(starts_on, "starts_on") or moment.astimezone(_zone(db_session, caller)).date()
    try:
        hold_in = HoldIn(
            type=type,
            starts_on=start,
            ends_on=_day(ends_on, "ends_on"),
            channel=ContactChannel(channel) if channel else None,
            reason=reason.strip(),
        )
    except ValueError as error:
        raise InvalidInput(_first_error(error), where="hold") from None
    hold = place_hold(db_session=db_session, case=case, hold_in=hold_in, actor=caller.actor, set_by_id=caller.user_id)
    return _done(request, caller, "Hold placed", f"#{hold.id} · {case.id}")


def _first_error(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return str(first["msg"]).removeprefix("Value error, ")
    return str(error)


@router.post("/compliance/holds/{hold_id}/lift", response_class=HTMLResponse)
def lift(
    request: Request,
    db_session: DbSession,
    caller: HoldKeeper,
    moment: Now,
    hold_id: int,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Lift a hold on a case in scope, with a reason."""
    review.hold_in_scope(db_session=db_session, cases=case_clause(caller), hold_id=hold_id)
    lift_hold(
        db_session=db_session,
        hold_id=hold_id,
        at=moment,
        actor=caller.actor,
        lifted_by_id=caller.user_id,
        reason=reason,
    )
    return _done(request, caller, "Hold lifted", f"#{hold_id}")


# Complaints ------------------------------------------------------------------------


@router.post("/compliance/complaints", response_class=HTMLResponse)
def register_complaint(
    request: Request,
    db_session: DbSession,
    caller: ComplaintHandler,
    moment: Now,
    case_id: Annotated[int, Form()],
    channel: Annotated[ComplaintChannel, Form()],
    category: Annotated[ComplaintCategory, Form()],
    complainant: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(max_length=8000)],
    collector_id: Annotated[str, Form(max_length=12)] = "",
    hold_case: Annotated[bool, Form()] = False,
) -> Response:
    """Register a complaint received now; with the box ticked, the case is held while it is handled."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    collector = collector_id.strip()
    if collector and not collector.isdigit():
        raise InvalidInput(f"'{collector}' is not a user number", where="collector_id")
    try:
        complaint_in = complaints.ComplaintIn(
            case_id=case_id,
            received_at=moment,
            channel=channel,
            category=category,
            complainant=complainant.strip(),
            description=description.strip(),
            collector_id=int(collector) if collector else None,
            hold_case=hold_case,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", where=where) from None
    complaint = complaints.register(
        db_session=db_session, complaint_in=complaint_in, actor=caller.actor, recorded_by_id=caller.user_id
    )
    return _done(request, caller, "Complaint registered", f"#{complaint.id} · {case_id}")


@router.post("/compliance/complaints/{complaint_id}/resolve", response_class=HTMLResponse)
def resolve_complaint(
    request: Request,
    db_session: DbSession,
    caller: ComplaintHandler,
    moment: Now,
    complaint_id: int,
    resolution: Annotated[str, Form(max_length=8000)],
    upheld: Annotated[bool, Form()] = False,
) -> Response:
    """Close a complaint in scope with its finding; its hold, if any, is lifted."""
    complaint = db_session.get(Complaint, complaint_id)
    if complaint is None or complaint.tenant_id != caller.tenant_id:
        raise NotFound(f"no complaint {complaint_id}")
    visible_case(db_session=db_session, principal=caller, case_id=complaint.case_id)
    complaints.resolve(
        db_session=db_session,
        complaint_id=complaint_id,
        resolution=resolution,
        upheld=upheld,
        at=moment,
        actor=caller.actor,
        resolved_by_id=caller.user_id,
    )
    return _done(request, caller, "Complaint resolved", f"#{complaint_id}")


# Scripts and templates -------------------------------------------------------------


@router.post("/compliance/scripts/{script_id}/approve", response_class=HTMLResponse)
def approve_script(
    request: Request, db_session: DbSession, caller: ScriptApprover, moment: Now, script_id: int
) -> Response:
    """Publish a draft script of the tenant written by someone else (maker-checker)."""
    script = scripts.get(db_session=db_session, script_id=script_id)
    if script.tenant_id != caller.tenant_id:
        raise NotFound(f"no script {script_id}")
    script_flows.approve(db_session=db_session, script_id=script_id, approver=_person(db_session, caller), at=moment)
    return _done(request, caller, "Script approved", f"{script.key} v{script.version}")


@router.post("/compliance/templates/{template_id}/approve", response_class=HTMLResponse)
def approve_template(
    request: Request, db_session: DbSession, caller: ScriptApprover, moment: Now, template_id: int
) -> Response:
    """Publish a draft letter or message template of the tenant written by someone else (maker-checker)."""
    template = db_session.get(CommsTemplate, template_id)
    if template is None or template.tenant_id != caller.tenant_id:
        raise NotFound(f"no template {template_id}")
    comms_flows.approve(db_session=db_session, template_id=template_id, approver=_person(db_session, caller), at=moment)
    return _done(request, caller, "Template approved", f"{template.key} v{template.version}")
