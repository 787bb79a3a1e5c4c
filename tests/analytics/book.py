"""Builders for the analytics fixtures: bucket stays, contacts, promises, complaints, assignments and arms.

The core factories (tests/factories.py) make tenants, loans and payments; these
add the collection history the measures read, with every date given explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel
from arrears.compliance.models import Complaint
from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.delinquency.models import BucketHistory
from arrears.ledger.models import Loan
from arrears.org.models import User
from arrears.portfolio.models import Borrower
from arrears.strategy.enums import Arm
from arrears.strategy.models import CaseStateHistory, CaseStrategy
from tests.factories import Factories


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Book:
    db_session: Session
    factories: Factories

    def case_of(self, loan: Loan) -> Case:
        """The loan's case, opened when it has none (one case per borrower and tenant)."""
        found = self.db_session.scalar(
            select(Case).where(Case.tenant_id == loan.tenant_id, Case.borrower_id == loan.borrower_id)
        )
        return found or self.factories.case(self.db_session.get_one(Borrower, loan.borrower_id))

    def stay(
        self,
        loan: Loan,
        bucket: str,
        entered_on: date,
        overdue: str,
        *,
        dpd: int = 1,
        left_on: date | None = None,
        left_to: str | None = None,
    ) -> BucketHistory:
        row = BucketHistory(
            loan_id=loan.id,
            bucket=bucket,
            entered_on=entered_on,
            left_on=left_on,
            left_to=left_to,
            dpd_at_entry=dpd,
            overdue_at_entry=Decimal(overdue),
        )
        self.db_session.add(row)
        self.db_session.flush()
        return row

    def assign(self, case: Case, user: User, since: datetime, until: datetime | None = None) -> CaseAssignment:
        row = CaseAssignment(case_id=case.id, user_id=user.id, team_id=user.team_id, assigned_at=since, ended_at=until)
        self.db_session.add(row)
        self.db_session.flush()
        return row

    def contact(
        self,
        case: Case,
        user: User | None,
        when: datetime,
        *,
        connected: bool = False,
        right_party: bool = False,
        loan: Loan | None = None,
    ) -> ContactAttempt:
        row = ContactAttempt(
            case_id=case.id,
            user_id=user.id if user else None,
            loan_id=loan.id if loan else None,
            channel=ContactChannel.CALL,
            party=Party.DEBTOR,
            attempted_at=when,
            outcome=Outcome.ANSWERED if connected else Outcome.NO_ANSWER,
            connected=connected,
            conversation=right_party,
            right_party=right_party,
            pack_version="cn-test",
        )
        self.db_session.add(row)
        self.db_session.flush()
        return row

    def promise(
        self,
        case: Case,
        amount: str,
        due_on: date,
        status: PromiseStatus,
        *,
        paid: str = "0.00",
        by: User | None = None,
        attempt: ContactAttempt | None = None,
        loan: Loan | None = None,
    ) -> PromiseToPay:
        row = PromiseToPay(
            case_id=case.id,
            loan_id=loan.id if loan else None,
            contact_attempt_id=attempt.id if attempt else None,
            amount=Decimal(amount),
            amount_paid=Decimal(paid),
            due_on=due_on,
            status=status,
            created_by_id=by.id if by else None,
        )
        self.db_session.add(row)
        self.db_session.flush()
        return row

    def complaint(
        self,
        case: Case,
        when: datetime,
        *,
        about: User | None = None,
        category: ComplaintCategory = ComplaintCategory.HARASSMENT,
    ) -> Complaint:
        row = Complaint(
            tenant_id=case.tenant_id,
            case_id=case.id,
            received_at=when,
            channel=ComplaintChannel.PHONE,
            category=category,
            complainant="借款人",
            collector_id=about.id if about else None,
            description="打电话太频繁",
            due_at=when,
        )
        self.db_session.add(row)
        self.db_session.flush()
        return row

    def arm(self, case: Case, arm: Arm, entered_on: date) -> None:
        self.db_session.add(
            CaseStateHistory(case_id=case.id, policy_code="p", arm=arm, state="early", entered_on=entered_on)
        )
        self.db_session.add(
            CaseStrategy(
                case_id=case.id,
                as_of=entered_on,
                policy_code="p",
                policy_version=1,
                arm=arm,
                state="early",
                stage=1,
                state_since=entered_on,
                explanation={},
            )
        )
        self.db_session.flush()
