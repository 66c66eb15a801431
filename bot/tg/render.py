"""Replies -> Telegram messages: text split at 4096, Rasa buttons as inline keyboards, the
"Share my phone number" reply keyboard, images, and documents (.ics, PDF)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from bot import texts
from bot.replies import Button, DocumentRef, Reply
from bot.text import split_text
from bot.tg.callbacks import CallbackCodec

log = logging.getLogger(__name__)

SHARE_PHONE = "📱 Share my phone number"
CHOOSE = "Please choose:"
SHORT_TITLE = 18  # buttons this short sit two to a row

# (sender, document) -> (filename, mime type, bytes), or None when it cannot be built
DocumentBuilder = Callable[[str, DocumentRef], Awaitable[tuple[str, str, bytes] | None]]

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None


def inline_keyboard(
    codec: CallbackCodec, chat_id: int, buttons: Sequence[Button]
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        key = InlineKeyboardButton(
            button.title[:64], callback_data=codec.encode(chat_id, button.payload)
        )
        short = len(button.title) <= SHORT_TITLE
        if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= SHORT_TITLE:
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows)


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


class Renderer:
    def __init__(self, codec: CallbackCodec, build_document: DocumentBuilder) -> None:
        self.codec = codec
        self.build_document = build_document

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        replies: Sequence[Reply],
        *,
        sender: str,
        remove_keyboard: bool = False,
    ) -> list[Message]:
        """Send every reply in order; return the messages Telegram created."""
        sent: list[Message] = []
        for reply in replies:
            markup: Markup = None
            if reply.buttons:
                markup = inline_keyboard(self.codec, chat_id, reply.buttons)
            elif reply.request_contact:
                markup = share_phone_keyboard()
            elif reply.force_reply:
                markup = ForceReply(selective=True)
            elif remove_keyboard:
                markup = ReplyKeyboardRemove()
                remove_keyboard = False
            text = reply.text
            if not text.strip() and markup is not None:
                text = CHOOSE if reply.buttons else texts.LINK_PROMPT
            chunks = split_text(text)
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                sent.append(
                    await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)
                )
            if reply.image:
                sent.append(await self._send_image(bot, chat_id, reply.image))
            if reply.document:
                message = await self._send_document(bot, chat_id, sender, reply.document)
                if message is not None:
                    sent.append(message)
        return sent

    async def _send_image(self, bot: Bot, chat_id: int, url: str) -> Message:
        try:
            return await bot.send_photo(chat_id, url)
        except BadRequest:  # Telegram could not fetch it: the link still helps
            return await bot.send_message(chat_id, url)

    async def _send_document(
        self, bot: Bot, chat_id: int, sender: str, document: DocumentRef
    ) -> Message | None:
        built = await self.build_document(sender, document)
        if built is None:
            log.warning("event=document_unavailable kind=%s", document.kind)
            return await bot.send_message(
                chat_id, "Sorry, I couldn't prepare that file right now. Please ask again later."
            )
        filename, _mime, content = built
        return await bot.send_document(chat_id, InputFile(content, filename=filename))
