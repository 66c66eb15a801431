"""A red-flag symptom in a request the NLU took for something else: the emergency advice first,
then the request as asked; history ("last year", "better now") is no warning."""

from __future__ import annotations

import pytest

from actions.booking import ValidateBookingForm
from actions.faq import ActionAskHours
from actions.messages import ValidateMessageForm
from clinic.config import PROJECT_ROOT
from clinic.models import Urgency
from clinic.red_flags import about_self_harm, crisis_advice, has_red_flags
from nlu.training_examples import read_examples
from tests.actions.helpers import MARIA, newest_slip, run, slots_of, texts, tracker

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"


@pytest.mark.parametrize(
    "message",
    [
        "can i book an appointment, i have chest pain",
        "I feel dizzy and my chest hurts a bit, should I come in?",
        "tell dr patel I can't breathe properly since this morning",
        "my dad passed out, can someone call me",
        "I want to end my life",
        "fever 103 and a really bad headache",
        "my fever is 104.5",
        "my 3 week old has a fever",
        "my baby has a temperature of 39.5",
        # age and persistence are no history
        "I'm 70 years old and I have chest pain",
        "my 3 year old passed out",
        "my chest pain is not getting better",
        # each clause on its own: old history does not hide what is happening now
        "I had a seizure last year, now my chest hurts",
        "he hit his head and now he's throwing up",
        "sudden numbness in my face",
        "my tongue is swelling",
        "my son ate rat poison",
        "my toddler swallowed grandmas pills",
        "can i book, i have severe stomach pain",
        # overdoses and poisonings, also an hour ago
        "I took 20 tylenol an hour ago",
        "my son drank some of my methadone",
        "I took double my blood pressure pills by mistake",
        "he took a handful of pills",
        "my friend says he wants to end his life",
        "book a follow up with dr patel, I had a fall yesterday and hit my head, now I keep "
        "vomiting",
        "my 3 year old swallowed some of my pills, can I book a checkup",
        # everyday wording and typos
        "need appt asap having realy bad chst pain since this morning",
        "can i see someone today? hart attack symptoms i think",
        "my chest is tight n hurts, can i come in today",
        "pressure in my chest since an hour, can i come in today",
        "sharp pain in chest wanna see dr patel today",
        "cant catch my breath, need appt",
        "i cant feel my left side, book me w dr lee",
        "my water broke, can i come in",
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
        "I had a heart attack in 2019, need a follow up",
        "I have a cough but no chest pain",
        "I'm not short of breath, just a cough",
        "what's your emergency number",
        "I was in the ER last week, need a follow up",
        "I hurt myself playing tennis, can I get an appointment",
        "food poisoning last week, need a note for work",
        "I need my seizure meds refilled",
        "I swallowed my pills this morning",
        "my dad had a stroke years ago, can he see Dr Lee",
        "I took 2 tylenol for the headache",
        "it took 20 minutes to get through on the phone",
        "I took my methadone this morning, can I still have the blood test",
        "I had chest pain 3 days ago, it's gone now",
        "my 3 year old needs her shots",
        "can I get my chest x-ray results",
        "I need a flu shot",
    ],
)
def test_history_and_ordinary_requests_are_not(message):
    assert not has_red_flags(message)


