"""Delivering the outbox to Telegram from the JobQueue.

Each tick claims due rows (leased to this worker, so two bot processes never send the same
row), sends each one, and marks it sent right after sending (so a restart does not resend).
Errors: Telegram's 429 pauses delivery for its retry_after (the rate limiter has already
retried in-process) and the row is retried with backoff; a blocked bot or unknown chat is a
permanent failure; network trouble is retried with backoff. On shutdown the unsent leases are
released.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.clinic_bridge import ClinicBridge
from bot.replies import Button, Reply, document_from_json
from bot.tg.render import Renderer
from bot.tg.staffchat import staff_actions_keyboard, with_reference
from clinic.models import RecipientKind
from clinic.outbox import Delivery

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"bot@{socket.gethostname()}:{os.getpid()}"


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def telegram_chats(identities: list[str]) -> list[int]:
    chats = []
    for identity in identities:
        if identity.startswith("tg:") and identity[3:].lstrip("-").isdigit():
            chats.append(int(identity[3:]))
    return chats


class OutboxSender:
    def __init__(
        self,
        clinic: ClinicBridge,
        renderer: Renderer,
        staff_chat_id: int | None,
        worker_id: str | None = None,
        batch: int = 20,
    ) -> None:
        self.clinic = clinic
        self.renderer = renderer
        self.staff_chat_id = staff_chat_id
        self.worker_id = worker_id or worker_name()
        self.batch = batch
        self.paused_until = 0.0
        self.store_down = False
        self._lock = asyncio.Lock()

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """JobQueue callback. A store that is down is logged when it goes down and when it
        comes back, not on every tick; nothing is lost, the rows wait."""
        try:
            await self.deliver_due(context.bot)
        except SQLAlchemyError as error:
            if not self.store_down:
                log.warning("event=outbox_store_unavailable error=%s", type(error).__name__)
            self.store_down = True
        else:
            if self.store_down:
                log.info("event=outbox_store_back")
            self.store_down = False

    async def deliver_due(self, bot: Bot) -> int:
        """Claim and send what is due; return how many were sent."""
        if self._lock.locked() or time.monotonic() < self.paused_until:
            return 0
        async with self._lock:
            deliveries = await self.clinic.claim_due(self.worker_id, self.batch)
            sent = 0
            for index, delivery in enumerate(deliveries):
                try:
                    await self._send(bot, delivery)
                except RetryAfter as error:
                    pause = retry_seconds(error)
                    self.paused_until = time.monotonic() + pause
                    log.warning("event=outbox_flood_limit id=%s pause=%.0f", delivery.id, pause)
                    await self.clinic.mark_failed(
                        delivery.id,
                        f"429 retry after {pause:.0f}s",
                        self.worker_id,
                        retry_after=timedelta(seconds=pause),
                    )
                    if index + 1 < len(deliveries):
                        await self.clinic.release(self.worker_id)  # the rest: not attempted
                    break
                except (Forbidden, BadRequest) as error:
                    await self._fail(delivery, error, permanent=True)
                except (NetworkError, TelegramError) as error:
                    await self._fail(delivery, error, permanent=False)
                except _Undeliverable as error:
                    await self._fail(delivery, error, permanent=True)
                else:
                    await self.clinic.mark_sent(delivery.id, self.worker_id)
                    sent += 1
            return sent

    async def stop(self) -> None:
        try:
            released = await self.clinic.release(self.worker_id)
        except SQLAlchemyError as error:  # the leases expire by themselves
            log.warning("event=outbox_release_failed error=%s", type(error).__name__)
            return
        if released:
            log.info("event=outbox_released count=%d", released)

    async def _fail(self, delivery: Delivery, error: Exception, permanent: bool) -> None:
        log.warning(
            "event=outbox_send_failed id=%s kind=%s error=%s permanent=%s",
            delivery.id,
            delivery.kind,
            type(error).__name__,
            permanent,
        )
        await self.clinic.mark_failed(
            delivery.id, f"{type(error).__name__}: {error}", self.worker_id, permanent=permanent
        )

    async def _send(self, bot: Bot, delivery: Delivery) -> None:
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in delivery.buttons
            if b.get("title")
        )
        documents = [d for d in map(document_from_json, delivery.attachments) if d]
        if delivery.recipient_kind is RecipientKind.STAFF_CHANNEL:
            if self.staff_chat_id is None:
                raise _Undeliverable("TELEGRAM_STAFF_CHAT_ID is not set")
            text = with_reference(delivery.text, delivery.meta)
            keyboard = staff_actions_keyboard(delivery.meta)
            await bot.send_message(self.staff_chat_id, text, reply_markup=keyboard)
            return
        chats = telegram_chats(delivery.identities)
        if not chats:
            raise _Undeliverable("no Telegram identity for this recipient")
        replies = [Reply(text=delivery.text, buttons=buttons)]
        replies += [Reply(document=document) for document in documents]
        for chat_id in chats:
            await self.renderer.send(bot, chat_id, replies, sender=None)
        log.info(
            "event=outbox_delivered id=%s kind=%s chats=%d", delivery.id, delivery.kind, len(chats)
        )


class _Undeliverable(Exception):
    """Nowhere to send this row on Telegram."""
