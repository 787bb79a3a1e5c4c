"""The errors only the HTTP API raises, and the HTTP status of every error code."""

from __future__ import annotations

from arrears.errors import HTTP_STATUS, ArrearsError


class Unauthenticated(ArrearsError):
    """No token, or one that is unknown or revoked; the message never says which."""

    code = "unauthenticated"


class Forbidden(ArrearsError):
    """The token is valid but lacks the scope the route needs."""

    code = "forbidden"


WEB_STATUS: dict[str, int] = {"unauthenticated": 401, "forbidden": 403}


def status_for(error: ArrearsError) -> int:
    """The HTTP status of ``error``: the shared table first, then the API's own codes."""
    return HTTP_STATUS.get(error.code) or WEB_STATUS.get(error.code, 400)
