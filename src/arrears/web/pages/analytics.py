"""The operations dashboard (运营看板), one page per measure to drill into, and the printable daily report.

Thin adapters over :mod:`arrears.analytics`, with the same role narrowing as the
API (:func:`arrears.web.routes.analytics.scoped_request`): a collector reaches only
their own productivity, a team lead their team. Charts are Apache ECharts
(vendored under /static/vendor/echarts) drawn from options built here; every figure
is also in a table, so a measure's page reads without JavaScript and prints.

The dashboard itself answers at once with one empty panel per measure; each panel
then asks for its own figures (``/analytics/{measure}/panel``, loaded by htmx), so
the page shows before its slowest measure is computed and the measures are computed
side by side by the server's workers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.analytics import targets as recovery_targets
from arrears.analytics.filters import check_day
from arrears.analytics.measures import DESCRIPTIONS, compute
from arrears.analytics.recovery import DEFAULT_TARGETS, parse_target
from arrears.analytics.tables import Table, text
from arrears.errors import InvalidInput, NotFound
from arrears.ledger.models import Product
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.org.models import Team, User
from arrears.strategy.enums import Arm
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.i18n import translator
from arrears.web.routes.analytics import MAX_ID, Slice, scoped_request, visible_measures
from arrears.web.templating import locale_for, money, render, templates

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require("analytics:read"))]
TargetKeeper = Annotated[Principal, Depends(require("analytics:targets"))]
DEFAULT_DAYS = 30


def _(message: str) -> str:
    """Marks a label for the catalogue (tests/web/test_i18n.py finds it); translated when the page renders."""
    return message


TITLES = {
    "recovery_curve": _("Recovery by days since entering a bucket"),
    "recovery_by_age": _("Recovery by age of debt"),
    "roll_matrix": _("Roll matrix"),
    "roll_rates": _("Roll and cure rates"),
    "contact_rates": _("Contact rates"),
    "promises_kept": _("Promises kept"),
    "complaint_rate": _("Complaints per 1,000 contacts"),
    "compliance_blocks": _("Contacts refused by the guard"),
    "productivity": _("Collector productivity"),
    "arm_comparison": _("Champion and challenger"),
}

COLUMNS = {
    "bucket": _("Bucket"),
    "day": _("Day"),
    "entered": _("Entered"),
    "recovered": _("Recovered"),
    "rate": _("Rate"),
    "target": _("Target"),
    "met": _("Met"),
    "age_band": _("Age (days past due)"),
    "loans": _("Loans"),
    "overdue": _("Overdue"),
    "month": _("Month"),
    "from_bucket": _("From bucket"),
    "to_state": _("A month later"),
    "share": _("Share"),
    "rolled": _("Rolled"),
    "roll_rate": _("Roll rate"),
    "stayed": _("Stayed"),
    "improved": _("Improved"),
    "cured": _("Cured"),
    "cure_rate": _("Cure rate"),
    "closed": _("Closed"),
    "attempts": _("Attempts"),
    "connected": _("Connected"),
    "contact_rate": _("Contact rate"),
    "right_party": _("Right-party contacts"),
    "rpc_rate": _("Right-party contact rate"),
    "promises": _("Promises"),
    "promise_rate": _("Promise rate"),
    "resolved": _("Resolved"),
    "kept": _("Kept"),
    "partly_kept": _("Partly kept"),
    "broken": _("Broken"),
    "kept_rate": _("Kept rate"),
    "promised": _("Promised"),
    "paid": _("Paid"),
    "paid_share": _("Paid share"),
    "category": _("Category"),
    "complaints": _("Complaints"),
    "contacts": _("Contacts"),
    "per_1000_contacts": _("Per 1,000 contacts"),
    "rule": _("Rule"),
    "refusals": _("Refusals"),
    "collector_id": _("Id"),
    "collector": _("Collector"),
    "staff_number": _("Staff number"),
    "team_id": _("Team"),
    "cases_worked": _("Cases worked"),
    "promises_resolved": _("Promises resolved"),
    "promises_kept": _("Promises kept"),
    "complaints_per_1000_contacts": _("Complaints per 1,000 contacts"),
    "outcome": _("Outcome"),
    "champion_cases": _("Champion cases"),
    "champion_hits": _("Champion hits"),
    "champion_rate": _("Champion rate"),
    "champion_low": _("Champion low"),
    "champion_high": _("Champion high"),
    "challenger_cases": _("Challenger cases"),
    "challenger_hits": _("Challenger hits"),
    "challenger_rate": _("Challenger rate"),
    "challenger_low": _("Challenger low"),
    "challenger_high": _("Challenger high"),
    "difference": _("Difference"),
    "difference_low": _("Difference low"),
    "difference_high": _("Difference high"),
    "significant": _("Significant"),
}

RATE_COLUMNS = frozenset(
    name for name in COLUMNS if name.endswith(("rate", "share", "_low", "_high")) or name in ("target", "difference")
)
MONEY_COLUMNS = frozenset({"entered", "recovered", "overdue", "promised", "paid"})


def _tenant_today(db_session: Session, caller: Principal) -> date:
    zone = tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone
    return datetime.now(ZoneInfo(zone)).date()


def _slice(
    db_session: Session,
    caller: Principal,
    start: date | None,
    end: date | None,
    as_of: date | None,
    product: int | None,
    bucket: str | None,
    team: int | None,
    collector: int | None,
    arm: Arm | None,
) -> Slice:
    """The page's filters; without a period, the last 30 days to yesterday in the tenant's time zone."""
    if end is None:
        end = _tenant_today(db_session, caller) - timedelta(days=1)
    check_day(end, where="to")
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    return Slice(start, end, as_of, product, bucket or None, team, collector, arm, None)


class PageFilters:
    """Query parameters of the dashboard and the drill-downs (empty form fields are no filter)."""

    def __init__(
        self,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
        as_of: date | None = None,
        product: Annotated[str | None, Query()] = None,
        bucket: Annotated[str | None, Query()] = None,
        team: Annotated[str | None, Query()] = None,
        collector: Annotated[str | None, Query()] = None,
        arm: Annotated[str | None, Query()] = None,
    ) -> None:
        self.start, self.end, self.as_of, self.bucket = start, end, as_of, bucket
        self.product, self.team, self.collector = _number(product), _number(team), _number(collector)
        if arm and arm not in {member.value for member in Arm}:
            raise InvalidInput(f"no arm '{arm}'", where="arm", hint="champion or challenger")
        self.arm = Arm(arm) if arm else None

    def slice(self, db_session: Session, caller: Principal) -> Slice:
        return _slice(
            db_session,
            caller,
            self.start,
            self.end,
            self.as_of,
            self.product,
            self.bucket,
            self.team,
            self.collector,
            self.arm,
        )


def _number(value: str | None) -> int | None:
    """A select's value: empty means no filter; anything else must be an id."""
    if value is None or value == "":
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput(f"no such choice '{value[:20]}'", hint="pick from the list")
    return int(value)


