"""Outbox delivery to Telegram: sent once (also with two bot processes and after a restart),
flood limits respected, blocked users and unknown recipients given up on, staff alerts with
their reference and action buttons."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest
from telegram import Bot
from telegram.ext import AIORateLimiter

from bot.clinic_bridge import ClinicBridge
from bot.documents import build_document
from bot.tg.callbacks import CallbackCodec
from bot.tg.outbox import OutboxSender
from bot.tg.render import Renderer
from clinic import identity, outbox
from clinic.db import session_scope
from clinic.models import OutboxMessage, OutboxStatus
from tests.bot.harness import running_bot
from tests.servers import free_port

STAFF_CHAT = -100777


@pytest.fixture
def store(clinic_engine):
    with session_scope(clinic_engine) as session:
        linked = identity.register_patient(
            session, first_name="Alan", last_name="Turing", date_of_birth=date(1954, 6, 7),
            phone="+14135550111", identity="tg:2001",
        )  # fmt: skip
        unlinked = identity.register_patient(
            session, first_name="Kurt", last_name="Goedel", date_of_birth=date(1950, 4, 28),
            phone="+14135550112",
        )  # fmt: skip
        session.flush()
        ids = {"linked": linked.id, "unlinked": unlinked.id}
    return clinic_engine, ids


def enqueue(engine, **kwargs) -> int:
    with session_scope(engine) as session:
        row = outbox.enqueue(session, **kwargs)
        session.flush()
        return row.id


def row(engine, row_id) -> OutboxMessage:
    with session_scope(engine, readonly=True) as session:
        return session.get(OutboxMessage, row_id)


def reminder(patient_id: int) -> dict:
    return dict(
        kind="reminder_24h",
        text="Reminder: check-up with Dr. Anika Patel tomorrow at 9:00 AM.",
        to_patient=patient_id,
        buttons=[
            outbox.button("I'll be there", "confirm_attendance", appointment_id=12),
            outbox.button("Cancel", "cancel_appointment", appointment_id=12),
            outbox.button("Reschedule", "reschedule_appointment", appointment_id=12),
        ],
    )


def make_sender(fake, engine, worker: str, rate_limiter=None) -> tuple[OutboxSender, Bot]:
    bot = Bot(fake.token, base_url=fake.api_base_url, base_file_url=fake.file_base_url)
    if rate_limiter is not None:
        from telegram.ext import ExtBot

        bot = ExtBot(fake.token, base_url=fake.api_base_url, rate_limiter=rate_limiter)
    clinic = ClinicBridge(engine)
    store: dict = {}
    renderer = Renderer(CallbackCodec(lambda: store), lambda s, d: build_document(clinic, s, d))
    return OutboxSender(clinic, renderer, STAFF_CHAT, worker_id=worker), bot


async def test_the_running_bot_delivers_a_reminder_with_intent_buttons(fake_telegram, store):
    engine, ids = store
    fake = fake_telegram
    alan = fake.user(2001, "Alan")
    row_id = enqueue(engine, **reminder(ids["linked"]))
    async with running_bot(fake, f"http://127.0.0.1:{free_port()}", engine):
        message = await fake.next_message(alan.id, timeout=10)
        await fake.wait_until(lambda: row(engine, row_id).status is OutboxStatus.SENT)
    assert message.text.startswith("Reminder: check-up")
    assert message.inline_buttons == [
        ("I'll be there", 'p:/confirm_attendance{"appointment_id":"12"}'),
        ("Cancel", 'p:/cancel_appointment{"appointment_id":"12"}'),
        ("Reschedule", 'p:/reschedule_appointment{"appointment_id":"12"}'),
    ]


async def test_two_processes_and_a_restart_never_send_twice(fake_telegram, store):
    engine, ids = store
    fake = fake_telegram
    alan = fake.user(2001, "Alan")
    for n in range(12):
        enqueue(engine, kind="note", text=f"Message {n}", to_patient=ids["linked"])
    first, bot_a = make_sender(fake, engine, "bot-a")
    second, bot_b = make_sender(fake, engine, "bot-b")
    first.batch = second.batch = 2  # small batches, so the two workers interleave

    async with bot_a, bot_b:
        # rounds in which both claim at once (each round's first batches are claimed together,
        # so both deliver some however the event loop schedules them)
        counts = [0, 0]
        while any(
            sent := await asyncio.gather(first.deliver_due(bot_a), second.deliver_due(bot_b))
        ):
            counts = [c + n for c, n in zip(counts, sent, strict=True)]
        assert all(counts), f"both workers delivered some: {counts}"
        restarted, bot_c = make_sender(fake, engine, "bot-c")
        async with bot_c:
            assert await restarted.deliver_due(bot_c) == 0
    texts = [m.text for m in fake.messages_to(alan.id)]
    assert sorted(texts) == sorted(f"Message {n}" for n in range(12))
    assert sum(counts) == 12


async def test_flood_limit_is_waited_out_then_delivered(fake_telegram, store):
    engine, ids = store
    fake = fake_telegram
    alan = fake.user(2001, "Alan")
    row_id = enqueue(engine, **reminder(ids["linked"]))
    fake.rate_limit_next("sendMessage", retry_after=1)
    sender, bot = make_sender(fake, engine, "bot-a", rate_limiter=AIORateLimiter(max_retries=3))
    async with bot:
        assert await sender.deliver_due(bot) == 1
    attempts = fake.calls_of("sendMessage")
    assert [c.error is not None for c in attempts] == [True, False]
    assert attempts[1].at - attempts[0].at >= 1.0, "the retry waited for retry_after"
    assert row(engine, row_id).status is OutboxStatus.SENT
    assert fake.messages_to(alan.id)[0].text.startswith("Reminder")


async def test_persistent_flood_limit_pauses_and_keeps_the_rest(fake_telegram, store):
    engine, ids = store
    fake = fake_telegram
    fake.user(2001, "Alan")
    first = enqueue(engine, kind="note", text="one", to_patient=ids["linked"])
    second = enqueue(engine, kind="note", text="two", to_patient=ids["linked"])
    fake.rate_limit_next("sendMessage", retry_after=30, times=5)
    sender, bot = make_sender(fake, engine, "bot-a")
    async with bot:
        assert await sender.deliver_due(bot) == 0
        assert await sender.deliver_due(bot) == 0, "paused: no API call while flood-limited"
    assert len(fake.calls_of("sendMessage")) == 1
    assert sender.paused_until - time.monotonic() > 25
    failed, untouched = row(engine, first), row(engine, second)
    # not the message's fault: no attempt used up, and no bot process may retry it sooner
    assert failed.status is OutboxStatus.PENDING and failed.attempts == 0
    assert "429" in failed.last_error
    assert failed.next_attempt_at - failed.created_at >= timedelta(seconds=29)
    assert untouched.status is OutboxStatus.PENDING and untouched.attempts == 0


async def test_blocked_unknown_and_staff_channel(fake_telegram, store):
    engine, ids = store
    fake = fake_telegram
    alan = fake.user(2001, "Alan")
    fake.group(STAFF_CHAT, "Front desk")
    fake.block(alan)
    blocked = enqueue(engine, kind="note", text="hello", to_patient=ids["linked"])
    nowhere = enqueue(engine, kind="note", text="hello", to_patient=ids["unlinked"])
    alert = enqueue(
        engine,
        kind="staff_alert",
        text="URGENT message from Alan Turing: call back about lab results",
        to_staff_channel=True,
        meta={"slip_id": 41},
    )
    sender, bot = make_sender(fake, engine, "bot-a")
    async with bot:
        await sender.deliver_due(bot)
    assert row(engine, blocked).status is OutboxStatus.FAILED
    assert "blocked" in row(engine, blocked).last_error
    assert row(engine, nowhere).status is OutboxStatus.FAILED
    assert row(engine, alert).status is OutboxStatus.SENT
    (staff_message,) = fake.messages_to(STAFF_CHAT)
    assert "Ref #S41" in staff_message.text
    assert [d for _, d in staff_message.inline_buttons] == ["s:take:S41", "s:reply:S41",
                                                            "s:close:S41"]  # fmt: skip
