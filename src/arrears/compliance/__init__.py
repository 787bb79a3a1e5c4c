"""The compliance guard every contact passes through, rule packs, holds, complaints, retention.

Importing the package installs the retention checks on every ORM session.
"""

from arrears.compliance import retention as _retention
from arrears.compliance.enums import (
    AGING_PAUSED_BY_DEFAULT,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    HoldType,
)
from arrears.compliance.facts import ContactEvent, ContactHistory, Debtor, HoldFact, PlannedContact
from arrears.compliance.guard import Decision, Violation, decide
from arrears.compliance.pack import PackOverrides, RulePack, load_pack, tighten

_retention.install()

__all__ = [
    "AGING_PAUSED_BY_DEFAULT",
    "ComplaintCategory",
    "ComplaintChannel",
    "ComplaintStatus",
    "ContactEvent",
    "ContactHistory",
    "Debtor",
    "Decision",
    "HoldFact",
    "HoldType",
    "PackOverrides",
    "PlannedContact",
    "RulePack",
    "Violation",
    "decide",
    "load_pack",
    "tighten",
]
