"""Complete conversations through the real Rasa server (REST channel) and the real action
server, over a seeded SQLite store shared by both: what a person would see, and what the
store holds afterwards. One Rasa for the session (tests/e2e/conftest.py).

Senders: tg:1001 Maria Lopez (patient), tg:2001 Rita Alvarez (front desk), web:* strangers.
"Now" is the seed's: Monday 2027-03-01 09:00 New York.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.db import create_engine_for, make_session
from clinic.models import Appointment, AppointmentStatus, MessageSlip, OutboxMessage
from tests.e2e.conftest import Talk

pytestmark = [pytest.mark.rasa, pytest.mark.e2e]

MARIA = "tg:1001"
RITA = "tg:2001"


@pytest.fixture
def store(e2e_store_url: str) -> Iterator[Session]:
    engine = create_engine_for(e2e_store_url)
    session = make_session(engine, readonly=True)
    yield session
    session.close()
    engine.dispose()


def said(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or (r.get("custom") or {}).get("text", "") for r in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def button(replies: list[dict], starts: str) -> str:
    return next(p for p in payloads(replies) if p.startswith(starts))


def entity_of(payload: str, key: str) -> str:
    return json.loads(payload[payload.index("{") :])[key]


def test_a_patient_books_lists_reschedules_and_cancels(talk: Talk, store: Session) -> None:
    offers = talk(MARIA, "I need a checkup with Dr Patel on Friday")
    assert "free times on Friday, March 5" in said(offers), said(offers)
    first = button(offers, '/inform{"slot_start"')
    start = datetime.fromisoformat(entity_of(first, "slot_start"))

    confirm = talk(MARIA, first)
    assert "Shall I book a check-up with Dr. Anika Patel on Fri, Mar 5" in said(confirm)
    assert payloads(confirm) == ["/affirm", "/deny"]

    booked = talk(MARIA, "/affirm")
    assert "You're booked: Check-up with Dr. Anika Patel on Fri, Mar 5" in said(booked)
    appointment_id = int(entity_of(button(booked, "/reschedule_appointment"), "appointment_id"))
    store.rollback()
    appointment = store.get(Appointment, appointment_id)
    assert appointment.start_at == start and appointment.patient.first_name == "Maria"

    listed = talk(MARIA, "what appointments do I have?")
    assert "Check-up with Dr. Anika Patel on Fri, Mar 5" in said(listed)

    asked = talk(MARIA, button(booked, "/reschedule_appointment"))
    assert "When would you like to move your check-up with Dr. Anika Patel on Fri, Mar 5" in said(
        asked
    )
    moved_offers = talk(MARIA, "next thursday")
    new_start_payload = button(moved_offers, '/inform{"slot_start"')
    assert "2027-03-11" in new_start_payload, said(moved_offers)
    confirm_move = talk(MARIA, new_start_payload)
    assert "Move your check-up with Dr. Anika Patel on Fri, Mar 5" in said(confirm_move)
    moved = talk(MARIA, "yes")
    assert "Your appointment is now: Check-up with Dr. Anika Patel on Thu, Mar 11" in said(moved)
    store.rollback()
    assert store.get(Appointment, appointment_id).start_at == datetime.fromisoformat(
        entity_of(new_start_payload, "slot_start")
    )

    confirm_cancel = talk(MARIA, f'/cancel_appointment{{"appointment_id":"{appointment_id}"}}')
    assert "Cancel your check-up with Dr. Anika Patel on Thu, Mar 11" in said(confirm_cancel)
    cancelled = talk(MARIA, "yes please")
    assert "Cancelled: your check-up" in said(cancelled)
    store.rollback()
    assert store.get(Appointment, appointment_id).status is AppointmentStatus.CANCELLED


def test_a_question_in_the_middle_of_booking_is_answered_and_stop_leaves(talk: Talk) -> None:
    sender = "web:demo-aisha"
    asked = talk(sender, "I'd like to book a vaccination")
    assert "Who would you like to see?" in said(asked)
    hours = talk(sender, "are you open on saturday?")
    assert "On Saturday, March 6 we're open 9 AM–12 PM." in said(hours)
    assert "Who would you like to see?" in said(hours)  # the form asks again
    stopped = talk(sender, "never mind")
    assert "Nothing was changed" in said(stopped)


def test_a_patient_leaves_a_message(talk: Talk, store: Session) -> None:
    first = talk(MARIA, "please tell Dr Lee that my blood pressure readings are back to normal")
    assert "call you back on the number we have on file" in said(first), said(first)
    urgent = talk(MARIA, "/affirm")
    assert "urgent" in said(urgent)
    done = talk(MARIA, "no, it can wait")
    assert "passed your message to Dr. Daniel Lee" in said(done)
    store.rollback()
    slip = store.scalars(select(MessageSlip).order_by(MessageSlip.id.desc())).first()
    assert "blood pressure readings" in slip.reason and slip.provider.key == "lee"
    alert = store.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "staff_alert")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert alert.meta["slip_id"] == slip.id


def test_a_patient_asks_balance_invoice_and_claims(talk: Talk) -> None:
    balance = said(talk(MARIA, "how much do I owe?"))
    assert balance.startswith("Your balance is $")
    bill = talk(MARIA, "can you send me my latest bill")
    assert "Invoice INV-" in said(bill) and "insurance paid" in said(bill)
    documents = [r["custom"]["document"] for r in bill if r.get("custom")]
    assert documents and documents[0]["kind"] == "invoice_pdf"
    claims = said(talk(MARIA, "did my insurance pay?"))
    assert "Claim C-" in claims and "denied" in claims


def test_staff_asks_for_todays_schedule(talk: Talk) -> None:
    answer = said(talk(RITA, "what's on today?"))
    assert answer.startswith("Schedule for Monday, March 1:")
    assert "Dr. Anika Patel" in answer


def test_follow_ups_in_a_few_words_are_read_against_what_was_just_said(talk: Talk) -> None:
    aisha = "web:demo-aisha"
    offers = said(talk(aisha, "I need a checkup with Dr Patel on Friday"))
    assert "free times on Friday, March 5" in offers, offers
    week = said(talk(aisha, "what about the week after"))
    assert "between Monday, March 8 and Sunday, March 14" in week, week
    later = said(talk(aisha, "anything later?"))
    assert "after Thu, Mar 11" in later and "Shall I book" not in later, later
    assert "Nothing was changed" in said(talk(aisha, "stop"))

    today = said(talk(RITA, "who's in today?"))
    assert today.startswith("Schedule for Monday, March 1:")
    tomorrow = said(talk(RITA, "and tomorrow?"))
    assert tomorrow.startswith("Schedule for Tuesday, March 2:"), tomorrow

    february = said(talk(MARIA, "send me my bill from february 17"))
    assert "Feb 17, 2027" in february and "nearest" not in february, february
    january = said(talk(MARIA, "what about the one from january"))
    assert "Jan 6, 2027" in january, january

    spanish = said(talk("web:visitor-es", "hola, necesito una cita con el doctor"))
    assert spanish.startswith("Lo siento, por ahora solo entiendo inglés."), spanish


def test_an_unknown_identity_is_refused_patient_data(talk: Talk, store: Session) -> None:
    sender = "web:e2e-stranger"
    for text in ("when is my next appointment?", "how much do I owe?", "/ask_invoice"):
        answer = talk(sender, text)
        assert "first need to know who you are" in said(answer), (text, said(answer))
        assert "Link my account" in [b["title"] for r in answer for b in r.get("buttons", [])]
    store.rollback()
    marias = store.scalars(
        select(Appointment).where(
            Appointment.patient_id == 1,
            Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]),
        )
    ).all()
    target = marias[0].id
    refused = said(talk(sender, f'/cancel_appointment{{"appointment_id":"{target}"}}'))
    assert "first need to know who you are" in refused and "Maria" not in refused
    store.rollback()
    assert store.get(Appointment, target).status is marias[0].status
    staff_only = said(talk(sender, "what's on today?"))
    assert "schedule is for staff only" in staff_only and "Schedule for" not in staff_only
    on_telegram = talk("tg:424242", "link my account")
    assert on_telegram[0]["custom"]["request_contact"] is True


def test_a_time_the_nlu_was_unsure_about_still_answers_the_booking(talk: Talk) -> None:
    """A message the classifier could not place (nlu_fallback) whose time is clear ("book me
    for 3pm tomorrow" scored under the threshold) answers the booking's time question; and
    "the earliest available" when asked who means whoever is free first, as soon as can be."""
    asked = talk(MARIA, "I need a checkup")
    assert "Who would you like to see?" in said(asked), said(asked)
    offers = talk(MARIA, "the earliest available")
    assert "Here are the earliest free times." in said(offers), said(offers)
    offers = talk(MARIA, '/nlu_fallback{"time":"2027-03-02T15:00:00-05:00"}')
    assert "didn't catch" not in said(offers), said(offers)
    # the time was taken: free times that day (or the nearest to 3 PM) are offered
    assert any("2027-03-02T" in p for p in payloads(offers) if '"slot_start"' in p), said(offers)
    assert "stopped" in said(talk(MARIA, "stop"))


def test_the_forms_own_request_again_mid_form_gets_its_question_again(talk: Talk) -> None:
    """ "cancel my appointment" when asked which one: once answered ten times with a fallback
    (Rasa's circuit breaker) and then left the conversation stuck, answering nothing at all."""
    asked = talk(MARIA, "I need to cancel an appointment")
    assert "Which appointment would you like to cancel?" in said(asked), said(asked)
    again = talk(MARIA, "cancel my appointment")
    assert len(again) == 2, said(again)
    assert "didn't catch that" in said(again)
    assert "Which appointment would you like to cancel?" in said(again)
    assert "stopped" in said(talk(MARIA, "stop"))
    assert "opening hours" in said(talk(MARIA, "what are your opening hours?"))


def test_a_visit_type_named_out_of_the_blue_starts_a_booking(talk: Talk) -> None:
    started = talk(MARIA, "bloodwork with grace")
    # the type and the provider came with the message: the form asks only for the time
    assert "When would you like to come in?" in said(started), said(started)
    assert "stopped" in said(talk(MARIA, "stop"))
    plain = talk(MARIA, "friday at 9")  # a time alone, nothing going on: ask what for
    assert "What would you like to do?" in said(plain), said(plain)
    insurer = talk(MARIA, "my plan is blue cross")  # an insurer alone: do we take it
    assert "we accept Blue Cross Blue Shield" in said(insurer), said(insurer)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hola, necesito una cita con el médico mañana por la tarde",
        "🙂🙂🙂👍",
        "blah " * 400,
        "asdf qwer zxcv",
    ],
    ids=["empty", "blank", "spanish", "emoji", "very-long", "gibberish"],
)
def test_garbage_gets_a_sensible_reply(talk: Talk, text: str) -> None:
    answer = talk("web:e2e-garbage", text)
    assert said(answer).strip(), f"no reply to {text[:30]!r}"
    assert any(p in ("/help", "/request_human") for p in payloads(answer)), said(answer)
