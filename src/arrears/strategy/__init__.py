"""The strategy engine: segmentation, policies as data, champion/challenger, the end-of-day run, queues.

Names are loaded on first use (PEP 562), so a command that needs only the policy
or the tables does not pay for Polars and scikit-learn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC: dict[str, tuple[str, str]] = {
    "ArmComparison": ("arrears.strategy.experiment", "ArmComparison"),
    "ArmCounts": ("arrears.strategy.experiment", "ArmCounts"),
    "assign_arm": ("arrears.strategy.experiment", "assign_arm"),
    "compare_arms": ("arrears.strategy.experiment", "compare_arms"),
    "experiment_name": ("arrears.strategy.experiment", "experiment_name"),
    "wilson_interval": ("arrears.strategy.experiment", "wilson_interval"),
    "CaseFacts": ("arrears.strategy.facts", "CaseFacts"),
    "CaseToAllocate": ("arrears.strategy.allocation", "CaseToAllocate"),
    "Collector": ("arrears.strategy.allocation", "Collector"),
    "Policy": ("arrears.strategy.policy", "Policy"),
    "PolicyDecision": ("arrears.strategy.evaluate", "PolicyDecision"),
    "QueueCandidate": ("arrears.strategy.queues", "QueueCandidate"),
    "STAGES": ("arrears.strategy.stages", "STAGES"),
    "SegmentationConfig": ("arrears.strategy.segmentation", "SegmentationConfig"),
    "Stage": ("arrears.strategy.run", "Stage"),
    "State": ("arrears.strategy.policy", "State"),
    "TreatmentPlan": ("arrears.strategy.policy", "TreatmentPlan"),
    "active_model": ("arrears.strategy.propensity", "active_model"),
    "allocate": ("arrears.strategy.allocation", "allocate"),
    "bundled_policy": ("arrears.strategy.policy", "bundled_policy"),
    "compare_outcomes": ("arrears.strategy.arms", "compare"),
    "evaluate": ("arrears.strategy.evaluate", "evaluate"),
    "evaluate_model": ("arrears.strategy.propensity", "evaluate"),
    "execute_step": ("arrears.strategy.run", "execute_step"),
    "explain_case": ("arrears.strategy.service", "explain_case"),
    "explain_text": ("arrears.strategy.evaluate", "explain_text"),
    "get_active": ("arrears.strategy.service", "get_active"),
    "line_of": ("arrears.strategy.policy", "line_of"),
    "load_case_facts": ("arrears.strategy.facts", "load_case_facts"),
    "load_policy_file": ("arrears.strategy.service", "load_policy_file"),
    "open_run": ("arrears.strategy.run", "open_run"),
    "parse_policy": ("arrears.strategy.policy", "parse_policy"),
    "rank_queues": ("arrears.strategy.queues", "rank_queues"),
    "read_facts": ("arrears.strategy.facts", "read_facts"),
    "read_features": ("arrears.strategy.features", "read_features"),
    "reassign": ("arrears.strategy.supervision", "reassign"),
    "rules_propensity": ("arrears.strategy.propensity", "rules_propensity"),
    "run_day": ("arrears.strategy.run", "run_day"),
    "segment": ("arrears.strategy.segmentation", "segment"),
    "segment_cases": ("arrears.strategy.propensity", "segment_cases"),
    "set_cap": ("arrears.strategy.supervision", "set_cap"),
    "store_policy": ("arrears.strategy.service", "store_policy"),
    "train_model": ("arrears.strategy.propensity", "train"),
    "write_segments": ("arrears.strategy.features", "write_segments"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(import_module(module), attribute)


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
