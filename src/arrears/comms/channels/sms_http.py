"""SMS through an HTTP gateway: a JSON POST signed with HMAC-SHA256.

The request::

    POST <endpoint>
    X-Api-Key: <key>
    X-Timestamp: <unix seconds>
    X-Signature: hex(HMAC-SHA256(secret, "<timestamp>." + body))
    Idempotency-Key: <the message's key>
    {"to": "+8613800138000", "text": "...", "idempotency_key": "...", "reference": "..."}

A 2xx answer carries ``{"id": ...}``; 409 means the gateway already has this key
and returns the first send's id (a retry after a crash: not sent twice). 4xx
other than 408/429 is permanent; 5xx, 408, 429 and network errors are temporary.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from arrears.comms.channels.base import Outgoing, PermanentFailure, Receipt, TemporaryFailure

_RETRYABLE = {408, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Signature header: hex HMAC-SHA256 of ``timestamp.body``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, presented: str) -> bool:
    """Constant-time check of a presented signature (for a gateway, or its delivery reports)."""
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), presented.encode())


class HttpSmsChannel:
    name = "sms_http"

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str,
        secret: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint
        self.api_key = api_key
        self.secret = secret
        self.timeout = timeout
        self.transport = transport
        self.clock = clock

    def send(self, outgoing: Outgoing) -> Receipt:
        payload = {
            "to": outgoing.recipient,
            "text": outgoing.body,
            "idempotency_key": outgoing.idempotency_key,
            "reference": outgoing.reference,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Api-Key": self.api_key,
            "X-Timestamp": timestamp,
            "X-Signature": signature(self.secret, timestamp, body),
            "Idempotency-Key": outgoing.idempotency_key,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(self.endpoint, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"SMS gateway unreachable: {error}") from None
        return self._receipt(response)

    def _receipt(self, response: httpx.Response) -> Receipt:
        status = response.status_code
        if status == 409 or 200 <= status < 300:
            provider_id = _provider_id(response)
            if provider_id is None:
                raise TemporaryFailure(f"SMS gateway answered {status} without a message id")
            return Receipt(provider_id=provider_id, duplicate=status == 409)
        detail = response.text[:200]
        if status >= 500 or status in _RETRYABLE:
            raise TemporaryFailure(f"SMS gateway {status}: {detail}")
        raise PermanentFailure(f"SMS gateway refused the message ({status}): {detail}")


def _provider_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value not in (None, "") else None
