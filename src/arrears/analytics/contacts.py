"""Contact measures: contact and right-party rates, promises and whether they were kept, complaints, guard blocks.

Every figure is an aggregate query (``count``/``sum`` with ``CASE``) over the
period; the guard's blocks are read in bulk from the audit log, where
:func:`arrears.compliance.service.check_contact` records each decision.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import BigInteger, ColumnElement, SQLColumnExpression, case, func, select, type_coerce
from sqlalchemy.orm import Session

from arrears.analytics import daily
from arrears.analytics.filters import Filters, actor_dimensions, arm_clause
from arrears.analytics.tables import Cell, Table, ratio
from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.compliance.enums import ComplaintCategory
from arrears.compliance.models import Complaint
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.ledger.models import Loan
from arrears.money import from_minor

PER_CONTACTS = 1000
RESOLVED = (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)


def _count_if(condition: SQLColumnExpression[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _contact_scope(filters: Filters) -> list[ColumnElement[bool]]:
    """Contacts of the tenant in the period made by the filtered collectors, on the filtered product."""
    clauses = [
        Case.tenant_id == filters.tenant_id,
        ContactAttempt.attempted_at >= filters.since,
        ContactAttempt.attempted_at < filters.until,
        actor_dimensions(filters, ContactAttempt.user_id),
    ]
    if filters.arm is not None:
        clauses.append(arm_clause(filters, Case.id))
    if filters.product_id is not None:
        clauses.append(ContactAttempt.loan_id.in_(select(Loan.id).where(Loan.product_id == filters.product_id)))
    return clauses


def _attempts(db_session: Session, filters: Filters) -> tuple[int, int, int]:
    """Attempts, connected and right-party attempts in scope: from the daily aggregates when every day of the
    period is aggregated and no arm is asked for (they hold the person and the product, not the case's arm).
    """
    if filters.arm is None and daily.covered(
        db_session=db_session, tenant_id=filters.tenant_id, first=filters.start, last=filters.end
    ):
        return daily.read_contacts(db_session=db_session, filters=filters)
    attempts, connected, rpc = db_session.execute(
        select(func.count(), _count_if(ContactAttempt.connected), _count_if(ContactAttempt.right_party))
        .select_from(ContactAttempt)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(*_contact_scope(filters))
    ).one()
    return int(attempts), int(connected), int(rpc)


def contacts_in_period(*, db_session: Session, filters: Filters) -> int:
    return _attempts(db_session, filters)[0]


def contact_rates(*, db_session: Session, filters: Filters) -> Table:
    """Attempts, connected, right-party contacts and promises taken, and their rates.

    - contact rate = connected attempts / attempts;
    - right-party-contact (RPC) rate = right-party attempts / attempts;
    - promise rate = promises taken on attempts of the period / right-party attempts.

    The attempts may come from the daily aggregates (:func:`_attempts`); promises
    are counted in the contact tables (a promise can be cancelled at any time).
    """
    attempts, connected, rpc = _attempts(db_session, filters)
    promises = (
        db_session.scalar(
            select(func.count())
            .select_from(PromiseToPay)
            .join(ContactAttempt, ContactAttempt.id == PromiseToPay.contact_attempt_id)
            .join(Case, Case.id == ContactAttempt.case_id)
            .where(*_contact_scope(filters), PromiseToPay.status != PromiseStatus.CANCELLED)
        )
        or 0
    )
    row: tuple[Cell, ...] = (
        attempts,
        connected,
        ratio(connected, attempts),
        rpc,
        ratio(rpc, attempts),
        promises,
        ratio(promises, rpc),
    )
    columns = ("attempts", "connected", "contact_rate", "right_party", "rpc_rate", "promises", "promise_rate")
    return Table("contact_rates", columns, [row], ignored=("bucket",) if filters.bucket else ())


def promises_kept(*, db_session: Session, filters: Filters) -> Table:
    """Promises that fell due in the period and were resolved: kept rate, and the amount promised against paid.

    kept rate = kept / (kept + partly kept + broken); open and cancelled promises
    are left out (not yet known, or withdrawn). Partly kept counts as not kept.
    """
    clauses = [
        Case.tenant_id == filters.tenant_id,
        PromiseToPay.due_on >= filters.start,
        PromiseToPay.due_on <= filters.end,
        PromiseToPay.status.in_(RESOLVED),
        actor_dimensions(filters, PromiseToPay.created_by_id),
    ]
    if filters.arm is not None:
        clauses.append(arm_clause(filters, Case.id))
    if filters.product_id is not None:
        clauses.append(PromiseToPay.loan_id.in_(select(Loan.id).where(Loan.product_id == filters.product_id)))
    due, kept, partly, broken, promised, paid = db_session.execute(
        select(
            func.count(),
            _count_if(PromiseToPay.status == PromiseStatus.KEPT),
            _count_if(PromiseToPay.status == PromiseStatus.PARTLY_KEPT),
            _count_if(PromiseToPay.status == PromiseStatus.BROKEN),
            func.coalesce(type_coerce(func.sum(PromiseToPay.amount), BigInteger), 0),
            func.coalesce(type_coerce(func.sum(PromiseToPay.amount_paid), BigInteger), 0),
        )
        .select_from(PromiseToPay)
        .join(Case, Case.id == PromiseToPay.case_id)
        .where(*clauses)
    ).one()
    row: tuple[Cell, ...] = (
        due,
        kept,
        partly,
        broken,
        ratio(kept, due),
        from_minor(promised),
        from_minor(paid),
        ratio(paid, promised),
    )
    columns = ("resolved", "kept", "partly_kept", "broken", "kept_rate", "promised", "paid", "paid_share")
    return Table("promises_kept", columns, [row], ignored=("bucket",) if filters.bucket else ())


def complaint_rate(*, db_session: Session, filters: Filters) -> Table:
    """Complaints received in the period per 1,000 contact attempts of the period, overall and by category.

    The collector filter picks the complaints about that collector and the
    contacts they made; the rate is empty when there were no contacts.
    """
    contacts = contacts_in_period(db_session=db_session, filters=filters)
    clauses = [
        Complaint.tenant_id == filters.tenant_id,
        Complaint.received_at >= filters.since,
        Complaint.received_at < filters.until,
        actor_dimensions(filters, Complaint.collector_id),
    ]
    if filters.arm is not None:
        clauses.append(arm_clause(filters, Case.id))
    counts = dict(
        db_session.execute(
            select(Complaint.category, func.count())
            .join(Case, Case.id == Complaint.case_id)
            .where(*clauses)
            .group_by(Complaint.category)
        ).all()
    )
    total = sum(counts.values())
    rows: list[tuple[Cell, ...]] = [("all", total, contacts, ratio(total * PER_CONTACTS, contacts))]
    rows.extend(
        (category.value, counts.get(category, 0), contacts, ratio(counts.get(category, 0) * PER_CONTACTS, contacts))
        for category in ComplaintCategory
    )
    ignored = tuple(name for name in ("product_id", "bucket") if name in filters.given())
    return Table("complaint_rate", ("category", "complaints", "contacts", "per_1000_contacts"), rows, ignored)


def compliance_blocks(*, db_session: Session, filters: Filters) -> Table:
    """Contacts the guard refused in the period, by rule, from the audit log (``contact.blocked`` entries).

    One refusal can break several rules: it counts once in ``refusals`` and once
    under each rule it broke. ``share`` is the rule's part of all refusals.
    """
    details = db_session.scalars(
        select(AuditRecord.details).where(
            AuditRecord.tenant_id == filters.tenant_id,
            AuditRecord.action == "contact.blocked",
            AuditRecord.occurred_at >= filters.since,
            AuditRecord.occurred_at < filters.until,
            actor_dimensions(filters, AuditRecord.actor_user_id),
        )
    ).all()
    by_rule: Counter[str] = Counter()
    for entry in details:
        by_rule.update({str(v.get("rule")) for v in entry.get("violations", []) if isinstance(v, dict)})
    refusals = len(details)
    rows: list[tuple[Cell, ...]] = [
        (rule, count, ratio(count, refusals)) for rule, count in sorted(by_rule.items(), key=lambda i: (-i[1], i[0]))
    ]
    rows.insert(0, ("all", refusals, ratio(refusals, refusals)))
    ignored = tuple(name for name in ("product_id", "bucket", "arm") if name in filters.given())
    return Table("compliance_blocks", ("rule", "refusals", "share"), rows, ignored)
