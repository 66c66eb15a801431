"""A message in another language gets "only English, here is how to reach a person" (in
Spanish too), not "Sorry, I can't help with that"; English keeps the usual answers."""

from __future__ import annotations

import pytest

from actions.booking import ValidateBookingForm
from actions.unclear import ActionFallback, ActionOutOfScope, other_language
from tests.actions.helpers import MARIA, STRANGER_WEB, buttons, ent, run, texts, tracker


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, necesito una cita con el doctor", "es"),
        ("yo quiero hablar con alguien por favor", "es"),
        ("bonjour, je voudrais un rendez-vous", "fr"),
        ("preciso marcar uma consulta", "pt"),
        ("我需要预约医生", "other"),
        ("Здравствуйте, мне нужен врач", "other"),
        ("what's the weather like", None),
        ("can I come in tomorrow", None),
        ("no", None),
        ("I need a cita", None),  # one word is not a language
        ("asdfghjkl", None),
    ],
)
def test_other_languages_are_told_from_english(text, language):
    assert other_language(text) == language


def test_spanish_gets_an_answer_in_spanish_and_the_way_to_a_person(db):
    _, said = run(
        ActionOutOfScope(), tracker(STRANGER_WEB, "hola, necesito una cita", "out_of_scope")
    )
    assert texts(said).startswith("Lo siento, por ahora solo entiendo inglés.")
    assert "Sorry, I can only read English" in texts(said)
    assert "(413) 555-0100" in texts(said)  # the practice's number, from the store
    assert [b["payload"] for b in buttons(said)] == ["/request_human"]
    _, said = run(ActionFallback(), tracker(MARIA, "我需要预约医生", "nlu_fallback"))
    assert texts(said).startswith("Sorry, I can only read English")


def test_english_keeps_the_usual_answers(db):
    _, said = run(ActionOutOfScope(), tracker(MARIA, "what's the weather like", "out_of_scope"))
    assert texts(said).startswith("Sorry, I can't help with that.")
    assert [b["payload"] for b in buttons(said)] == ["/help", "/request_human"]
    _, said = run(ActionFallback(), tracker(MARIA, "blorp the flurb", "nlu_fallback"))
    assert texts(said).startswith("Sorry, I didn't understand that.")


def test_an_answer_in_another_language_inside_a_form_gets_the_same_help(db):
    asking = {"appointment_type": "checkup", "requested_slot": "provider"}
    _, said = run(ValidateBookingForm(), tracker(MARIA, "no entiendo, quiero hablar con alguien",
                  "nlu_fallback", form="booking_form", slots=asking))  # fmt: skip
    assert texts(said).startswith("Lo siento")
    assert "didn't catch" not in texts(said)


def test_a_button_title_typed_does_what_the_button_does(db):
    from rasa_sdk.events import FollowupAction, SlotSet

    from tests.actions.helpers import after_question

    carry_on = {"title": "Carry on: “a checkup with Dr Lee”",
                "payload": '/book_appointment{"provider":"lee"}'}  # fmt: skip
    for typed in ("Carry on", "carry on!"):
        t = after_question(tracker(MARIA, typed, "nlu_fallback"), "Linked.", [carry_on])
        events, said = run(ActionFallback(), t)
        assert FollowupAction("booking_form") in events and SlotSet("provider", "lee") in events
        assert texts(said) == "", typed
    # one word that is only part of a title is not a press
    t = after_question(tracker(MARIA, "carry", "nlu_fallback"), "Linked.", [carry_on])
    _, said = run(ActionFallback(), t)
    assert texts(said).startswith("Sorry, I didn't understand")


def test_unsure_between_booking_and_an_answer_with_a_visit_named_books_it(db):
    def unsure(text, entities, first, second):
        t = tracker(MARIA, text, "nlu_fallback", entities)
        t.latest_message["intent_ranking"] = [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": first, "confidence": 0.49},
            {"name": second, "confidence": 0.47},
        ]
        return run(ActionFallback(), t)

    events, said = unsure("bloodwork with grace", [ent("appointment_type", "blood_test"),
                          ent("provider", "okafor")], "inform", "book_appointment")  # fmt: skip
    assert events == [{"event": "followup", "name": "booking_form", "timestamp": None}]
    assert texts(said) == ""
    # torn between other things, or no visit named: the usual answer
    _, said = unsure("bloodwork with grace", [ent("appointment_type", "blood_test")],
                     "inform", "ask_invoice")  # fmt: skip
    assert texts(said).startswith("Sorry, I didn't understand")
    _, said = unsure("with grace", [ent("provider", "okafor")], "inform", "book_appointment")
    assert texts(said).startswith("Sorry, I didn't understand")


def test_a_follow_up_the_classifier_is_unsure_of_is_read_against_the_last_answer(db):
    from tests.actions.helpers import RITA, answered_by

    t = tracker(RITA, "and tomorrow?", "nlu_fallback", [ent("time", "2027-03-02")],
                slots={"schedule_asked": {"day": "2027-03-01", "provider": None}})  # fmt: skip
    _, said = run(ActionFallback(), answered_by(t, "action_staff_schedule"))
    assert texts(said).startswith("Schedule for Tuesday, March 2:"), texts(said)


def test_staff_asking_something_out_of_scope_hear_what_it_does_for_staff(db):
    from actions.unclear import ActionOutOfScope
    from tests.actions.helpers import RITA

    _, said = run(ActionOutOfScope(), tracker(RITA, "what does maria lopez have booked",
                                              "out_of_scope"))  # fmt: skip
    assert texts(said).startswith("Sorry, I can't help with that. For the practice I can show")
    assert buttons(said)[0]["payload"] == "/staff_schedule"


def test_a_patient_asking_for_room_the_classifier_could_not_place_is_looking_for_a_time(db):
    """ "is there any opening with Dr Patel this friday" scores under the threshold (torn
    between a schedule question and a booking): for a patient, the booking form with what
    the question named; for staff, not."""
    from actions.unclear import ActionFallback
    from tests.actions.helpers import RITA

    named = [ent("provider", "patel"), ent("time", "2027-03-05")]
    asked = "is there any opening with Dr Patel this friday"
    events, said = run(ActionFallback(), tracker(MARIA, asked, "nlu_fallback", named))
    assert texts(said) == ""
    assert (events[-1]["event"], events[-1]["name"]) == ("followup", "booking_form")
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "provider": "patel",
        "time": "2027-03-05",
    }
    events, said = run(ActionFallback(), tracker(RITA, asked, "nlu_fallback", named))
    assert not any(e.get("event") == "followup" for e in events)


def test_an_insurer_named_alone_is_answered_whatever_the_classifier_made_of_it(db):
    """ "my plan is blue cross": read as a detail or not placed at all, it is a question about
    whether the practice takes that plan."""
    from actions.follow_up import ActionInformWithoutContext
    from actions.unclear import ActionFallback

    bcbs = [ent("insurer", "bcbs")]
    for action, intent in ((ActionFallback(), "nlu_fallback"),
                           (ActionInformWithoutContext(), "inform")):  # fmt: skip
        _, said = run(action, tracker(MARIA, "my plan is blue cross", intent, bcbs))
        assert texts(said).startswith("Yes, we accept Blue Cross Blue Shield."), intent
