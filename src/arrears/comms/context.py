"""A case's letter variables and its addresses, read from the database at an explicit date.

The script variables come from :func:`arrears.scripts.library.context_for_case`
(debtor, amounts, the collector, the tenant's hotline and payment channels); a
letter adds the loan contracts the debt rests on, the letter's date and the
dispute deadline. Messages are written in the tenant's language: English for a
tenant on the US pack, Chinese (zh-CN) otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.comms.enums import MessageChannel
from arrears.comms.templates import LetterFacts
from arrears.errors import NotFound
from arrears.ledger.models import Loan, LoanPosition
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.portfolio.enums import Channel, ContactLabel, ContactStatus
from arrears.portfolio.models import Borrower, ContactPoint
from arrears.scripts.library import ScriptSettings, context_for_case
from arrears.scripts.library.context import assigned_collector
from arrears.scripts.library.enums import Locale

VALIDATION_PERIOD_DAYS = 30
ASSUMED_RECEIPT_BUSINESS_DAYS = 5
"""Regulation F lets a collector assume a notice arrives five working days after sending; 30 days run from then."""


def case_locale(*, db_session: Session, case: Case) -> Locale:
    """English for a tenant on the US pack, Chinese otherwise."""
    tenant = tenants.get(db_session=db_session, tenant_id=case.tenant_id)
    return Locale.EN if tenant.compliance_pack == "us" else Locale.ZH_CN


def dispute_deadline(sent_on: date) -> date:
    """The last day of the validation period: five working days for delivery, then thirty days."""
    day, working = sent_on, 0
    while working < ASSUMED_RECEIPT_BUSINESS_DAYS:
        day += timedelta(days=1)
        working += day.weekday() < 5
    return day + timedelta(days=VALIDATION_PERIOD_DAYS)


def letter_facts(
    *,
    db_session: Session,
    case_id: int,
    sender_user_id: int | None,
    as_of: date,
    settings: ScriptSettings,
    opt_out: Mapping[Locale, str] | None = None,
    law_firm: str | None = None,
    lawyer_name: str | None = None,
) -> LetterFacts:
    """The variables for case ``case_id`` on ``as_of``; the case's collector signs if it has one, else the sender.

    With neither (an integration queueing a reminder) the company writes in its own name. A sender
    from outside the lender (an engaged law firm's lawyer) signs with their own name and number.
    """
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    sender = None if sender_user_id is None else db_session.get_one(User, sender_user_id)
    outsider = sender is not None and sender.tenant_id != case.tenant_id
    own = sender.id if sender is not None and not outsider else None
    collector = assigned_collector(db_session=db_session, case_id=case_id) or own
    script = context_for_case(
        db_session=db_session, case_id=case_id, collector_user_id=collector, as_of=as_of, settings=settings
    )
    if outsider and sender is not None:
        script = script.model_copy(update={"collector_name": sender.display_name, "staff_number": sender.staff_number})
    loans = _loans_owed(db_session, case)
    return LetterFacts(
        script=script,
        loan_accounts=tuple(loan.account_number for loan in loans),
        contract_date=min((loan.contract_date for loan in loans), default=None),
        letter_date=as_of,
        dispute_by=dispute_deadline(as_of),
        opt_out=opt_out,
        law_firm=law_firm,
        lawyer_name=lawyer_name,
    )


def recipient(*, db_session: Session, case: Case, channel: MessageChannel, locale: Locale = Locale.ZH_CN) -> str | None:
    """The debtor's address for ``channel``: their primary active mobile or email, or their postal address.

    A postal address ends with the addressee's line (张伟 收 / Zhang Wei), as an envelope window shows it.
    """
    borrower = db_session.get_one(Borrower, case.borrower_id)
    if channel is MessageChannel.LETTER:
        address = borrower.address or _point(db_session, borrower.id, Channel.ADDRESS)
        if address is None:
            return None
        addressee = borrower.name if locale is Locale.EN else f"{borrower.name} 收"
        return address if address.rstrip().endswith(addressee) else f"{address.rstrip()}\n{addressee}"
    return _point(db_session, borrower.id, Channel.PHONE if channel is MessageChannel.SMS else Channel.EMAIL)


def _point(db_session: Session, borrower_id: int, channel: Channel) -> str | None:
    stmt = select(ContactPoint).where(
        ContactPoint.borrower_id == borrower_id,
        ContactPoint.third_party_id.is_(None),
        ContactPoint.channel == channel,
        ContactPoint.status == ContactStatus.ACTIVE,
    )
    points = list(db_session.scalars(stmt))
    if channel is Channel.PHONE:
        points = [point for point in points if point.label is ContactLabel.MOBILE]
    points.sort(key=lambda point: (not point.is_primary, point.id))
    return points[0].value if points else None


def _loans_owed(db_session: Session, case: Case) -> list[Loan]:
    """The borrower's loans with the tenant that are overdue, or all of them when none is."""
    stmt = (
        select(Loan, LoanPosition.days_past_due)
        .outerjoin(LoanPosition, LoanPosition.loan_id == Loan.id)
        .where(Loan.borrower_id == case.borrower_id, Loan.tenant_id == case.tenant_id)
        .order_by(Loan.id)
    )
    rows = list(db_session.execute(stmt))
    overdue = [loan for loan, dpd in rows if dpd is not None and dpd > 0]
    return overdue or [loan for loan, _ in rows]
