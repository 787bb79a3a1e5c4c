"""The demo portfolio: valid identities and phones, exact schedules, the configured mix."""

from __future__ import annotations

from collections import Counter
from datetime import date

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.errors import Conflict
from arrears.ledger.enums import LoanStatus
from arrears.ledger.models import Installment, Loan, Payment
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.portfolio.enums import Channel, Gender
from arrears.portfolio.models import Borrower, ContactPoint, ThirdParty
from arrears.portfolio.synthetic import generate, resident_id_check_digit, schedule
from tests.factories import Factories

AS_OF = date(2026, 11, 23)
BORROWERS = 200


def _build(db_session: Session, *, seed: int = 7, tenant_code: str = "demo", replace: bool = False) -> int:
    result = generate(
        db_session=db_session, borrowers=BORROWERS, seed=seed, as_of=AS_OF, tenant_code=tenant_code, replace=replace
    )
    return result.tenant_id


def _fingerprint(db_session: Session, tenant_id: int) -> list[tuple[object, ...]]:
    rows = db_session.execute(
        select(Borrower.external_id, Borrower.name, Borrower.resident_id, Loan.account_number, Loan.principal)
        .join(Loan, Loan.borrower_id == Borrower.id)
        .where(Borrower.tenant_id == tenant_id)
        .order_by(Loan.account_number)
    )
    return [tuple(row) for row in rows]


def test_check_digit_matches_a_published_example() -> None:
    assert resident_id_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("equal_principal", [True, False])
@pytest.mark.parametrize("principal_cents", [100_000, 333_333, 5_000_001])
def test_schedule_principal_adds_up_to_the_cent(principal_cents: int, equal_principal: bool) -> None:
    from decimal import Decimal

    rows = schedule(principal_cents, Decimal("0.18"), 12, equal_principal=equal_principal)
    assert sum(principal for principal, _ in rows) == principal_cents
    assert all(principal > 0 and interest >= 0 for principal, interest in rows)


def test_same_seed_same_portfolio(db_session: Session) -> None:
    first = _fingerprint(db_session, _build(db_session, seed=11, tenant_code="demo-a"))
    second = _fingerprint(db_session, _build(db_session, seed=11, tenant_code="demo-b"))
    other = _fingerprint(db_session, _build(db_session, seed=12, tenant_code="demo-c"))
    assert first == second
    assert first != other


def test_people_have_valid_ids_and_phones(db_session: Session) -> None:
    tenant_id = _build(db_session)
    borrowers = db_session.execute(
        select(Borrower.resident_id, Borrower.gender, Borrower.birth_date).where(Borrower.tenant_id == tenant_id)
    ).all()
    assert len(borrowers) == BORROWERS
    for resident_id, gender, birth_date in borrowers:
        assert ric.is_valid(resident_id), resident_id
        assert ric.get_birth_date(resident_id) == birth_date
        assert (int(resident_id[16]) % 2 == 1) == (gender is Gender.MALE)
    assert len({resident_id for resident_id, _, _ in borrowers}) == BORROWERS
    phones = db_session.scalars(
        select(ContactPoint.value)
        .join(Borrower, Borrower.id == ContactPoint.borrower_id)
        .where(Borrower.tenant_id == tenant_id, ContactPoint.channel == Channel.PHONE)
    ).all()
    assert len(phones) > BORROWERS * 2
    for phone in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
    per_borrower = Counter(
        db_session.scalars(select(ThirdParty.borrower_id).join(Borrower).where(Borrower.tenant_id == tenant_id)).all()
    )
    assert len(per_borrower) == BORROWERS
    assert set(per_borrower.values()) <= {1, 2, 3}


def test_staff_cover_every_role(db_session: Session) -> None:
    tenant_id = _build(db_session)
    roles = set(db_session.scalars(select(User.role).where(User.tenant_id == tenant_id)))
    assert roles == set(Role)


def test_installments_add_up_to_the_principal(db_session: Session) -> None:
    tenant_id = _build(db_session)
    mismatches = db_session.execute(
        select(Loan.account_number)
        .join(Installment, Installment.loan_id == Loan.id)
        .where(Loan.tenant_id == tenant_id)
        .group_by(Loan.id, Loan.account_number, Loan.principal)
        .having(func.sum(Installment.principal_due) != Loan.principal)
    ).all()
    assert mismatches == []


def test_behaviour_mix_is_roughly_as_configured(db_session: Session) -> None:
    tenant_id = _build(db_session)
    loans = db_session.scalar(select(func.count()).select_from(Loan).where(Loan.tenant_id == tenant_id)) or 0
    overdue = (
        db_session.scalar(select(func.count()).where(Loan.tenant_id == tenant_id, Loan.status == LoanStatus.OVERDUE))
        or 0
    )
    borrowers_overdue = db_session.scalar(
        select(func.count(func.distinct(Loan.borrower_id))).where(
            Loan.tenant_id == tenant_id, Loan.status == LoanStatus.OVERDUE
        )
    )
    cases = db_session.scalar(select(func.count()).where(Case.tenant_id == tenant_id))
    assert BORROWERS <= loans <= BORROWERS * 2
    assert 0.10 < overdue / loans < 0.35  # 23% of borrowers configured overdue
    assert cases == borrowers_overdue
    future_payments = db_session.scalar(
        select(func.count())
        .select_from(Payment)
        .join(Loan)
        .where(Loan.tenant_id == tenant_id, Payment.value_date > AS_OF)
    )
    assert future_payments == 0


def test_second_run_is_refused_and_replace_rebuilds(db_session: Session) -> None:
    tenant_id = _build(db_session)
    with pytest.raises(Conflict) as refused:
        _build(db_session)
    assert "--replace" in refused.value.one_line()
    assert _build(db_session, replace=True) == tenant_id
    assert db_session.scalar(select(func.count()).where(Borrower.tenant_id == tenant_id)) == BORROWERS
    assert db_session.scalar(select(func.count()).select_from(Tenant).where(Tenant.code == "demo")) == 1
    actions = db_session.scalars(
        select(AuditRecord.action).where(AuditRecord.tenant_id == tenant_id).order_by(AuditRecord.id)
    )
    assert list(actions) == ["demo.generated", "demo.replaced"]


def test_replace_never_wipes_a_tenant_the_demo_did_not_build(db_session: Session, factories: Factories) -> None:
    lender = factories.tenant("real-lender")
    loan = factories.loan(tenant=lender)
    with pytest.raises(Conflict, match="not built by `arrears demo`"):
        _build(db_session, tenant_code="real-lender", replace=True)
    assert db_session.get(Loan, loan.id) is not None
