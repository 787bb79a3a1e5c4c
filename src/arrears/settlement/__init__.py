"""Settlements (还款方案): plan options and their calculator, hardship evidence, maker-checker approval.

See docs/settlement.md. Approved plans reach the ledger only as restructure facts
the engine replays (:class:`arrears.ledger.engine.Restructure`).
"""

from arrears.settlement.authority import AuthorityMatrix, AuthorityRule, decide
from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus, Treatment
from arrears.settlement.exceptions import ApprovalRefused
from arrears.settlement.options import Balance, Option, PlanTerms, Waivers, build, generate_schedule, quote
from arrears.settlement.service import Actor, judge_plans

__all__ = [
    "Actor",
    "ApprovalRefused",
    "AuthorityMatrix",
    "AuthorityRule",
    "Balance",
    "EvidenceKind",
    "EvidenceStatus",
    "Option",
    "PlanKind",
    "PlanStatus",
    "PlanTerms",
    "Treatment",
    "Waivers",
    "build",
    "decide",
    "generate_schedule",
    "judge_plans",
    "quote",
]
