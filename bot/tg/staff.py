"""Staff in Telegram: /today, /schedule, /inbox (in a private chat or the staff chat, answered
from the store; elsewhere they would show patients' names to a group), the
Take / Reply / Close buttons under alerts in the staff chat, and replies to those alerts,
which reach the patient. The staff desk (bot/staff_desk.py) re-checks the staff role."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import texts
from bot.staff_desk import StaffDesk
from bot.staff_refs import REFERENCE
from bot.tg.services import Services, sender_of


class _RepliesToAlert(filters.MessageFilter):
    """A text that replies to one of the bot's messages carrying a "Ref #…" tag."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        return bool(REFERENCE.search(replied.text or replied.caption or ""))


REPLIES_TO_ALERT = _RepliesToAlert()


def handlers(s: Services) -> list[BaseHandler]:
    desk = StaffDesk(s.clinic)

    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        chat = update.message.chat
        if chat.type != ChatType.PRIVATE and chat.id != s.staff_chat_id:
            # a schedule names patients: not in a group the bot happens to be in
            await update.message.reply_text(texts.STAFF_COMMAND_ELSEWHERE)
            return
        name = update.message.text.split()[0].lstrip("/").split("@")[0].lower()
        replies = await desk.command(sender_of(update), name, " ".join(context.args or []))
        await s.answer(context.bot, update, replies)

    async def on_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        result = await desk.action(sender_of(update), query.data or "")
        # "Take" is announced to the staff chat by the store (outbox); a toast is enough here.
        await query.answer(result.summary[:190] if result.action != "reply" else None)
        if query.message is None or (result.action == "take" and result.ok):
            return
        if result.action == "close" and result.ok:
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(reply_markup=None)
        await s.renderer.send(
            context.bot, query.message.chat.id, result.replies, sender=sender_of(update)
        )

    async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.reply_to_message is not None
        replied = message.reply_to_message
        replies = await desk.reply(
            sender_of(update), replied.text or replied.caption or "", message.text or ""
        )
        await s.answer(context.bot, update, replies)

    return [
        CommandHandler(["today", "schedule", "inbox"], on_command, filters.UpdateType.MESSAGE),
        CallbackQueryHandler(on_action, pattern=r"^s:"),
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & REPLIES_TO_ALERT,
            on_reply,
        ),
    ]
