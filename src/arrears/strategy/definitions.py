"""Definitions the policy facts, the segments and the propensity model must share, so they never drift apart."""

HABITUAL_LATE_ENTRIES = 3
"""Delinquency entries in a year that make a habitual late payer."""

DELINQUENCY_ENTRY_MAX_DPD = 1
"""A bucket entry at this many days past due or fewer is a new delinquency, not a roll to a later bucket."""
