"""Which cases a caller reaches: the second half of every authorisation decision.

A permission says what a caller may do; the scope says to which cases. A collector
reaches the cases currently assigned to them, a team lead the cases of their team,
everyone else in a lender the whole tenant, and an API token its tenant. A case
outside the scope is reported as not found, so a caller learns nothing of it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.errors import NotFound
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.web.auth import Principal


def case_clause(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Case` keeping the cases ``principal`` reaches."""
    in_tenant = Case.tenant_id == principal.tenant_id
    current = CaseAssignment.ended_at.is_(None)
    if principal.role is Role.COLLECTOR:
        mine = exists().where(CaseAssignment.case_id == Case.id, current, CaseAssignment.user_id == principal.user_id)
        return and_(in_tenant, mine)
    if principal.role is Role.TEAM_LEAD:
        team_members = select(User.id).where(User.team_id == principal.team_id)
        ours = exists().where(
            CaseAssignment.case_id == Case.id,
            current,
            or_(CaseAssignment.team_id == principal.team_id, CaseAssignment.user_id.in_(team_members)),
        )
        return and_(in_tenant, ours)
    return in_tenant


def visible_case(*, db_session: Session, principal: Principal, case_id: int) -> Case:
    """The case ``case_id`` when ``principal`` reaches it; not found otherwise."""
    case = db_session.scalar(select(Case).where(Case.id == case_id, case_clause(principal)))
    if case is None:
        raise NotFound(f"no case {case_id}", hint="only the cases in your scope are visible")
    return case
