"""The settlement package's own refusals."""

from __future__ import annotations

from arrears.errors import ArrearsError


class ApprovalRefused(ArrearsError):
    """The caller may not decide this plan: their own proposal, or beyond their authority (HTTP 403)."""

    code = "forbidden"
