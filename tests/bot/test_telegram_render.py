"""Replies rendered to Telegram (real python-telegram-bot, fake Bot API): long texts split on
paragraphs with the keyboard on the last part, callback data within 64 bytes and bound to its
chat, files and images, the unsupported-update replies."""

from __future__ import annotations

import pytest
from telegram import Bot

from bot.replies import Button, DocumentRef, Reply
from bot.tg.callbacks import CallbackCodec
from bot.tg.render import Renderer

LONG_PAYLOAD = (
    '/inform{"time":"2027-03-02T15:00:00-05:00","provider":"patel","appointment_type":"checkup"}'
)


async def no_documents(sender, ref):
    return None


@pytest.fixture
async def telegram(fake_telegram):
    bot = Bot(fake_telegram.token, base_url=fake_telegram.api_base_url)
    async with bot:
        yield fake_telegram, bot


async def test_long_reply_splits_on_paragraphs_and_keeps_buttons_last(telegram):
    fake, bot = telegram
    alice = fake.user(3001, "Alice")
    store: dict = {}
    renderer = Renderer(CallbackCodec(lambda: store), no_documents)
    paragraphs = [f"Paragraph {n}: " + "lorem ipsum " * 150 for n in range(6)]  # ~10.9k chars
    reply = Reply(
        "\n\n".join(paragraphs),
        buttons=(Button("Yes", "/affirm"), Button("Pick Tue 3 PM", LONG_PAYLOAD)),
    )
    await renderer.send(bot, alice.id, [reply], sender="tg:3001")
    parts = fake.messages_to(alice.id)
    assert len(parts) == 3
    assert all(len(p.text) <= 4096 for p in parts)
    assert all(p.text.startswith("Paragraph") for p in parts), "split between paragraphs"
    assert "".join(p.text for p in parts).count("Paragraph") == 6
    assert [p.inline_buttons != [] for p in parts] == [False, False, True]
    (yes, slot) = parts[-1].inline_buttons
    assert yes == ("Yes", "p:/affirm")
    assert slot[1].startswith("k:") and len(slot[1].encode()) <= 64
    codec = renderer.codec
    assert codec.decode(alice.id, slot[1]) == LONG_PAYLOAD
    assert codec.decode(9999, slot[1]) is None, "a stored key only works in its own chat"
    assert codec.decode(alice.id, "k:forged") is None
    assert codec.decode(alice.id, "garbage") is None


async def test_files_images_and_unbuildable_documents(telegram):
    fake, bot = telegram
    alice = fake.user(3001, "Alice")
    store: dict = {}

    async def builder(sender, ref):
        from bot.documents import build_document

        return await build_document(None, sender, ref) if ref.content is not None else None

    renderer = Renderer(CallbackCodec(lambda: store), builder)
    pdf = b"%PDF-1.4 invoice"
    await renderer.send(
        bot,
        alice.id,
        [
            Reply(
                "Your invoice:",
                document=DocumentRef("invoice_pdf", "invoice.pdf", "application/pdf", pdf),
            ),
            Reply(image="https://example.org/map.png"),
            Reply(document=DocumentRef("ics", ref={"appointment_id": 404})),
        ],
        sender="tg:3001",
    )
    text, document, photo, apology = fake.messages_to(alice.id)
    assert text.text == "Your invoice:"
    assert document.document.data == pdf and document.document.file_name == "invoice.pdf"
    assert photo.method == "sendPhoto" and photo.document.file_name == "https://example.org/map.png"
    assert "couldn't prepare that file" in apology.text
