"""Everything the case page shows, read in a handful of queries, personal data masked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.comms.models import Message
from arrears.compliance.models import Complaint, Hold
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.ledger.models import Loan, LoanPosition, Payment
from arrears.legal.models import LegalReferral, Proceeding
from arrears.org.models import User
from arrears.portfolio.enums import Channel
from arrears.portfolio.masking import mask_address, mask_contact, mask_resident_id
from arrears.portfolio.models import Borrower, ContactPoint, ThirdParty
from arrears.settlement.models import Plan
from arrears.strategy.models import CaseSegment, CaseStrategy

TIMELINE_LIMIT = 100


@dataclass(frozen=True)
class ContactRow:
    id: int
    owner: str
    relation: str | None
    third_party_id: int | None
    channel: Channel
    label: str
    masked: str
    status: str
    knows_about_loan: bool


@dataclass(frozen=True)
class LoanRow:
    loan: Loan
    position: LoanPosition | None


@dataclass(frozen=True)
class TimelineItem:
    at: datetime | date
    kind: str
    summary: dict[str, Any]

    @property
    def sort_key(self) -> str:
        return self.at.isoformat() if isinstance(self.at, datetime) else f"{self.at.isoformat()}T23:59:59"


@dataclass(frozen=True)
class CaseOverview:
    case: Case
    borrower: Borrower
    resident_id_masked: str | None
    address_masked: str | None
    contacts: list[ContactRow]
    loans: list[LoanRow]
    strategy: CaseStrategy | None
    segment: CaseSegment | None
    collector: User | None
    holds: list[Hold]
    open_promises: list[PromiseToPay]
    timeline: list[TimelineItem] = field(default_factory=list)

    @property
    def overdue_total(self) -> Decimal:
        return sum((row.position.overdue_total for row in self.loans if row.position), Decimal("0.00"))

    @property
    def payoff_total(self) -> Decimal:
        return sum((row.position.payoff_amount for row in self.loans if row.position), Decimal("0.00"))

    @property
    def days_past_due(self) -> int:
        return max((row.position.days_past_due for row in self.loans if row.position), default=0)


def case_overview(*, db_session: Session, case: Case, as_of: date) -> CaseOverview:
    """The case page's content; ``as_of`` decides which holds are active."""
    borrower = db_session.get(Borrower, case.borrower_id)
    assert borrower is not None, "a case always has its borrower (foreign key)"
    loans = [
        LoanRow(loan, position)
        for loan, position in db_session.execute(
            select(Loan, LoanPosition)
            .outerjoin(LoanPosition, LoanPosition.loan_id == Loan.id)
            .where(Loan.borrower_id == borrower.id)
            .order_by(Loan.disbursed_on, Loan.id)
        )
    ]
    holds = list(
        db_session.scalars(
            select(Hold).where(Hold.case_id == case.id, Hold.lifted_at.is_(None)).order_by(Hold.starts_on)
        )
    )
    active_holds = [
        hold for hold in holds if hold.starts_on <= as_of and (hold.ends_on is None or hold.ends_on >= as_of)
    ]
    segment = db_session.scalar(
        select(CaseSegment).where(CaseSegment.case_id == case.id).order_by(CaseSegment.as_of.desc()).limit(1)
    )
    collector = db_session.scalar(
        select(User)
        .join(CaseAssignment, CaseAssignment.user_id == User.id)
        .where(CaseAssignment.case_id == case.id, CaseAssignment.ended_at.is_(None))
    )
    open_promises = list(
        db_session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == case.id, PromiseToPay.status == "open"))
    )
    return CaseOverview(
        case=case,
        borrower=borrower,
        resident_id_masked=mask_resident_id(borrower.resident_id) if borrower.resident_id else None,
        address_masked=mask_address(borrower.address) if borrower.address else None,
        contacts=_contacts(db_session, borrower),
        loans=loans,
        strategy=db_session.get(CaseStrategy, case.id),
        segment=segment,
        collector=collector,
        holds=active_holds,
        open_promises=open_promises,
        timeline=timeline(db_session=db_session, case=case, loan_ids=[row.loan.id for row in loans]),
    )


