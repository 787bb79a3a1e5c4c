"""Collection cases (案件): one per borrower per tenant, and who works them."""

from arrears.cases.enums import CaseStatus
from arrears.cases.service import CaseChanges, sync_with_positions

__all__ = ["CaseChanges", "CaseStatus", "sync_with_positions"]
