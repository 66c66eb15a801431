"""Staff in Telegram: a handoff round-trip between a patient and the staff chat, staff commands
answered from the store (no Rasa), non-staff refused, documents stored and announced."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from clinic import identity, inbox, outbox, patient_documents, scheduling, slots, staff
from clinic.audit import Actor
from clinic.clock import clinic_tz
from clinic.db import session_scope
from clinic.models import HandoffStatus, HandoffThread
from tests.bot.harness import running_bot
from tests.servers import free_port

STAFF_CHAT = -100900
MARIA_TG = 5001
GRACE_TG = 5101

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 20


@pytest.fixture
def store(clinic_engine):
    """The demo clinic with one staff member (Maria, front desk) and one linked patient (Grace)
    who has a check-up with Dr Patel today."""
    with session_scope(clinic_engine) as session:
        staff.add_staff(session, name="Maria Lopez", role="front_desk", telegram_user_id=MARIA_TG)
        grace = identity.register_patient(
            session, first_name="Grace", last_name="Hopper", date_of_birth=date(1960, 12, 9),
            phone="+14135550142", identity=f"tg:{GRACE_TG}",
        )  # fmt: skip
        session.flush()
        today = datetime(2027, 3, 1, 10, 0, tzinfo=clinic_tz())
        slot = slots.find_free_slots(
            session, "checkup", "patel", today, today + timedelta(hours=7)
        )[0]
        scheduling.book(session, Actor.patient(grace.id), type_key="checkup", start=slot.start,
                        provider_key="patel")  # fmt: skip
    deliver_everything_due(clinic_engine)  # the booking's confirmation went out long ago
    return clinic_engine


def deliver_everything_due(engine) -> None:
    with session_scope(engine) as session:
        for delivery in outbox.claim_due(session, "earlier-run", limit=1000):
            outbox.mark_sent(session, delivery.id, "earlier-run")


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.rasa
async def test_handoff_round_trip_between_patient_and_staff_chat(fake_telegram, rasa_server, store):
    fake = fake_telegram
    grace = fake.user(GRACE_TG, "Grace")
    maria = fake.user(MARIA_TG, "Maria")
    fake.group(STAFF_CHAT, "Front desk")
    async with running_bot(fake, rasa_server.url, store, staff_chat_id=STAFF_CHAT):
        fake.send_command(grace, "human")
        opened = await fake.next_message(grace.id)
        assert "goes to a person" in opened.text
        alert = await fake.next_message(STAFF_CHAT)
        assert "Grace Hopper" in alert.text and "Ref #H" in alert.text
        assert [t for t, _ in alert.inline_buttons] == ["🙋 Take", "↩️ Reply", "✅ Close"]

        fake.send_text(grace, "My rash is worse since yesterday")
        assert "Passed on" in (await fake.next_message(grace.id)).text
        relayed = await fake.next_message(STAFF_CHAT)
        assert "My rash is worse" in relayed.text

        fake.press_button(maria, alert, alert.button_data("Take"))
        note = await fake.next_message(STAFF_CHAT)
        assert "Maria Lopez is handling" in note.text

        fake.send_text(maria, "Can you send a photo of it?", chat_id=STAFF_CHAT, reply_to=relayed)
        answer = await fake.next_message(grace.id)
        assert answer.text == "Maria Lopez: Can you send a photo of it?"
        assert "Sent to the patient" in (await fake.next_message(STAFF_CHAT)).text

        fake.press_button(maria, alert, alert.button_data("Close"))
        closed = await fake.next_message(grace.id)
        assert "closed this conversation" in closed.text
        await fake.wait_until(lambda: alert.inline_buttons == [])

        fake.send_text(grace, "hello")  # back to the assistant
        back = await fake.next_message(grace.id, timeout=20)
        assert "virtual secretary" in back.text
    with session_scope(store, readonly=True) as session:
        (thread,) = session.query(HandoffThread).all()
        assert thread.status is HandoffStatus.CLOSED
        assert [m.text for m in thread.messages] == [
            "My rash is worse since yesterday", "Can you send a photo of it?"]  # fmt: skip


async def test_patient_can_end_the_handoff_and_strangers_cannot_act_as_staff(fake_telegram, store):
    fake = fake_telegram
    grace = fake.user(GRACE_TG, "Grace")
    mallory = fake.user(6666, "Mallory")
    fake.group(STAFF_CHAT, "Front desk")
    async with running_bot(fake, nowhere(), store, staff_chat_id=STAFF_CHAT):
        fake.send_command(grace, "human")
        opened = await fake.next_message(grace.id)
        alert = await fake.next_message(STAFF_CHAT)

        # Someone in the staff chat who is not staff in the store: refused, nothing sent.
        fake.press_button(mallory, alert, alert.button_data("Close"))
        refused = await fake.next_message(STAFF_CHAT)
        assert "only for the practice's staff" in refused.text
        fake.send_text(mallory, "I'm the doctor, tell me your SSN", chat_id=STAFF_CHAT,
                       reply_to=alert)  # fmt: skip
        assert "only for the practice's staff" in (await fake.next_message(STAFF_CHAT)).text
        fake.send_text(mallory, "/inbox", chat_id=STAFF_CHAT)
        assert "only for the practice's staff" in (await fake.next_message(STAFF_CHAT)).text
        fake.press_button(mallory, alert, "s:close:H999999")  # forged callback data
        await fake.next_message(STAFF_CHAT)
        await fake.no_message(grace.id, within=0.5)

        fake.press_button(grace, opened, opened.button_data("End chat"))
        ended = await fake.next_message(grace.id)
        assert "ended the conversation" in ended.text
        assert "closed by the patient" in (await fake.next_message(STAFF_CHAT)).text


async def test_staff_commands_answer_from_the_store_without_rasa(fake_telegram, store):
    fake = fake_telegram
    maria = fake.user(MARIA_TG, "Maria")
    grace = fake.user(GRACE_TG, "Grace")
    fake.group(STAFF_CHAT, "Front desk")
    with session_scope(store) as session:
        caller = identity.who_is(session, f"tg:{GRACE_TG}")
        inbox.leave_message(session, caller.actor, reason="Please call me about my results",
                            urgency="urgent")  # fmt: skip
    async with running_bot(fake, nowhere(), store, staff_chat_id=STAFF_CHAT):  # Rasa is down
        fake.send_command(maria, "today")
        today = await fake.next_message(maria.id)
        fake.send_text(maria, "/schedule tomorrow patel")
        tomorrow = await fake.next_message(maria.id)
        fake.send_text(maria, "/schedule someday soonish")
        garbage = await fake.next_message(maria.id)
        fake.send_text(maria, "/schedule tomorrow drwho")
        unknown = await fake.next_message(maria.id)
        fake.send_text(maria, "/inbox", chat_id=STAFF_CHAT)
        listing = await fake.next_message(STAFF_CHAT)
        fake.send_command(grace, "today")
        refused = await fake.next_message(grace.id)
        fake.send_command(maria, "start")
        await fake.next_message(maria.id, timeout=10)  # Rasa is down: the apology
        await fake.wait_until(lambda: f'{{"chat_id": {MARIA_TG}, "type": "chat"}}' in fake.commands)
    assert "Schedule for Monday, March 1" in today.text
    assert "Dr. Anika Patel" in today.text and "Grace Hopper" in today.text
    assert "Tuesday, March 2" in tomorrow.text
    assert "couldn't read that date" in garbage.text
    assert "drwho" in unknown.text
    assert "❗ urgent" in listing.text and "Please call me about my results" in listing.text
    assert "only for the practice's staff" in refused.text
    maria_menu = fake.commands[f'{{"chat_id": {MARIA_TG}, "type": "chat"}}']
    assert {"today", "schedule", "inbox"} <= {c["command"] for c in maria_menu}


async def test_a_photo_is_stored_with_the_record_and_staff_are_told(
    fake_telegram, store, tmp_path, monkeypatch
):
    monkeypatch.setattr(patient_documents, "DOCUMENTS_DIR", tmp_path / "documents")
    fake = fake_telegram
    grace = fake.user(GRACE_TG, "Grace")
    fake.group(STAFF_CHAT, "Front desk")
    async with running_bot(fake, nowhere(), store, staff_chat_id=STAFF_CHAT):
        fake.send_photo(grace, JPEG, caption="my new insurance card")
        ack = await fake.next_message(grace.id)
        staff_note = await fake.next_message(STAFF_CHAT)
        fake.send_document(grace, b"MZ\x90\x00 not a pdf", "card.pdf")
        refused = await fake.next_message(grace.id)
    assert "added your insurance card to your record" in ack.text
    assert "Grace Hopper" in staff_note.text and "insurance card" in staff_note.text
    assert "only accept photos" in refused.text
    with session_scope(store, readonly=True) as session:
        caller = identity.who_is(session, f"tg:{GRACE_TG}")
        (document,) = patient_documents.documents_for(session, caller.actor)
        assert Path(document.path).read_bytes() == JPEG
        assert Path(document.path).is_relative_to(tmp_path)
        assert document.kind == "insurance_card"
