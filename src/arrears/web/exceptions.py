"""The errors only the HTTP API raises, and the HTTP status of every error code."""

from __future__ import annotations

from arrears.errors import HTTP_STATUS, ArrearsError


class Unauthenticated(ArrearsError):
    """No token, or one that is unknown or revoked; the message never says which."""

    code = "unauthenticated"


class Forbidden(ArrearsError):
    """The caller is known but lacks the permission the route needs."""

    code = "forbidden"


class CsrfRejected(ArrearsError):
    """A state-changing request from a signed-in browser without its session's CSRF token."""

    code = "csrf_rejected"


class LoginRefused(ArrearsError):
    """Wrong password, unknown user or locked account: the message never says which."""

    code = "login_refused"


class TooManyAttempts(ArrearsError):
    """Too many failed sign-ins from one address."""

    code = "too_many_attempts"


WEB_STATUS: dict[str, int] = {
    "unauthenticated": 401,
    "login_refused": 401,
    "forbidden": 403,
    "csrf_rejected": 403,
    "too_many_attempts": 429,
}


def status_for(error: ArrearsError) -> int:
    """The HTTP status of ``error``: the shared table first, then the API's own codes."""
    return HTTP_STATUS.get(error.code) or WEB_STATUS.get(error.code, 400)
