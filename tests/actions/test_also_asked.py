"""Two questions in one message: the runner-up is answered too, but only when the message
plainly asks it."""

from __future__ import annotations

from actions.appointments import ActionListAppointments
from actions.booking import ActionSubmitBooking, ValidateBookingForm
from actions.faq import ActionAskInsurance
from clinic import scheduling
from tests.actions.helpers import MARIA, STRANGER_WEB, buttons, run, texts, tracker
from tests.actions.test_appointments import upcoming


def asking(sender, text, intent, runner_up, confidence=0.05):
    t = tracker(sender, text, intent)
    t.latest_message["intent_ranking"] = [
        {"name": intent, "confidence": 1 - confidence},
        {"name": runner_up, "confidence": confidence},
    ]
    return t


def test_balance_and_next_appointment_are_both_answered(db):
    text = "what's my balance and when is my next appointment?"
    _, said = run(ActionListAppointments(), asking(MARIA, text, "list_appointments", "ask_balance"))
    answer = texts(said)
    assert scheduling.describe(upcoming(db, MARIA)[0]) in answer  # the first question
    assert "balance" in answer.lower() or "owe" in answer.lower()  # and the second
    assert len(said.messages) == 2


def test_the_runner_up_alone_is_not_a_second_question(db):
    for text in (
        "when is my next appointment and can I bring my son?",  # no balance words
        "I owe you one, when is my next appointment?",  # balance words, but one request
    ):
        _, said = run(
            ActionListAppointments(), asking(MARIA, text, "list_appointments", "ask_balance")
        )
        assert len(said.messages) == 1, text
    # not among the classifier's top three at all: not asked
    text = "when is my next appointment and what's my balance"
    t = asking(MARIA, text, "list_appointments", "book_appointment")
    t.latest_message["intent_ranking"] += [
        {"name": "ask_hours", "confidence": 0.001},
        {"name": "ask_balance", "confidence": 0.001},
    ]
    _, said = run(ActionListAppointments(), t)
    assert len(said.messages) == 1


def test_a_sure_classifier_and_misspelt_words_still_answer_both(db):
    """ "whats my balence and when is my next apointment": the classifier is sure of the
    appointments (0.998) and ranks the balance third (0.0006); the words still ask it."""
    text = "whats my balence and when is my next apointment"
    t = tracker(MARIA, text, "list_appointments")
    t.latest_message["intent_ranking"] = [
        {"name": "list_appointments", "confidence": 0.998},
        {"name": "book_appointment", "confidence": 0.0014},
        {"name": "ask_balance", "confidence": 0.0006},
    ]
    _, said = run(ActionListAppointments(), t)
    assert len(said.messages) == 2 and "$446.00" in texts(said)


def test_insurance_and_address_for_a_stranger(db):
    text = "do you take aetna and what's your address"
    t = asking(STRANGER_WEB, text, "ask_insurance", "ask_location", confidence=0.007)
    t.latest_message["entities"] = [{"entity": "insurer", "value": "aetna"}]
    _, said = run(ActionAskInsurance(), t)
    assert texts(said).startswith("Yes, we accept Aetna.")
    assert "Maple Street" in texts(said)  # the address, answered second


def test_a_second_request_waits_for_the_first_and_is_offered_after_it(db):
    text = "hi i need a refill on my metformin and also want to book a checkup"
    t = tracker(MARIA, text, "book_appointment", form="booking_form", activating=True,
                new_slots={"appointment_type": "checkup"})  # fmt: skip
    t.latest_message["intent_ranking"] = [
        {"name": "book_appointment", "confidence": 0.6},
        {"name": "request_refill", "confidence": 0.3},
    ]
    events, said = run(ValidateBookingForm(), t)
    assert "first the booking, then I'll come back to your refill." in texts(said)
    assert {"event": "slot", "name": "also_wanted", "value": "request_refill"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    done = {"also_wanted": "request_refill", "booking_confirmed": False}
    _, said = run(ActionSubmitBooking(), tracker(MARIA, slots=done))
    assert "You also asked about your refill." in texts(said)
    assert buttons(said)[-1]["payload"] == "/request_refill"
    # one request alone: nothing waits
    t = tracker(MARIA, "book a checkup and make it quick", "book_appointment",
                form="booking_form", activating=True)  # fmt: skip
    t.latest_message["intent_ranking"] = [
        {"name": "book_appointment", "confidence": 0.9},
        {"name": "request_refill", "confidence": 0.05},
    ]
    events, said = run(ValidateBookingForm(), t)
    assert "One thing at a time" not in texts(said)


def test_seeing_a_doctor_asked_with_a_message_waits_for_the_message(db):
    from actions.messages import ValidateMessageForm

    text = "I need to see dr lee next week, and also can you tell dr patel my rash is better"
    t = tracker(MARIA, text, "leave_message", form="message_form", activating=True)
    t.latest_message["intent_ranking"] = [
        {"name": "leave_message", "confidence": 0.56},
        {"name": "book_appointment", "confidence": 0.4},
    ]
    events, said = run(ValidateMessageForm(), t)
    assert "then I'll come back to the booking" in texts(said), texts(said)
    assert {"event": "slot", "name": "also_wanted", "value": "book_appointment"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_a_question_asked_with_a_booking_is_answered_before_its_first_question(db):
    text = "hi I need to book a physical and also what's my balance"
    t = tracker(MARIA, text, "book_appointment", form="booking_form", activating=True,
                new_slots={"appointment_type": "physical"})  # fmt: skip
    t.latest_message["intent_ranking"] = [
        {"name": "book_appointment", "confidence": 0.8},
        {"name": "ask_balance", "confidence": 0.1},
    ]
    events, said = run(ValidateBookingForm(), t)
    assert "balance" in texts(said).lower(), texts(said)
    assert [e for e in events if e.get("name") == "appointment_type"], "the booking goes on"
    assert "One thing at a time" not in texts(said)
