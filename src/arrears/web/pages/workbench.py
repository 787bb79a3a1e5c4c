"""The collector's workbench: today's queue, the case page, the guided call and the outcome form.

Every contact action asks the compliance guard first (``contact.flows``); a blocked
one shows the rules that stopped it and when it will be allowed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select

from arrears.cases.models import Case
from arrears.compliance.guard import Decision
from arrears.compliance.lint import lint
from arrears.contact import flows
from arrears.contact.dialer import TelLinkDialer
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.portfolio.masking import PersonalField, reveal
from arrears.portfolio.models import ContactPoint
from arrears.scripts.guided import STEPS, CallKind
from arrears.scripts.library import cli_support
from arrears.scripts.library.enums import CallStep, Locale, Persona, ScriptParty
from arrears.scripts.suggest import script_for_step, suggest
from arrears.strategy.models import QueueEntry
from arrears.web.auth import Principal, require
from arrears.web.deps import MAX_ROW_ID, CaseId, DbSession, Now
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import locale_for, render
from arrears.workbench.overview import case_overview
from arrears.workbench.queue import next_case, queue_rows

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require("cases:read"))]
Worker = Annotated[Principal, Depends(require("cases:work"))]
QueueReader = Annotated[Principal, Depends(require("queue:read"))]
Revealer = Annotated[Principal, Depends(require("pii:reveal"))]
Linter = Annotated[Principal, Depends(require("lint"))]

QUEUE_PAGE = 100
"""Rows the queue page shows at first: the morning's work, in order; the rest one click away."""
QUEUE_MOST = 500

REASONS = ("cash_shortage", "job_loss", "illness", "accident", "business_receivables", "forgot", "dispute", "unwilling")
CALL_OUTCOMES = (
    Outcome.ANSWERED,
    Outcome.PROMISE,
    Outcome.REFUSED,
    Outcome.NO_ANSWER,
    Outcome.BUSY,
    Outcome.VOICEMAIL,
    Outcome.NOT_IN_SERVICE,
    Outcome.WRONG_NUMBER,
)


def _zone(db_session: DbSession, principal: Principal) -> ZoneInfo:
    return ZoneInfo(tenants.get(db_session=db_session, tenant_id=principal.tenant_id).timezone)


def _script_locale(locale: str) -> Locale:
    return {"zh-CN": Locale.ZH_CN, "zh-TW": Locale.ZH_TW, "en": Locale.EN}.get(locale, Locale.ZH_CN)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db_session: DbSession,
    caller: QueueReader,
    moment: Now,
    day: date | None = None,
    limit: Annotated[int, Query(ge=1, le=QUEUE_MOST, description="rows shown, in working order")] = QUEUE_PAGE,
) -> Response:
    """Today's cases in working order, the first ``limit`` of them; the next best case first."""
    zone = _zone(db_session, caller)
    today = moment.astimezone(zone).date()
    shown = day or today
    scope = _queue_scope(caller)
    day_start = datetime.combine(shown, time(0), zone)
    rows = queue_rows(db_session=db_session, day=shown, scope=scope, day_start=day_start, limit=limit)
    latest = None
    if not rows and day is None:
        latest = db_session.scalar(
            select(func.max(QueueEntry.as_of)).where(scope, QueueEntry.as_of <= today + timedelta(days=1))
        )
        if latest is not None:
            shown = latest
            rows = queue_rows(
                db_session=db_session,
                day=shown,
                scope=scope,
                day_start=datetime.combine(shown, time(0), zone),
                limit=limit,
            )
    now = moment
    context = {
        "rows": rows,
        "day": shown,
        "today": today,
        "fallback": latest is not None,
        "next": next_case(rows, now),
        "now": now,
        "zone": str(zone),
        "worked": sum(1 for row in rows if row.worked_today),
        "limit": limit,
        "more": len(rows) == limit and limit < QUEUE_MOST,
        "most": QUEUE_MOST,
    }
    return render(request, "workbench/queue.html", context, principal=caller)


