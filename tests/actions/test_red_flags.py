"""A red-flag symptom in a request the NLU took for something else: the emergency advice first,
then the request as asked; history ("last year", "better now") is no warning."""

from __future__ import annotations

import pytest

from actions.booking import ValidateBookingForm
from actions.messages import ValidateMessageForm
from clinic.red_flags import has_red_flags
from tests.actions.helpers import MARIA, run, slots_of, texts, tracker


@pytest.mark.parametrize(
    "message",
    [
        "can i book an appointment, i have chest pain",
        "I feel dizzy and my chest hurts a bit, should I come in?",
        "tell dr patel I can't breathe properly since this morning",
        "my dad passed out, can someone call me",
        "I want to end my life",
    ],
)
def test_present_red_flags_are_seen(message):
    assert has_red_flags(message)


@pytest.mark.parametrize(
    "message",
    [
        "I'd like a follow up about the chest pain I had last year",
        "tell dr patel my chest pain is gone",
        "my breathing is better, thanks",
        "book a checkup for next week",
        "I need a refill of my inhaler",
    ],
)
def test_history_and_ordinary_requests_are_not(message):
    assert not has_red_flags(message)


def test_a_booking_with_chest_pain_says_call_911_first_and_goes_on(db):
    text = "can i book an appointment, i have chest pain"
    events, said = run(ValidateBookingForm(), tracker(MARIA, text, "book_appointment",
                       form="booking_form", activating=True))  # fmt: skip
    assert texts(said).startswith("🚨 If this is happening now or is severe, call 911 now")
    assert {"event": "active_loop", "name": None} not in events, "the booking goes on"
    assert len(said.messages) == 1, "nothing else said: the visit-type question follows"
    # asked again later in the form: said once only, at the start
    _, said = run(ValidateBookingForm(), tracker(MARIA, "chest pain, any time", form="booking_form",
                  slots={"appointment_type": "checkup", "requested_slot": "provider"}))  # fmt: skip
    assert "call 911" not in texts(said)


def test_a_message_about_breathing_trouble_gets_the_advice_and_is_still_taken(db):
    text = "tell dr patel I can't breathe well since this morning"
    events, said = run(ValidateMessageForm(), tracker(MARIA, text, "leave_message",
                       form="message_form", activating=True))  # fmt: skip
    assert "call 911 now" in texts(said)
    assert slots_of(events)["message_text"], "the message itself is kept"
