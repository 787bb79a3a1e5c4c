"""A loan in arrears with its case, and the people of a maker-checker team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.ledger.models import Loan
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.models import Borrower
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, EvidenceStatus
from tests.factories import Factories

EFFECTIVE = date(2026, 2, 11)
"""Installment 1 (1,050.00 due 2026-02-01) is then 10 days late: late fee 1% x 1,050.00 x 10 = 105.00."""
PDF = b"%PDF-1.4\n% income statement, three months\n%%EOF\n"


@dataclass
class Team:
    tenant: Tenant
    collector: User
    lead: User
    approver: User

    def actor(self, user: User) -> service.Actor:
        return service.Actor(f"user:{user.username}", user.id, user.role)


@dataclass
class Arrears:
    loan: Loan
    case: Case


@pytest.fixture
def team(factories: Factories) -> Team:
    tenant = factories.tenant()
    return Team(
        tenant=tenant,
        collector=factories.user(tenant, Role.COLLECTOR),
        lead=factories.user(tenant, Role.TEAM_LEAD),
        approver=factories.user(tenant, Role.APPROVER),
    )


@pytest.fixture
def make_arrears(factories: Factories, team: Team, db_session: Session) -> object:
    def make(installment_principal: str = "1000.00", installment_interest: str = "50.00") -> Arrears:
        product = factories.product(team.tenant, charges={"late_fee_daily_rate": "0.01"}, cost_cap={"kind": "none"})
        loan = factories.loan(
            tenant=team.tenant,
            product=product,
            installment_principal=Decimal(installment_principal),
            installment_interest=Decimal(installment_interest),
        )
        case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
        return Arrears(loan, case)

    return make


def verified_evidence(db_session: Session, team: Team, case: Case, data_dir: Path) -> None:
    row = service.add_evidence(
        db_session=db_session,
        tenant_id=team.tenant.id,
        case_id=case.id,
        kind=EvidenceKind.INCOME_STATEMENT,
        filename="income.pdf",
        content=PDF,
        data_dir=data_dir,
        actor=team.actor(team.collector),
    )
    service.verify_evidence(
        db_session=db_session,
        tenant_id=team.tenant.id,
        evidence_id=row.id,
        status=EvidenceStatus.VERIFIED,
        actor=team.actor(team.lead),
        note="salary slips match the bank statement",
    )
