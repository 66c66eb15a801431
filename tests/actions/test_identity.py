"""Linking a chat to a patient (web: phone + date of birth here; Telegram: the bot's
share-contact button) and registering a new patient."""

from __future__ import annotations

from datetime import date

from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import select

from actions.identity import (
    ActionSubmitLink,
    ActionSubmitRegister,
    ValidateLinkForm,
    ValidateRegisterForm,
    parse_date_of_birth,
)
from clinic.identity import who_is
from clinic.models import Patient
from tests.actions.helpers import (
    MARIA,
    STRANGER_TG,
    STRANGER_WEB,
    after_question,
    buttons,
    customs,
    run,
    slots_of,
    texts,
    tracker,
)


def test_on_telegram_linking_asks_the_bot_for_the_share_contact_button(db):
    events, said = run(
        ValidateLinkForm(),
        tracker(
            STRANGER_TG, "link my account", intent="link_account", form="link_form", activating=True
        ),
    )
    assert slots_of(events)["requested_slot"] is None
    (custom,) = customs(said)
    assert custom["request_contact"] is True and "Share my phone number" in custom["text"]
    assert custom["held_request"] is False, "linking itself is not a request to carry on with"


def test_a_linked_patient_is_told_so(db):
    _, said = run(
        ValidateLinkForm(),
        tracker(MARIA, intent="link_account", form="link_form", activating=True),
    )
    assert "already linked to your patient record, Maria" in texts(said)


def test_web_phone_and_date_of_birth_are_checked_as_typed(db):
    base = {"requested_slot": "link_phone"}
    events, _ = run(
        ValidateLinkForm(),
        tracker(STRANGER_WEB, "it's (413) 555-0187", form="link_form", slots=base),
    )
    assert slots_of(events)["link_phone"] == "+14135550187"
    events, said = run(
        ValidateLinkForm(), tracker(STRANGER_WEB, "no idea", form="link_form", slots=base)
    )
    assert slots_of(events)["link_phone"] is None and "phone number" in texts(said)
    base = {"link_phone": "+14135550187", "requested_slot": "link_dob"}
    events, _ = run(
        ValidateLinkForm(), tracker(STRANGER_WEB, "September 30 1972", form="link_form", slots=base)
    )
    assert slots_of(events)["link_dob"] == "1972-09-30"


def test_a_phone_or_birth_date_the_classifier_misread_is_still_the_answer(db):
    """ "+14135550142" reads as out of scope to the NLU; typed when asked for the phone it is
    the phone (it was refused, and the birth date typed next was taken for the phone)."""
    asked = {"requested_slot": "link_phone"}
    events, _ = run(ValidateLinkForm(), tracker(STRANGER_WEB, "+14135550142", "out_of_scope",
                                                form="link_form", slots=asked))  # fmt: skip
    assert slots_of(events)["link_phone"] == "+14135550142"
    asked = {"link_phone": "+14135550142", "requested_slot": "link_dob"}
    events, _ = run(ValidateLinkForm(), tracker(STRANGER_WEB, "1985-04-12", "out_of_scope",
                                                form="link_form", slots=asked))  # fmt: skip
    assert slots_of(events)["link_dob"] == "1985-04-12"
    # a real question on the side is still not taken for the answer
    events, _ = run(ValidateLinkForm(), tracker(STRANGER_WEB, "what are your hours", "ask_hours",
                                                form="link_form", slots=asked))  # fmt: skip
    assert not slots_of(events).get("link_dob")


def test_linking_with_the_right_details_links_the_chat(db):
    _, said = run(
        ActionSubmitLink(),
        tracker(STRANGER_WEB, slots={"link_phone": "+14135550187", "link_dob": "1972-09-30"}),
    )
    assert "Thanks, James, your account is linked" in texts(said)
    db.rollback()
    assert who_is(db, STRANGER_WEB).patient.last_name == "Carter"


