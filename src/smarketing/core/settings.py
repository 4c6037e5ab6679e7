"""Settings read from the environment or a `.env` file (prefix `SMARKETING_`)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LOCALES = ("en", "es", "pt", "it")
#: The placeholder secret key: public, so `smarketing serve` refuses it in production.
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - a published placeholder
ENVIRONMENTS = ("development", "production")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SMARKETING_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///smarketing.db",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db",
    )
    timezone: str = Field(default="UTC", description="Workspace IANA timezone")
    currency: str = Field(default="EUR", description="Workspace ISO 4217 currency")
    locale: str = Field(default="en", description="Workspace locale: en, es, pt or it")
    secret_key: str = Field(
        default=DEFAULT_SECRET_KEY, description="Signs session cookies; set it in production"
    )
    env: str = Field(
        default="development",
        description="development or production. In production `smarketing serve` refuses "
                    "to start with the default secret key (docs/security.md)",
    )  # fmt: skip
    cookie_secure: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only, and send HSTS: set it when "
                    "people reach smarketing over HTTPS (directly or behind a proxy)",
    )  # fmt: skip
    session_idle_minutes: int = Field(
        default=120, ge=1, le=60 * 24 * 30,
        description="A login ends after this many minutes without a request",
    )  # fmt: skip
    session_max_hours: int = Field(
        default=12, ge=1, le=24 * 90,
        description="A login ends this many hours after it started, however active",
    )  # fmt: skip
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Where people and senders reach smarketing, e.g. https://crm.example.com: "
                    "makes links in alerts absolute and is the base of webhook addresses",
    )  # fmt: skip
    rate_limit_storage: str | None = Field(
        default=None,
        description="Where rate limits count requests: unset, in each process's memory; a "
                    "storage URI such as redis://127.0.0.1:6379/0 makes several server "
                    "processes share the counts (Redis needs the redis package)",
    )  # fmt: skip

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        value = (value or "").strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"public_url must start with http:// or https://, got {value!r}")
        return value or None

    @field_validator("currency")
    @classmethod
    def _valid_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @field_validator("env")
    @classmethod
    def _valid_env(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ENVIRONMENTS:
            raise ValueError(f"env must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")
        return value

    @property
    def production(self) -> bool:
        return self.env == "production"

    @field_validator("locale")
    @classmethod
    def _valid_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"locale must be one of {', '.join(SUPPORTED_LOCALES)}, got {value!r}")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()


def public_url() -> str | None:
    """SMARKETING_PUBLIC_URL (environment or .env), without a trailing slash; or None."""
    return get_settings().public_url


def server_url(host: str, port: int) -> str:
    """The address a server listening on `host` and `port` is reached at."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
