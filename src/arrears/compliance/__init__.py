"""The compliance guard every contact passes through; holds on cases."""

from arrears.compliance.enums import AGING_PAUSED_BY_DEFAULT, HoldType

__all__ = ["AGING_PAUSED_BY_DEFAULT", "HoldType"]
