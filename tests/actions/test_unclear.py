"""A message in another language gets "only English, here is how to reach a person" (in
Spanish too), not "Sorry, I can't help with that"; English keeps the usual answers."""

from __future__ import annotations

import pytest

from actions.booking import ValidateBookingForm
from actions.unclear import ActionFallback, ActionOutOfScope, other_language
from tests.actions.helpers import (
    MARIA,
    STRANGER_WEB,
    buttons,
    ent,
    newest_slip,
    run,
    texts,
    tracker,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, necesito una cita con el doctor", "es"),
        ("yo quiero hablar con alguien por favor", "es"),
        ("bonjour, je voudrais un rendez-vous", "fr"),
        ("preciso marcar uma consulta", "pt"),
        ("j'ai mal à la poitrine", "fr"),
        ("ich habe Brustschmerzen", "de"),
        ("我需要预约医生", "other"),
        ("Здравствуйте, мне нужен врач", "other"),
        ("what's the weather like", None),
        ("can I come in tomorrow", None),
        ("no", None),
        ("I need a cita", None),  # one word is not a language
        ("asdfghjkl", None),
        ("the die was cast", None),
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


def test_a_message_we_cannot_read_still_gets_the_emergency_number(db):
    """It may be an emergency ("我胸口痛", "j'ai mal à la poitrine"): the number, in their
    language where we have it."""
    _, said = run(ActionFallback(), tracker(MARIA, "我胸口痛", "nlu_fallback"))
    assert "In an emergency, call 911 now." in texts(said)
    _, said = run(ActionOutOfScope(), tracker(MARIA, "j'ai mal à la poitrine", "out_of_scope"))
    assert "En cas d'urgence, appelez tout de suite le 911." in texts(said)


@pytest.mark.parametrize(
    "text",
    [
        "is my rash contagious?",
        "can I drink alcohol with metformin?",
        "should I go to the ER? my fever is 103",
    ],  # fmt: skip
)
def test_a_health_question_gets_no_advice_but_the_way_to_the_nurse(db, text):
    _, said = run(ActionOutOfScope(), tracker(MARIA, text, "out_of_scope"))
    assert texts(said).startswith("I can't give medical advice, but your doctor or nurse can")
    assert "call 911 now" in texts(said)
    assert [b["payload"] for b in buttons(said)] == [
        '/leave_message{"provider":"nurse"}',
        "/request_human",
    ]


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

    _, said = run(ActionOutOfScope(), tracker(RITA, "can you order more printer paper",
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


def leaning(sender, text, ranking, entities=None, intent="nlu_fallback", **kwargs):
    t = tracker(sender, text, intent, entities, **kwargs)
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.5}] + [
        {"name": name, "confidence": confidence} for name, confidence in ranking
    ]
    return t


def test_an_unsure_message_that_leans_to_something_we_do_is_asked_about_with_buttons(db):
    """ "my daughter said I should make an appointment for my cough next week" falls under the
    threshold, leaning to booking: "did you mean...?" with booking one tap away, carrying the
    visit and the week, then the way to the menu and to a person."""
    import json

    week = {"from": "2027-03-08", "to": "2027-03-14"}
    t = leaning(MARIA, "my daughter said I should make an appointment for a checkup next week",
                [("book_appointment", 0.45), ("reschedule_appointment", 0.22), ("ask_cost", 0.1)],
                [ent("appointment_type", "checkup"), ent("time", week)])  # fmt: skip
    _, said = run(ActionFallback(), t)
    assert texts(said) == "Sorry, I'm not sure I understood. Did you mean one of these?"
    titles = [b["title"] for b in buttons(said)]
    assert titles == ["Book an appointment", "Reschedule an appointment", "Something else",
                      "Talk to a person"]  # fmt: skip
    book = buttons(said)[0]["payload"]
    assert book.startswith("/book_appointment{")
    assert json.loads(book.removeprefix("/book_appointment")) == {
        "appointment_type": "checkup",
        "time": week,  # the range keeps its shape, as the NLU gave it
    }


def test_no_did_you_mean_when_the_leaning_is_weak_or_to_nothing_we_do(db):
    cases = [
        [("out_of_scope", 0.37), ("ask_invoice", 0.28)],  # most likely not ours
        [("thank", 0.41), ("goodbye", 0.28)],  # small talk: nothing to offer
        [("book_appointment", 0.24), ("request_human", 0.2)],  # barely leans
    ]
    for ranking in cases:
        _, said = run(ActionFallback(), leaning(MARIA, "hmm well", ranking))
        assert texts(said).startswith("Sorry, I didn't understand that."), ranking
        assert [b["payload"] for b in buttons(said)] == ["/help", "/request_human"]
    # the runner-up only when it is something we do and likely enough
    _, said = run(ActionFallback(), leaning(MARIA, "cancel it", [("cancel_appointment", 0.45),
                                            ("out_of_scope", 0.3)]))  # fmt: skip
    assert [b["title"] for b in buttons(said)][:2] == ["Cancel an appointment", "Something else"]
    # out-of-scope answers never guess
    _, said = run(ActionOutOfScope(), leaning(MARIA, "hmm", [("book_appointment", 0.6)],
                                              intent="out_of_scope"))  # fmt: skip
    assert texts(said).startswith("Sorry, I can't help with that.")


def test_did_you_mean_offers_each_person_only_what_they_can_do(db):
    from tests.actions.helpers import RITA

    # staff who are not patients: staff things, never a patient's
    _, said = run(ActionFallback(), leaning(RITA, "who's on friday then",
                  [("staff_schedule", 0.4), ("book_appointment", 0.3)]))  # fmt: skip
    assert [b["title"] for b in buttons(said)][0] == "The schedule"
    assert "Book an appointment" not in [b["title"] for b in buttons(said)]
    _, said = run(ActionFallback(), leaning(RITA, "my bill", [("ask_balance", 0.45)]))
    assert texts(said).startswith("Sorry, I can't help with that. For the practice")
    # a stranger may be offered what leads to linking; a patient is never offered staff things
    _, said = run(ActionFallback(), leaning(STRANGER_WEB, "how much do I owe you lot",
                                            [("ask_balance", 0.45)]))  # fmt: skip
    assert [b["title"] for b in buttons(said)][0] == "My balance"
    _, said = run(ActionFallback(), leaning(MARIA, "inbox pls", [("staff_messages", 0.45)]))
    assert texts(said).startswith("Sorry, I didn't understand that.")


def test_no_did_you_mean_inside_a_form(db):
    t = leaning(MARIA, "hmm cancel", [("cancel_appointment", 0.45)], form="booking_form",
                slots={"requested_slot": "time"})  # fmt: skip
    _, said = run(ActionFallback(), t)
    assert "Did you mean" not in texts(said)


def test_an_answer_with_nothing_understood_in_it_is_not_met_with_got_it(db):
    """ "test", "what's 2+2": classified as an answer to a question, though none was asked and
    nothing in it was understood. "Got it" would be a lie: the unclear-message answer."""
    from actions.follow_up import ActionInformWithoutContext

    for text in ("test", "what's 2+2"):
        _, said = run(ActionInformWithoutContext(), tracker(MARIA, text, "inform"))
        assert texts(said).startswith("Sorry, I didn't understand that."), text
    # leaning to something we do behind the answer: asked about it
    t = leaning(MARIA, "appointment pls", [("inform", 0.55), ("book_appointment", 0.35)],
                intent="inform")  # fmt: skip
    _, said = run(ActionInformWithoutContext(), t)
    assert [b["title"] for b in buttons(said)][0] == "Book an appointment"
    # a detail out of the blue still gets "what would you like to do?"
    _, said = run(ActionInformWithoutContext(), tracker(MARIA, "dr lee", "inform",
                                                        [ent("provider", "lee")]))  # fmt: skip
    assert texts(said).startswith("Got it. What would you like to do?")


def test_an_insurer_named_in_a_question_torn_between_plan_and_claim_asks_which(db):
    """ "did aetna cover my physical": about the plan or about a claim? The classifier could
    not tell; neither can a rule: both are offered."""
    t = leaning(MARIA, "did aetna cover my physical",
                [("ask_insurance", 0.43), ("ask_claim_status", 0.36)],
                [ent("insurer", "aetna"), ent("appointment_type", "physical")])  # fmt: skip
    _, said = run(ActionFallback(), t)
    assert texts(said) == "Sorry, I'm not sure I understood. Did you mean one of these?"
    assert [b["title"] for b in buttons(said)][:2] == ["Insurance", "My insurance claims"]


def test_a_thumbs_up_or_a_smile_alone_is_taken_as_ok(db):
    for sent in ("👍", "🙂", "👍🏽", "🙏 🙏"):
        _, said = run(ActionFallback(), tracker(MARIA, sent, "nlu_fallback"))
        assert texts(said) == "😊 Is there anything else I can help you with?", sent
    for sent in ("🙃🙃🙃", "🤷"):  # not an "OK": the usual answer
        _, said = run(ActionFallback(), tracker(MARIA, sent, "nlu_fallback"))
        assert texts(said).startswith("Sorry, I didn't understand that."), sent


def test_staff_unsure_between_their_appointments_and_the_schedule_get_the_schedule(db):
    from tests.actions.helpers import DR_PATEL

    thursday = [ent("time", "2027-03-04")]
    t = leaning(DR_PATEL, "my schedule thursday",
                [("list_appointments", 0.43), ("staff_schedule", 0.33)], thursday)  # fmt: skip
    _, said = run(ActionFallback(), t)
    assert texts(said).startswith("Schedule for Thursday, March 4:"), texts(said)
    # no day said: asked, with the schedule as the button (a staff member's "my appointments")
    t = leaning(DR_PATEL, "my lot", [("list_appointments", 0.43), ("staff_schedule", 0.33)])
    _, said = run(ActionFallback(), t)
    assert [b["title"] for b in buttons(said)] == ["The schedule", "Something else",
                                                   "Talk to a person"]  # fmt: skip
    # a patient unsure the same way is not shown the schedule
    t = leaning(MARIA, "my schedule thursday",
                [("list_appointments", 0.43), ("staff_schedule", 0.33)], thursday)  # fmt: skip
    _, said = run(ActionFallback(), t)
    assert "Schedule for" not in texts(said)


def test_a_bill_questioned_just_after_it_was_shown_is_handed_to_the_billing_office(db):
    from tests.actions.helpers import answered_by

    for asked in ("why is it so high", "that's wrong", "how come I owe that much"):
        t = answered_by(tracker(MARIA, asked, "out_of_scope"), "action_ask_claim_status")
        _, said = run(ActionOutOfScope(), t)
        assert texts(said).startswith("I can't explain or change charges myself"), asked
        assert buttons(said)[0]["payload"] == '/leave_message{"provider":"billing"}'
    # the same words out of the blue: the usual answer
    _, said = run(ActionOutOfScope(), tracker(MARIA, "why is it so high", "out_of_scope"))
    assert texts(said).startswith("Sorry, I can't help with that.")


def test_frustration_or_a_second_message_not_understood_offers_a_person_first(db):
    from tests.actions.helpers import answered_by

    for said in ("you're useless", "this is so frustrating", "I don't understand"):
        _, reply = run(ActionFallback(), tracker(MARIA, said, "nlu_fallback"))
        assert texts(reply).startswith("I'm sorry, I'm not getting this right."), said
        assert [b["payload"] for b in buttons(reply)] == ["/request_human", "/help"]
    again = answered_by(tracker(MARIA, "blorp the flurb", "nlu_fallback"), "action_fallback")
    _, reply = run(ActionFallback(), again)
    assert texts(reply).startswith("I'm sorry, I'm not getting this right.")
    # once is the usual answer
    _, reply = run(ActionFallback(), tracker(MARIA, "blorp the flurb", "nlu_fallback"))
    assert texts(reply).startswith("Sorry, I didn't understand that.")


def test_what_is_your_name_is_about_the_assistant_not_the_record(db):
    from actions.identity import ActionAskMyDetails

    _, said = run(ActionAskMyDetails(), tracker(MARIA, "what is your name", "ask_my_details"))
    assert said.messages[0]["response"] == "utter_bot_challenge"
    _, said = run(ActionAskMyDetails(), tracker(MARIA, "what name do you have for me",
                                                "ask_my_details"))  # fmt: skip
    assert "Maria Lopez" in texts(said)


def test_privacy_and_language_questions_have_the_clinic_files_answers(db):
    for asked, start in (
        ("is my data safe", "Your records stay with the practice."),
        ("do you speak spanish", "This chat understands English only"),
    ):
        _, said = run(ActionOutOfScope(), tracker(MARIA, asked, "out_of_scope"))
        assert texts(said).startswith(start), asked


def test_a_greeting_heard_in_a_misspelt_request_offers_the_request(db):
    from actions.unclear import ActionGreet

    morning = {"from": "2027-03-02T08:00:00-05:00", "to": "2027-03-02T12:00:00-05:00"}
    t = tracker(MARIA, "helo i ned to se the doctr tomorow morning pls", "greet",
                [ent("time", morning)])  # fmt: skip
    t.latest_message["intent_ranking"] = [
        {"name": "greet", "confidence": 0.65},
        {"name": "book_appointment", "confidence": 0.21},
        {"name": "staff_schedule", "confidence": 0.09},
    ]
    _, said = run(ActionGreet(), t)
    assert texts(said).startswith("Hello! Did you mean this?")
    book, other = buttons(said)
    assert book["title"] == "Book an appointment" and '"time":{"from"' in book["payload"]
    assert other["payload"] == "/help"
    # a plain hello is the greeting, whatever else the classifier ranked
    short = tracker(MARIA, "hi there", "greet")
    short.latest_message["intent_ranking"] = t.latest_message["intent_ranking"]
    _, said = run(ActionGreet(), short)
    assert texts(said).startswith("Hello! I'm the practice's virtual secretary.")
    assert not buttons(said)


@pytest.mark.parametrize(
    "text", ["I took 20 tylenol an hour ago", "i feel like ending it all, can i talk to someone"]
)
def test_an_emergency_not_understood_as_a_request_is_still_reported(db, text):
    _, said = run(ActionFallback(), tracker(MARIA, text, "nlu_fallback"))
    assert texts(said).startswith("🚨 If this is an emergency, call 911 now")
    assert "I've also alerted the practice staff as urgent." in texts(said)
    assert "didn't understand" not in texts(said) and "medical advice" not in texts(said)
    assert newest_slip(db).reason == text


def test_help_is_the_patient_menu_for_patients_and_what_staff_can_do_for_staff(db):
    from actions.unclear import ActionHelp

    _, said = run(ActionHelp(), tracker(MARIA, "what can you do?", "help"))
    assert texts(said).startswith("Here's what I can do.")
    assert "/ask_balance" in [b["payload"] for b in buttons(said)]
    _, said = run(ActionHelp(), tracker("tg:2003", "help", "help"))
    assert texts(said).startswith("For the practice I can show a day's schedule")
    assert [b["payload"] for b in buttons(said)] == [
        "/staff_schedule",
        "/staff_messages",
        "/staff_book_meeting",
    ]


def test_staff_are_greeted_with_what_the_assistant_does_for_them(db):
    from actions.unclear import ActionGreet

    _, said = run(ActionGreet(), tracker("tg:2002", "hi", "greet"))
    assert texts(said).startswith("Hello, Ben! I can show a day's schedule")
    assert "/staff_schedule" in [b["payload"] for b in buttons(said)]
    _, said = run(ActionGreet(), tracker(MARIA, "hi", "greet"))
    assert texts(said).startswith("Hello! I'm the practice's virtual secretary.")


def test_a_question_about_a_bill_is_no_medical_question(db):
    _, said = run(ActionOutOfScope(), tracker(MARIA, "is my flu shot bill covered?",
                                              "out_of_scope"))  # fmt: skip
    assert "medical advice" not in texts(said)


@pytest.mark.parametrize(
    "text", ["i dont want to share my number", "i dont know how to press that button"]
)
def test_a_stranger_who_will_not_share_their_number_hears_another_way(db, text):
    _, said = run(ActionFallback(), tracker(STRANGER_WEB, text, "nlu_fallback"))
    assert texts(said).startswith("No problem. Without linking")
    assert "(413) 555-0100" in texts(said)
