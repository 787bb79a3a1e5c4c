"""The allocate stage's reads and writes: who works each case tomorrow, and in what order.

Everything here is set-based: the worked cases come in with one query (the
few facts allocation needs are taken out of each state's explanation by the
database, not by building an ORM object per case), the day's allocation is
staged in a temporary table, and the writes are a handful of statements over
it plus COPY (bulk inserts on SQLite) for the new rows. Only what changed is
written: an assignment ends, and a new one starts, only for a case whose
owner changes. :func:`allocate` and :func:`rank_queues` decide; this module
moves the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    column,
    delete,
    func,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arrears.audit import service as audit
from arrears.cases.models import Case, CaseAssignment
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.db.base import utcnow
from arrears.money import to_minor
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.org.models import Team, User
from arrears.strategy.allocation import Allocation, CaseToAllocate, Collector, allocate
from arrears.strategy.bulk import insert_rows
from arrears.strategy.enums import Treatment
from arrears.strategy.models import CaseStrategy, CollectionAction, QueueEntry
from arrears.strategy.queues import QueueCandidate, rank_queues

COLLECTOR_TREATMENTS = frozenset({Treatment.CALL, Treatment.VISIT})
"""Treatments a person carries out; the others go to batches (SMS, letters) or to other teams."""
FIRST_PASS = time(9, 0)
HARDSHIP_REASONS = frozenset({"illness", "job_loss", "accident"})
"""Reasons for delay that call for a collector with the hardship skill."""


def work_day(as_of: date) -> date:
    """The run for ``as_of`` (end of that day) prepares the next day's work."""
    return as_of + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkedCase:
    """A case with a collector's treatment due, and the facts of its state that allocation and queues use."""

    case_id: int
    state: str
    entered_state_today: bool
    overdue_total: Decimal
    propensity: Decimal
    reason: str | None
    broken_promise: bool

    @property
    def difficulty(self) -> float:
        """Money at stake that is unlikely to come in by itself: overdue x (1 - propensity), in thousands."""
        return round(float(self.overdue_total) * (1 - float(self.propensity)) / 1000, 6)

    @property
    def skill(self) -> str | None:
        return "hardship" if self.reason in HARDSHIP_REASONS else None


@dataclass(frozen=True, slots=True)
class Outcome:
    worked: int
    kept: int
    reassigned: int
    unallocated: int
    queued: int


_ALLOCATION = Table(
    "run_allocation",
    MetaData(),
    Column("case_id", Integer, primary_key=True),
    Column("user_id", Integer),
    Column("changed", Boolean),
    prefixes=["TEMPORARY"],
)
"""The day's allocation (``user_id`` null: no one had room; ``changed``: the owner changes), for set-based writes."""


def allocate_day(*, db_session: Session, tenant_id: int, as_of: date, actor: str) -> Outcome:
    """Give every worked case an owner, stamp the day's actions with it, and rank tomorrow's queues."""
    worked = read_worked(db_session=db_session, tenant_id=tenant_id, as_of=as_of)
    current = current_owners(db_session=db_session, tenant_id=tenant_id)
    collectors = active_collectors(db_session=db_session, tenant_id=tenant_id)
    result = allocate(
        [
            CaseToAllocate(
                case_id=case.case_id,
                state=case.state,
                difficulty=case.difficulty,
                current_user_id=current.get(case.case_id),
                skill=case.skill,
            )
            for case in worked.values()
        ],
        collectors,
    )
    changed = {case_id: user_id for case_id, user_id in result.assigned.items() if current.get(case_id) != user_id}
    connection = db_session.connection()
    _ALLOCATION.drop(connection, checkfirst=True)
    _ALLOCATION.create(connection)
    insert_rows(
        db_session,
        _ALLOCATION,
        ("case_id", "user_id", "changed"),
        [(case_id, result.assigned.get(case_id), case_id in changed) for case_id in worked],
    )
    if connection.dialect.name == "postgresql":
        # Temporary tables are never analysed by autovacuum: without figures the joins below are planned blind.
        connection.execute(text(f"ANALYZE {_ALLOCATION.name}"))
    _write_assignments(db_session, tenant_id, as_of, actor, changed, current, worked, collectors)
    _assign_actions(db_session, as_of)
    queued = _write_queues(db_session, tenant_id, as_of, result, worked)
    _ALLOCATION.drop(connection)
    return Outcome(
        worked=len(worked),
        kept=len(result.kept),
        reassigned=len(changed),
        unallocated=len(result.unallocated),
        queued=queued,
    )


