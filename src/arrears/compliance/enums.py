from __future__ import annotations

from enum import StrEnum


class HoldType(StrEnum):
    DISPUTE = "dispute"  # 争议
    HARDSHIP_PAUSE = "hardship_pause"
    CEASE_CONTACT = "cease_contact"
    DECEASED = "deceased"
    BANKRUPTCY = "bankruptcy"
    ATTORNEY = "attorney"  # represented by a lawyer
    CHANNEL_OPT_OUT = "channel_opt_out"
    COMPLAINT = "complaint"


AGING_PAUSED_BY_DEFAULT = frozenset({HoldType.DISPUTE, HoldType.DECEASED, HoldType.BANKRUPTCY})
"""Holds that stop the DPD clock unless the person setting them says otherwise."""
