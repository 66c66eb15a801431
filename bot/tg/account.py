"""Account linking in Telegram: the contact a user shares must be their own.

Telegram fills `contact.user_id` when the shared contact is a Telegram user; the
"Share my phone number" button (request_contact) shares the sender's own, so
`contact.user_id == from_user.id`. Anything else (someone else's contact, a forwarded one, a
typed-in vCard without user_id) is refused: a phone number alone proves nothing.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.replies import Reply
from bot.tg.services import Services, sender_of

log = logging.getLogger(__name__)


def is_own_contact(update: Update) -> bool:
    message = update.effective_message
    user = update.effective_user
    if message is None or message.contact is None or user is None:
        return False
    if message.forward_origin is not None:
        return False
    return message.contact.user_id == user.id


def handlers(s: Services) -> list[BaseHandler]:
    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        contact = update.effective_message.contact
        assert contact is not None
        if not is_own_contact(update):
            log.info("event=contact_refused sender=%s reason=not_own", sender_of(update))
            await s.answer(
                context.bot, update, [Reply(texts.STRANGER_CONTACT, request_contact=True)]
            )
            return
        replies = await s.gateway.contact(sender_of(update), contact.phone_number)
        await s.answer(context.bot, update, replies, remove_keyboard=True)

    return [
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.CONTACT, on_contact
        )
    ]