def cell_text(column: str, value: Any) -> str:
    """A cell as the page shows it: rates as percentages, money with its sign, empty as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if column in RATE_COLUMNS and isinstance(value, Fraction):
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, Fraction):
        return f"{float(value):,.1f}"
    if column in MONEY_COLUMNS and isinstance(value, Decimal):
        return money(value)
    return str(text(value))


def _percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def chart(table: Table, translate: Any) -> dict[str, Any] | None:
    """The ECharts option for a measure worth a chart, or None (figures stay in the table)."""
    title = {"text": translate(TITLES[table.measure]), "textStyle": {"fontSize": 14}}
    if table.measure == "recovery_curve":
        buckets = list(dict.fromkeys(row[0] for row in table.rows))
        series = []
        for bucket in buckets:
            points = [[row[1], _percent(row[4])] for row in table.rows if row[0] == bucket]
            goals = [
                {"coord": [row[1], _percent(row[5])], "value": f"{_percent(row[5])}%"}
                for row in table.rows
                if row[0] == bucket and row[5] is not None
            ]
            series.append({"name": bucket, "type": "line", "data": points, "markPoint": {"data": goals}})
        return {
            "title": title,
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 24},
            "xAxis": {"type": "value", "name": translate("Day"), "min": 0, "max": 30},
            "yAxis": {"type": "value", "name": "%", "max": 100},
            "series": series,
        }
    if table.measure == "roll_rates":
        labels = [f"{text(row[0])} {row[1]}" for row in table.rows]
        return {
            "title": title,
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 24},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value", "name": "%"},
            "series": [
                {"name": translate("Roll rate"), "type": "bar", "data": [_percent(row[4]) for row in table.rows]},
                {"name": translate("Cure rate"), "type": "bar", "data": [_percent(row[8]) for row in table.rows]},
            ],
        }
    if table.measure in ("recovery_by_age", "compliance_blocks"):
        rows = table.rows if table.measure == "recovery_by_age" else table.rows[1:]
        value = 4 if table.measure == "recovery_by_age" else 1
        return {
            "title": title,
            "tooltip": {},
            "xAxis": {"type": "category", "data": [str(row[0]) for row in rows]},
            "yAxis": {"type": "value", "name": "%" if value == 4 else ""},
            "series": [
                {
                    "type": "bar",
                    "data": [_percent(row[value]) if value == 4 else row[value] for row in rows],
                }
            ],
        }
    return None


def _choices(db_session: Session, caller: Principal) -> dict[str, list[tuple[int, str]]]:
    """What the filter form offers, narrowed to what the caller may pick."""
    products = db_session.execute(
        select(Product.id, Product.name).where(Product.tenant_id == caller.tenant_id).order_by(Product.code)
    ).all()
    teams_stmt = select(Team.id, Team.name).where(Team.tenant_id == caller.tenant_id).order_by(Team.name)
    people_stmt = (
        select(User.id, User.display_name)
        .where(User.tenant_id == caller.tenant_id, User.role.in_((Role.COLLECTOR, Role.TEAM_LEAD)))
        .order_by(User.staff_number)
    )
    if caller.role is Role.TEAM_LEAD:
        teams_stmt = teams_stmt.where(Team.id == caller.team_id)
        people_stmt = people_stmt.where(User.team_id == caller.team_id)
    return {
        "products": [(row.id, row.name) for row in products],
        "teams": [(row.id, row.name) for row in db_session.execute(teams_stmt)],
        "people": [(row.id, row.display_name) for row in db_session.execute(people_stmt)],
    }


def _view(table: Table, translate: Any) -> dict[str, Any]:
    option = chart(table, translate)
    return {
        "name": table.measure,
        "title": translate(TITLES[table.measure]),
        "description": DESCRIPTIONS[table.measure],
        "columns": [(name, translate(COLUMNS.get(name, name))) for name in table.columns],
        "rows": [[cell_text(name, cell) for name, cell in zip(table.columns, row, strict=True)] for row in table.rows],
        "numeric": [
            name
            not in (
                "bucket",
                "category",
                "rule",
                "outcome",
                "collector",
                "staff_number",
                "age_band",
                "from_bucket",
                "to_state",
                "month",
            )
            for name in table.columns
        ],
        "ignored": [translate(COLUMNS.get(name.removesuffix("_id"), name)) for name in table.ignored],
        # Inside <script>: '<', '>', '&' and quotes escaped, so a name like "</script>" stays data.
        "chart": None if option is None else htmlsafe_json_dumps(option, ensure_ascii=False),
    }


def _query(given: Slice) -> str:
    """The filters as a query string, for the links to drill-downs and downloads."""
    pairs = {
        "from": given.start,
        "to": given.end,
        "as_of": given.as_of,
        "product": given.product,
        "bucket": given.bucket,
        "team": given.team,
        "collector": given.collector,
        "arm": given.arm.value if given.arm else None,
    }
    return urlencode({key: str(value) for key, value in pairs.items() if value is not None})


@router.get("/analytics", response_class=HTMLResponse)
def dashboard(
    request: Request, db_session: DbSession, caller: Reader, filters: Annotated[PageFilters, Depends()]
) -> Response:
    """A panel for every measure the caller may see, filled by its own request; a collector goes to their own
    productivity."""
    if caller.role is Role.COLLECTOR:
        return RedirectResponse("/analytics/productivity", status_code=303)
    translate = translator(locale_for(request, caller))
    given = filters.slice(db_session, caller)
    for name in visible_measures(caller):
        scoped_request(caller, given, name)  # a filter the caller may not use is refused here, not in each panel
    context = {
        "panels": [{"name": name, "title": translate(TITLES[name])} for name in visible_measures(caller)],
        "given": given,
        "query": _query(given),
        "choices": _choices(db_session, caller),
        "arms": [arm.value for arm in Arm],
    }
    return render(request, "analytics/dashboard.html", context, principal=caller)


@router.get("/analytics/report.pdf")
def daily_report(
    request: Request,
    db_session: DbSession,
    caller: Reader,
    day: Annotated[date | None, Query(description="the day reported; default yesterday")] = None,
) -> Response:
    """The day's figures on A4 (WeasyPrint): contacts, promises, complaints, refusals, people, recovery."""
    if caller.role is Role.COLLECTOR:
        return RedirectResponse("/analytics/productivity", status_code=303)
    locale = locale_for(request, caller)
    translate = translator(locale)
    on = check_day(day, where="day") if day else _tenant_today(db_session, caller) - timedelta(days=1)
    check_day(on - timedelta(days=DEFAULT_DAYS), where="day")
    the_day = _slice(db_session, caller, on, on, None, None, None, None, None, None)
    month = _slice(db_session, caller, on - timedelta(days=DEFAULT_DAYS - 1), on, None, None, None, None, None, None)
    names = ("contact_rates", "promises_kept", "complaint_rate", "compliance_blocks", "productivity")
    views = [
        _view(compute(db_session=db_session, name=name, request=scoped_request(caller, the_day, name)), translate)
        for name in names
    ]
    curve = compute(
        db_session=db_session, name="recovery_curve", request=scoped_request(caller, month, "recovery_curve")
    )
    targets = Table(curve.measure, curve.columns, [row for row in curve.rows if row[5] is not None], curve.ignored)
    views.append(_view(targets, translate))
    tenant = tenants.get(db_session=db_session, tenant_id=caller.tenant_id)
    html = templates.env.get_template("analytics/report.html").render(
        _=translate, html_lang=locale, day=on, tenant=tenant, views=views, principal=caller, month=month
    )
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: imported only to print

    pdf: bytes = HTML(string=html).write_pdf()
    filename = f"arrears-daily-{on.isoformat()}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


