"""A case's script variables, read from the database at an explicit date.

Debtor name and gender from the borrower; DPD, amount overdue and payoff from
the case's facts (the positions of the last pass); the penalty a further day
adds from each overdue loan's product rules; the due date and an open promise;
the collector's name and staff number; the tenant's name as the company. The
hotline and payment channels come from :class:`ScriptSettings`: the shipped
library's defaults unless the caller passes the tenant's own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case, CaseAssignment
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.errors import InvalidInput, NotFound
from arrears.ledger.models import Loan, LoanPosition, ProductRuleVersion
from arrears.ledger.rules import ProductRules
from arrears.money import ZERO, round_money
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.portfolio.enums import Gender
from arrears.portfolio.models import Borrower
from arrears.scripts.library.enums import Locale
from arrears.scripts.library.templates import Gender as TemplateGender
from arrears.scripts.library.templates import ScriptContext

DAYS_IN_YEAR = 365
_GENDERS: dict[Gender, TemplateGender] = {Gender.MALE: "male", Gender.FEMALE: "female", Gender.UNKNOWN: "unknown"}


class ScriptSettings(BaseModel):
    """Tenant-level facts every script may quote: the verification hotline and official payment channels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hotline: str = Field(min_length=3)
    payment_channels: dict[Locale, list[str]] = Field(min_length=1)


def context_for_case(
    *,
    db_session: Session,
    case_id: int,
    collector_user_id: int | None,
    as_of: date,
    settings: ScriptSettings,
) -> ScriptContext:
    """The variables for case ``case_id`` as collector ``collector_user_id`` would read them on ``as_of``.

    ``None`` is the company writing in its own name (a letter or message nobody signs): the
    collector's name is then the company's and the staff number is empty.
    """
    from arrears.strategy.facts import load_case_facts

    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    borrower = db_session.get_one(Borrower, case.borrower_id)
    collector = None if collector_user_id is None else db_session.get(User, collector_user_id)
    if collector_user_id is not None and (collector is None or collector.tenant_id != case.tenant_id):
        raise InvalidInput(f"user {collector_user_id} is not a user of case {case_id}'s tenant", where="collector")
    company = tenants.get(db_session=db_session, tenant_id=case.tenant_id).name
    facts = load_case_facts(db_session=db_session, case_id=case_id, as_of=as_of)
    positions = _positions(db_session, case)
    promise = _open_promise(db_session, case_id)
    return ScriptContext(
        debtor_name=borrower.name,
        gender=_GENDERS[borrower.gender],
        amount_overdue=facts.overdue_total,
        days_past_due=facts.days_past_due,
        penalty_per_day=_penalty_per_day(positions),
        payoff_amount=facts.balance,
        collector_name=collector.display_name if collector is not None else company,
        staff_number=collector.staff_number if collector is not None else "",
        company=company,
        hotline=settings.hotline,
        payment_channels=settings.payment_channels,
        due_date=min((p.oldest_unpaid_due_date for p, _ in positions if p.oldest_unpaid_due_date), default=None),
        promise_date=promise.due_on if promise else None,
        promise_amount=promise.amount if promise else None,
    )


def daily_charge(position: LoanPosition, rules: ProductRules) -> Decimal:
    """What one more day of delay adds to a loan: penalty (罚息) plus late fee (违约金), before any cap."""
    charges = rules.charges
    daily = charges.penalty_daily_rate
    if daily is None and charges.penalty_annual_rate is not None:
        daily = charges.penalty_annual_rate / DAYS_IN_YEAR
    penalty_base = position.overdue_principal
    if charges.penalty_base == "principal_and_interest":
        penalty_base += position.overdue_interest
    late_fee_base = position.overdue_principal + position.overdue_interest
    return round_money((daily or ZERO) * penalty_base + charges.late_fee_daily_rate * late_fee_base)


def _penalty_per_day(positions: list[tuple[LoanPosition, ProductRules]]) -> Decimal:
    return sum((daily_charge(position, rules) for position, rules in positions if position.days_past_due > 0), ZERO)


def _positions(db_session: Session, case: Case) -> list[tuple[LoanPosition, ProductRules]]:
    stmt = (
        select(LoanPosition, ProductRuleVersion.rules)
        .join(Loan, Loan.id == LoanPosition.loan_id)
        .join(ProductRuleVersion, ProductRuleVersion.id == Loan.rule_version_id)
        .where(Loan.borrower_id == case.borrower_id, Loan.tenant_id == case.tenant_id)
        .order_by(Loan.id)
    )
    return [(position, ProductRules.model_validate(rules)) for position, rules in db_session.execute(stmt)]


def _open_promise(db_session: Session, case_id: int) -> PromiseToPay | None:
    stmt = (
        select(PromiseToPay)
        .where(PromiseToPay.case_id == case_id, PromiseToPay.status == PromiseStatus.OPEN)
        .order_by(PromiseToPay.due_on)
    )
    return db_session.scalars(stmt).first()


def get_user(*, db_session: Session, username: str) -> User:
    """A user by username, for the maker (author) and checker (approver) of a script."""
    user = db_session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user '{username}'", hint="check the username")
    return user


def assigned_collector(*, db_session: Session, case_id: int) -> int | None:
    """The user the case was last assigned to, if any: whose name and staff number a script gives."""
    stmt = (
        select(CaseAssignment.user_id)
        .where(CaseAssignment.case_id == case_id, CaseAssignment.user_id.is_not(None))
        .order_by(CaseAssignment.assigned_at.desc(), CaseAssignment.id.desc())
    )
    return db_session.scalars(stmt).first()
