"""The one error handler: log one line (no message content), tell the person something useful,
keep running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ContextTypes

from bot.texts import SORRY

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, (NetworkError, TimedOut, RetryAfter)):
        # Polling hiccups and flood limits: the library retries; one line is enough.
        log.warning("event=telegram_error kind=%s update=%s", type(error).__name__, update_id)
        return
    log.error(
        "event=handler_error kind=%s update=%s", type(error).__name__, update_id, exc_info=error
    )
    if isinstance(update, Update) and update.effective_chat and not isinstance(error, Forbidden):
        try:
            await context.bot.send_message(update.effective_chat.id, SORRY)
        except Exception as second:  # the chat itself is the problem: nothing more to do
            log.warning("event=error_reply_failed kind=%s", type(second).__name__)