def _contacts(db_session: Session, borrower: Borrower) -> list[ContactRow]:
    rows = db_session.execute(
        select(ContactPoint, ThirdParty)
        .outerjoin(ThirdParty, ThirdParty.id == ContactPoint.third_party_id)
        .where(ContactPoint.borrower_id == borrower.id)
        .order_by(ContactPoint.third_party_id.is_not(None), ContactPoint.is_primary.desc(), ContactPoint.id)
    ).all()
    return [
        ContactRow(
            id=point.id,
            owner=party.name if party else borrower.name,
            relation=party.relation.value if party else None,
            third_party_id=party.id if party else None,
            channel=point.channel,
            label=point.label.value,
            masked=mask_contact(point.channel, point.value),
            status=point.status.value,
            knows_about_loan=bool(party.knows_about_loan) if party else True,
        )
        for point, party in rows
    ]


def timeline(*, db_session: Session, case: Case, loan_ids: list[int]) -> list[TimelineItem]:
    """Contacts, promises, payments, letters and messages, plans, holds, complaints and legal steps, newest first."""
    items: list[TimelineItem] = []
    for attempt, username in db_session.execute(
        select(ContactAttempt, User.display_name)
        .outerjoin(User, User.id == ContactAttempt.user_id)
        .where(ContactAttempt.case_id == case.id)
        .order_by(ContactAttempt.attempted_at.desc())
        .limit(TIMELINE_LIMIT)
    ):
        items.append(
            TimelineItem(
                attempt.attempted_at,
                "contact",
                {
                    "channel": attempt.channel.value,
                    "party": attempt.party.value,
                    "outcome": attempt.outcome.value,
                    "by": username,
                    "notes": attempt.notes,
                    "flagged": attempt.flagged,
                    "reason": attempt.reason_code,
                },
            )
        )
    for promise in db_session.scalars(
        select(PromiseToPay).where(PromiseToPay.case_id == case.id).order_by(PromiseToPay.created_at.desc())
    ):
        items.append(
            TimelineItem(
                promise.created_at,
                "promise",
                {"amount": promise.amount, "due_on": promise.due_on, "status": promise.status.value},
            )
        )
    if loan_ids:
        for payment in db_session.scalars(
            select(Payment)
            .where(Payment.loan_id.in_(loan_ids))
            .order_by(Payment.value_date.desc())
            .limit(TIMELINE_LIMIT)
        ):
            items.append(
                TimelineItem(
                    payment.value_date,
                    "payment",
                    {"amount": payment.amount, "channel": payment.channel, "reversed": payment.is_reversed},
                )
            )
    for hold in db_session.scalars(select(Hold).where(Hold.case_id == case.id)):
        items.append(
            TimelineItem(
                hold.created_at,
                "hold",
                {"type": hold.type.value, "until": hold.ends_on, "lifted": hold.lifted_at is not None},
            )
        )
    for complaint in db_session.scalars(select(Complaint).where(Complaint.case_id == case.id)):
        items.append(TimelineItem(complaint.created_at, "complaint", {"status": complaint.status.value}))
    for message in db_session.scalars(
        select(Message).where(Message.case_id == case.id).order_by(Message.created_at.desc()).limit(TIMELINE_LIMIT)
    ):
        items.append(
            TimelineItem(
                message.sent_at or message.created_at,
                "message",
                {"kind": message.kind.value, "channel": message.channel.value, "status": message.status.value},
            )
        )
    for plan in db_session.scalars(select(Plan).where(Plan.case_id == case.id)):
        items.append(
            TimelineItem(
                plan.proposed_at,
                "plan",
                {"kind": plan.kind.value, "status": plan.status.value, "total": plan.debtor_total},
            )
        )
    for referral in db_session.scalars(select(LegalReferral).where(LegalReferral.case_id == case.id)):
        items.append(TimelineItem(referral.created_at, "legal_referral", {"status": referral.status.value}))
    for proceeding in db_session.scalars(select(Proceeding).where(Proceeding.case_id == case.id)):
        items.append(
            TimelineItem(
                proceeding.created_at,
                "proceeding",
                {"kind": proceeding.kind.value, "status": proceeding.status.value},
            )
        )
    items.sort(key=lambda item: item.sort_key, reverse=True)
    return items[:TIMELINE_LIMIT]
