"""Account linking in Telegram through the real application: own contact + date of birth links,
a stranger's contact is refused, a wrong date of birth offers registration."""

from __future__ import annotations

from datetime import date

import pytest

from clinic import identity
from clinic.db import session_scope
from tests.bot.harness import running_bot

pytestmark = pytest.mark.rasa

GRACE_PHONE = "+14135550142"


@pytest.fixture
def store(clinic_engine):
    with session_scope(clinic_engine) as session:
        identity.register_patient(
            session,
            first_name="Grace",
            last_name="Hopper",
            date_of_birth=date(1960, 12, 9),
            phone=GRACE_PHONE,
        )
    return clinic_engine


def who(engine, sender):
    with session_scope(engine, readonly=True) as session:
        caller = identity.who_is(session, sender)
        return caller.patient.first_name if caller.patient else None


async def test_start_greets_offers_linking_and_registers_commands(
    fake_telegram, rasa_server, store
):
    fake = fake_telegram
    newcomer = fake.user(1001, "Grace")
    fake.group(-100500, "Front desk")
    async with running_bot(fake, rasa_server.url, store, staff_chat_id=-100500):
        fake.send_command(newcomer, "start")
        greeting = await fake.next_message(newcomer.id, timeout=20)
        prompt = await fake.next_message(newcomer.id)
    assert "virtual secretary" in greeting.text
    assert "phone number and date of birth" in prompt.text
    assert prompt.keyboard == [{"text": "📱 Share my phone number", "request_contact": True}]
    default = fake.commands['{"type": "default"}']
    assert {c["command"] for c in default} == {"start", "help", "appointments", "cancel", "human"}
    staff_scope = fake.commands['{"chat_id": -100500, "type": "chat"}']
    assert {"today", "schedule", "inbox"} <= {c["command"] for c in staff_scope}


async def test_own_contact_then_ambiguous_date_of_birth_links(fake_telegram, rasa_server, store):
    fake = fake_telegram
    grace = fake.user(1002, "Grace", last_name="Hopper")
    async with running_bot(fake, rasa_server.url, store):
        fake.send_contact(grace, "+1 (413) 555-0142")
        ask = await fake.next_message(grace.id)
        assert "date of birth" in ask.text
        assert ask.params["reply_markup"] == {"remove_keyboard": True}

        fake.send_text(grace, "banana")
        assert "31 March 1980" in (await fake.next_message(grace.id)).text

        fake.send_text(grace, "12/09/1960")  # 9 Dec or 12 Sep?
        which = await fake.next_message(grace.id)
        assert {t for t, _ in which.inline_buttons} == {"9 December 1960", "12 September 1960"}
        assert who(store, "tg:1002") is None, "nothing is linked before the date is confirmed"

        chosen = which.button_data("9 December")
        fake.press_button(grace, which, chosen)
        linked = await fake.next_message(grace.id)
        assert "Grace, your account is linked" in linked.text
        await fake.wait_until(lambda: which.inline_buttons == [])
        assert which.text.endswith("→ 9 December 1960")
        assert fake.callback_answers, "the button press was answered"

        fake.press_button(grace, which, chosen)  # a stale client presses it again
        await fake.wait_until(lambda: len(fake.callback_answers) == 2)
        assert fake.callback_answers[-1].get("text") == "Already chosen."
        await fake.no_message(grace.id, within=0.5)
    assert who(store, "tg:1002") == "Grace"


async def test_a_strangers_contact_is_refused(fake_telegram, rasa_server, store):
    fake = fake_telegram
    mallory = fake.user(1003, "Mallory")
    grace = fake.user(1004, "Grace")
    async with running_bot(fake, rasa_server.url, store):
        fake.send_contact(mallory, GRACE_PHONE, contact_user_id=grace.id, forwarded_from=grace)
        refused = await fake.next_message(mallory.id)
        fake.send_contact(mallory, GRACE_PHONE, first_name="Grace", contact_user_id=None)
        refused_again = await fake.next_message(mallory.id)
        fake.send_text(mallory, "9 December 1960")
        await fake.next_message(mallory.id, timeout=20)  # goes to Rasa, not to linking
    for reply in (refused, refused_again):
        assert "isn't yours" in reply.text
        assert reply.keyboard[0]["request_contact"] is True
    assert who(store, "tg:1003") is None


async def test_no_match_offers_registration_of_a_new_patient(fake_telegram, rasa_server, store):
    fake = fake_telegram
    ada = fake.user(1005, "Ada")
    async with running_bot(fake, rasa_server.url, store):
        fake.send_contact(ada, "+14135550177")
        await fake.next_message(ada.id)
        fake.send_text(ada, "10 December 1985")
        no_match = await fake.next_message(ada.id)
        assert "don't match" in no_match.text
        fake.press_button(ada, no_match, no_match.button_data("Register"))
        assert "full name" in (await fake.next_message(ada.id)).text
        fake.send_text(ada, "Ada")
        assert "first and last name" in (await fake.next_message(ada.id)).text
        fake.send_text(ada, "book a checkup tomorrow")  # a request is no name
        assert "first and last name" in (await fake.next_message(ada.id)).text
        fake.send_text(ada, "Ada Lovelace")
        welcome = await fake.next_message(ada.id)
    assert "Welcome, Ada" in welcome.text
    assert who(store, "tg:1005") == "Ada"
