"""The loan ledger (账务): products and their rules, loans, schedules, payments, and the engine."""

from arrears.ledger.engine import (
    Allocation,
    InstallmentPosition,
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    Restructure,
    ScheduledInstallment,
    cap_rate_for,
    compute_position,
)
from arrears.ledger.enums import AllocationOrder, ChargeKind, Component, LoanStatus
from arrears.ledger.lifecycle import dry_transition, ledger_event
from arrears.ledger.lpr import one_year_lpr
from arrears.ledger.rules import ProductRules

__all__ = [
    "Allocation",
    "AllocationOrder",
    "ChargeKind",
    "Component",
    "InstallmentPosition",
    "LoanPosition",
    "LoanStatus",
    "LoanTerms",
    "PauseWindow",
    "PostedPayment",
    "ProductRules",
    "Restructure",
    "ScheduledInstallment",
    "cap_rate_for",
    "compute_position",
    "dry_transition",
    "ledger_event",
    "one_year_lpr",
]
