"""Private-chat conversation: text and commands go to the gateway; pressed inline buttons send
their payload on, after the keyboard is removed and the choice shown (no second press)."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ChatAction
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
from bot.replies import Reply
from bot.tg.callbacks import first_press
from bot.tg.services import Services, sender_of

log = logging.getLogger(__name__)

# New messages in private chats (edited ones get their own reply in bot/tg/media.py).
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
PATIENT_COMMANDS = {
    "start": "Start, or link your account",
    "help": "What I can do",
    "appointments": "Your upcoming appointments",
    "cancel": "Cancel an appointment (or stop what we're doing)",
    "human": "Talk to a person at the front desk",
}
STAFF_COMMANDS = {
    "today": "Today's schedule",
    "schedule": "Schedule for a day: /schedule <date> [provider]",
    "inbox": "Open messages, most urgent first",
}
MAX_EDITED_TEXT = 4000


def chosen_title(query_message, data: str) -> str | None:
    markup = getattr(query_message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def handlers(s: Services) -> list[BaseHandler]:
    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_chat is not None
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        replies = await s.gateway.message(sender_of(update), update.message.text or "")
        await s.answer(context.bot, update, replies)

    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        name = update.message.text.split()[0].lstrip("/").split("@")[0].lower()
        replies = await s.gateway.command(sender_of(update), name)
        await s.answer(context.bot, update, replies)
        if name == "start":
            await offer_staff_commands(update, context, s)

    async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        listing = "\n".join(f"/{name} – {what}" for name, what in PATIENT_COMMANDS.items())
        await s.answer(context.bot, update, [Reply(f"I don't know that command. Try:\n{listing}")])

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        message = query.message
        chat_id = message.chat.id if message else None
        payload = s.codec.decode(chat_id, query.data)
        if payload is None or message is None or chat_id is None:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        if not first_press(context.bot_data, chat_id, message.message_id):
            await query.answer("Already chosen.")
            return
        await query.answer()
        await _show_choice(query, chosen_title(message, query.data or ""))
        replies = await s.gateway.button(sender_of(update), payload)
        await s.answer(context.bot, update, replies)

    return [
        CommandHandler(
            ["start", "help", "appointments", "cancel", "human", "done"],
            on_command,
            filters=PRIVATE,
        ),
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(PRIVATE & filters.COMMAND, on_unknown_command),
        CallbackQueryHandler(on_button, pattern=r"^[pk]:"),
    ]


async def offer_staff_commands(
    update: Update, context: ContextTypes.DEFAULT_TYPE, s: Services
) -> None:
    """Staff see their commands in their own chat's menu: registered the first time a staff
    member starts the bot (the store knows staff by Telegram id)."""
    chat = update.effective_chat
    done = context.bot_data.setdefault("staff_command_chats", set())
    if chat is None or chat.id in done or not (await s.gateway.who(sender_of(update))).is_staff:
        return
    commands = [BotCommand(n, w) for n, w in {**PATIENT_COMMANDS, **STAFF_COMMANDS}.items()]
    await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat.id))
    done.add(chat.id)


async def _show_choice(query, title: str | None) -> None:
    """Remove the keyboard and show what was chosen, so the same keyboard cannot be used twice."""
    message = query.message
    text = getattr(message, "text", None)
    try:
        if text and title and len(text) + len(title) < MAX_EDITED_TEXT:
            await query.edit_message_text(f"{text}\n\n→ {title}", reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:  # too old to edit, or already edited: the answer still counts
        log.info("event=button_edit_failed reason=%s", error.message)
