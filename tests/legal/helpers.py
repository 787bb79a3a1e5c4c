"""Building blocks for legal tests: a case with a loan, a referral made ready by maker and checker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.ledger.models import Loan
from arrears.legal import rules, service
from arrears.legal.enums import ProceedingKind
from arrears.legal.models import LegalReferral, Proceeding
from arrears.legal.schemas import ProceedingIn, ReferralIn, TransitionIn
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower
from tests.factories import Factories

MAKER = "user:maker"
CHECKER = "user:checker"
REFERRED_ON = date(2026, 3, 2)


@dataclass
class LegalCase:
    tenant: Tenant
    loan: Loan
    case: Case


def legal_case(factories: Factories, tenant: Tenant | None = None) -> LegalCase:
    owner = tenant or factories.tenant()
    loan = factories.loan(tenant=owner)
    case = factories.case(factories.db_session.get_one(Borrower, loan.borrower_id))
    return LegalCase(tenant=owner, loan=loan, case=case)


def ready_referral(db_session: Session, case: Case, on: date = REFERRED_ON) -> LegalReferral:
    referral = service.refer(
        db_session=db_session, referral_in=ReferralIn(case_id=case.id, referred_on=on, reason="失联三个月"), actor=MAKER
    )
    for item in rules.CHECKLIST:
        actor = CHECKER if item.signoff else MAKER
        service.tick(db_session=db_session, referral_id=referral.id, item=item.key, on=on, actor=actor)
    return referral


def open_proceeding(
    db_session: Session,
    referral: LegalReferral,
    kind: ProceedingKind,
    on: date = REFERRED_ON,
    parent: Proceeding | None = None,
) -> Proceeding:
    return service.open_proceeding(
        db_session=db_session,
        proceeding_in=ProceedingIn(
            referral_id=referral.id, kind=kind, opened_on=on, parent_id=parent.id if parent else None
        ),
        actor=MAKER,
    )


def step(db_session: Session, proceeding: Proceeding, event: str, on: date, **fields: object) -> Proceeding:
    return service.advance(
        db_session=db_session,
        proceeding_id=proceeding.id,
        transition_in=TransitionIn.model_validate({"event": event, "on": on, **fields}),
        actor=MAKER,
    )


def served_payment_order(db_session: Session, referral: LegalReferral, served_on: date) -> Proceeding:
    order = open_proceeding(db_session, referral, ProceedingKind.PAYMENT_ORDER)
    step(db_session, order, "issue", REFERRED_ON)
    return step(db_session, order, "serve", served_on)


def audit_actions(db_session: Session, subject_type: str, subject_id: int) -> list[str]:
    stmt = (
        select(AuditRecord.action)
        .where(AuditRecord.subject_type == subject_type, AuditRecord.subject_id == str(subject_id))
        .order_by(AuditRecord.seq)
    )
    return list(db_session.scalars(stmt))