def test_a_wrong_date_of_birth_links_nothing_and_offers_the_ways_on(db):
    _, said = run(
        ActionSubmitLink(),
        tracker(STRANGER_WEB, slots={"link_phone": "+14135550187", "link_dob": "1972-09-29"}),
    )
    assert "don't match our records" in texts(said)
    assert [b["payload"] for b in buttons(said)] == ["/link_account", "/register", "/request_human"]
    db.rollback()
    assert who_is(db, STRANGER_WEB).patient is None


def test_register_a_new_patient(db):
    events, _ = run(
        ValidateRegisterForm(),
        tracker(
            STRANGER_WEB,
            "my name is Ada Lovelace",
            form="register_form",
            slots={"requested_slot": "full_name"},
        ),
    )
    assert slots_of(events)["full_name"] == "Ada Lovelace"
    _, said = run(
        ActionSubmitRegister(),
        tracker(
            STRANGER_WEB,
            slots={
                "full_name": "Ada Lovelace",
                "link_dob": "1990-12-10",
                "link_phone": "+14135550777",
                "register_confirmed": True,
            },
        ),
    )
    assert "Welcome, Ada!" in texts(said)
    db.rollback()
    patient = db.scalars(select(Patient).where(Patient.last_name == "Lovelace")).one()
    assert patient.date_of_birth == date(1990, 12, 10)
    assert who_is(db, STRANGER_WEB).patient.id == patient.id


def test_the_details_are_read_back_before_a_patient_is_registered(db):
    from actions.questions import ActionAskRegisterConfirmed

    given = {"full_name": "Ada Lovelace", "link_dob": "1990-12-10", "link_phone": "+14135550777"}
    asking = {**given, "requested_slot": "register_confirmed"}
    _, said = run(ActionAskRegisterConfirmed(), tracker(STRANGER_WEB, form="register_form",
                                                        slots=asking))  # fmt: skip
    assert texts(said) == (
        "Please check: Ada Lovelace, born December 10, 1990, phone (413) 555-0777. "
        "Shall I register you?"
    )
    # nothing is written without the yes
    _, said = run(ActionSubmitRegister(), tracker(STRANGER_WEB, slots=given))
    assert db.scalars(select(Patient).where(Patient.last_name == "Lovelace")).first() is None
    # "no": asked again from the start; a corrected birth date: only that changes
    events, said = run(ValidateRegisterForm(), tracker(STRANGER_WEB, "no", "deny",
                       form="register_form", slots=asking,
                       new_slots={"register_confirmed": False}))  # fmt: skip
    assert "go through it again" in texts(said) and "noted" not in texts(said)
    assert {k: slots_of(events)[k] for k in given} == dict.fromkeys(given)
    events, said = run(ValidateRegisterForm(), tracker(STRANGER_WEB, "no, it's 11 December 1990",
                       "deny", form="register_form", slots=asking,
                       new_slots={"register_confirmed": False}))  # fmt: skip
    assert slots_of(events)["link_dob"] == "1990-12-11"
    assert slots_of(events)["register_confirmed"] is None
    assert slots_of(events).get("full_name", "kept") == "kept"


def test_registering_an_existing_patient_offers_linking(db):
    _, said = run(
        ActionSubmitRegister(),
        tracker(
            STRANGER_WEB,
            slots={
                "full_name": "James Carter",
                "link_dob": "1972-09-30",
                "link_phone": "+14135550187",
                "register_confirmed": True,
            },
        ),
    )
    assert "already registered" in texts(said)
    assert buttons(said)[0]["payload"] == "/link_account"


def test_dates_of_birth():
    assert parse_date_of_birth("31 March 1980") == date(1980, 3, 31)
    assert parse_date_of_birth("04/12/1985") == date(1985, 4, 12)
    assert parse_date_of_birth("hello") is None
    assert "doesn't look right" in parse_date_of_birth("01/01/2090")
    # said in a sentence
    assert parse_date_of_birth("born 3rd of feb 1950") == date(1950, 2, 3)
    assert parse_date_of_birth("I was born on 3 February 1950") == date(1950, 2, 3)
    assert parse_date_of_birth("dob 4/12/85") == date(1985, 4, 12)
    assert parse_date_of_birth("born in 1985") is None, "no day: asked again"


