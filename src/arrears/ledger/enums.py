"""Names the ledger shares with the rest of Arrears."""

from __future__ import annotations

from enum import StrEnum


class Component(StrEnum):
    """What a payment can pay, and the parts of an amount owed."""

    LATE_FEE = "late_fee"  # 违约金
    PENALTY = "penalty"  # 罚息
    INTEREST = "interest"  # 利息
    PRINCIPAL = "principal"  # 本金
    OVERPAYMENT = "overpayment"  # 溢缴款: more than the loan will ever owe


class ChargeKind(StrEnum):
    PENALTY = "penalty"
    LATE_FEE = "late_fee"


class AllocationOrder(StrEnum):
    INSTALLMENT_FIRST = "installment_first"  # oldest installment fully, then the next
    COMPONENT_FIRST = "component_first"  # a component across installments, then the next


class LoanStatus(StrEnum):
    ACTIVE = "active"
    OVERDUE = "overdue"
    ACCELERATED = "accelerated"
    SETTLED = "settled"
    CHARGED_OFF = "charged_off"
    CLOSED = "closed"
