"""Configuration from the environment (and an optional `.env`), validated once at start-up.

A bad value raises `ConfigError` whose message is one line naming the variable, so every
entry point (CLI, action server, bot) can print it and stop.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "medsec.db"
SUPPORTED_DB_BACKENDS = ("sqlite", "postgresql")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DB_PATH}", validation_alias=_env("DATABASE_URL")
    )
    timezone: str = Field(default="America/New_York", validation_alias=_env("MEDSEC_TIMEZONE"))
    now: datetime | None = Field(default=None, validation_alias=_env("MEDSEC_NOW"))
    clinic_file: Path = Field(
        default=PROJECT_ROOT / "clinic" / "demo_clinic.yml",
        validation_alias=_env("MEDSEC_CLINIC_FILE"),
    )
    telegram_bot_token: str | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN")
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", validation_alias=_env("TELEGRAM_API_BASE_URL")
    )
    telegram_staff_chat_id: int | None = Field(
        default=None, validation_alias=_env("TELEGRAM_STAFF_CHAT_ID")
    )
    rasa_url: str = Field(default="http://127.0.0.1:5005", validation_alias=_env("RASA_URL"))
    actions_port: int = Field(default=5055, ge=1, le=65535, validation_alias=_env("ACTIONS_PORT"))
    emergency_number: str = Field(default="911", validation_alias=_env("EMERGENCY_NUMBER"))
    webchat_port: int = Field(default=8080, ge=1, le=65535, validation_alias=_env("WEBCHAT_PORT"))
    log_level: str = Field(default="INFO", validation_alias=_env("MEDSEC_LOG_LEVEL"))

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                f"'{value}' is not a database URL (try sqlite:///var/medsec.db or "
                "postgresql+psycopg://user@host/db)"
            ) from None
        if url.get_backend_name() not in SUPPORTED_DB_BACKENDS:
            raise ValueError(
                f"backend '{url.get_backend_name()}' is not supported (use sqlite or postgresql)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not an IANA time zone (e.g. America/New_York)"
            ) from None
        return value

    @field_validator("now", mode="before")
    @classmethod
    def _check_now(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"'{value}' is not an ISO 8601 date-time (e.g. 2027-03-01T09:00:00-05:00)"
                ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def frozen_now(self) -> datetime | None:
        """MEDSEC_NOW as an aware datetime (a naive value is read in the clinic's zone)."""
        if self.now is None:
            return None
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=self.tz)


_ALIAS_OF = {
    name: field.validation_alias.choices[0]  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError with one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        variable = _ALIAS_OF.get(field, field.upper())
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{variable}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


DATE_ORDERS = ("MDY", "DMY")


@lru_cache
def date_order() -> str:
    """How "3/4" is read everywhere (US "MDY" or "DMY"): the NLU time extractor's `date_order`
    in config.yml, so the actions and the bot read dates as the NLU does."""
    try:
        pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text()).get("pipeline")
    except (OSError, yaml.YAMLError, AttributeError):
        return "MDY"
    for component in pipeline or []:
        if isinstance(component, dict) and str(component.get("name", "")).endswith("TimeExtractor"):
            order = str(component.get("date_order", "MDY")).upper()
            return order if order in DATE_ORDERS else "MDY"
    return "MDY"
