"""Everything the assistant cannot read gets a short, clear reply; a failing handler tells the
person something sensible and the bot keeps serving."""

from __future__ import annotations

from sqlalchemy import create_engine

from tests.bot.harness import running_bot
from tests.servers import free_port


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def test_stickers_voice_locations_files_and_edits(fake_telegram, clinic_engine):
    fake = fake_telegram
    bob = fake.user(4001, "Bob")
    async with running_bot(fake, nowhere(), clinic_engine):
        fake.send_sticker(bob)
        sticker = await fake.next_message(bob.id)
        fake.send_voice(bob)
        voice = await fake.next_message(bob.id)
        fake.send_location(bob, 42.1, -72.6)
        location = await fake.next_message(bob.id)
        fake.send_document(bob, b"PK\x03\x04 zip", "notes.docx", mime_type="application/msword")
        document = await fake.next_message(bob.id)
        edited = fake.send_text(bob, "hello")
        await fake.next_message(bob.id, timeout=10)  # the answer to "hello" itself
        fake.inject_update({"edited_message": {**edited, "text": "hello again", "edit_date": 1}})
        edit = await fake.next_message(bob.id)
        dice_message = {k: v for k, v in edited.items() if k != "text"}
        fake.inject_update({"message": {**dice_message, "dice": {"emoji": "🎲", "value": 3}}})
        dice = await fake.next_message(bob.id)
    assert "only read text" in sticker.text
    assert "voice messages" in voice.text
    assert "don't need your location" in location.text
    assert "photos and PDF" in document.text
    assert "only read new messages" in edit.text
    assert "can't handle that kind of message" in dice.text
    assert not fake.calls_of("getFile"), "nothing was downloaded"


async def test_a_failing_handler_apologises_and_the_bot_keeps_going(fake_telegram, clinic_engine):
    fake = fake_telegram
    carol = fake.user(4002, "Carol")
    broken_store = create_engine("sqlite:////nonexistent-dir/medsec.db")
    async with running_bot(fake, nowhere(), broken_store):
        fake.send_contact(carol, "+14135550123")  # needs the store, which is down
        apology = await fake.next_message(carol.id)
        fake.send_sticker(carol)  # the next update is still served
        after = await fake.next_message(carol.id)
    assert "something went wrong on my side" in apology.text
    assert "only read text" in after.text
