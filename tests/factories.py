"""Factories for the core model: a realistic object graph from one call.

Usage (inside a test with the ``factories`` fixture):
    loan = factories.loan(overdue_days=12)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.dates import add_months
from arrears.ledger import service as products
from arrears.ledger.models import Installment, Loan, Payment, Product, ProductRuleVersion
from arrears.ledger.rules import ProductRules
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.enums import Relation
from arrears.portfolio.models import Borrower, ThirdParty

_sequence = itertools.count(1)


@dataclass
class Factories:
    db_session: Session

    def tenant(self, code: str | None = None) -> Tenant:
        return tenants.get_or_create(db_session=self.db_session, code=code or f"T{next(_sequence)}")

    def product(self, tenant: Tenant | None = None, **rules: object) -> tuple[Product, ProductRuleVersion]:
        owner = tenant or self.tenant()
        parsed = ProductRules.model_validate(rules or {"charges": {"late_fee_daily_rate": "0.01"}})
        return products.upsert(
            db_session=self.db_session,
            tenant_id=owner.id,
            code=f"P{next(_sequence)}",
            name="Test product",
            rules=parsed,
            effective_from=date(2020, 1, 1),
        )

    def borrower(self, tenant: Tenant | None = None, **fields: object) -> Borrower:
        owner = tenant or self.tenant()
        number = next(_sequence)
        borrower = Borrower(tenant_id=owner.id, external_id=f"C{number:06d}", name=f"测试{number}", **fields)
        self.db_session.add(borrower)
        self.db_session.flush()
        return borrower

    def case(self, borrower: Borrower | None = None, **fields: object) -> Case:
        owner = borrower or self.borrower()
        case = Case(tenant_id=owner.tenant_id, borrower_id=owner.id, opened_on=date(2026, 3, 1), **fields)
        self.db_session.add(case)
        self.db_session.flush()
        return case

    def third_party(self, borrower: Borrower, relation: Relation = Relation.SIBLING, **fields: object) -> ThirdParty:
        contact = ThirdParty(borrower_id=borrower.id, name=f"联系人{next(_sequence)}", relation=relation, **fields)
        self.db_session.add(contact)
        self.db_session.flush()
        return contact

    def user(self, tenant: Tenant | None = None, role: Role = Role.COLLECTOR, **fields: object) -> User:
        owner = tenant or self.tenant()
        number = next(_sequence)
        user = User(
            tenant_id=owner.id,
            username=f"user{number}",
            display_name=f"催收员{number}",
            staff_number=f"S{number:05d}",
            role=role,
            **fields,
        )
        self.db_session.add(user)
        self.db_session.flush()
        return user

    def loan(
        self,
        *,
        tenant: Tenant | None = None,
        installments: int = 3,
        installment_principal: Decimal = Decimal("1000.00"),
        installment_interest: Decimal = Decimal("50.00"),
        disbursed_on: date = date(2026, 1, 1),
        product: tuple[Product, ProductRuleVersion] | None = None,
    ) -> Loan:
        owner = tenant or self.tenant()
        chosen, version = product or self.product(owner)
        borrower = self.borrower(owner)
        loan = Loan(
            tenant_id=owner.id,
            borrower_id=borrower.id,
            product_id=chosen.id,
            rule_version_id=version.id,
            account_number=f"L{next(_sequence):08d}",
            principal=installment_principal * installments,
            contract_date=disbursed_on,
            disbursed_on=disbursed_on,
        )
        self.db_session.add(loan)
        self.db_session.flush()
        for number in range(1, installments + 1):
            self.db_session.add(
                Installment(
                    loan_id=loan.id,
                    number=number,
                    due_date=add_months(disbursed_on, number),
                    principal_due=installment_principal,
                    interest_due=installment_interest,
                )
            )
        self.db_session.flush()
        return loan

    def payment(self, loan: Loan, amount: str, value_date: date, reference: str | None = None) -> Payment:
        payment = Payment(
            loan_id=loan.id,
            reference=reference or f"PAY{next(_sequence)}",
            value_date=value_date,
            amount=Decimal(amount),
        )
        self.db_session.add(payment)
        self.db_session.flush()
        return payment


def days_after(day: date, days: int) -> date:
    return day + timedelta(days=days)
