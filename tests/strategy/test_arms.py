"""Champion versus challenger outcomes, hand-counted on a small book of cases."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.compliance.enums import ComplaintCategory, ComplaintChannel
from arrears.compliance.models import Complaint
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.portfolio.models import Borrower
from arrears.strategy.arms import actions_per_case, compare
from arrears.strategy.enums import Arm, Timing, Treatment
from arrears.strategy.models import CaseStateHistory, CollectionAction
from tests.factories import Factories

START, END = date(2026, 3, 1), date(2026, 3, 31)


def case_in_arm(db_session: Session, factories: Factories, loan: Loan, arm: Arm) -> Case:
    case = factories.case(db_session.get_one(Borrower, loan.borrower_id))
    db_session.add(CaseStateHistory(case_id=case.id, policy_code="p", arm=arm, state="early", entered_on=START))
    db_session.flush()
    return case


def test_rates_per_arm_and_the_difference(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    product = factories.product(tenant)
    loans = [factories.loan(tenant=tenant, product=product) for _ in range(6)]
    arms = [Arm.CHAMPION] * 4 + [Arm.CHALLENGER] * 2
    cases = [case_in_arm(db_session, factories, loan, arm) for loan, arm in zip(loans, arms, strict=True)]
    factories.payment(loans[0], "100.00", date(2026, 3, 5))  # champion recovered
    factories.payment(loans[1], "100.00", date(2026, 2, 5))  # before the period: not counted
    factories.payment(loans[4], "100.00", date(2026, 3, 30))  # challenger recovered
    factories.payment(loans[5], "100.00", date(2026, 3, 31))  # challenger recovered
    cases[3].status = CaseStatus.CLOSED  # champion cured
    db_session.add(
        Complaint(
            tenant_id=tenant.id,
            case_id=cases[4].id,
            received_at=datetime(2026, 3, 10, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
            channel=ComplaintChannel.PHONE,
            category=ComplaintCategory.HARASSMENT,
            complainant="debtor",
            description="too many calls",
            due_at=datetime(2026, 3, 25, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
        )
    )
    db_session.flush()
    report = compare(db_session=db_session, tenant_id=tenant.id, start=START, end=END)
    assert report.cases == {Arm.CHAMPION: 4, Arm.CHALLENGER: 2}
    recovered = report.comparisons["recovered"]
    assert (recovered.champion.successes, recovered.challenger.successes) == (1, 2)
    assert recovered.difference == pytest.approx(1.0 - 0.25)
    assert recovered.low < recovered.difference < recovered.high
    assert report.comparisons["cured"].champion.successes == 1
    assert report.comparisons["complained"].challenger.successes == 1


def test_nothing_to_compare_while_an_arm_is_empty(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case_in_arm(db_session, factories, factories.loan(tenant=tenant), Arm.CHAMPION)
    report = compare(db_session=db_session, tenant_id=tenant.id, start=START, end=END)
    assert report.cases[Arm.CHALLENGER] == 0 and report.comparisons == {}


def test_a_period_that_ends_before_it_starts_is_refused(db_session: Session, factories: Factories) -> None:
    with pytest.raises(InvalidInput, match="before it starts"):
        compare(db_session=db_session, tenant_id=factories.tenant().id, start=END, end=START)


def action(db_session: Session, case: Case, arm: Arm, as_of: date) -> None:
    db_session.add(
        CollectionAction(
            key=f"{case.id}:{as_of}:call:{arm}",
            case_id=case.id,
            as_of=as_of,
            treatment=Treatment.CALL,
            timing=Timing.FIRST_PASS,
            plan={},
            state="early",
            arm=arm,
        )
    )


def test_actions_per_case_counts_the_periods_actions_of_the_counted_cases(
    db_session: Session, factories: Factories
) -> None:
    """Champion: two cases, three actions in March (one on 1 Mar, one on 31 Mar) -> 1.5; the 28 Feb and 1 Apr
    actions are outside. Challenger: one case, one action -> 1.0. Another tenant's case and its action count for
    neither.
    """
    tenant, other = factories.tenant(), factories.tenant()
    first, second = (case_in_arm(db_session, factories, factories.loan(tenant=tenant), Arm.CHAMPION) for _ in "ab")
    challenger = case_in_arm(db_session, factories, factories.loan(tenant=tenant), Arm.CHALLENGER)
    foreign = case_in_arm(db_session, factories, factories.loan(tenant=other), Arm.CHALLENGER)
    for case, day in ((first, START), (first, END), (second, date(2026, 3, 9))):
        action(db_session, case, Arm.CHAMPION, day)
    action(db_session, first, Arm.CHAMPION, date(2026, 2, 28))
    action(db_session, second, Arm.CHAMPION, date(2026, 4, 1))
    action(db_session, challenger, Arm.CHALLENGER, date(2026, 3, 2))
    action(db_session, foreign, Arm.CHALLENGER, date(2026, 3, 2))
    db_session.flush()

    report = compare(db_session=db_session, tenant_id=tenant.id, start=START, end=END)

    assert actions_per_case(db_session=db_session, report=report, tenant_id=tenant.id) == {
        Arm.CHAMPION: 1.5,
        Arm.CHALLENGER: 1.0,
    }


def test_actions_per_case_is_zero_for_an_arm_without_cases(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant()
    case = case_in_arm(db_session, factories, factories.loan(tenant=tenant), Arm.CHAMPION)
    action(db_session, case, Arm.CHAMPION, START)
    db_session.flush()
    report = compare(db_session=db_session, tenant_id=tenant.id, start=START, end=END)
    assert actions_per_case(db_session=db_session, report=report, tenant_id=tenant.id) == {
        Arm.CHAMPION: 1.0,
        Arm.CHALLENGER: 0.0,
    }
