"""The kinds of rule a pack can use. A pack file picks kinds and sets their parameters."""

from typing import Annotated

from pydantic import Field

from arrears.compliance.rules.base import Block, Context, Messages, Rule
from arrears.compliance.rules.call_frequency import DailyCalls, PostConversationWait, RollingCallAttempts
from arrears.compliance.rules.holds import ChannelOptOut, HoldBlocks
from arrears.compliance.rules.messages import OptOutNotice
from arrears.compliance.rules.quiet_hours import QuietHours
from arrears.compliance.rules.third_parties import (
    ThirdPartyOnlyIfUnreachable,
    ThirdPartyPurpose,
    ThirdPartyRepeat,
    ThirdPartyStopRequest,
)
from arrears.compliance.rules.visits import VisitTeam

AnyRule = Annotated[
    QuietHours
    | DailyCalls
    | RollingCallAttempts
    | PostConversationWait
    | ThirdPartyPurpose
    | ThirdPartyRepeat
    | ThirdPartyStopRequest
    | ThirdPartyOnlyIfUnreachable
    | HoldBlocks
    | ChannelOptOut
    | OptOutNotice
    | VisitTeam,
    Field(discriminator="kind"),
]

__all__ = [
    "AnyRule",
    "Block",
    "ChannelOptOut",
    "Context",
    "DailyCalls",
    "HoldBlocks",
    "Messages",
    "OptOutNotice",
    "PostConversationWait",
    "QuietHours",
    "RollingCallAttempts",
    "Rule",
    "ThirdPartyOnlyIfUnreachable",
    "ThirdPartyPurpose",
    "ThirdPartyRepeat",
    "ThirdPartyStopRequest",
    "VisitTeam",
]