def _measure_view(
    request: Request, db_session: Session, caller: Principal, measure: str, filters: PageFilters
) -> tuple[dict[str, Any], Slice]:
    """One measure computed for the caller's filters, ready for a template, with the filters it used."""
    if measure not in TITLES:
        raise NotFound(f"no measure '{measure}'", hint="pick one on the dashboard")
    translate = translator(locale_for(request, caller))
    given = filters.slice(db_session, caller)
    table = compute(db_session=db_session, name=measure, request=scoped_request(caller, given, measure))
    return _view(table, translate), given


@router.get("/analytics/{measure}/panel", response_class=HTMLResponse)
def panel(
    request: Request,
    db_session: DbSession,
    caller: Reader,
    measure: str,
    filters: Annotated[PageFilters, Depends()],
) -> Response:
    """One measure's chart and table as a dashboard panel (a fragment the dashboard loads with htmx)."""
    view, given = _measure_view(request, db_session, caller, measure, filters)
    return render(request, "analytics/_panel.html", {"view": view, "query": _query(given)}, principal=caller)


@router.get("/analytics/{measure}", response_class=HTMLResponse)
def drill_down(
    request: Request,
    db_session: DbSession,
    caller: Reader,
    measure: str,
    filters: Annotated[PageFilters, Depends()],
) -> Response:
    """One measure in full, with its chart, its definition and its CSV and XLSX downloads."""
    view, given = _measure_view(request, db_session, caller, measure, filters)
    context = {
        "view": view,
        "given": given,
        "query": _query(given),
        "choices": _choices(db_session, caller),
        "arms": [arm.value for arm in Arm],
        "targets": _targets_view(db_session, caller) if measure == "recovery_curve" else None,
    }
    return render(request, "analytics/measure.html", context, principal=caller)


