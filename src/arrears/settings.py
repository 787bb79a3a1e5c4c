"""Runtime settings, read once from the environment (prefix ``ARREARS_``) or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears.errors import ConfigurationError

DEFAULT_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: str = Field("dev", description="dev, test or prod")
    data_dir: Path = Field(Path("var"), description="where the embedded database and files live")
    database_url: str | None = Field(None, description="SQLAlchemy URL; defaults to a SQLite file in data_dir")
    secret_key: str = DEFAULT_SECRET
    default_timezone: str = "Asia/Shanghai"
    echo_sql: bool = False
    web_connections: int = Field(
        20, ge=1, le=500, description="database connections per web worker; requests beyond wait their turn"
    )
    cookie_secure: bool = Field(
        True, description="send session cookies over HTTPS only (browsers treat 127.0.0.1 as secure)"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env not in {"dev", "test"} and self.secret_key == DEFAULT_SECRET:
            raise ConfigurationError(
                "ARREARS_SECRET_KEY is still the development default",
                hint="set ARREARS_SECRET_KEY to a long random value before running outside dev",
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'arrears.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
