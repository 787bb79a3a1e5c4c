"""The strategy engine: segmentation, policies as data, champion/challenger, the end-of-day run, queues."""

from arrears.strategy.allocation import CaseToAllocate, Collector, allocate
from arrears.strategy.arms import compare as compare_outcomes
from arrears.strategy.evaluate import PolicyDecision, evaluate, explain_text
from arrears.strategy.experiment import (
    ArmComparison,
    ArmCounts,
    assign_arm,
    compare_arms,
    experiment_name,
    wilson_interval,
)
from arrears.strategy.facts import CaseFacts, load_case_facts, read_facts
from arrears.strategy.features import read_features, write_segments
from arrears.strategy.policy import Policy, State, TreatmentPlan, bundled_policy, line_of, parse_policy
from arrears.strategy.propensity import active_model, rules_propensity, segment_cases
from arrears.strategy.propensity import evaluate as evaluate_model
from arrears.strategy.propensity import train as train_model
from arrears.strategy.queues import QueueCandidate, rank_queues
from arrears.strategy.run import Stage, execute_step, open_run, run_day
from arrears.strategy.segmentation import SegmentationConfig, segment
from arrears.strategy.service import explain_case, get_active, load_policy_file, store_policy
from arrears.strategy.stages import STAGES
from arrears.strategy.supervision import reassign, set_cap

__all__ = [
    "STAGES",
    "ArmComparison",
    "ArmCounts",
    "CaseFacts",
    "CaseToAllocate",
    "Collector",
    "Policy",
    "PolicyDecision",
    "QueueCandidate",
    "SegmentationConfig",
    "Stage",
    "State",
    "TreatmentPlan",
    "active_model",
    "allocate",
    "assign_arm",
    "bundled_policy",
    "compare_arms",
    "compare_outcomes",
    "evaluate",
    "evaluate_model",
    "execute_step",
    "experiment_name",
    "explain_case",
    "explain_text",
    "get_active",
    "line_of",
    "load_case_facts",
    "load_policy_file",
    "open_run",
    "parse_policy",
    "rank_queues",
    "read_facts",
    "read_features",
    "reassign",
    "rules_propensity",
    "run_day",
    "segment",
    "segment_cases",
    "set_cap",
    "store_policy",
    "train_model",
    "wilson_interval",
    "write_segments",
]