def _targets_view(db_session: Session, caller: Principal) -> dict[str, Any]:
    """What the curve is judged against: the tenant's current targets and their version."""
    found = recovery_targets.latest(db_session=db_session, tenant_id=caller.tenant_id)
    current = DEFAULT_TARGETS if found is None else recovery_targets.decode(found.targets)
    return {
        "current": recovery_targets.describe(current),
        "version": found.version if found is not None else None,
        "may_set": caller.can("analytics:targets"),
    }


@router.post("/analytics/targets", response_class=HTMLResponse)
def set_targets(
    request: Request,
    db_session: DbSession,
    caller: TargetKeeper,
    targets: Annotated[str, Form(max_length=400)],
) -> Response:
    """Set the tenant's recovery targets from ``7:0.6 15:0.8`` (spaces or commas between them): a new version."""
    wanted = tuple(parse_target(item) for item in targets.replace(",", " ").split())
    version, added = recovery_targets.set_targets(
        db_session=db_session,
        tenant_id=caller.tenant_id,
        targets=wanted,
        actor=caller.actor,
        actor_user_id=caller.user_id,
    )
    if not request.headers.get("HX-Request"):
        return RedirectResponse("/analytics/recovery_curve", status_code=303)
    translate = translator(locale_for(request, caller))
    described = recovery_targets.describe(recovery_targets.ordered(wanted))
    if added:
        message = f"{translate(_('Targets set'))}: {translate(_('version'))} {version} · {described}"
    else:
        message = f"{translate(_('Targets unchanged'))}: {described}"
    answer = render(request, "analytics/_targets_set.html", {"message": message}, principal=caller)
    if added:
        answer.headers["HX-Refresh"] = "true"  # the curve and its targets above the form are judged anew
    return answer
