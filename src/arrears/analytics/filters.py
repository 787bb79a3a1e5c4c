"""What every measure is sliced by: one tenant, one period, and optional product, bucket, team, collector and arm.

The team and collector of a *case* are those of its assignment in force at the
end of the period (the latest one when several overlap); the collector of a
*contact*, a promise or a complaint is the person who made or caused it. A
measure that cannot honour a filter says so in :attr:`Table.ignored` instead of
quietly returning the unfiltered figure.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, func, or_, select, true

from arrears.cases.models import Case, CaseAssignment
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.org.models import User
from arrears.strategy.enums import Arm
from arrears.strategy.models import CaseStrategy

MAX_DAYS = 366 * 3
"""The longest period a measure is computed over (three years)."""

FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
"""Days a measure can be asked about (far enough from the calendar's ends to add a horizon)."""


def check_day(day: date, *, where: str) -> date:
    """``day`` when it is one a measure can be asked about; bad input otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{day} is outside {FIRST_DAY} to {LAST_DAY}", where=where, hint="give a date in range")
    return day


@dataclass(frozen=True)
class Filters:
    """A slice of one tenant's book over the days ``start`` to ``end`` (both included)."""

    tenant_id: int
    start: date
    end: date
    product_id: int | None = None
    bucket: str | None = None
    team_id: int | None = None
    collector_id: int | None = None
    arm: Arm | None = None

    def __post_init__(self) -> None:
        check_day(self.start, where="from")
        check_day(self.end, where="to")
        if self.end < self.start:
            raise InvalidInput(f"the period ends ({self.end}) before it starts ({self.start})", where="to")
        if (self.end - self.start).days >= MAX_DAYS:
            raise InvalidInput(
                f"the period {self.start} to {self.end} is longer than {MAX_DAYS} days",
                where="from",
                hint="ask for at most three years at a time",
            )

    @property
    def since(self) -> datetime:
        """The first instant of the period (UTC)."""
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period (UTC): times are compared with ``< until``."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)

    def given(self) -> list[str]:
        """The optional filters that were set, by name."""
        optional = ("product_id", "bucket", "team_id", "collector_id", "arm")
        return [f.name for f in fields(self) if f.name in optional and getattr(self, f.name) is not None]


def in_force_assignment(filters: Filters) -> ColumnElement[bool]:
    """Assignments that held the case at the end of the period."""
    return and_(
        CaseAssignment.assigned_at < filters.until,
        or_(CaseAssignment.ended_at.is_(None), CaseAssignment.ended_at >= filters.until),
    )


def case_dimensions(filters: Filters, case_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """Team, collector and arm filters on a case id column (true when none is set)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.team_id is not None or filters.collector_id is not None:
        latest = (
            select(func.max(CaseAssignment.id))
            .where(CaseAssignment.case_id == case_id, in_force_assignment(filters))
            .scalar_subquery()
        )
        holder = [CaseAssignment.id == latest]
        if filters.collector_id is not None:
            holder.append(CaseAssignment.user_id == filters.collector_id)
        if filters.team_id is not None:
            members = select(User.id).where(User.team_id == filters.team_id)
            holder.append(or_(CaseAssignment.team_id == filters.team_id, CaseAssignment.user_id.in_(members)))
        clauses.append(exists().where(*holder))
    return and_(true(), *clauses, arm_clause(filters, case_id))


def arm_clause(filters: Filters, case_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """The arm filter alone on a case id column (true when it is not set)."""
    if filters.arm is None:
        return true()
    return exists().where(CaseStrategy.case_id == case_id, CaseStrategy.arm == filters.arm)


def loan_case_id() -> ColumnElement[int]:
    """The case of the correlated :class:`Loan` (one case per borrower and tenant).

    Correlated explicitly: the team and collector filters nest this inside a
    subquery that has no loans of its own, and automatic correlation looks only
    one level up, so the loans would otherwise be read afresh (every case).
    """
    return (
        select(Case.id)
        .where(Case.tenant_id == Loan.tenant_id, Case.borrower_id == Loan.borrower_id)
        .correlate(Loan)
        .scalar_subquery()
    )


def loan_dimensions(filters: Filters) -> ColumnElement[bool]:
    """Tenant, product and the case filters on the :class:`Loan` table."""
    clauses: list[ColumnElement[bool]] = [Loan.tenant_id == filters.tenant_id]
    if filters.product_id is not None:
        clauses.append(Loan.product_id == filters.product_id)
    if filters.team_id is not None or filters.collector_id is not None or filters.arm is not None:
        clauses.append(case_dimensions(filters, loan_case_id()))
    return and_(*clauses)


def actor_dimensions(filters: Filters, user_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """Collector and team filters on the person who acted (a contact's caller, a complaint's collector)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.collector_id is not None:
        clauses.append(user_id == filters.collector_id)
    if filters.team_id is not None:
        clauses.append(user_id.in_(select(User.id).where(User.team_id == filters.team_id)))
    return and_(true(), *clauses)
