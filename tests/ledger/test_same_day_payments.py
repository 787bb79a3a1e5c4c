"""Payments sharing a value date count as their sum would: the order they were posted in changes nothing.

Found by the payment-order property: 1.00 then 100.00 on the day of
disbursement paid ahead (interest included) and then settled, while 100.00
then 1.00 settled (waiving interest not yet due) and left 1.00 over.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.ledger.engine import LoanTerms, PostedPayment, ScheduledInstallment, compute_position
from arrears.ledger.enums import LoanStatus
from arrears.ledger.rules import ProductRules

DISBURSED = date(2024, 1, 1)
TERMS = LoanTerms(
    principal=Decimal("100.00"),
    disbursed_on=DISBURSED,
    contract_date=DISBURSED,
    schedule=(
        ScheduledInstallment(
            number=1, due_date=date(2024, 2, 1), principal=Decimal("100.00"), interest=Decimal("1.00")
        ),
    ),
    rules=ProductRules.model_validate({}),
)
SMALL = PostedPayment("P1", DISBURSED, Decimal("1.00"))
LARGE = PostedPayment("P2", DISBURSED, Decimal("100.00"))


@pytest.mark.parametrize("payments", [[SMALL, LARGE], [LARGE, SMALL]])
def test_two_payments_on_one_day_settle_as_their_sum_would(payments: list[PostedPayment]) -> None:
    position = compute_position(TERMS, payments, as_of=DISBURSED)
    together = compute_position(TERMS, [PostedPayment("SUM", DISBURSED, Decimal("101.00"))], as_of=DISBURSED)
    assert position.status is together.status is LoanStatus.CLOSED
    assert position.overpayment == together.overpayment == Decimal("1.00")
    assert position.payoff_amount == Decimal("0")


def test_payments_too_small_to_settle_together_pay_ahead_with_interest_in_any_order() -> None:
    a = PostedPayment("A", DISBURSED, Decimal("30.00"))
    b = PostedPayment("B", DISBURSED, Decimal("20.00"))
    first = compute_position(TERMS, [a, b], as_of=DISBURSED)
    second = compute_position(TERMS, [b, a], as_of=DISBURSED)
    assert first.payoff_amount == second.payoff_amount
    assert first.overpayment == second.overpayment == Decimal("0")


def test_the_payoff_quoted_after_a_same_day_payment_closes_the_loan_exactly() -> None:
    """1.00 paid ahead (0.01 of it interest not yet due); the day's payoff counts that interest as principal."""
    terms = LoanTerms(
        principal=Decimal("100.00"),
        disbursed_on=DISBURSED,
        contract_date=DISBURSED,
        schedule=(
            ScheduledInstallment(number=1, due_date=date(2024, 1, 2), principal=Decimal("0"), interest=Decimal("0.01")),
            ScheduledInstallment(
                number=2, due_date=date(2024, 1, 3), principal=Decimal("100.00"), interest=Decimal("0.01")
            ),
        ),
        rules=ProductRules.model_validate({}),
    )
    day = date(2024, 1, 2)
    first = [PostedPayment("P0", day, Decimal("1.00"))]
    quoted = compute_position(terms, first, as_of=day).payoff_amount
    assert quoted == Decimal("99.01")
    closed = compute_position(terms, [*first, PostedPayment("PAYOFF", day, quoted)], as_of=day)
    assert closed.status is LoanStatus.CLOSED
    assert closed.overpayment == Decimal("0") and closed.payoff_amount == Decimal("0")


def test_a_payment_used_up_before_the_day_settles_records_no_empty_allocation() -> None:
    """Found by the allocation property: the first of two payments paid the due interest and most of the
    principal ahead; the day's total settled the loan, and the settling loop then gave the next installment an
    allocation of 0.00 from the spent payment."""
    day = date(2024, 1, 2)
    schedule = (
        ScheduledInstallment(1, day, Decimal("0"), Decimal("0.01")),
        ScheduledInstallment(2, date(2024, 1, 3), Decimal("0"), Decimal("0.01")),
        ScheduledInstallment(3, date(2024, 1, 4), Decimal("0.99"), Decimal("0")),
        ScheduledInstallment(4, date(2024, 1, 5), Decimal("0.01"), Decimal("0")),
    )
    terms = LoanTerms(Decimal("1.00"), DISBURSED, DISBURSED, schedule, ProductRules.model_validate({}))
    payments = [PostedPayment("P0", day, Decimal("1.00")), PostedPayment("P1", day, Decimal("1.00"))]
    position = compute_position(terms, payments, as_of=day)
    assert all(item.amount > 0 for item in position.allocations)
    assert sum(item.amount for item in position.allocations) == Decimal("2.00")
    assert position.status is LoanStatus.CLOSED
