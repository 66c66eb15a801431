"""Photos and files from patients (stored with their record, staff told), and a short clear
reply to everything the assistant cannot read (stickers, voice, locations, edits, ...)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import FileSizeLimit
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.replies import Reply
from bot.tg.services import Services, sender_of

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE
ACCEPTED_DOCUMENTS = filters.Document.PDF | filters.Document.IMAGE
EDITED = "I only read new messages. If you changed something, please send it again."


def handlers(s: Services) -> list[BaseHandler]:
    async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if message.photo:
            item, filename, mime = message.photo[-1], "photo.jpg", "image/jpeg"
        else:
            assert message.document is not None
            item = message.document
            filename = message.document.file_name or "document"
            mime = message.document.mime_type or "application/octet-stream"
        if (item.file_size or 0) > FileSizeLimit.FILESIZE_DOWNLOAD:
            await s.answer(context.bot, update, [Reply(texts.FILE_TOO_BIG)])
            return
        telegram_file = await item.get_file()
        content = bytes(await telegram_file.download_as_bytearray())
        replies = await s.gateway.document(
            sender_of(update), content, filename, mime, caption=message.caption
        )
        await s.answer(context.bot, update, replies)

    async def on_unsupported_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await s.answer(context.bot, update, [Reply(texts.UNSUPPORTED_FILE)])

    def reply_with(text: str):
        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_chat is not None:
                await s.answer(context.bot, update, [Reply(text)])

        return answer

    return [
        MessageHandler(PRIVATE & NEW & (filters.PHOTO | ACCEPTED_DOCUMENTS), on_file),
        MessageHandler(PRIVATE & NEW & filters.Document.ALL, on_unsupported_file),
        MessageHandler(
            PRIVATE & NEW & filters.Sticker.ALL, reply_with(texts.UNSUPPORTED["sticker"])
        ),
        MessageHandler(
            PRIVATE & NEW & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE),
            reply_with(texts.UNSUPPORTED["voice"]),
        ),
        MessageHandler(
            PRIVATE & NEW & (filters.LOCATION | filters.VENUE),
            reply_with(texts.UNSUPPORTED["location"]),
        ),
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, reply_with(EDITED)),
        MessageHandler(PRIVATE & NEW, reply_with(texts.UNSUPPORTED["other"])),
    ]
