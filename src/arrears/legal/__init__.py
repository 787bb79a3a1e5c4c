"""Legal escalation (法律催收) and agency placement (委外): referrals with a checklist,
proceedings with explicit lifecycles and deadlines, their fees and recoveries, the
document pack, and cases placed with outside agencies on commission."""

from arrears.legal.alerts import Alert, alerts_due
from arrears.legal.calendar import WorkingCalendar, cn_court_calendar
from arrears.legal.enums import (
    AlertKind,
    AmountKind,
    FeeCategory,
    JudgmentOutcome,
    PlacementStatus,
    ProceedingKind,
    ProceedingStatus,
    RecoveryCategory,
    ReferralStatus,
)
from arrears.legal.exceptions import ProceedingTransitionRefused
from arrears.legal.outcomes import KindSummary, ProceedingOutcome, proceeding_outcomes, summary_by_kind
from arrears.legal.placements import PlacementStatement, live_placement_clause
from arrears.legal.rules import CHECKLIST, TRANSITIONS, allowed_events, dry_transition, objection_deadline
from arrears.legal.schemas import AmountIn, PlacementIn, ProceedingIn, ReferralIn, TransitionIn

__all__ = [
    "CHECKLIST",
    "TRANSITIONS",
    "Alert",
    "AlertKind",
    "AmountIn",
    "AmountKind",
    "FeeCategory",
    "JudgmentOutcome",
    "KindSummary",
    "PlacementIn",
    "PlacementStatement",
    "PlacementStatus",
    "ProceedingIn",
    "ProceedingKind",
    "ProceedingOutcome",
    "ProceedingStatus",
    "ProceedingTransitionRefused",
    "RecoveryCategory",
    "ReferralIn",
    "ReferralStatus",
    "TransitionIn",
    "WorkingCalendar",
    "alerts_due",
    "allowed_events",
    "cn_court_calendar",
    "dry_transition",
    "live_placement_clause",
    "objection_deadline",
    "proceeding_outcomes",
    "summary_by_kind",
]
