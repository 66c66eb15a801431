"""Run the real Telegram application in-process against the fake Bot API server.

    async with running_bot(fake, rasa_url, engine, staff_chat_id=-100) as bot:
        fake.send_text(alice, "hi")
        reply = await fake.next_message(alice.id)

Everything is the production wiring (bot/telegram_app.py: handlers, AIORateLimiter, jobs,
commands); only the Bot API URL, the Rasa URL and the database point at test servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application

from bot.clinic_bridge import ClinicBridge
from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.settings import BotSettings
from bot.telegram_app import build_application
from clinic.config import load_settings
from tests.fake_telegram import FakeTelegram


@dataclass
class RunningBot:
    application: Application
    gateway: Gateway
    clinic: ClinicBridge


@asynccontextmanager
async def running_bot(
    fake: FakeTelegram,
    rasa_url: str,
    engine: Engine,
    *,
    staff_chat_id: int | None = None,
    state_file: Path | None = None,
    outbox_interval: float = 0.3,
    rasa_timeout: float = 20.0,
) -> AsyncIterator[RunningBot]:
    settings = load_settings(
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.api_base_url,
        telegram_staff_chat_id=staff_chat_id,
        rasa_url=rasa_url,
    )
    bot_settings = BotSettings(outbox_interval=outbox_interval, rasa_timeout=rasa_timeout)
    if state_file is not None:
        bot_settings.state_file = state_file
    clinic = ClinicBridge(engine)
    gateway = Gateway(RasaClient(rasa_url, timeout=rasa_timeout, retry_pause=0.05), clinic)
    application = build_application(
        settings, bot_settings, gateway, clinic, persistence=state_file is not None
    )
    # What Application.run_polling does, minus the signal handling and the blocking loop.
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
    )
    try:
        yield RunningBot(application, gateway, clinic)
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
