"""The one exception tree of Arrears.

Services raise these; the web and CLI adapters translate them through
:data:`EXIT_CODES` and :data:`HTTP_STATUS`. A user's mistake must always reach
them as one clear line (what, where, how to fix), never as a traceback.
"""

from __future__ import annotations

from typing import ClassVar


class ArrearsError(Exception):
    """Base of every error a user of Arrears can be shown."""

    code: ClassVar[str] = "arrears_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and, when there is one, how to fix it."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(ArrearsError):
    code = "not_found"


class InvalidInput(ArrearsError):
    """Input that cannot be accepted; carries where the problem is."""

    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.where = where

    def one_line(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return prefix + super().one_line()


class Conflict(ArrearsError):
    """The request is valid but clashes with the current state."""

    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, *, status: str, event: str) -> None:
        super().__init__(
            f"cannot apply '{event}' to a loan that is {status}",
            hint="check the loan's status before acting on it",
        )
        self.status = status
        self.event = event


class ConfigurationError(ArrearsError):
    code = "configuration_error"


class ContactBlocked(ArrearsError):
    """The compliance guard refused a contact; carries the violated rule ids and when it would be allowed."""

    code = "contact_blocked"

    def __init__(self, message: str, *, rules: list[str], next_allowed_at: str | None) -> None:
        hint = f"allowed from {next_allowed_at}" if next_allowed_at else "no later time makes it allowed"
        super().__init__(message, hint=hint)
        self.rules = rules
        self.next_allowed_at = next_allowed_at


EXIT_CODES: dict[str, int] = {
    "arrears_error": 1,
    "invalid_input": 2,
    "not_found": 4,
    "conflict": 5,
    "illegal_transition": 5,
    "configuration_error": 6,
    "contact_blocked": 3,
    "step_failed": 7,
}

HTTP_STATUS: dict[str, int] = {
    "arrears_error": 400,
    "invalid_input": 422,
    "not_found": 404,
    "conflict": 409,
    "illegal_transition": 409,
    "configuration_error": 500,
    "contact_blocked": 409,
    "step_failed": 500,
}


def exit_code_for(error: ArrearsError) -> int:
    return EXIT_CODES.get(error.code, 1)
