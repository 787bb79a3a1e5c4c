"""What an outgoing electronic message must carry."""

from __future__ import annotations

from typing import Literal

from arrears.compliance.rules.base import Block, Context, Rule
from arrears.compliance.rules.holds import ELECTRONIC
from arrears.contact.enums import ContactChannel


class OptOutNotice(Rule):
    """Every electronic message tells the person how to opt out (Regulation F 1006.6(e))."""

    kind: Literal["opt_out_notice"] = "opt_out_notice"
    channels: frozenset[ContactChannel] = ELECTRONIC

    def check(self, context: Context) -> Block | None:
        return None if context.attempt.opt_out_notice else Block(not_before=None)
