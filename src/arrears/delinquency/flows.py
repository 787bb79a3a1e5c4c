"""Use cases that change a loan's facts and refresh its position in the same unit of work."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.db.base import utcnow
from arrears.delinquency.daily_pass import recompute_loans
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.ledger.models import Loan, LoanPosition, Payment


def _loan(db_session: Session, *, tenant_id: int, account_number: str) -> Loan:
    loan = db_session.scalar(select(Loan).where(Loan.tenant_id == tenant_id, Loan.account_number == account_number))
    if loan is None:
        raise NotFound(f"no loan with account number '{account_number}'", hint="check the account number")
    return loan


def _refresh_as_of(db_session: Session, loan: Loan, value_date: date) -> date:
    """Refresh the position at the last pass date, or at the payment's date when that is later.

    A payment dated after the last pass would otherwise be stored but not show until
    the next pass.
    """
    last = db_session.scalar(select(LoanPosition.as_of).where(LoanPosition.loan_id == loan.id))
    return max(last or value_date, value_date, loan.disbursed_on)


def post_payment(
    *,
    db_session: Session,
    tenant_id: int,
    account_number: str,
    reference: str,
    amount: Decimal,
    value_date: date,
    actor: str,
    today: date,
    channel: str | None = None,
) -> Payment:
    """Record money received (a back-dated value date is fine) and recompute the loan."""
    loan = _loan(db_session, tenant_id=tenant_id, account_number=account_number)
    if amount <= 0:
        raise InvalidInput("a payment amount must be positive", where="--amount")
    if value_date > today:
        raise InvalidInput(
            f"value date {value_date} is in the future", where="--value-date", hint="post a payment once it is received"
        )
    if value_date < loan.disbursed_on:
        raise InvalidInput(
            f"value date {value_date} is before disbursement on {loan.disbursed_on}", where="--value-date"
        )
    existing = db_session.scalar(select(Payment).where(Payment.loan_id == loan.id, Payment.reference == reference))
    if existing is not None:
        if existing.amount == amount and existing.value_date == value_date:
            return existing
        raise Conflict(
            f"payment {reference} already exists with {existing.amount} on {existing.value_date}",
            hint="payments are corrected by reversal, then posted again under a new reference",
        )
    payment = Payment(loan_id=loan.id, reference=reference, value_date=value_date, amount=amount, channel=channel)
    db_session.add(payment)
    db_session.flush()
    details = {"amount": str(amount), "value_date": str(value_date)}
    _audit_and_recompute(db_session, loan, payment, action="payment.posted", actor=actor, details=details)
    return payment


def reverse_payment(
    *, db_session: Session, tenant_id: int, account_number: str, reference: str, reason: str, actor: str
) -> Payment:
    """Reverse a payment (冲正): it stays on record, stops counting, and the loan is recomputed."""
    if not reason.strip():
        raise InvalidInput("a reversal needs a reason", where="--reason")
    loan = _loan(db_session, tenant_id=tenant_id, account_number=account_number)
    payment = db_session.scalar(select(Payment).where(Payment.loan_id == loan.id, Payment.reference == reference))
    if payment is None:
        raise NotFound(f"loan {account_number} has no payment '{reference}'")
    if payment.reversed_at is not None:
        raise Conflict(f"payment {reference} was already reversed on {payment.reversed_at:%Y-%m-%d}")
    payment.reversed_at = utcnow()
    payment.reversal_reason = reason
    db_session.flush()
    _audit_and_recompute(db_session, loan, payment, action="payment.reversed", actor=actor, details={"reason": reason})
    return payment


def _audit_and_recompute(
    db_session: Session, loan: Loan, payment: Payment, *, action: str, actor: str, details: dict[str, str]
) -> None:
    """Every change to a loan's payments is audited and shows in its position at once."""
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        subject_type="payment",
        subject_id=payment.id,
        tenant_id=loan.tenant_id,
        details={"loan": loan.account_number, "reference": payment.reference, **details},
    )
    as_of = _refresh_as_of(db_session, loan, payment.value_date)
    recompute_loans(db_session=db_session, loan_ids=[loan.id], as_of=as_of, actor=actor)
