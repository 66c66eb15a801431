"""The fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from tests.fake_telegram import FakeTelegram


def make_bot(fake: FakeTelegram) -> Bot:
    return Bot(fake.token, base_url=fake.api_base_url, base_file_url=fake.file_base_url)


async def test_get_me_and_wrong_token(fake):
    async with make_bot(fake) as bot:
        assert bot.username == "medsec_test_bot"
    wrong = Bot("999:nope", base_url=fake.api_base_url)
    with pytest.raises(InvalidToken, match="(?i)rejected"):
        await wrong.initialize()


async def test_long_poll_waits_for_an_update_and_offset_confirms(fake):
    alice = fake.user(501, "Alice")
    async with make_bot(fake) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.3)
        assert not poll.done(), "getUpdates must hold the request open while nothing is queued"
        fake.send_text(alice, "hello there")
        updates = await asyncio.wait_for(poll, 3)
        assert [u.message.text for u in updates] == ["hello there"]
        assert updates[0].effective_user.id == 501
        again = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
        assert again == ()


async def test_messages_keyboards_edits_and_not_modified(fake):
    alice = fake.user(501, "Alice")
    async with make_bot(fake) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Tuesday 9:00", callback_data="k1")]])
        sent = await bot.send_message(alice.id, "Pick a time", reply_markup=markup)
        recorded = await fake.next_message(alice.id)
        assert recorded.text == "Pick a time"
        assert recorded.inline_buttons == [("Tuesday 9:00", "k1")]
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == "k1"

        await bot.edit_message_text("Pick a time\n→ Tuesday 9:00", alice.id, sent.message_id)
        assert recorded.text.endswith("Tuesday 9:00") and recorded.inline_buttons == []
        assert len(recorded.history) == 1
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await bot.edit_message_text("Pick a time\n→ Tuesday 9:00", alice.id, sent.message_id)

        contact_kb = ReplyKeyboardMarkup([[KeyboardButton("Share my phone", request_contact=True)]])
        await bot.send_message(alice.id, "Share?", reply_markup=contact_kb)
        shared = await fake.next_message(alice.id)
        assert shared.keyboard[0]["request_contact"] is True


async def test_telegram_error_shapes(fake):
    alice = fake.user(501, "Alice")
    async with make_bot(fake) as bot:
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.send_message(alice.id, "x" * 4097)
        await bot.send_message(alice.id, "x" * 4096)  # exactly the limit is fine
        with pytest.raises(BadRequest, match="(?i)text is empty"):
            await bot.send_message(alice.id, "   ")
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            long_data = InlineKeyboardButton("b", callback_data="x" * 65)
            await bot.send_message(alice.id, "t", reply_markup=InlineKeyboardMarkup([[long_data]]))
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(4242, "who?")

        fake.rate_limit_next("sendMessage", retry_after=7)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(alice.id, "flood")
        assert info.value.retry_after == 7
        await bot.send_message(alice.id, "after the flood")  # only the next call failed

        fake.block(alice)
        with pytest.raises(Forbidden, match="(?i)blocked"):
            await bot.send_message(alice.id, "still there?")
    assert [c.error for c in fake.calls_of("sendMessage") if c.error][-1].startswith("Forbidden")


async def test_callback_query_answer_once(fake):
    alice = fake.user(501, "Alice")
    async with make_bot(fake) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        await bot.send_message(alice.id, "Sure?", reply_markup=markup)
        shown = await fake.next_message(alice.id)
        fake.press_button(alice, shown, "y")
        (update,) = await bot.get_updates(timeout=1)
        assert update.callback_query.data == "y"
        assert update.callback_query.message.message_id == shown.message_id
        await update.callback_query.answer("Noted")
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await update.callback_query.answer("twice")
    assert fake.callback_answers[0]["text"] == "Noted"


async def test_documents_upload_and_user_files_download(fake, tmp_path):
    alice = fake.user(501, "Alice")
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    async with make_bot(fake) as bot:
        await bot.send_document(alice.id, ics, filename="visit.ics", caption="Your visit")
        doc = await fake.next_message(alice.id)
        assert doc.document.data == ics and doc.document.file_name == "visit.ics"
        assert doc.text == "Your visit"

        photo_bytes = b"\xff\xd8\xff\xe0JPEG-bytes" * 50
        fake.send_photo(alice, photo_bytes, caption="insurance card")
        (update,) = await bot.get_updates(timeout=1)
        largest = update.message.photo[-1]
        telegram_file = await bot.get_file(largest.file_id)
        assert bytes(await telegram_file.download_as_bytearray()) == photo_bytes

        fake.send_document(alice, b"%PDF-1.4 referral", "referral.pdf")
        updates = await bot.get_updates(offset=update.update_id + 1, timeout=1)
        pdf = await (
            await bot.get_file(updates[0].message.document.file_id)
        ).download_as_bytearray()
        assert bytes(pdf) == b"%PDF-1.4 referral"
        with pytest.raises(BadRequest, match="(?i)invalid file_id"):
            await bot.get_file("nope")


async def test_commands_per_scope_and_every_kind_of_update(fake):
    alice = fake.user(501, "Alice")
    stranger = fake.user(777, "Mallory")
    async with make_bot(fake) as bot:
        await bot.set_my_commands([BotCommand("start", "Start")])
        await bot.set_my_commands([BotCommand("today", "Today")], scope=BotCommandScopeChat(-100))
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("Bad Command", "x")])
        assert [c.command for c in await bot.get_my_commands()] == ["start"]
        scoped = await bot.get_my_commands(scope=BotCommandScopeChat(-100))
        assert [c.command for c in scoped] == ["today"]

        fake.send_contact(alice, "+14135550101")
        fake.send_contact(
            alice, "+14135550199", contact_user_id=stranger.id, forwarded_from=stranger
        )
        fake.send_sticker(alice)
        fake.send_voice(alice)
        fake.send_location(alice, 42.1, -72.5)
        fake.send_command(alice, "start")
        updates = await bot.get_updates(timeout=1)
    own, forwarded, sticker, voice, location, command = (u.message for u in updates)
    assert own.contact.user_id == alice.id
    assert forwarded.contact.user_id == stranger.id and forwarded.forward_origin is not None
    assert sticker.sticker.emoji == "👍" and voice.voice.duration == 4
    assert location.location.latitude == pytest.approx(42.1)
    assert command.text == "/start" and command.entities[0].type == "bot_command"


async def test_webhook_delivery_with_secret(fake):
    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        alice = fake.user(501, "Alice")
        async with make_bot(fake) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
            fake.send_text(alice, "via webhook")
            await fake.wait_until(lambda: received, timeout=5)
            with pytest.raises(Exception, match="(?i)webhook is active"):
                await bot.get_updates()
        assert received[0][0]["message"]["text"] == "via webhook"
        assert received[0][1] == "s3cret"
    finally:
        await runner.cleanup()
