"""Facts about the case that change what may truthfully be said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ContextFlag = Literal["lender_is_bank", "legal_action_filed"]


@dataclass(frozen=True)
class LintContext:
    """What is true of the lender and the case the text is about.

    ``lender_is_bank``: the collector works for (or is) the bank, so "我是XX银行的"
    is not impersonation. ``legal_action_filed``: a lawsuit has really been filed,
    so saying so is not a false legal claim.
    """

    lender_is_bank: bool = False
    legal_action_filed: bool = False

    def holds(self, flag: ContextFlag) -> bool:
        return bool(getattr(self, flag))
