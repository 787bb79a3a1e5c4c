"""Collector productivity (人效): work done, what it brought in, and the complaints it drew, side by side.

Rows are in staff-number order and carry complaints next to money on purpose: a
collector is never ranked on recovered amount alone (DOMAIN.md: judged on
recovery *and* complaints).

Recovered money is credited to the collector who held the case at the end of
the payment's value date (UTC): one aggregate query joins each payment to the
assignment in force then. Assignments a case held at the same time (Arrears ends
one before it starts the next) would each be credited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    SQLColumnExpression,
    and_,
    case,
    distinct,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from arrears.analytics.contacts import PER_CONTACTS, RESOLVED
from arrears.analytics.filters import Filters
from arrears.analytics.tables import Cell, Table, ratio
from arrears.cases.models import Case, CaseAssignment
from arrears.compliance.models import Complaint
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.ledger.models import Loan, Payment
from arrears.money import from_minor
from arrears.org.enums import Role
from arrears.org.models import User

COLUMNS = (
    "collector_id",
    "collector",
    "staff_number",
    "team_id",
    "cases_worked",
    "contacts",
    "right_party",
    "promises",
    "promises_resolved",
    "promises_kept",
    "kept_rate",
    "recovered",
    "complaints",
    "complaints_per_1000_contacts",
)


def _product(filters: Filters, loan_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    if filters.product_id is None:
        return true()
    return loan_id.in_(select(Loan.id).where(Loan.product_id == filters.product_id))


class DayAfter(FunctionElement[datetime]):
    """The first instant (UTC) of the day after a date column: the end of that value date."""

    type = DateTime()
    inherit_cache = True


@compiles(DayAfter, "postgresql")
def _day_after_postgresql(element: DayAfter, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)} + 1)::timestamp AT TIME ZONE 'UTC')"


@compiles(DayAfter, "sqlite")
def _day_after_sqlite(element: DayAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored times are 'YYYY-MM-DD HH:MM:SS' text in UTC: they compare with 'YYYY-MM-DD' as times do.
    return f"date({compiler.process(element.clauses, **kw)}, '+1 day')"


def _recovered(db_session: Session, filters: Filters) -> dict[int, int]:
    """Cents recovered in the period per collector holding the case at the end of the value date.

    One aggregate query: each payment meets the assignment in force at the end of
    its value date (assigned before that instant, not ended by it). When every day
    of the period is aggregated, the same sums are read from the daily aggregates.
    """
    from arrears.analytics import daily

    if daily.covered(db_session=db_session, tenant_id=filters.tenant_id, first=filters.start, last=filters.end):
        return daily.read_collector_recoveries(db_session=db_session, filters=filters)
    day_end = DayAfter(Payment.value_date)
    rows = db_session.execute(
        select(CaseAssignment.user_id, type_coerce(func.sum(Payment.amount), BigInteger))
        .select_from(Payment)
        .join(Loan, Loan.id == Payment.loan_id)
        .join(Case, (Case.tenant_id == Loan.tenant_id) & (Case.borrower_id == Loan.borrower_id))
        .join(
            CaseAssignment,
            (CaseAssignment.case_id == Case.id)
            & (CaseAssignment.assigned_at < day_end)
            & (CaseAssignment.ended_at.is_(None) | (CaseAssignment.ended_at >= day_end)),
        )
        .where(
            Loan.tenant_id == filters.tenant_id,
            Payment.reversed_at.is_(None),
            Payment.value_date >= filters.start,
            Payment.value_date <= filters.end,
            CaseAssignment.user_id.is_not(None),
            _product(filters, Loan.id),
        )
        .group_by(CaseAssignment.user_id)
    )
    return {int(user): int(paid) for user, paid in rows if user is not None}


def productivity(*, db_session: Session, filters: Filters) -> Table:
    """One row per collector and team lead of the tenant (filtered by team and collector)."""
    people = select(User.id, User.display_name, User.staff_number, User.team_id).where(
        User.tenant_id == filters.tenant_id, User.role.in_((Role.COLLECTOR, Role.TEAM_LEAD))
    )
    if filters.collector_id is not None:
        people = people.where(User.id == filters.collector_id)
    if filters.team_id is not None:
        people = people.where(User.team_id == filters.team_id)
    staff = db_session.execute(people.order_by(User.staff_number, User.id)).all()
    ids = [row.id for row in staff]

    in_period = and_(
        ContactAttempt.user_id.in_(ids),
        ContactAttempt.attempted_at >= filters.since,
        ContactAttempt.attempted_at < filters.until,
        _product(filters, ContactAttempt.loan_id),
    )
    work = {
        user: (cases, contacts, rpc)
        for user, cases, contacts, rpc in db_session.execute(
            select(
                ContactAttempt.user_id,
                func.count(distinct(ContactAttempt.case_id)),
                func.count(),
                func.coalesce(func.sum(case((ContactAttempt.right_party, 1), else_=0)), 0),
            )
            .where(in_period)
            .group_by(ContactAttempt.user_id)
        )
    }
    taken = dict(
        db_session.execute(
            select(ContactAttempt.user_id, func.count())
            .join(PromiseToPay, PromiseToPay.contact_attempt_id == ContactAttempt.id)
            .where(in_period, PromiseToPay.status != PromiseStatus.CANCELLED)
            .group_by(ContactAttempt.user_id)
        ).all()
    )
    outcomes = {
        user: (resolved, kept)
        for user, resolved, kept in db_session.execute(
            select(
                PromiseToPay.created_by_id,
                func.count(),
                func.coalesce(func.sum(case((PromiseToPay.status == PromiseStatus.KEPT, 1), else_=0)), 0),
            )
            .where(
                PromiseToPay.created_by_id.in_(ids),
                PromiseToPay.due_on >= filters.start,
                PromiseToPay.due_on <= filters.end,
                PromiseToPay.status.in_(RESOLVED),
                _product(filters, PromiseToPay.loan_id),
            )
            .group_by(PromiseToPay.created_by_id)
        )
    }
    complaints = dict(
        db_session.execute(
            select(Complaint.collector_id, func.count())
            .where(
                Complaint.collector_id.in_(ids),
                Complaint.received_at >= filters.since,
                Complaint.received_at < filters.until,
            )
            .group_by(Complaint.collector_id)
        ).all()
    )
    recovered = _recovered(db_session, filters)
    rows: list[tuple[Cell, ...]] = []
    for person in staff:
        cases, contacts, rpc = work.get(person.id, (0, 0, 0))
        resolved, kept = outcomes.get(person.id, (0, 0))
        complained = complaints.get(person.id, 0)
        rows.append(
            (
                person.id,
                person.display_name,
                person.staff_number,
                person.team_id,
                cases,
                contacts,
                rpc,
                taken.get(person.id, 0),
                resolved,
                kept,
                ratio(kept, resolved),
                from_minor(recovered.get(person.id, 0)),
                complained,
                ratio(complained * PER_CONTACTS, contacts),
            )
        )
    ignored = tuple(name for name in ("bucket", "arm") if name in filters.given())
    return Table("productivity", COLUMNS, rows, ignored)