def test_a_name_said_in_a_sentence_is_the_name_alone(db):
    for said in ("my name's Tom O'Neil", "It's Tom O'Neil.", "call me Tom O'Neil"):
        events, _ = run(ValidateRegisterForm(), tracker(STRANGER_WEB, said, form="register_form",
                        slots={"requested_slot": "full_name"}))  # fmt: skip
        assert slots_of(events)["full_name"] == "Tom O'Neil", said


def test_a_first_name_alone_is_asked_for_the_last_and_the_two_are_joined(db):
    from actions.questions import ActionAskFullName
    from tests.actions.helpers import after_question

    asking = {"requested_slot": "full_name"}
    first = after_question(tracker(STRANGER_WEB, "john", form="register_form", slots=asking),
                           "Welcome! What is your full name (first and last name)?")  # fmt: skip
    events, said = run(ValidateRegisterForm(), first)
    assert slots_of(events)["full_name"] is None and texts(said) == ""
    _, asked = run(ActionAskFullName(), first)
    assert texts(asked) == "Thanks, John. And your last name?"
    last = after_question(tracker(STRANGER_WEB, "Smith", form="register_form", slots=asking),
                          "Thanks, John. And your last name?")  # fmt: skip
    events, _ = run(ValidateRegisterForm(), last)
    assert slots_of(events)["full_name"] == "John Smith"
    # the question at the start is the usual one, whatever word started the form
    start = tracker(STRANGER_WEB, "register", "register", form="register_form", activating=True)
    _, asked = run(ActionAskFullName(), start)
    assert texts(asked) == "Welcome! What is your full name (first and last name)?"


def test_a_request_typed_when_asked_for_the_name_is_not_taken_as_one(db):
    asking = {"requested_slot": "full_name"}
    for typed in ("book a checkup tomorrow", "I want to see my appointments", "hi can you help"):
        events, said = run(ValidateRegisterForm(), tracker(STRANGER_WEB, typed,
                           form="register_form", slots=asking))  # fmt: skip
        assert slots_of(events).get("full_name") is None, typed
        assert "Please give your first and last name." in texts(said), typed
    for name in ("Mary-Anne O'Brien", "José de la Cruz", "J. R. Smith"):
        events, _ = run(ValidateRegisterForm(), tracker(STRANGER_WEB, name, form="register_form",
                        slots=asking))  # fmt: skip
        assert slots_of(events)["full_name"] == name


def test_a_birth_date_or_number_given_before_the_name_is_kept(db):
    asking = {"requested_slot": "full_name"}
    events, said = run(ValidateRegisterForm(), tracker(STRANGER_WEB, "01/02/1960",
                       form="register_form", slots=asking))  # fmt: skip
    assert slots_of(events)["link_dob"] == "1960-01-02"
    assert slots_of(events).get("full_name") is None
    assert texts(said) == "Thanks, I've noted your date of birth."
    events, said = run(ValidateRegisterForm(), tracker(STRANGER_WEB, "413 555 9876",
                       form="register_form", slots=asking))  # fmt: skip
    assert slots_of(events)["link_phone"] == "+14135559876"
    assert texts(said) == "Thanks, I've noted your phone number."
    # linking, asked for the number: a birth date first is kept too
    events, _ = run(ValidateLinkForm(), tracker(STRANGER_WEB, "April 12, 1985",
                    form="link_form", slots={"requested_slot": "link_phone"}))  # fmt: skip
    assert slots_of(events)["link_dob"] == "1985-04-12"


def test_a_new_patient_is_asked_their_number_not_the_number_on_file(db):
    from actions.questions import ActionAskLinkPhone

    _, registering = run(ActionAskLinkPhone(), tracker(STRANGER_WEB, "", form="register_form"))
    assert texts(registering) == "What is your phone number? (with area code)"
    _, linking = run(ActionAskLinkPhone(), tracker(STRANGER_WEB, "", form="link_form"))
    assert "on file" in texts(linking)