def read_worked(*, db_session: Session, tenant_id: int, as_of: date) -> dict[int, WorkedCase]:
    """The cases with a call or visit due on ``as_of``, in case-id order, with their state's facts."""
    facts = _facts_columns(db_session)
    stmt = (
        select(CaseStrategy.case_id, CaseStrategy.state, CaseStrategy.state_since, *facts)
        .join(Case, Case.id == CaseStrategy.case_id)
        .where(Case.tenant_id == tenant_id, CaseStrategy.as_of == as_of)
        .where(
            CaseStrategy.case_id.in_(
                select(CollectionAction.case_id).where(
                    CollectionAction.as_of == as_of, CollectionAction.treatment.in_(COLLECTOR_TREATMENTS)
                )
            )
        )
        .order_by(CaseStrategy.case_id)
    )
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.outerjoin(_FACTS_RECORD, true())
    return {
        case_id: WorkedCase(
            case_id=case_id,
            state=state,
            entered_state_today=state_since == as_of,
            overdue_total=Decimal(overdue or "0"),
            propensity=Decimal(propensity or "0.5"),
            reason=reason,
            broken_promise=int(broken or 0) > 0,
        )
        for case_id, state, state_since, overdue, propensity, reason, broken in db_session.execute(stmt)
    }


_FACT_FIELDS = (("overdue_total", String), ("propensity", String), ("reason", String), ("broken_promises", Integer))
"""The facts of a state's explanation that allocation and queues use, with their SQL types."""

_FACTS_RECORD = (
    func.json_to_record(CaseStrategy.explanation.op("->")("facts"))
    .table_valued(*(column(name, kind) for name, kind in _FACT_FIELDS))
    .render_derived(name="facts", with_types=True)
)
"""PostgreSQL: the explanation's facts as one record, parsed once per row (a path per field parses it per field)."""


def _facts_columns(db_session: Session) -> list[ColumnElement[Any]]:
    if db_session.get_bind().dialect.name == "postgresql":
        return [_FACTS_RECORD.c[name] for name, _ in _FACT_FIELDS]
    explanation = CaseStrategy.explanation
    return [
        explanation[("facts", name)].as_integer() if kind is Integer else explanation[("facts", name)].as_string()
        for name, kind in _FACT_FIELDS
    ]


def current_owners(*, db_session: Session, tenant_id: int) -> dict[int, int]:
    """Case id -> the collector holding it now (open assignments with a collector)."""
    stmt = (
        select(CaseAssignment.case_id, CaseAssignment.user_id)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(Case.tenant_id == tenant_id, CaseAssignment.ended_at.is_(None), CaseAssignment.user_id.is_not(None))
    )
    return {case_id: user_id for case_id, user_id in db_session.execute(stmt) if user_id is not None}


def active_collectors(*, db_session: Session, tenant_id: int) -> list[Collector]:
    stmt = (
        select(User, Team)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.tenant_id == tenant_id, User.role == Role.COLLECTOR, User.active.is_(True))
        .order_by(User.id)
    )
    return [
        Collector(
            user_id=user.id,
            team_id=user.team_id,
            stages=frozenset(team.stages) if team is not None else frozenset(),
            languages=frozenset(user.languages),
            skills=frozenset(user.skills),
            cap=user.daily_case_cap,
        )
        for user, team in db_session.execute(stmt).all()
    ]


