"""Email through an SMTP relay (standard library ``smtplib``).

The Message-ID is derived from the message's idempotency key, so a copy sent
again after a crash carries the same id and mail systems and readers can tell it
is the same message; SMTP itself cannot refuse the duplicate (docs/comms.md).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from arrears.comms.channels.base import Outgoing, PermanentFailure, Receipt, TemporaryFailure


class SmtpChannel:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        list_unsubscribe: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.list_unsubscribe = list_unsubscribe

    def send(self, outgoing: Outgoing) -> Receipt:
        message = self.compose(outgoing)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls()
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"recipient refused: {_first(error.recipients)}") from None
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
            raise (PermanentFailure(text) if 500 <= error.smtp_code < 600 else TemporaryFailure(text)) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"SMTP relay {self.host}:{self.port} unavailable: {error}") from None
        if refused:
            raise PermanentFailure(f"recipient refused: {_first(refused)}")
        return Receipt(provider_id=str(message["Message-ID"]))

    def compose(self, outgoing: Outgoing) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = outgoing.recipient
        message["Subject"] = outgoing.subject or ""
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(outgoing.idempotency_key, self.sender)
        message["X-Arrears-Idempotency-Key"] = outgoing.idempotency_key
        if self.list_unsubscribe:
            message["List-Unsubscribe"] = f"<{self.list_unsubscribe}>"
        message.set_content(outgoing.body)
        return message


def message_id(idempotency_key: str, sender: str) -> str:
    """A stable Message-ID: the same key always gives the same id."""
    domain = sender.rpartition("@")[2] or "localhost"
    safe = "".join(ch if ch.isalnum() or ch in "-." else "." for ch in idempotency_key)
    return f"<{safe}@{domain}>" if safe else make_msgid(domain=domain)


def _first(refused: dict[str, tuple[int, bytes]]) -> str:
    address, (code, reason) = next(iter(refused.items()))
    return f"{address} ({code} {_text(reason)})"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