def _queue_scope(caller: Principal) -> ColumnElement[bool]:
    """A collector's own queue; anyone else with the permission sees the queues of the cases they reach."""
    if caller.role is Role.COLLECTOR:
        return QueueEntry.user_id == caller.user_id
    return QueueEntry.case_id.in_(select(Case.id).where(case_clause(caller)))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, db_session: DbSession, caller: Reader, moment: Now, case_id: CaseId) -> Response:
    """Borrower and contacts (masked), loans, timeline, strategy and why, the guided call and the outcome form."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    zone = _zone(db_session, caller)
    today = moment.astimezone(zone).date()
    overview = case_overview(db_session=db_session, case=case, as_of=today)
    context = {
        "o": overview,
        "zone": str(zone),
        "today": today,
        "call_kinds": list(CallKind),
        "steps": STEPS,
        "outcomes": CALL_OUTCOMES,
        "reasons": REASONS,
        "personas": [persona.value for persona in Persona],
        "can_work": caller.can("cases:work"),
        "can_reveal": caller.can("pii:reveal"),
    }
    return render(request, "workbench/case.html", context, principal=caller)


@router.post("/cases/{case_id}/reveal", response_class=HTMLResponse)
def reveal_field(
    request: Request,
    db_session: DbSession,
    caller: Revealer,
    case_id: CaseId,
    field: Annotated[PersonalField, Form()],
    contact_point_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    """One personal field unmasked, for this person, now; the reveal is audited."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    shown = reveal(
        db_session=db_session,
        case=case,
        field=field,
        actor=caller.actor,
        user_id=caller.user_id,
        contact_point_id=contact_point_id,
    )
    return render(request, "workbench/_revealed.html", {"value": shown.value}, principal=caller)


