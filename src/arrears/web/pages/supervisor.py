"""The supervisor console: the team's queues and load, the day's recovery, blocks and complaints.

A team lead sees and changes their own team (cases through ``case_clause``, collectors
by team); operations sees the whole tenant. Viewing needs ``queue:read``, changing
``team:manage``; every change goes through :mod:`arrears.strategy.supervision`, which
audits it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import and_, select

from arrears.cases.models import Case
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.strategy import supervision as changes
from arrears.strategy.models import QueueEntry
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession, Now
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import render
from arrears.workbench import supervision
from arrears.workbench.queue import queue_rows

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require("queue:read"))]
Manager = Annotated[Principal, Depends(require("team:manage"))]


def _today(db_session: DbSession, caller: Principal, moment: datetime) -> tuple[supervision.Day, str]:
    zone = tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone
    on = moment.astimezone(ZoneInfo(zone)).date()
    start = datetime.combine(on, time(0), ZoneInfo(zone))
    return supervision.Day(on=on, start=start, end=start + timedelta(days=1)), zone


def team_of(caller: Principal) -> int | None:
    """The team whose collectors the caller manages: a team lead's own, None (the tenant) for others."""
    if caller.role is Role.TEAM_LEAD:
        if caller.team_id is None:
            raise InvalidInput("you lead no team yet", where="team", hint="ask an administrator to put you in a team")
        return caller.team_id
    return None


def _done(request: Request, caller: Principal, message: str, detail: str = "") -> Response:
    """An HTMX request gets the confirmation fragment; a plain form post goes back to the console."""
    if request.headers.get("HX-Request"):
        response = render(request, "supervisor/_done.html", {"message": message, "detail": detail}, principal=caller)
        response.headers["HX-Trigger"] = "team-changed"
        return response
    return RedirectResponse("/supervisor", status_code=303)


def _collector_home(caller: Principal) -> Response | None:
    """A collector's page is their own queue; the console looks over other people's work."""
    if caller.role is Role.COLLECTOR:
        return RedirectResponse("/queue", status_code=303)
    return None


@router.get("/supervisor", response_class=HTMLResponse)
def console(request: Request, db_session: DbSession, caller: Viewer, moment: Now) -> Response:
    """Load per collector, recovery against today's promises, today's guard blocks, open complaints."""
    if home := _collector_home(caller):
        return home
    day, zone = _today(db_session, caller, moment)
    team_id = team_of(caller)
    cases = case_clause(caller)
    loads = supervision.collector_loads(db_session=db_session, tenant_id=caller.tenant_id, team_id=team_id, day=day)
    context = {
        "day": day,
        "zone": zone,
        "now": moment,
        "loads": loads,
        "recovery": supervision.day_recovery(db_session=db_session, cases=cases, day=day),
        "blocks": supervision.blocked_contacts(db_session=db_session, tenant_id=caller.tenant_id, cases=cases, day=day),
        "complaints": supervision.open_complaints(db_session=db_session, tenant_id=caller.tenant_id, cases=cases),
        "can_manage": caller.can("team:manage"),
        "whole_tenant": team_id is None,
    }
    return render(request, "supervisor/console.html", context, principal=caller)


@router.get("/supervisor/recovery", response_class=HTMLResponse)
def recovery_fragment(request: Request, db_session: DbSession, caller: Viewer, moment: Now) -> Response:
    """Today's money in against today's promises, refreshed by the console while it is open."""
    if home := _collector_home(caller):
        return home
    day, zone = _today(db_session, caller, moment)
    recovery = supervision.day_recovery(db_session=db_session, cases=case_clause(caller), day=day)
    context = {"recovery": recovery, "now": moment, "zone": zone}
    return render(request, "supervisor/_recovery.html", context, principal=caller)


@router.get("/supervisor/queues/{user_id}", response_class=HTMLResponse)
def collector_queue(request: Request, db_session: DbSession, caller: Viewer, moment: Now, user_id: int) -> Response:
    """One collector's queue for today, as the end-of-day run ranked it, limited to the cases the caller reaches."""
    if home := _collector_home(caller):
        return home
    collector = supervision.collector_in_scope(
        db_session=db_session, tenant_id=caller.tenant_id, team_id=team_of(caller), user_id=user_id
    )
    day, zone = _today(db_session, caller, moment)
    scope = and_(QueueEntry.user_id == collector.id, QueueEntry.case_id.in_(select(Case.id).where(case_clause(caller))))
    rows = queue_rows(db_session=db_session, day=day.on, scope=scope, day_start=day.start)
    context = {"collector": collector, "rows": rows, "zone": zone, "now": moment}
    page = "supervisor/_queue.html" if request.headers.get("HX-Request") else "supervisor/queue.html"
    return render(request, page, context, principal=caller)


@router.post("/supervisor/reassign", response_class=HTMLResponse)
def reassign(
    request: Request,
    db_session: DbSession,
    caller: Manager,
    case_ids: Annotated[str, Form(max_length=2000)],
    collector_id: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=200)],
) -> Response:
    """Give one or more cases to a collector of the team; all of them or none."""
    numbers = supervision.parse_case_ids(case_ids)
    collector = supervision.collector_in_scope(
        db_session=db_session, tenant_id=caller.tenant_id, team_id=team_of(caller), user_id=collector_id
    )
    for number in numbers:
        visible_case(db_session=db_session, principal=caller, case_id=number)
    for number in numbers:
        changes.reassign(db_session=db_session, case_id=number, user_id=collector.id, actor=caller.actor, reason=reason)
    listed = ", ".join(str(number) for number in numbers)
    return _done(request, caller, "Cases reassigned", f"{listed} → {collector.display_name}")


@router.post("/supervisor/cap", response_class=HTMLResponse)
def set_cap(
    request: Request,
    db_session: DbSession,
    caller: Manager,
    collector_id: Annotated[int, Form()],
    cap: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Change how many cases a collector of the team takes a day; empty means no cap."""
    collector = supervision.collector_in_scope(
        db_session=db_session, tenant_id=caller.tenant_id, team_id=team_of(caller), user_id=collector_id
    )
    typed = cap.strip()
    if typed and not typed.isdigit():
        raise InvalidInput(f"'{typed}' is not a whole number of cases", where="cap", hint="leave it empty for no cap")
    changed = changes.set_cap(
        db_session=db_session, user_id=collector.id, cap=int(typed) if typed else None, actor=caller.actor
    )
    shown = str(changed.daily_case_cap) if changed.daily_case_cap is not None else "—"
    return _done(request, caller, "Daily cap changed", f"{collector.display_name}: {shown}")
