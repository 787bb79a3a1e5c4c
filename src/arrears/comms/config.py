"""How letters and messages leave: channel settings, read once from ``ARREARS_COMMS_*`` and passed in.

The defaults give a working embedded install: letters go to a print-batch folder
in the data directory, and SMS and email stay queued until their gateway is set.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears.scripts.library.enums import Locale


class CommsSettings(BaseSettings):
    """Channel endpoints and the words of the opt-out notice."""

    model_config = SettingsConfigDict(env_prefix="ARREARS_COMMS_", extra="ignore")

    smtp_host: str | None = Field(None, description="SMTP relay; email stays queued without it")
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "collections@localhost"
    sms_endpoint: str | None = Field(None, description="the SMS gateway's send URL; SMS stays queued without it")
    sms_api_key: SecretStr | None = None
    sms_signing_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key of the X-Signature header")
    sms_timeout_seconds: float = 10.0
    print_dir: Path = Field(Path("var/print"), description="where letters are handed to the print vendor")
    unsubscribe_url: str = Field(
        "http://localhost:8000/api/v1/comms/unsubscribe", description="the email opt-out link's base"
    )
    link_secret: SecretStr = Field(SecretStr("dev-only-link-secret"), description="signs opt-out links")
    max_attempts: int = Field(6, ge=1, description="a message failing this many times is given up")
    backoff_seconds: int = Field(60, ge=1, description="wait after the first failure; doubles each time")
    backoff_cap_seconds: int = Field(6 * 3600, ge=1)

    def sms_keyword(self, locale: Locale) -> str:
        """The opt-out keyword an SMS quotes (回复TD退订 / Reply STOP)."""
        return "STOP" if locale is Locale.EN else "TD"