def _training_examples() -> list[tuple[str, str]]:
    paths = [*sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")), HOLDOUT]
    return [(example.intent, example.text) for path in paths for example in read_examples(path)]


def test_every_emergency_the_assistant_is_taught_is_a_red_flag_and_nothing_else_is():
    """What the NLU learns as an emergency is also seen where no NLU reads the message (a
    handoff, the assistant down); no booking, bill or message example trips it."""
    examples = _training_examples()
    assert len(examples) > 2000
    missed = [text for intent, text in examples if intent == "report_emergency"]
    missed = [text for text in missed if not has_red_flags(text)]
    flagged = [(i, t) for i, t in examples if i != "report_emergency" and has_red_flags(t)]
    assert missed == []
    assert flagged == []


def test_a_booking_with_stroke_signs_is_an_emergency_not_a_booking(db):
    """Nobody should be asked which doctor while having a stroke: the number, the staff
    alerted with the whole message, no form question."""
    text = "my face is drooping and my arm is weak, book me with dr lee"
    events, said = run(ValidateBookingForm(), tracker(MARIA, text, "book_appointment",
                       form="booking_form", activating=True))  # fmt: skip
    lines = [m["text"] for m in said.messages]
    assert lines[0].startswith("🚨 If this is an emergency, call 911 now")
    assert "I've also alerted the practice staff as urgent." in lines
    assert lines[-1].startswith("The staff have your whole message.")
    assert sum("911" in line for line in lines) == 1, "the weaker warning is not said as well"
    assert slots_of(events)["requested_slot"] is None, "no visit-type question follows"
    slip = newest_slip(db)
    assert slip.urgency is Urgency.EMERGENCY and slip.reason == text
    # said again later in the form: the advice once in a conversation, not at every mention
    slots = {"appointment_type": "checkup", "requested_slot": "provider"}
    later = tracker(MARIA, "chest pain, any time", form="booking_form", slots=slots)
    later.events.insert(0, {"event": "bot", "text": lines[0]})
    _, said = run(ValidateBookingForm(), later)
    assert "call 911" not in texts(said)


def test_a_question_about_hours_with_chest_pain_gets_the_advice_before_the_hours(db):
    """Not only forms: whichever action answers the message says it first."""
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open now? my chest hurts", "ask_hours"))
    assert said.messages[0]["text"].startswith("🚨")
    assert "open" in texts(said).split("\n", 1)[1].lower(), "the hours still follow"
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open on saturday?", "ask_hours"))
    assert "911" not in texts(said)


def test_a_message_about_breathing_trouble_goes_to_staff_as_an_emergency(db):
    text = "tell dr patel I can't breathe well since this morning"
    events, said = run(ValidateMessageForm(), tracker(MARIA, text, "leave_message",
                       form="message_form", activating=True))  # fmt: skip
    assert texts(said).startswith("🚨 If this is an emergency, call 911 now")
    assert slots_of(events)["requested_slot"] is None
    assert newest_slip(db).reason == text, "the message itself reaches the staff, as urgent"


def test_self_harm_said_now_brings_the_crisis_line_history_and_figures_of_speech_do_not():
    for said in ("I want to kill myself", "i want to end it all", "better off dead honestly",
                 "I've been having thoughts of hurting myself",
                 "my friend says he wants to end his life"):  # fmt: skip
        assert about_self_harm(said) and has_red_flags(said), said
    for said in ("my back is killing me", "I used to self-harm as a teenager",
                 "no thoughts of suicide, just low mood", "end my appointment early"):  # fmt: skip
        assert not about_self_harm(said), said
    assert crisis_advice(None, "I want to kill myself") is None  # a practice that names none
    assert crisis_advice("the line", "chest pain") is None


def test_self_harm_said_with_a_bill_question_is_reported_and_the_bill_waits(db):
    from actions.billing import ActionAskBalance

    text = "what's my balance? honestly I want to die"
    _, said = run(ActionAskBalance(), tracker(MARIA, text, "ask_balance"))
    lines = [m["text"] for m in said.messages]
    assert lines[0].startswith("🚨 If this is an emergency, call 911 now")
    assert any("988" in line for line in lines)
    assert [b["payload"] for b in said.messages[-1].get("buttons") or []] == ["/request_human"]
    assert "$" not in texts(said), "the balance can wait"
    assert newest_slip(db).reason == text


def test_a_symptom_with_a_question_is_reported_and_the_question_answered(db):
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open now? my chest hurts", "ask_hours"))
    assert "I've also alerted the practice staff as urgent." in texts(said)
    assert newest_slip(db).urgency is Urgency.EMERGENCY


def test_an_emergency_in_another_language_alerts_the_staff_too(db):
    from actions.unclear import ActionOutOfScope

    text = "tengo dolor de pecho muy fuerte y no puedo respirar"
    _, said = run(ActionOutOfScope(), tracker(MARIA, text, "out_of_scope"))
    assert texts(said).startswith("🚨 If this is an emergency, call 911 now")
    assert "Lo siento, por ahora solo entiendo inglés." in texts(said)
    assert newest_slip(db).reason == text


def test_an_emergency_from_a_stranger_keeps_the_number_they_gave_and_staff_their_name(db):
    from actions.unclear import ActionFallback
    from tests.actions.helpers import RITA, STRANGER_WEB

    text = "hi, I'm Rosa Vega, 413-555-3030, I've had really bad chest pain since this morning"
    run(ActionFallback(), tracker(STRANGER_WEB, text, "nlu_fallback"))
    assert newest_slip(db).callback_number == "+14135553030"
    run(ActionFallback(), tracker(RITA, "I have severe chest pain", "nlu_fallback"))
    assert newest_slip(db).from_name == "Rita Alvarez"


def test_an_emergency_said_at_the_confirmation_ends_the_booking_unbooked(db):
    state = {"appointment_type": "vaccination", "provider": "okafor",
             "slot_start": "2027-03-04T09:00:00-05:00",
             "requested_slot": "booking_confirmed"}  # fmt: skip
    text = "yes book it, btw i have crushing chest pain right now"
    events, said = run(ValidateBookingForm(), tracker(MARIA, text, "affirm", form="booking_form",
                       slots=state, new_slots={"booking_confirmed": True}))  # fmt: skip
    filled = slots_of(events)
    assert filled["requested_slot"] is None and "last_appointment_id" not in filled
    assert texts(said).startswith("🚨 If this is an emergency, call 911 now")
    # worse, later in the same conversation: reported again
    advised = {"event": "bot", "text": "🚨 If this is an emergency, call 911 now"}
    again = tracker(MARIA, "are you open? my chest hurts", "ask_hours")
    again.events.insert(0, advised)
    _, said = run(ActionAskHours(), again)
    assert "alerted" not in texts(said), "once in a conversation"
    worse = tracker(MARIA, "are you open? the chest pain is getting worse", "ask_hours")
    worse.events.insert(0, advised)
    _, said = run(ActionAskHours(), worse)
    assert "alerted the practice staff" in texts(said), "worse: reported again"
