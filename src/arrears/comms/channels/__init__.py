"""The ways out: SMTP email, an HTTP SMS gateway, the print folder; each behind :class:`base.Channel`."""

from __future__ import annotations

from arrears.comms.channels.base import Channel
from arrears.comms.channels.print_batch import PrintBatchChannel
from arrears.comms.channels.sms_http import HttpSmsChannel
from arrears.comms.channels.smtp import SmtpChannel
from arrears.comms.config import CommsSettings
from arrears.comms.enums import MessageChannel


def configured(comms: CommsSettings) -> dict[MessageChannel, Channel]:
    """The channels the settings configure; a channel left out keeps its messages queued."""
    channels: dict[MessageChannel, Channel] = {MessageChannel.LETTER: PrintBatchChannel(directory=comms.print_dir)}
    if comms.smtp_host:
        channels[MessageChannel.EMAIL] = SmtpChannel(
            host=comms.smtp_host,
            port=comms.smtp_port,
            sender=comms.mail_from,
            starttls=comms.smtp_starttls,
            username=comms.smtp_username,
            password=comms.smtp_password.get_secret_value() if comms.smtp_password else None,
        )
    if comms.sms_endpoint and comms.sms_api_key and comms.sms_signing_secret:
        channels[MessageChannel.SMS] = HttpSmsChannel(
            endpoint=comms.sms_endpoint,
            api_key=comms.sms_api_key.get_secret_value(),
            secret=comms.sms_signing_secret.get_secret_value(),
            timeout=comms.sms_timeout_seconds,
        )
    return channels


__all__ = ["Channel", "HttpSmsChannel", "PrintBatchChannel", "SmtpChannel", "configured"]
