"""Promises to pay (承诺还款): judged at the end of their due day from the payments received.

A promise counts the case's payments (of its loan, or of any of the
borrower's loans with the tenant when it names none) from the day it was made
through its due date. At the end of the due day it is kept (paid in full),
partly kept, or broken; a broken promise raises the stage (see the strategy
policy). A promise paid in full before its date is kept at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select, type_coerce, update
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.db.base import Money
from arrears.ledger.models import Loan, Payment


def judge(*, amount: Decimal, paid: Decimal, due_on: date, as_of: date) -> PromiseStatus:
    """The promise's status at the end of ``as_of``."""
    if paid >= amount:
        return PromiseStatus.KEPT
    if as_of < due_on:
        return PromiseStatus.OPEN
    return PromiseStatus.PARTLY_KEPT if paid > 0 else PromiseStatus.BROKEN


@dataclass(frozen=True)
class _OpenPromise:
    id: int
    case_id: int
    tenant_id: int
    amount: Decimal
    due_on: date
    paid: Decimal


def _open_promises(db_session: Session, tenant_id: int, as_of: date, case_ids: range | None) -> list[_OpenPromise]:
    """Open promises with what has been paid towards each, in one grouped query."""
    same_loan = (PromiseToPay.loan_id.is_(None)) | (Payment.loan_id == PromiseToPay.loan_id)
    paid_window = and_(
        Payment.value_date >= func.date(PromiseToPay.created_at),
        Payment.value_date <= PromiseToPay.due_on,
        Payment.value_date <= as_of,
        Payment.reversed_at.is_(None),
        same_loan,
    )
    stmt = (
        select(
            PromiseToPay.id,
            PromiseToPay.case_id,
            Case.tenant_id,
            PromiseToPay.amount,
            PromiseToPay.due_on,
            type_coerce(func.coalesce(func.sum(Payment.amount), 0), Money()),
        )
        .join(Case, Case.id == PromiseToPay.case_id)
        .outerjoin(Loan, and_(Loan.borrower_id == Case.borrower_id, Loan.tenant_id == Case.tenant_id))
        .outerjoin(Payment, and_(Payment.loan_id == Loan.id, paid_window))
        .where(Case.tenant_id == tenant_id, PromiseToPay.status == PromiseStatus.OPEN)
        .group_by(PromiseToPay.id, PromiseToPay.case_id, Case.tenant_id, PromiseToPay.amount, PromiseToPay.due_on)
    )
    if case_ids is not None:
        stmt = stmt.where(PromiseToPay.case_id >= case_ids.start, PromiseToPay.case_id < case_ids.stop)
    promises = []
    for row in db_session.execute(stmt):
        promises.append(_OpenPromise(row[0], row[1], row[2], row[3], row[4], row[5]))
    return promises


def settle(
    *, db_session: Session, tenant_id: int, as_of: date, actor: str, case_ids: range | None = None
) -> Counter[str]:
    """Judge every open promise of the tenant at the end of ``as_of``; idempotent for a date."""
    changed: dict[PromiseStatus, list[_OpenPromise]] = {}
    for promise in _open_promises(db_session, tenant_id, as_of, case_ids):
        status = judge(amount=promise.amount, paid=promise.paid, due_on=promise.due_on, as_of=as_of)
        if status is not PromiseStatus.OPEN:
            changed.setdefault(status, []).append(promise)
    judged: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for status, promises in changed.items():
        for promise in promises:
            judged.append(
                {
                    "id": promise.id,
                    "status": status,
                    "amount_paid": promise.paid,
                    "resolved_on": min(as_of, promise.due_on),
                }
            )
            audits.append(
                {
                    "actor": actor,
                    "action": f"promise.{status.value}",
                    "subject_type": "promise",
                    "subject_id": str(promise.id),
                    "tenant_id": promise.tenant_id,
                    "details": {"case_id": promise.case_id, "amount": str(promise.amount), "paid": str(promise.paid)},
                }
            )
    if judged:
        # One statement run for every judged promise (by primary key), not one round trip each.
        db_session.execute(update(PromiseToPay), judged)
        audit.record_many(db_session=db_session, rows=audits)
    return Counter({status.value: len(promises) for status, promises in changed.items()})
