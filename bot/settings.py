"""Bot-only settings, read like clinic.config (environment or .env), for what only the bot
uses: webhook mode and its state file. Everything shared (token, Rasa URL, staff chat, web
chat port) stays in clinic.config.Settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinic.config import PROJECT_ROOT


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Webhook mode when set (the public HTTPS URL Telegram posts to); polling otherwise.
    webhook_url: str | None = Field(default=None, validation_alias=_env("TELEGRAM_WEBHOOK_URL"))
    webhook_secret: str | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    webhook_listen: str = Field(default="0.0.0.0", validation_alias=_env("TELEGRAM_WEBHOOK_LISTEN"))
    webhook_port: int = Field(
        default=8443, ge=1, le=65535, validation_alias=_env("TELEGRAM_WEBHOOK_PORT")
    )
    state_file: Path = Field(
        default=PROJECT_ROOT / "var" / "telegram-state.pickle",
        validation_alias=_env("TELEGRAM_STATE_FILE"),
    )
    outbox_interval: float = Field(default=2.0, gt=0, validation_alias=_env("OUTBOX_INTERVAL"))
    rasa_timeout: float = Field(default=20.0, gt=0, validation_alias=_env("RASA_TIMEOUT"))