def _after_asking_first(t, request: str, parsed: dict | None = None):
    """`t` as if the stranger had first asked `request` and been told to link or register."""
    after_question(t, "To book an appointment, I first need to know who you are. Link your "
                   "patient record ...")  # fmt: skip
    t.events[:0] = [{"event": "user", "text": request, "parse_data": parsed or {}}]
    return t


def test_what_a_stranger_asked_before_linking_is_offered_again_once_known(db):
    request = "I'd like to book a checkup tomorrow afternoon"
    linked = tracker(STRANGER_WEB, slots={"link_phone": "+14135550187", "link_dob": "1972-09-30"})
    _, said = run(ActionSubmitLink(), _after_asking_first(linked, request))
    (carry_on,) = buttons(said)
    assert carry_on == {"title": f"Carry on: “{request}”", "payload": request}
    new = {"full_name": "Ada Byron", "link_dob": "1990-12-10", "link_phone": "+14135550778",
           "register_confirmed": True}  # fmt: skip
    _, said = run(ActionSubmitRegister(), _after_asking_first(tracker(STRANGER_WEB, slots=new),
                  "cancel my appointment on the 12th please, I'm away that week"))  # fmt: skip
    (carry_on,) = buttons(said)
    assert carry_on["title"] == "Carry on: “cancel my appointment on the 12th please, I'm awa…”"
    assert carry_on["payload"].endswith("I'm away that week")
    # nothing asked before: registering offers booking, linking nothing
    other = {"full_name": "Ann Other", "link_dob": "1991-01-10", "link_phone": "+14135550779",
             "register_confirmed": True}  # fmt: skip
    _, said = run(ActionSubmitRegister(), tracker(STRANGER_WEB, slots=other))
    assert [b["payload"] for b in buttons(said)] == ["/book_appointment"]


def test_the_request_carried_on_keeps_what_was_understood_so_yes_can_press_it(db):
    from actions.follow_up import ActionAffirm

    request = "I'd like a checkup with Dr Lee tomorrow"
    parsed = {"intent": {"name": "book_appointment"}, "entities": [
        {"entity": "appointment_type", "value": "checkup"}, {"entity": "provider", "value": "lee"},
        {"entity": "time", "value": "2027-03-02"}]}  # fmt: skip
    linked = tracker(STRANGER_WEB, slots={"link_phone": "+14135550187", "link_dob": "1972-09-30"})
    _, said = run(ActionSubmitLink(), _after_asking_first(linked, request, parsed))
    (carry_on,) = buttons(said)
    assert carry_on["payload"] == (
        '/book_appointment{"appointment_type":"checkup","provider":"lee","time":"2027-03-02"}'
    )
    # "yes" typed instead of tapping: the booking starts with those answers
    yes = after_question(tracker(STRANGER_WEB, "yes", "affirm"), texts(said), [carry_on])
    events, _ = run(ActionAffirm(), yes)
    assert FollowupAction("booking_form") in events
    assert SlotSet("provider", "lee") in events and SlotSet("time", "2027-03-02") in events


def test_are_you_taking_new_patients_is_answered_before_the_registration_questions(db):
    t = tracker(STRANGER_WEB, "are you taking new patients?", "register", form="register_form",
                activating=True)  # fmt: skip
    _, said = run(ValidateRegisterForm(), t)
    assert texts(said) == "New patients can register right here; it takes a minute."
    t = tracker(STRANGER_WEB, "I'd like to register", "register", form="register_form",
                activating=True)  # fmt: skip
    _, said = run(ValidateRegisterForm(), t)
    assert texts(said) == "", "a plain request goes straight to the first question"


def _after_link_prompt(sender: str, text: str, entities=None):
    """A stranger's message just after the bot asked them to link (Telegram's contact button,
    or the web chat's Link / Register buttons)."""
    t = tracker(sender, text, "inform", entities)
    prompt = (
        {"custom": {"request_contact": True, "text": "Tap Share my phone number"}}
        if sender.startswith("tg:")
        else {"buttons": [{"title": "Link", "payload": "/link_account"}]}
    )
    t.events.insert(
        0, {"event": "bot", "text": prompt.get("custom", {}).get("text"), "data": prompt}
    )
    return t


