"""Which cases a caller reaches: the second half of every authorisation decision.

A permission says what a caller may do; the scope says to which cases. A collector
reaches the cases currently assigned to them, a team lead the cases of their team,
everyone else in a lender the whole tenant, and an API token its tenant. A case
outside the scope is reported as not found, so a caller learns nothing of it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.errors import NotFound
from arrears.legal.placements import live_placement_clause
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.web.auth import Principal

PLACEMENT_ZONE = ZoneInfo("Asia/Shanghai")


def case_clause(principal: Principal, *, on: date | None = None) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Case` keeping the cases ``principal`` reaches (on ``on``, default today).

    An agency's users reach the cases placed with their agency while the placement
    is live; placements go only to agency tenants, so for a lender that branch is empty.
    """
    placed = live_placement_clause(agency_tenant_id=principal.tenant_id, on=on or _today())
    reachable = or_(Case.tenant_id == principal.tenant_id, placed)
    current = CaseAssignment.ended_at.is_(None)
    if principal.role is Role.COLLECTOR:
        mine = exists().where(CaseAssignment.case_id == Case.id, current, CaseAssignment.user_id == principal.user_id)
        return and_(reachable, mine)
    if principal.role is Role.TEAM_LEAD:
        team_members = select(User.id).where(User.team_id == principal.team_id)
        ours = exists().where(
            CaseAssignment.case_id == Case.id,
            current,
            or_(CaseAssignment.team_id == principal.team_id, CaseAssignment.user_id.in_(team_members)),
        )
        return and_(reachable, ours)
    return reachable


def _today() -> date:
    """Placement periods are calendar days where the lenders are."""
    return datetime.now(PLACEMENT_ZONE).date()


def visible_case(*, db_session: Session, principal: Principal, case_id: int) -> Case:
    """The case ``case_id`` when ``principal`` reaches it; not found otherwise."""
    case = db_session.scalar(select(Case).where(Case.id == case_id, case_clause(principal)))
    if case is None:
        raise NotFound(f"no case {case_id}", hint="only the cases in your scope are visible")
    return case
