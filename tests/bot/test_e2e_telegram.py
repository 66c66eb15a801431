"""End to end: the real bot (in-process Application) + the fake Telegram + the real Rasa server
+ the real action server + the seeded demo practice (clinic/README.md "Demo data").

    James Carter  not linked: links by his own contact + date of birth, then books
    Maria Lopez   tg:1001: a reminder's Cancel button frees the slot; a handoff round-trip;
                  a photo; Rasa stopping mid-conversation
    Rita Alvarez  staff, tg:2001: /today, answers in the staff chat
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from clinic import identity, inbox, patient_documents, scheduling, slots
from clinic.config import get_settings
from clinic.db import session_scope
from clinic.models import AppointmentStatus
from tests.bot.harness import running_bot
from tests.conftest import DEMO_NOW
from tests.fake_telegram import FakeTelegram
from tests.servers import start_rasa_server

pytestmark = [pytest.mark.rasa, pytest.mark.e2e]

STAFF_CHAT = -100123
FAMILY_GROUP = -100456  # some other group the bot was added to
JAMES = {"id": 3001, "phone": "+14135550187", "dob": "30 September 1972"}
MARIA_TG, RITA_TG = 1001, 2001
RASA_TURN = 30  # seconds: a turn can include slot search and a cold action server


async def message_like(fake: FakeTelegram, chat_id: int, part: str, timeout: float = RASA_TURN):
    """The next message to chat_id containing `part` (earlier ones are skipped)."""
    seen = []
    while True:
        message = await fake.next_message(chat_id, timeout)
        if part.lower() in (message.text or "").lower():
            return message
        seen.append(message.text)
        if len(seen) > 60:
            raise AssertionError(f"no message like {part!r}; saw {seen}")


def caller(engine, sender: str):
    with session_scope(engine, readonly=True) as session:
        return identity.who_is(session, sender)


async def test_a_new_patient_links_by_contact_and_books(fake_telegram, rasa_server, e2e_engine):
    fake = fake_telegram
    james = fake.user(JAMES["id"], "James", last_name="Carter")
    mallory = fake.user(3666, "Mallory")
    fake.group(STAFF_CHAT, "Front desk")
    async with running_bot(fake, rasa_server.url, e2e_engine, staff_chat_id=STAFF_CHAT):
        # Someone else forwarding James's contact gets nowhere.
        fake.send_contact(mallory, JAMES["phone"], contact_user_id=james.id, forwarded_from=james)
        assert "isn't yours" in (await fake.next_message(mallory.id)).text

        fake.send_text(james, "I need a checkup with Dr Patel next week")
        gate = await fake.next_message(james.id, RASA_TURN)
        assert gate.keyboard and gate.keyboard[0]["request_contact"], gate.text
        fake.send_contact(james, JAMES["phone"])
        assert "date of birth" in (await fake.next_message(james.id)).text
        fake.send_text(james, JAMES["dob"])
        assert "James, your account is linked" in (await fake.next_message(james.id)).text

        # Linked: the request they made before goes on, without typing it again.
        lead = await message_like(fake, james.id, "Now, about what you asked")
        assert "checkup with Dr Patel next week" in lead.text
        offers = await message_like(fake, james.id, "Which time suits you")
        title, data = offers.inline_buttons[0]
        assert data.startswith("k:"), "slot payloads are longer than 64 bytes: stored keys"
        fake.press_button(james, offers, data)
        confirm = await message_like(fake, james.id, "Shall I book")
        assert offers.text.endswith(f"→ {title}") and offers.inline_buttons == []
        fake.press_button(james, confirm, confirm.button_data("Yes"))
        # The assistant's answer and the outbox confirmation (+ .ics) race: wait for both.
        await fake.wait_until(
            lambda: (
                any(m.method == "sendDocument" for m in fake.messages_to(james.id))
                and any("Done!" in (m.text or "") for m in fake.messages_to(james.id))
            ),
            timeout=RASA_TURN,
        )
    sent = fake.messages_to(james.id)
    done = next(m for m in sent if "Done!" in (m.text or ""))
    confirmation = next(m for m in sent if "calendar file is attached" in (m.text or ""))
    ics = next(m for m in sent if m.method == "sendDocument")
    assert "Dr. Anika Patel" in done.text
    assert any(t == "Cancel" for t, _ in confirmation.inline_buttons)
    assert ics.method == "sendDocument" and ics.document.file_name.endswith(".ics")
    assert ics.document.data.startswith(b"BEGIN:VCALENDAR")
    patient = caller(e2e_engine, f"tg:{james.id}").patient
    assert patient is not None and patient.last_name == "Carter"
    with session_scope(e2e_engine, readonly=True) as session:
        upcoming = scheduling.upcoming_for_patient(
            session, caller(e2e_engine, f"tg:{james.id}").actor
        )
        assert any(
            a.provider.key == "patel" and a.appointment_type.key == "checkup" for a in upcoming
        )


async def test_a_reminder_arrives_and_its_cancel_button_frees_the_slot(
    fake_telegram, rasa_server, e2e_engine, monkeypatch
):
    fake = fake_telegram
    maria = fake.user(MARIA_TG, "Maria")
    with session_scope(e2e_engine, readonly=True) as session:
        visit = next(
            a
            for a in scheduling.upcoming_for_patient(session, caller(e2e_engine, "tg:1001").actor)
            if a.appointment_type.key == "checkup"
        )
    # The bot's clock moves to just after the 24 h reminder fell due.
    monkeypatch.setenv("MEDSEC_NOW", (visit.start_at - timedelta(hours=23, minutes=55)).isoformat())
    get_settings.cache_clear()
    async with running_bot(fake, rasa_server.url, e2e_engine):
        reminder = await message_like(fake, maria.id, "Reminder")
        assert [t for t, _ in reminder.inline_buttons][:3] == [
            "I'll be there",
            "Reschedule",
            "Cancel",
        ]
        assert (
            reminder.button_data("Cancel")
            == f'p:/cancel_appointment{{"appointment_id":"{visit.id}"}}'
        )
        fake.press_button(maria, reminder, reminder.button_data("Cancel"))
        ask = await message_like(fake, maria.id, "Cancel your check-up")
        fake.press_button(maria, ask, ask.button_data("Yes"))
        cancelled = await message_like(fake, maria.id, "Cancelled")
    assert "Tue, Mar 2 at 10:00 AM" in cancelled.text
    with session_scope(e2e_engine, readonly=True) as session:
        assert (
            scheduling.get_appointment(
                session, caller(e2e_engine, "tg:1001").actor, visit.id
            ).status
            is AppointmentStatus.CANCELLED
        )
        free = slots.find_free_slots(
            session, "checkup", "patel", visit.start_at, visit.start_at + timedelta(hours=1)
        )
        assert visit.start_at in [s.start for s in free], "the slot is free again"


async def test_handoff_round_trip_and_staff_today(fake_telegram, rasa_server, e2e_engine):
    fake = fake_telegram
    maria = fake.user(MARIA_TG, "Maria")
    rita = fake.user(RITA_TG, "Rita")
    fake.group(STAFF_CHAT, "Front desk")
    fake.group(FAMILY_GROUP, "Alvarez family")
    async with running_bot(fake, rasa_server.url, e2e_engine, staff_chat_id=STAFF_CHAT):
        fake.send_command(rita, "today")
        today = await fake.next_message(rita.id)
        fake.send_command(rita, "today", chat_id=FAMILY_GROUP)  # a group the bot is also in
        elsewhere = await fake.next_message(FAMILY_GROUP)
        fake.send_text(maria, "I want to talk to a person")  # understood by Rasa
        await message_like(fake, maria.id, "goes to a person")
        alert = await message_like(fake, STAFF_CHAT, "asks to talk to a person")
        assert "Maria Lopez" in alert.text
        fake.send_text(maria, "Is my lab report ready?")
        assert "Passed on" in (await fake.next_message(maria.id)).text
        relayed = await message_like(fake, STAFF_CHAT, "Is my lab report ready?")
        fake.send_text(rita, "Yes, I'll send it today.", chat_id=STAFF_CHAT, reply_to=relayed)
        answer = await message_like(fake, maria.id, "Rita Alvarez")
        fake.press_button(rita, alert, alert.button_data("Close"))
        await message_like(fake, maria.id, "closed this conversation")
        fake.send_text(maria, "what are my appointments?")
        back = await message_like(fake, maria.id, "appointment")
    assert today.text.startswith("Schedule for Monday, March 1")
    assert "Dr. Anika Patel" in today.text
    assert elsewhere.text.startswith("Staff commands work in a private chat with me")
    assert all("Schedule" not in m.text for m in fake.messages_to(FAMILY_GROUP)), "no names leak"
    assert answer.text == "Rita Alvarez: Yes, I'll send it today."
    assert "Blood test" in back.text, "after closing, Rasa answers again"


async def test_a_photo_is_stored_with_marias_record(
    fake_telegram, rasa_server, e2e_engine, tmp_path, monkeypatch
):
    monkeypatch.setattr(patient_documents, "DOCUMENTS_DIR", tmp_path / "documents")
    fake = fake_telegram
    maria = fake.user(MARIA_TG, "Maria")
    fake.group(STAFF_CHAT, "Front desk")
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(1000)
    async with running_bot(fake, rasa_server.url, e2e_engine, staff_chat_id=STAFF_CHAT):
        fake.send_photo(maria, photo, caption="referral letter from Dr Stone")
        ack = await message_like(fake, maria.id, "record")
        note = await message_like(fake, STAFF_CHAT, "sent a document")
    assert "referral letter" in ack.text and "Maria Lopez" in note.text
    with session_scope(e2e_engine, readonly=True) as session:
        docs = patient_documents.documents_for(session, caller(e2e_engine, "tg:1001").actor)
        assert any(Path(d.path).read_bytes() == photo and d.kind == "referral" for d in docs)


async def test_rasa_stopped_mid_conversation(fake_telegram, action_server, e2e_db_url, e2e_engine):
    """A Rasa of its own, stopped halfway: the patient hears "try again shortly" and the
    message waits in the staff inbox."""
    rasa = start_rasa_server(
        action_server.url, env={"MEDSEC_NOW": DEMO_NOW, "DATABASE_URL": e2e_db_url}
    )
    fake = fake_telegram
    maria = fake.user(MARIA_TG, "Maria")
    question = "Can you move my blood test to Friday afternoon?"
    try:
        async with running_bot(fake, rasa.url, e2e_engine, rasa_timeout=10):
            fake.send_text(maria, "hello")
            assert "virtual secretary" in (await fake.next_message(maria.id, RASA_TURN)).text
            rasa.stop()
            fake.send_text(maria, question)
            down = await fake.next_message(maria.id, RASA_TURN)
    finally:
        rasa.stop()
    assert "can't answer right now, please try again shortly" in down.text
    assert "passed to the front desk" in down.text
    with session_scope(e2e_engine, readonly=True) as session:
        rita = identity.who_is(session, f"tg:{RITA_TG}").staff_actor
        assert any(
            slip.reason == question and slip.from_name == "Maria Lopez"
            for slip in inbox.list_open(session, rita)
        )