def _write_assignments(
    db_session: Session,
    tenant_id: int,
    as_of: date,
    actor: str,
    changed: dict[int, int],
    current: dict[int, int],
    worked: dict[int, WorkedCase],
    collectors: list[Collector],
) -> None:
    """End the open assignment and start a new one for each case whose owner changes; audit each move."""
    if not changed:
        return
    now = utcnow()
    moving = select(_ALLOCATION.c.case_id).where(_ALLOCATION.c.changed.is_(True))
    db_session.execute(
        update(CaseAssignment)
        .where(CaseAssignment.case_id.in_(moving), CaseAssignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    teams = {collector.user_id: collector.team_id for collector in collectors}
    reason = f"run {as_of.isoformat()}: "
    insert_rows(
        db_session,
        cast(Table, CaseAssignment.__table__),
        ("case_id", "user_id", "team_id", "assigned_at", "reason"),
        [
            (case_id, user_id, teams.get(user_id), now, reason + worked[case_id].state)
            for case_id, user_id in changed.items()
        ],
    )
    audit.record_many(
        db_session=db_session,
        rows=[
            {
                "actor": actor,
                "action": "case.assigned",
                "subject_type": "case",
                "subject_id": str(case_id),
                "tenant_id": tenant_id,
                "details": {"user_id": user_id, "from_user_id": current.get(case_id), "state": worked[case_id].state},
            }
            for case_id, user_id in changed.items()
        ],
    )


def _assign_actions(db_session: Session, as_of: date) -> None:
    """Stamp each worked case's actions of the day with its collector (null when no one had room)."""
    actions = cast(Table, CollectionAction.__table__)
    db_session.execute(
        update(actions)
        .where(
            actions.c.as_of == as_of,
            actions.c.case_id == _ALLOCATION.c.case_id,
            actions.c.user_id.is_distinct_from(_ALLOCATION.c.user_id),
        )
        .values(user_id=_ALLOCATION.c.user_id)
    )


def _write_queues(
    db_session: Session, tenant_id: int, as_of: date, result: Allocation, worked: dict[int, WorkedCase]
) -> int:
    """Replace the tenant's queues for the work day: one DELETE, then the ranked entries in bulk."""
    day = work_day(as_of)
    tenant_cases = select(Case.id).where(Case.tenant_id == tenant_id)
    db_session.execute(delete(QueueEntry).where(QueueEntry.as_of == day, QueueEntry.case_id.in_(tenant_cases)))
    queued_cases = select(_ALLOCATION.c.case_id).where(_ALLOCATION.c.user_id.is_not(None))
    not_before: dict[int, datetime] = dict(
        db_session.execute(  # type: ignore[arg-type]
            select(CollectionAction.case_id, func.min(CollectionAction.not_before))
            .where(CollectionAction.as_of == as_of, CollectionAction.case_id.in_(queued_cases))
            .group_by(CollectionAction.case_id)
        ).all()
    )
    promised = set(
        db_session.scalars(
            select(PromiseToPay.case_id).where(
                PromiseToPay.case_id.in_(queued_cases),
                PromiseToPay.status == PromiseStatus.OPEN,
                PromiseToPay.due_on == day,
            )
        )
    )
    candidates = [
        QueueCandidate(
            case_id=case_id,
            user_id=user_id,
            overdue_total=worked[case_id].overdue_total,
            propensity=worked[case_id].propensity,
            entered_state_today=worked[case_id].entered_state_today,
            broken_promise=worked[case_id].broken_promise,
            promise_due_today=case_id in promised,
            not_before=not_before.get(case_id),
        )
        for case_id, user_id in result.assigned.items()
    ]
    zone = ZoneInfo(tenants.get(db_session=db_session, tenant_id=tenant_id).timezone)
    opens_at = datetime.combine(day, FIRST_PASS, tzinfo=zone)
    rows: list[tuple[Any, ...]] = [
        (
            day,
            user_id,
            ranked.candidate.case_id,
            ranked.rank,
            to_minor(ranked.expected_value),
            ranked.candidate.promise_due_today,
            ranked.candidate.not_before,
        )
        for user_id, queue in rank_queues(candidates, opens_at=opens_at).items()
        for ranked in queue
    ]
    return insert_rows(
        db_session,
        cast(Table, QueueEntry.__table__),
        ("as_of", "user_id", "case_id", "rank", "expected_value", "promise_due_today", "not_before"),
        rows,
    )