def _contact_in(
    db_session: DbSession,
    at: datetime,
    case_id: CaseId,
    channel: ContactChannel,
    contact_point_id: int | None,
    outcome: Outcome,
    **fields: object,
) -> ContactIn:
    """The attempt as the guard and the recorder see it: who (from the contact point), how, when."""
    point = None
    if contact_point_id is not None:
        point = db_session.get(ContactPoint, contact_point_id)
        if point is None:
            raise NotFound(f"no contact point {contact_point_id}", hint="reload the case page")
    third_party_id = point.third_party_id if point else None
    number = point.value if point is not None and point.channel.value == "phone" else None
    try:
        return ContactIn(
            case_id=case_id,
            channel=channel,
            at=at,
            outcome=outcome,
            third_party_id=third_party_id,
            number=number,
            purpose="location" if third_party_id else None,
            **fields,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", where=where) from None


def _decision_fragment(request: Request, caller: Principal, decision: Decision, zone: str, **extra: object) -> Response:
    return render(
        request,
        "workbench/_decision.html",
        {"decision": decision, "zone": zone, **extra},
        principal=caller,
        status_code=200 if decision.allowed else 409,
    )


@router.post("/cases/{case_id}/dial", response_class=HTMLResponse)
def dial(
    request: Request,
    db_session: DbSession,
    caller: Worker,
    moment: Now,
    case_id: CaseId,
    contact_point_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
) -> Response:
    """Ask the guard whether this number may be called now; when it may, hand it to the dialer."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    planned = _contact_in(db_session, moment, case_id, ContactChannel.CALL, contact_point_id, Outcome.NO_ANSWER)
    decision = flows.check_contact(
        db_session=db_session, contact_in=planned, actor=caller.actor, user_id=caller.user_id, origin="web:dial"
    )
    zone = str(_zone(db_session, caller))
    if not decision.allowed or planned.number is None:
        return _decision_fragment(request, caller, decision, zone)
    dialled = TelLinkDialer().dial(number=planned.number, case_id=case_id, collector=caller.actor)
    return _decision_fragment(request, caller, decision, zone, dial_uri=dialled.uri, contact_point_id=contact_point_id)


@router.post("/cases/{case_id}/contacts", response_class=HTMLResponse)
def record_outcome(
    request: Request,
    db_session: DbSession,
    caller: Worker,
    moment: Now,
    case_id: CaseId,
    outcome: Annotated[Outcome, Form()],
    channel: Annotated[ContactChannel, Form()] = ContactChannel.CALL,
    contact_point_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
    conversation: Annotated[bool, Form()] = False,
    right_party: Annotated[bool, Form()] = False,
    reason_code: Annotated[str, Form(max_length=40)] = "",
    persona: Annotated[str, Form(max_length=40)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
    promise_amount: Annotated[str, Form(max_length=20)] = "",
    promise_due_on: Annotated[str, Form(max_length=10)] = "",
    promise_channel: Annotated[str, Form(max_length=40)] = "",
    duration_seconds: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    """The guard first; an allowed contact is recorded with its promise, a blocked one is shown why."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    promise = _promise(promise_amount, promise_due_on, promise_channel)
    if outcome is Outcome.PROMISE and promise is None:
        raise InvalidInput(
            "a promise needs its amount and date", where="promise_amount", hint="fill both, or choose another outcome"
        )
    contact_in = _contact_in(
        db_session,
        moment,
        case_id,
        channel,
        contact_point_id,
        outcome,
        conversation=conversation or outcome in {Outcome.PROMISE, Outcome.REFUSED},
        right_party=right_party,
        reason_code=reason_code or None,
        persona=persona or None,
        notes=notes.strip() or None,
        promise=promise,
        duration_seconds=duration_seconds,
    )
    result = flows.record_contact(
        db_session=db_session, contact_in=contact_in, actor=caller.actor, user_id=caller.user_id, origin="web"
    )
    zone = str(_zone(db_session, caller))
    if result.attempt is None:
        return _decision_fragment(request, caller, result.decision, zone)
    context = {"attempt": result.attempt, "promise": promise, "case_id": case_id}
    response = render(request, "workbench/_recorded.html", context, principal=caller)
    response.headers["HX-Trigger"] = "contact-recorded"
    return response


def _promise(amount: str, due_on: str, channel: str) -> PromiseIn | None:
    if not amount.strip() and not due_on.strip():
        return None
    try:
        value = Decimal(amount.strip().replace(",", ""))
        day = date.fromisoformat(due_on.strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            "the promise needs an amount like 1200.00 and a date like 2026-12-01", where="promise_amount"
        ) from None
    try:
        return PromiseIn(amount=value, due_on=day, channel=channel.strip() or None)
    except ValidationError as error:
        raise InvalidInput(f"promise: {error.errors()[0]['msg']}", where="promise_amount") from None


@router.get("/cases/{case_id}/timeline", response_class=HTMLResponse)
def timeline_fragment(
    request: Request, db_session: DbSession, caller: Reader, moment: Now, case_id: CaseId
) -> Response:
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    zone = _zone(db_session, caller)
    overview = case_overview(db_session=db_session, case=case, as_of=moment.astimezone(zone).date())
    return render(request, "workbench/_timeline.html", {"o": overview, "zone": str(zone)}, principal=caller)


@router.get("/cases/{case_id}/script", response_class=HTMLResponse)
def step_script(
    request: Request,
    db_session: DbSession,
    caller: Reader,
    moment: Now,
    case_id: CaseId,
    step: CallStep = CallStep.VERIFY_IDENTITY,
    party: ScriptParty = ScriptParty.DEBTOR,
) -> Response:
    """The script of one step of the guided call, filled in for this case in the caller's language."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    zone = _zone(db_session, caller)
    key, script_id, text = script_for_step(
        db_session=db_session,
        case_id=case_id,
        today=moment.astimezone(zone).date(),
        settings=cli_support.settings_from(None),
        locale=_script_locale(locale_for(request, caller)),
        step=step,
        party=party,
        collector_user_id=caller.user_id,
        tenant_id=caller.tenant_id,
    )
    return render(
        request,
        "workbench/_script.html",
        {"key": key, "script_id": script_id, "text": text, "step": step},
        principal=caller,
    )


@router.post("/cases/{case_id}/suggest", response_class=HTMLResponse)
def live_suggestion(
    request: Request,
    db_session: DbSession,
    caller: Reader,
    moment: Now,
    case_id: CaseId,
    utterance: Annotated[str, Form(max_length=1000)],
    step: Annotated[CallStep, Form()] = CallStep.ASK_PAYMENT_TODAY,
) -> Response:
    """What the debtor just said: its intent, any promised date and amount, and the line to answer with."""
    visible_case(db_session=db_session, principal=caller, case_id=case_id)
    if not utterance.strip():
        return HTMLResponse("")
    today = moment.astimezone(_zone(db_session, caller)).date()
    answer = suggest(
        db_session=db_session,
        case_id=case_id,
        utterance=utterance,
        today=today,
        settings=cli_support.settings_from(None),
        locale=_script_locale(locale_for(request, caller)),
        step=step,
        collector_user_id=caller.user_id,
        tenant_id=caller.tenant_id,
    )
    return render(request, "workbench/_suggestion.html", {"s": answer}, principal=caller)


@router.post("/lint", response_class=HTMLResponse)
def lint_fragment(request: Request, caller: Linter, notes: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """The linter's findings on a note as it is typed (flagged notes go to compliance review)."""
    findings = lint(notes) if notes.strip() else []
    return render(request, "workbench/_lint.html", {"findings": findings}, principal=caller)


@router.get("/next", response_class=HTMLResponse)
def next_best(db_session: DbSession, caller: QueueReader, moment: Now) -> Response:
    """Open the next best case of today's queue, or the queue when none is left."""
    zone = _zone(db_session, caller)
    today = moment.astimezone(zone).date()
    rows = queue_rows(
        db_session=db_session, day=today, scope=_queue_scope(caller), day_start=datetime.combine(today, time(0), zone)
    )
    chosen = next_case(rows, moment)
    return RedirectResponse(f"/cases/{chosen.case_id}" if chosen else "/queue", status_code=303)
