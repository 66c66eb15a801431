"""What every Telegram handler needs, built once in bot/telegram_app.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, Message, Update

from bot.clinic_bridge import ClinicBridge
from bot.gateway import Gateway
from bot.replies import Reply
from bot.tg.callbacks import CallbackCodec
from bot.tg.render import Renderer


def sender_of(update: Update) -> str:
    assert update.effective_user is not None
    return f"tg:{update.effective_user.id}"


@dataclass
class Services:
    gateway: Gateway
    clinic: ClinicBridge
    renderer: Renderer
    codec: CallbackCodec
    staff_chat_id: int | None

    async def answer(
        self, bot: Bot, update: Update, replies: Sequence[Reply], **kw: bool
    ) -> list[Message]:
        assert update.effective_chat is not None
        return await self.renderer.send(
            bot, update.effective_chat.id, replies, sender=sender_of(update), **kw
        )
