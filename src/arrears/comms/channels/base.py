"""One interface for every way a message leaves (短信, 邮件, 信函).

A channel gets an :class:`Outgoing` and returns a :class:`Receipt` when the
provider accepted it, or raises :class:`TemporaryFailure` (try again later) or
:class:`PermanentFailure` (give up: bad address, rejected content). The
``idempotency_key`` travels with every send so that a provider that
deduplicates recognises a send retried after a crash (see docs/comms.md on the
at-least-once boundary).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs to send one message."""

    idempotency_key: str
    recipient: str
    body: str
    subject: str | None = None
    document: Path | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The provider's acceptance: its id for the message, and whether it already reports delivery."""

    provider_id: str
    delivered: bool = False
    duplicate: bool = False


class ChannelError(Exception):
    """A send that did not go through; ``message`` is kept as the message's last error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemporaryFailure(ChannelError):
    """Worth retrying: the provider was unreachable, busy or failed on its side."""


class PermanentFailure(ChannelError):
    """Not worth retrying: the provider refused this message for good."""


class Channel(Protocol):
    """A way out for messages; real ones are :mod:`.smtp`, :mod:`.sms_http` and :mod:`.print_batch`."""

    name: str

    def send(self, outgoing: Outgoing) -> Receipt: ...
