"""The strategy engine: segmentation, policies as data, champion/challenger, the end-of-day run, queues."""

from arrears.strategy.evaluate import PolicyDecision, evaluate, explain_text
from arrears.strategy.experiment import (
    ArmComparison,
    ArmCounts,
    assign_arm,
    compare_arms,
    experiment_name,
    wilson_interval,
)
from arrears.strategy.policy import Policy, State, TreatmentPlan, bundled_policy, line_of, parse_policy
from arrears.strategy.service import explain_case, get_active, load_policy_file, store_policy

__all__ = [
    "ArmComparison",
    "ArmCounts",
    "Policy",
    "PolicyDecision",
    "State",
    "TreatmentPlan",
    "assign_arm",
    "bundled_policy",
    "compare_arms",
    "evaluate",
    "experiment_name",
    "explain_case",
    "explain_text",
    "get_active",
    "line_of",
    "load_policy_file",
    "parse_policy",
    "store_policy",
    "wilson_interval",
]