def test_details_typed_instead_of_the_contact_button_are_told_how_to_link(db):
    """On Telegram a typed name or birth date after the contact prompt gets the button again and
    why (it proves the number is theirs), not a patient's menu."""
    from actions.follow_up import ActionInformWithoutContext

    born = [{"entity": "time", "value": "1970-05-06", "start": 0, "end": 10}]
    for text, entities in (("Tom Baker", None), ("05/06/1970", born)):
        _, said = run(ActionInformWithoutContext(), _after_link_prompt(STRANGER_TG, text, entities))
        (custom,) = customs(said)
        assert custom["request_contact"] is True
        assert "rather than typing your details" in custom["text"]
        assert not buttons(said), "no Book / Reschedule / Cancel menu for a stranger"
    _, said = run(ActionInformWithoutContext(), _after_link_prompt(STRANGER_WEB, "tom baker"))
    assert texts(said).startswith("Thanks, Tom Baker.")
    assert [b["payload"] for b in buttons(said)] == ["/link_account", "/register"]


def test_a_stranger_introducing_themselves_out_of_the_blue_is_told_how_to_link(db):
    """ "I am Maria Lopez, born 12 april 1985" is no proof: not "Got it" with a patient's menu,
    but how to link."""
    from actions.follow_up import ActionInformWithoutContext

    text = "I am Maria Lopez, born 12 april 1985"
    born = [{"entity": "time", "value": "1985-04-12", "start": 27, "end": 36}]
    _, said = run(ActionInformWithoutContext(), tracker(STRANGER_WEB, text, "inform", born))
    assert [b["payload"] for b in buttons(said)] == ["/link_account", "/register"]
    assert "Got it" not in texts(said)


def test_a_patient_asking_whether_a_doctor_takes_new_patients_is_offered_that_doctor(db):
    asked = tracker(MARIA, "is dr garcia accepting new patients", "register",
                    [{"entity": "provider", "value": "garcia"}], form="register_form",
                    activating=True)  # fmt: skip
    _, said = run(ValidateRegisterForm(), asked)
    assert texts(said).startswith("You're already a patient here, Maria, so you can book with")
    assert buttons(said)[0]["payload"] == '/book_appointment{"provider":"garcia"}'


def test_what_do_you_have_on_file_for_me_shows_my_record_and_the_files_i_sent(db, tmp_path):
    from actions.identity import ActionAskMyDetails
    from clinic import patient_documents
    from clinic.audit import Actor
    from clinic.db import session_scope

    _, said = run(ActionAskMyDetails(), tracker(MARIA, "did you get the photo of my insurance "
                                                "card", "ask_my_details"))  # fmt: skip
    shown = texts(said)
    assert "• Name: Maria Lopez" in shown and "• Date of birth: April 12, 1985" in shown
    assert "• Phone: (413) 555-0142" in shown and "• Insurance: Aetna, member ID ending" in shown
    assert "I don't see any file from you yet" in shown
    with session_scope() as session:
        maria = who_is(session, MARIA).patient
        patient_documents.store_document(
            session, Actor.patient(maria.id, MARIA), data=b"%PDF-1.4 test", filename="card.pdf",
            content_type="application/pdf", kind="insurance_card", base_dir=tmp_path,
        )  # fmt: skip
    _, said = run(ActionAskMyDetails(), tracker(MARIA, "did my card arrive", "ask_my_details"))
    assert "Files you've sent us:\n• Insurance card, received " in texts(said)
    # nobody else's: a stranger is asked to link first
    _, said = run(ActionAskMyDetails(), tracker(STRANGER_WEB, "what's my date of birth on file",
                                                "ask_my_details"))  # fmt: skip
    assert "Name:" not in texts(said) and "first need to know who you are" in texts(said)
