"""The channel-agnostic gateway with the real store (SQLite) and a Rasa the test scripts:
bad input gets a clear reply and loses nothing; untrusted button payloads do only what typing
could; linking is rate limited by the store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot import texts
from bot.clinic_bridge import ClinicBridge
from bot.gateway import MAX_MESSAGE_CHARS, Gateway
from bot.rasa_client import RasaClient
from clinic import clock, identity, inbox, staff
from clinic.db import session_scope
from clinic.models import HandoffThread
from tests.bot.test_rasa_client import MisbehavingRasa

PATIENT = "tg:9100"


@pytest.fixture
def store(clinic_engine):
    with session_scope(clinic_engine) as session:
        identity.register_patient(
            session, first_name="Hedy", last_name="Lamarr", date_of_birth=date(1914, 11, 9),
            phone="+14135550161", identity=PATIENT,
        )  # fmt: skip
        staff.add_staff(session, name="Rita Alvarez", role="front_desk", telegram_user_id=9200)
    return clinic_engine


@pytest.fixture
async def rasa():
    async with MisbehavingRasa() as server:
        yield server


@pytest.fixture
async def gateway(store, rasa):
    gateway = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    yield gateway
    await gateway.close()


def open_slips(engine):
    with session_scope(engine) as session:
        rita = identity.who_is(session, "tg:9200").staff_actor
        return [(s.reason, s.from_name) for s in inbox.list_open(session, rita)]


async def test_empty_and_very_long_messages(gateway, rasa, store):
    assert (await gateway.message(PATIENT, "   "))[0].text == texts.EMPTY_MESSAGE
    essay = "My symptoms started last week. " * (MAX_MESSAGE_CHARS // 30 + 5)
    (reply,) = await gateway.message(PATIENT, essay)
    assert reply.text == texts.LONG_MESSAGE
    assert rasa.received == [], "neither went to the NLU"
    assert open_slips(store) == [(essay.strip(), "Hedy Lamarr")], "the long one is kept"


async def test_rasa_trouble_is_said_plainly_and_the_message_kept(gateway, rasa, store):
    rasa.script = [(200, [], 0), (500, "boom", 0), (200, [], 5), (503, "busy", 0)]
    (empty,) = await gateway.message(PATIENT, "hmm")
    assert empty.text == texts.NO_ANSWER and empty.buttons[0].payload == "#human"
    (down,) = await gateway.message(PATIENT, "when do you open on saturday?")
    assert down.text == texts.RASA_DOWN
    (slow,) = await gateway.message(PATIENT, "is dr lee in today?")
    assert slow.text == texts.RASA_DOWN
    assert [r for r, _ in open_slips(store)] == [
        "when do you open on saturday?",
        "is dr lee in today?",
    ]
    # A stranger has no callback number on file: a conversation with staff is opened instead.
    (guest,) = await gateway.message("tg:9300", "hello? anyone?")
    assert guest.text == texts.RASA_DOWN
    with session_scope(store) as session:
        (thread,) = session.query(HandoffThread).filter_by(identity="tg:9300").all()
        assert thread.reason == "hello? anyone?"


async def test_untrusted_local_payloads_do_nothing_they_should_not(gateway, rasa, store):
    for payload in ("#dob:1914-11-09", "#register", "#link_retry", "#nonsense", "#dob:garbage"):
        (reply,) = await gateway.button("tg:9400", payload)
        assert reply.text == texts.BUTTON_EXPIRED, payload
    with session_scope(store, readonly=True) as session:
        assert identity.who_is(session, "tg:9400").patient is None
    rasa.script = [(200, [{"text": "ok"}], 0)]
    await gateway.button("tg:9400", '/cancel_appointment{"appointment_id":"1"}')
    assert rasa.received[-1] == {
        "sender": "tg:9400",
        "message": '/cancel_appointment{"appointment_id":"1"}',
    }, "a Rasa payload goes to Rasa as the sender typed it; the actions check ownership"


async def test_linking_is_rate_limited_and_can_be_left(gateway, rasa):
    stranger = "tg:9500"
    (ask,) = await gateway.contact(stranger, "413 555 0161")
    assert "date of birth" in ask.text
    for _ in range(5):
        (nope,) = await gateway.message(stranger, "1 January 1990")
        assert "don't match" in nope.text
    (blocked,) = await gateway.message(stranger, "9 November 1914")
    assert "Too many attempts" in blocked.text, "even the right answer waits now"
    (ask,) = await gateway.contact(stranger, "+14135550161")
    (left,) = await gateway.message(stranger, "cancel")
    assert "stopped linking" in left.text
    rasa.script = [(200, [{"text": "Hi there"}], 0)]
    (back,) = await gateway.message(stranger, "hi")
    assert back.text == "Hi there"
    (bad_phone,) = await gateway.contact("tg:9600", "12")
    assert "doesn't look like a phone number" in bad_phone.text
    (linked_already,) = await gateway.contact(PATIENT, "+14135550161")
    assert "already linked" in linked_already.text


async def test_what_a_stranger_asked_before_linking_is_carried_on_once_linked(gateway, rasa):
    stranger, asked = "tg:9550", "I'd like a checkup with Dr Lee tomorrow"
    prompt = {"request_contact": True, "text": "To book an appointment, I first need to know "
              "who you are. Tap Share my phone number...", "held_request": True}  # fmt: skip
    rasa.script = [(200, [{"custom": prompt}], 0)]
    (link_prompt,) = await gateway.message(stranger, asked)
    assert link_prompt.request_contact
    await gateway.contact(stranger, "+1 413 555 0161")
    rasa.script = [(200, [{"text": "Which time suits you?"}], 0)]
    linked, lead, answer = await gateway.message(stranger, "9 November 1914")
    assert linked.text == texts.LINKED.format(name="Hedy")
    assert asked in lead.text and answer.text == "Which time suits you?"
    assert rasa.received[-1] == {"sender": stranger, "message": asked}, "asked again, once"
    assert len(rasa.received) == 2


async def test_a_request_held_for_linking_is_dropped_when_old_or_not_a_request(
    gateway, rasa, monkeypatch
):
    # a plain "link my account" drew the prompt: nothing to carry on with
    rasa.script = [(200, [{"custom": {"request_contact": True, "text": "Tap Share..."}}], 0)]
    await gateway.message("tg:9560", "link my account")
    await gateway.contact("tg:9560", "+1 413 555 0161")
    replies = await gateway.message("tg:9560", "9 November 1914")
    assert [r.text for r in replies] == [texts.LINKED.format(name="Hedy")]
    # a request held, but the person linked only the next day: not asked again
    held = {"request_contact": True, "text": "...", "held_request": True}
    rasa.script = [(200, [{"custom": held}], 0)]
    await gateway.message("tg:9570", "what do I owe?")
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    await gateway.contact("tg:9570", "+1 413 555 0161")
    replies = await gateway.message("tg:9570", "9 November 1914")
    assert [r.text for r in replies] == [texts.LINKED.format(name="Hedy")]
    assert len(rasa.received) == 2, "nothing re-sent"


async def test_a_held_request_survives_a_bot_restart(store, rasa):
    """Asked of one bot process, linked through another (a restart, or a second replica):
    the request is still carried on with."""
    stranger, asked = "tg:9580", "cancel my appointment on Friday"
    held = {"request_contact": True, "text": "...", "held_request": True}
    rasa.script = [(200, [{"custom": held}], 0)]
    first = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    await first.message(stranger, asked)
    await first.contact(stranger, "+1 413 555 0161")
    await first.close()

    second = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    rasa.script = [(200, [{"text": "Which appointment?"}], 0)]
    linked, lead, answer = await second.message(stranger, "9 November 1914")
    await second.close()
    assert "Hedy" in linked.text and asked in lead.text and answer.text == "Which appointment?"
    assert rasa.received[-1] == {"sender": stranger, "message": asked}


async def test_linking_carries_on_after_a_bot_restart_and_expires(store, rasa, monkeypatch):
    """The progress lives in the store: a new gateway (a restarted or second bot process)
    picks up where the person was, and what they type next is not sent to the NLU."""
    person = "tg:9700"
    first = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    (ask,) = await first.contact(person, "+1 413 555 0161")
    assert "date of birth" in ask.text
    await first.close()

    second = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    (choose,) = await second.message(person, "11/09/1914")  # month/day order unclear
    assert sorted(b.payload for b in choose.buttons) == ["#dob:1914-09-11", "#dob:1914-11-09"]
    await second.close()

    third = Gateway(RasaClient(rasa.url, retries=0, timeout=2), ClinicBridge(store))
    (linked,) = await third.button(person, "#dob:1914-11-09")
    assert "Hedy" in linked.text
    assert rasa.received == [], "the date of birth never reached the NLU"
    with session_scope(store, readonly=True) as session:
        assert identity.who_is(session, person).patient.first_name == "Hedy"
        assert identity.pending_link(session, person) is None, "done: nothing left behind"

    # A half-finished linking is forgotten after 15 minutes: the next message goes to Rasa.
    late = "tg:9800"
    (ask,) = await third.contact(late, "+14135550161")
    later = clock.now() + identity.PENDING_LINK_TTL + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    rasa.script = [(200, [{"text": "Hello again"}], 0)]
    (hello,) = await third.message(late, "9 November 1914")
    assert hello.text == "Hello again"
    await third.close()


async def test_an_emergency_typed_to_staff_or_while_the_assistant_is_down_gets_the_advice(
    gateway, rasa, store
):
    await gateway.request_human(PATIENT)
    replies = await gateway.message(PATIENT, "I have chest pain and feel faint")
    assert replies[0].text.startswith("🚨 If this is an emergency, call 911 now")
    assert replies[-1].text == texts.RELAYED, "and it reached the staff conversation too"
    assert rasa.received == [], "no assistant in between"
    with session_scope(store) as session:
        rita = identity.who_is(session, "tg:9200").staff_actor
        (alert,) = [s for s in inbox.list_open(session, rita) if s.kind.value == "emergency"]
        assert "chest pain" in alert.reason
    # self-harm: the practice's crisis line too (the store's clinic file names one)
    replies = await gateway.message(PATIENT, "I just want to end it all")
    assert "988 Suicide & Crisis Lifeline" in replies[1].text
    # a plain message in the handoff: relayed, no advice
    (plain,) = await gateway.message(PATIENT, "thanks, I'll wait")
    assert plain.text == texts.RELAYED
    await gateway.end_handoff(PATIENT)

    rasa.script = [(503, "busy", 0)]
    replies = await gateway.message("tg:9990", "my husband can't breathe")
    assert replies[0].text.startswith("🚨 If this is an emergency, call 911 now")
    assert texts.RASA_DOWN not in [r.text for r in replies]


async def test_a_phone_number_typed_on_telegram_gets_the_share_button_not_the_nlu(gateway, rasa):
    """Only a shared contact proves the number is the sender's own; a typed one is not used
    to link (nor sent to the NLU, which would not know what to do with it)."""
    for typed in ("+14135550999", "(413) 555-0999", "my number is 413 555 0999"):
        (reply,) = await gateway.message("tg:9300", typed)
        assert reply.text == texts.TYPED_PHONE and reply.request_contact
    assert rasa.received == []
    rasa.script = [(200, [{"recipient_id": PATIENT, "text": "Got it."}], 0)]
    (reply,) = await gateway.message(PATIENT, "413 555 0161")  # a linked patient: as usual
    assert reply.text == "Got it." and rasa.received


async def test_staff_answer_and_close_inbox_items_by_typing(gateway, rasa, store):
    """In a private chat or the web chat, staff type "reply 3 ..." / "close 3" (the staff
    chat has buttons for it); the same words from a patient are an ordinary message."""
    from clinic.audit import Actor
    from clinic.models import OutboxMessage, SlipStatus

    with session_scope(store) as session:
        hedy = identity.who_is(session, PATIENT).patient
        slip_id = inbox.leave_message(session, Actor.patient(hedy.id), reason="lab report?").id
    (answer,) = await gateway.message("tg:9200", f"reply to {slip_id}: it's ready, see you soon")
    assert answer.text == f"Reply to message #{slip_id} sent."
    (empty,) = await gateway.message("tg:9200", f"reply {slip_id}")
    assert empty.text.startswith("What should I send?")
    (closed,) = await gateway.message("tg:9200", f"close #{slip_id}")
    assert closed.text == f"Message #{slip_id} closed."
    (again,) = await gateway.message("tg:9200", f"close {slip_id}")
    assert "already closed" in again.text
    with session_scope(store) as session:
        slip = inbox.get_slip(session, identity.who_is(session, "tg:9200").staff_actor, slip_id)
        assert slip.status is SlipStatus.CLOSED
        sent = session.query(OutboxMessage).filter_by(kind="message_reply").one()
        assert sent.patient_id == hedy.id and "it's ready, see you soon" in sent.text
    assert rasa.received == [], "none of it went to the NLU"
    rasa.script = [(200, [{"recipient_id": PATIENT, "text": "Which one?"}], 0)]
    (reply,) = await gateway.message(PATIENT, "close 2")  # a patient: an ordinary message
    assert reply.text == "Which one?" and rasa.received
