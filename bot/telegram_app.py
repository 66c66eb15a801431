"""The Telegram application: one ApplicationBuilder (token, Bot API base URL, AIORateLimiter,
persistence for button keys), the handler modules, the jobs (outbox delivery, heartbeat), the
bot commands, and polling or webhook mode.

    app = build_application(settings, bot_settings, gateway, clinic)
    run(app, bot_settings)            # blocking; polling unless TELEGRAM_WEBHOOK_URL is set
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    PersistenceInput,
    PicklePersistence,
)

from bot import heartbeat
from bot.clinic_bridge import ClinicBridge
from bot.documents import build_document
from bot.gateway import Gateway
from bot.settings import BotSettings
from bot.tg import account, chat, media, staff
from bot.tg.callbacks import CallbackCodec
from bot.tg.errors import on_error
from bot.tg.outbox import OutboxSender
from bot.tg.render import Renderer
from bot.tg.services import Services
from clinic.config import Settings

log = logging.getLogger(__name__)


def file_base_url(api_base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot"""
    root = api_base_url.rstrip("/")
    root = root.removesuffix("/bot")
    return f"{root}/file/bot"


def build_application(
    settings: Settings,
    bot_settings: BotSettings,
    gateway: Gateway,
    clinic: ClinicBridge,
    *,
    persistence: bool = True,
) -> Application:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # A second connection for the last getUpdates at shutdown (it confirms what was
        # fetched); with one, a cancelled long poll can still hold it and updates repeat.
        .get_updates_connection_pool_size(2)
    )
    if persistence:
        bot_settings.state_file.parent.mkdir(parents=True, exist_ok=True)
        store = PersistenceInput(
            bot_data=True, chat_data=False, user_data=False, callback_data=False
        )
        builder = builder.persistence(
            PicklePersistence(bot_settings.state_file, store_data=store, update_interval=30)
        )
    application = builder.build()

    codec = CallbackCodec(lambda: application.bot_data.setdefault("callbacks", {}))
    renderer = Renderer(codec, lambda sender, ref: build_document(clinic, sender, ref))
    services = Services(gateway, clinic, renderer, codec, settings.telegram_staff_chat_id)
    outbox = OutboxSender(clinic, renderer, settings.telegram_staff_chat_id)

    for module in (account, staff, chat, media):
        application.add_handlers(module.handlers(services))
    application.add_error_handler(on_error)

    async def on_startup(app: Application) -> None:
        await register_commands(app, settings.telegram_staff_chat_id)
        jobs = app.job_queue
        assert jobs is not None, "python-telegram-bot[job-queue] is required"
        jobs.run_repeating(
            outbox.tick,
            interval=bot_settings.outbox_interval,
            first=0.5,
            name="outbox",
            job_kwargs={"max_instances": 2},
        )
        heartbeat.touch()  # (APScheduler cannot run a repeating job at first=0)
        jobs.run_repeating(
            heartbeat.heartbeat_job, interval=heartbeat.INTERVAL_SECONDS, name="heartbeat"
        )
        if settings.telegram_staff_chat_id is None:
            log.warning(
                "event=no_staff_chat detail=TELEGRAM_STAFF_CHAT_ID unset: staff alerts stay in "
                "the inbox (/inbox) and are not posted"
            )
        log.info(
            "event=telegram_started bot=%s staff_chat=%s",
            app.bot.username,
            settings.telegram_staff_chat_id is not None,
        )

    async def on_stop(app: Application) -> None:
        await outbox.stop()

    async def on_shutdown(app: Application) -> None:
        await gateway.close()

    application.post_init = on_startup
    application.post_stop = on_stop
    application.post_shutdown = on_shutdown
    application.bot_data.setdefault("callbacks", {})
    return application


async def register_commands(app: Application, staff_chat_id: int | None) -> None:
    patient = [BotCommand(name, what) for name, what in chat.PATIENT_COMMANDS.items()]
    staff_cmds = [BotCommand(name, what) for name, what in chat.STAFF_COMMANDS.items()]
    await app.bot.set_my_commands(patient, scope=BotCommandScopeDefault())
    staff_chats = {staff_chat_id} if staff_chat_id is not None else set()
    for chat_id in sorted(staff_chats):
        await app.bot.set_my_commands(patient + staff_cmds, scope=BotCommandScopeChat(chat_id))


def run(application: Application, bot_settings: BotSettings) -> None:
    """Blocking: webhook mode if TELEGRAM_WEBHOOK_URL is set, long polling otherwise."""
    if bot_settings.webhook_url:
        application.run_webhook(
            listen=bot_settings.webhook_listen,
            port=bot_settings.webhook_port,
            # Telegram posts to the URL's path; serve the same path locally.
            url_path=urlparse(bot_settings.webhook_url).path.lstrip("/"),
            webhook_url=bot_settings.webhook_url,
            secret_token=bot_settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
