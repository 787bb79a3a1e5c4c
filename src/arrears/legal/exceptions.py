"""Errors of legal escalation; both map through the shared table in :mod:`arrears.errors`."""

from __future__ import annotations

from arrears.errors import Conflict


class ProceedingTransitionRefused(Conflict):
    """An event that the proceeding's lifecycle does not allow from its current status."""

    code = "illegal_transition"

    def __init__(self, *, kind: str, status: str, event: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none: the proceeding is finished"
        super().__init__(
            f"cannot '{event}' a {kind.replace('_', ' ')} that is {status.replace('_', ' ')}",
            hint=f"allowed now: {allowed_text}",
        )
        self.kind = kind
        self.status = status
        self.event = event
        self.allowed = allowed
