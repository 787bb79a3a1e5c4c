"""Placing a call: one interface, so a call-centre dialer can replace the phone's own.

The web page never dials by itself. It asks the guard first; only an allowed call
reaches a :class:`Dialer`. :class:`TelLinkDialer` hands the number to the
collector's device as a ``tel:`` URI (a softphone or a desk phone registered for
the scheme places it); an adapter for a call-centre system (a SIP or CTI API)
implements the same method and returns no URI, having started the call itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Dialled:
    """What the browser should do: open ``uri`` (tel:) or nothing when the dialer placed the call."""

    uri: str | None
    reference: str | None = None


class Dialer(Protocol):
    def dial(self, *, number: str, case_id: int, collector: str) -> Dialled: ...


class TelLinkDialer:
    """The collector's own phone or softphone, through a ``tel:`` link."""

    def dial(self, *, number: str, case_id: int, collector: str) -> Dialled:
        return Dialled(uri=f"tel:{number}")
