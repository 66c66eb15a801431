"""`python -m bot`: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the local web chat
on 127.0.0.1:WEBCHAT_PORT. `medsec run` starts it after Rasa and the action server."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot import logs
from bot.clinic_bridge import ClinicBridge
from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.settings import BotSettings
from bot.staff_desk import StaffDesk
from clinic.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


async def run_webchat(settings: Settings, gateway: Gateway, clinic: ClinicBridge) -> None:
    from bot.webchat import WebChat

    chat = WebChat(gateway, clinic, StaffDesk(clinic))
    url = await chat.start("127.0.0.1", settings.webchat_port)
    print(f"medsec web chat: open {url} in a browser (Ctrl+C to stop)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await chat.stop()
        log.info("event=webchat_stopped")


def main() -> int:
    try:
        settings = load_settings()
        bot_settings = BotSettings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    clinic = ClinicBridge()
    gateway = Gateway(RasaClient(settings.rasa_url, timeout=bot_settings.rasa_timeout), clinic)
    if settings.telegram_bot_token:
        from bot.telegram_app import build_application, run

        log.info("event=starting mode=telegram webhook=%s", bool(bot_settings.webhook_url))
        run(build_application(settings, bot_settings, gateway, clinic), bot_settings)
    else:
        log.info("event=starting mode=webchat port=%s", settings.webchat_port)
        asyncio.run(run_webchat(settings, gateway, clinic))
    return 0


if __name__ == "__main__":
    sys.exit(main())
