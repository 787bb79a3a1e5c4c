"""``/api/v1/analytics``: every dashboard measure as JSON, CSV or XLSX, sliced by the caller's filters.

Thin adapters over :mod:`arrears.analytics.measures`. The tenant is the caller's.
What a caller sees narrows with their role: a collector sees only their own
productivity, a team lead only their team; everyone else with ``analytics:read``
(operations, compliance, admin, API tokens) the whole tenant.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters, check_day
from arrears.analytics.measures import DESCRIPTIONS, MEASURES, Request, compute
from arrears.analytics.recovery import parse_target
from arrears.analytics.tables import Table, to_csv, to_xlsx
from arrears.org.enums import Role
from arrears.strategy.enums import Arm
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.exceptions import Forbidden

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Reader = Annotated[Principal, Depends(require("analytics:read"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLLECTOR_MEASURES = frozenset({"productivity"})
MEASURE_PATTERN = "^(" + "|".join(MEASURES) + ")$"
MAX_ID = 2**31 - 1
"""The largest id a table's integer key holds: a larger one is bad input, not a database error."""


class MeasureInfo(BaseModel):
    name: str
    description: str


class TableOut(BaseModel):
    """One measure. Amounts and rates are exact decimal strings; a rate with nothing to divide by is null."""

    measure: str
    columns: list[str]
    rows: list[dict[str, str | int | bool | None]]
    ignored_filters: list[str] = Field(description="filters this measure cannot apply (docs/metrics.md)")


class Slice:
    """The query parameters every measure takes, as one dependency."""

    def __init__(
        self,
        start: Annotated[date, Query(alias="from", description="first day of the period")],
        end: Annotated[date, Query(alias="to", description="last day of the period (included)")],
        as_of: Annotated[date | None, Query(description="the day the figures are seen from; default: to")] = None,
        product: Annotated[int | None, Query(ge=1, le=MAX_ID, description="product id")] = None,
        bucket: Annotated[str | None, Query(min_length=1, max_length=40, description="bucket name")] = None,
        team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="team id")] = None,
        collector: Annotated[int | None, Query(ge=1, le=MAX_ID, description="collector (user) id")] = None,
        arm: Annotated[Arm | None, Query(description="champion or challenger")] = None,
        target: Annotated[
            list[str] | None,
            Query(max_length=20, description="recovery target [bucket:]day:share, repeatable; default: the tenant's"),
        ] = None,
    ) -> None:
        self.start, self.end, self.as_of = start, end, as_of
        self.product, self.bucket, self.team, self.collector, self.arm = product, bucket, team, collector, arm
        self.target = target


def scoped_request(principal: Principal, given: Slice, measure: str) -> Request:
    """The caller's filters, narrowed to what their role may see."""
    team, collector = given.team, given.collector
    if principal.role is Role.COLLECTOR:
        if measure not in COLLECTOR_MEASURES:
            raise Forbidden(f"a collector sees only their own productivity, not '{measure}'", hint="ask your team lead")
        if collector not in (None, principal.user_id):
            raise Forbidden("a collector sees only their own productivity", hint="leave out the collector filter")
        collector = principal.user_id
    elif principal.role is Role.TEAM_LEAD:
        if team not in (None, principal.team_id):
            raise Forbidden("a team lead sees only their own team", hint="leave out the team filter")
        team = principal.team_id
    filters = Filters(
        principal.tenant_id,
        given.start,
        given.end,
        product_id=given.product,
        bucket=given.bucket,
        team_id=team,
        collector_id=collector,
        arm=given.arm,
    )
    targets = tuple(parse_target(t) for t in given.target) if given.target else None
    as_of = check_day(given.as_of, where="as_of") if given.as_of else given.end
    return Request(filters, as_of=as_of, targets=targets)


def visible_measures(principal: Principal) -> list[str]:
    """The measures ``principal`` may ask for, in dashboard order."""
    return [name for name in MEASURES if principal.role is not Role.COLLECTOR or name in COLLECTOR_MEASURES]


def _compute(db_session: Session, principal: Principal, given: Slice, measure: str) -> Table:
    return compute(db_session=db_session, name=measure, request=scoped_request(principal, given, measure))


def _out(table: Table) -> TableOut:
    return TableOut(
        measure=table.measure, columns=list(table.columns), rows=table.records(), ignored_filters=list(table.ignored)
    )


@router.get("/measures", response_model=list[MeasureInfo])
def measures(principal: Reader) -> list[MeasureInfo]:
    """The measures this caller may ask for (docs/metrics.md defines each)."""
    return [MeasureInfo(name=name, description=DESCRIPTIONS[name]) for name in visible_measures(principal)]


@router.get("/export.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_workbook(principal: Reader, db_session: DbSession, given: Annotated[Slice, Depends()]) -> Response:
    """Every measure the caller may see, one worksheet each."""
    tables = [_compute(db_session, principal, given, name) for name in visible_measures(principal)]
    filename = f"arrears-analytics-{given.start}-{given.end}.xlsx"
    return Response(
        to_xlsx(tables), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get(
    "/{measure}",
    response_model=TableOut,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def measure(
    measure: Annotated[str, Path(pattern=MEASURE_PATTERN, description="a measure from /api/v1/analytics/measures")],
    principal: Reader,
    db_session: DbSession,
    given: Annotated[Slice, Depends()],
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, csv or xlsx")] = "json",
) -> TableOut | Response:
    """One measure as JSON (default), CSV or a one-sheet XLSX workbook."""
    table = _compute(db_session, principal, given, measure)
    if format == "json":
        return _out(table)
    filename = f"{table.measure}-{given.start}-{given.end}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return Response(to_csv(table), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(to_xlsx([table]), media_type=XLSX, headers=disposition)
