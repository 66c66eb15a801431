"""Reaching a person: message slips (and refills, records), handoff, emergency, stop."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.messages import (
    ON_FILE,
    ActionAskCallbackNumber,
    ActionAskMessageRecipient,
    ActionEmergencyAgain,
    ActionGoodbye,
    ActionReportEmergency,
    ActionRequestHuman,
    ActionStop,
    ActionSubmitMessage,
    ValidateMessageForm,
)
from clinic.models import (
    HandoffStatus,
    HandoffThread,
    OutboxMessage,
    SlipKind,
    Urgency,
)
from tests.actions.helpers import (
    MARIA,
    RITA,
    STRANGER_TG,
    STRANGER_WEB,
    answered_by,
    buttons,
    ent,
    newest_slip,
    run,
    slots_of,
    texts,
    tracker,
)

FORM = "message_form"


def test_a_message_that_says_everything_fills_whom_and_what_at_once(db):
    text = "please tell Dr Patel my rash is much better"
    events, _ = run(
        ValidateMessageForm(),
        tracker(
            MARIA,
            text,
            intent="leave_message",
            entities=[ent("provider", "patel")],
            form=FORM,
            activating=True,
            new_slots={"message_recipient": "patel"},
        ),
    )
    filled = slots_of(events)
    assert filled["message_recipient"] == "patel"
    assert filled["message_text"] == text
    assert filled["message_kind"] == "message"


def test_the_number_and_urgency_said_in_the_request_are_not_asked_again(db):
    text = (
        "please tell Dr Lee my blood pressure readings have been high this week, it's urgent, "
        "call me at 413-555-0999"
    )
    events, _ = run(ValidateMessageForm(), tracker(MARIA, text, "leave_message",
                    [ent("provider", "lee")], form=FORM, activating=True,
                    new_slots={"message_recipient": "lee"}))  # fmt: skip
    filled = slots_of(events)
    assert filled["callback_number"] == "+14135550999"
    assert filled["message_urgent"] is True
    assert filled["message_text"] == text


def test_a_fax_number_in_a_records_request_is_no_callback_number(db):
    text = "I need my medical records sent to Dr. Jones at Baystate Cardiology, fax 413-555-0177"
    events, _ = run(ValidateMessageForm(), tracker(MARIA, text, "request_records", form=FORM,
                                                   activating=True))  # fmt: skip
    filled = slots_of(events)
    assert filled.get("callback_number") is None, "asked, or the number on file"
    assert filled["message_text"] == text, "the fax number goes with the request"


def test_no_need_to_call_back_is_kept_and_not_promised_a_call(db):
    text = "tell the skin doctor thanks for the cream, it worked, no need to call back"
    events, _ = run(ValidateMessageForm(), tracker(MARIA, text, "leave_message",
                    [ent("provider", "garcia")], form=FORM, activating=True,
                    new_slots={"message_recipient": "garcia"}))  # fmt: skip
    filled = slots_of(events)
    assert filled["callback_number"] == "no_call_back"
    done = {**filled, "message_urgent": False}
    _, said = run(ActionSubmitMessage(), tracker(MARIA, "no", "deny", slots=done))
    assert texts(said) == (
        "Thanks, I've passed your message to Dr. Sofia Garcia. As you asked, no call back."
    )
    assert newest_slip(db).callback_number == "+14135550142", "staff still have her number"


def test_staff_leaving_a_message_are_not_asked_their_name_or_number(db):
    text = "I need to leave a message for Dr Patel"
    start = tracker(RITA, text, "leave_message", [ent("provider", "patel")], form=FORM,
                    activating=True, new_slots={"message_recipient": "patel"})  # fmt: skip
    events, _ = run(ValidateMessageForm(), start)
    assert slots_of(events).get("requested_slot") not in ("contact_name", "callback_number")
    done = {"message_recipient": "patel", "message_text": "please review the vaccine protocol",
            "message_urgent": False}  # fmt: skip
    _, said = run(ActionSubmitMessage(), tracker(RITA, "no", "deny", slots=done))
    assert texts(said) == "Done: your message is in the inbox for Dr. Anika Patel."
    assert newest_slip(db).from_name == "Rita Alvarez"


def test_a_request_addressed_to_the_nurse_needs_no_who_is_it_for(db):
    text = "can a nurse call me back about my test results"
    events, _ = run(
        ValidateMessageForm(),
        tracker(MARIA, text, intent="leave_message", form=FORM, activating=True),
    )
    assert slots_of(events)["message_recipient"] == "nurse"
    assert slots_of(events)["message_text"] == text


@pytest.mark.parametrize(
    "text",
    ["my address has changed", "I moved, please update my address",
     "my phone number changed to 413 555 0199", "please change the email you have for me"],
)  # fmt: skip
def test_changed_contact_details_go_to_the_front_desk_without_asking_whom(db, text):
    events, _ = run(ValidateMessageForm(), tracker(MARIA, text, intent="leave_message", form=FORM,
                                                   activating=True))  # fmt: skip
    assert slots_of(events)["message_recipient"] == "front_desk"


def test_a_desk_only_mentioned_in_the_request_is_not_whom_it_is_for(db):
    text = "the nurse said my results were fine but I still have questions"
    events, _ = run(
        ValidateMessageForm(),
        tracker(MARIA, text, intent="leave_message", form=FORM, activating=True),
    )
    assert "message_recipient" not in slots_of(events)


def test_a_bare_request_asks_what_the_message_says(db):
    events, _ = run(
        ValidateMessageForm(),
        tracker(
            MARIA,
            "I'd like to leave a message for the doctor",
            intent="leave_message",
            form=FORM,
            activating=True,
        ),
    )
    assert "message_text" not in slots_of(events)


def test_a_refill_names_the_medicine_in_one_word(db):
    events, _ = run(
        ValidateMessageForm(),
        tracker(
            MARIA,
            "I need my metformin renewed",
            intent="request_refill",
            form=FORM,
            activating=True,
        ),
    )
    filled = slots_of(events)
    assert filled["message_text"] == "I need my metformin renewed"
    assert filled["message_kind"] == "refill"


def test_a_stranger_must_say_who_they_are(db):
    events, _ = run(
        ValidateMessageForm(),
        tracker(
            STRANGER_WEB,
            "it's about my test results",
            form=FORM,
            slots={
                "message_recipient": "front_desk",
                "requested_slot": "message_text",
                "message_kind": "message",
            },
        ),
    )
    filled = slots_of(events)
    assert filled["message_text"] == "it's about my test results"
    assert filled["requested_slot"] == "contact_name"


def test_a_patient_may_keep_the_number_on_file_and_a_bad_number_is_asked_again(db):
    base = {"message_recipient": "patel", "message_text": "hi", "requested_slot": "callback_number"}
    events, _ = run(
        ValidateMessageForm(), tracker(MARIA, "yes", intent="affirm", form=FORM, slots=base)
    )
    assert slots_of(events)["callback_number"] == ON_FILE
    events, said = run(ValidateMessageForm(), tracker(MARIA, "call 12", form=FORM, slots=base))
    assert slots_of(events)["callback_number"] is None
    assert "phone number" in texts(said)
    events, _ = run(
        ValidateMessageForm(), tracker(MARIA, "413-555-0199 please", form=FORM, slots=base)
    )
    assert slots_of(events)["callback_number"] == "+14135550199"


def test_urgency_answered_in_words_is_understood(db):
    base = {
        "message_recipient": "patel",
        "message_text": "hi",
        "callback_number": ON_FILE,
        "requested_slot": "message_urgent",
    }
    for text, urgent in [
        ("no, it can wait", False),
        ("not urgent at all", False),
        ("no rush", False),
        ("it's quite urgent actually", True),
        ("today if possible", True),
    ]:
        events, _ = run(
            ValidateMessageForm(), tracker(MARIA, text, intent="inform", form=FORM, slots=base)
        )
        assert slots_of(events).get("message_urgent") is urgent, text
    events, _ = run(
        ValidateMessageForm(), tracker(MARIA, "hmm", intent="inform", form=FORM, slots=base)
    )
    assert slots_of(events).get("message_urgent") is None  # still unanswered: asked again


def test_a_request_that_only_says_whom_asks_what_the_message_says(db):
    events, _ = run(ValidateMessageForm(), tracker(MARIA, "I'd like to leave a message for the "
                    "billing department", "leave_message", form=FORM, activating=True))  # fmt: skip
    filled = slots_of(events)
    assert filled["message_recipient"] == "billing"
    assert "message_text" not in filled, "the message itself is still to come"


def test_a_statement_asked_for_the_message_is_the_message_whatever_it_sounds_like(db):
    asking = {"message_recipient": "billing", "requested_slot": "message_text"}
    said = "i think i was charged twice for my february visit"
    events, _ = run(ValidateMessageForm(), tracker(MARIA, said, "ask_invoice", form=FORM,
                                                   slots=asking))  # fmt: skip
    assert slots_of(events)["message_text"] == said
    # a question to the assistant is answered instead, and "stop" stops
    for text, intent in (("how much do I owe?", "ask_balance"), ("stop", "stop")):
        events, _ = run(ValidateMessageForm(), tracker(MARIA, text, intent, form=FORM,
                                                       slots=asking))  # fmt: skip
        assert "message_text" not in slots_of(events), text


def test_a_side_question_while_asked_for_the_message_is_not_taken_as_the_message(db):
    events, said = run(
        ValidateMessageForm(),
        tracker(
            MARIA,
            "what are your opening hours",
            intent="ask_hours",
            form=FORM,
            slots={"message_recipient": "patel", "requested_slot": "message_text"},
        ),
    )
    assert slots_of(events) == {} and not said.messages


def test_the_slip_reaches_the_inbox_and_alerts_the_staff(db):
    _, said = run(
        ActionSubmitMessage(),
        tracker(
            MARIA,
            "yes",
            intent="affirm",
            slots={
                "message_kind": "message",
                "message_recipient": "patel",
                "message_text": "my rash is better",
                "callback_number": ON_FILE,
                "message_urgent": True,
            },
        ),
    )
    slip = newest_slip(db)
    assert (slip.reason, slip.kind, slip.urgency) == (
        "my rash is better",
        SlipKind.MESSAGE,
        Urgency.URGENT,
    )
    assert slip.provider.key == "patel" and slip.patient.first_name == "Maria"
    assert slip.callback_number == "+14135550142"
    alert = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "staff_alert")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert alert.meta["slip_id"] == slip.id
    assert "passed your message to Dr. Anika Patel" in texts(said)
    assert "today" in texts(said) and "911" in texts(said)


def test_a_refill_request_is_passed_on_and_never_promised(db):
    _, said = run(
        ActionSubmitMessage(),
        tracker(
            MARIA,
            slots={
                "message_kind": "refill",
                "message_recipient": "lee",
                "message_text": "metformin 500 mg",
                "callback_number": ON_FILE,
                "message_urgent": False,
            },
        ),
    )
    slip = newest_slip(db)
    assert slip.kind is SlipKind.REFILL and slip.provider.key == "lee"
    assert "can't promise" in texts(said)
    assert "will be refilled" not in texts(said)


def test_a_stranger_leaves_a_message_with_name_and_number(db):
    _, said = run(
        ActionSubmitMessage(),
        tracker(
            STRANGER_WEB,
            slots={
                "message_kind": "message",
                "message_recipient": "front_desk",
                "message_text": "do you see children?",
                "contact_name": "Jo Smith",
                "callback_number": "+14135550111",
                "message_urgent": False,
            },
        ),
    )
    slip = newest_slip(db)
    assert (slip.from_name, slip.patient_id, slip.from_identity) == ("Jo Smith", None, STRANGER_WEB)
    assert "front desk" in texts(said)


def test_an_emergency_says_the_number_first_and_alerts_staff_even_for_strangers(db):
    events, said = run(
        ActionReportEmergency(),
        tracker(
            STRANGER_TG,
            "crushing chest pain",
            intent="report_emergency",
            form="booking_form",
            slots={"appointment_type": "checkup", "requested_slot": "provider"},
        ),
    )
    assert said.messages[0]["text"].startswith("🚨 If this is an emergency, call 911 now")
    slip = newest_slip(db)
    assert slip.urgency is Urgency.EMERGENCY and slip.reason == "crushing chest pain"
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slots_of(events)["appointment_type"] is None
    assert "988" not in texts(said)  # the crisis line is for self-harm, not every emergency


def test_someone_writing_of_harming_themselves_also_hears_the_practices_crisis_line(db):
    _, said = run(ActionReportEmergency(), tracker(MARIA, "I don't want to live anymore",
                                                   "report_emergency"))  # fmt: skip
    lines = [m["text"] for m in said.messages]
    assert lines[0].startswith("🚨 If this is an emergency, call 911 now")
    assert lines[1] == (
        "You don't have to face this alone: you can talk to someone right now at the 988 "
        "Suicide & Crisis Lifeline (call or text 988, any time)."
    )
    assert lines[2].startswith("I've also alerted the practice staff as urgent.")
    assert [b["payload"] for b in buttons(said)] == ["/request_human"], "a person here, too"


def test_what_do_i_do_after_the_emergency_advice_gets_it_again_without_a_second_alert(db):
    before = newest_slip(db).id
    _, said = run(ActionEmergencyAgain(), tracker(STRANGER_TG, "what do I do", "help"))
    assert texts(said).startswith("Please call 911 now, or go to the nearest emergency room.")
    db.rollback()
    assert newest_slip(db).id == before, "staff were alerted the first time"


def test_asking_for_a_person_opens_a_handoff_thread(db):
    _, said = run(
        ActionRequestHuman(), tracker(MARIA, "I want to talk to a person", intent="request_human")
    )
    db.rollback()
    thread = db.scalars(select(HandoffThread).where(HandoffThread.identity == MARIA)).one()
    assert thread.status is HandoffStatus.OPEN and thread.patient.first_name == "Maria"
    assert "front desk" in texts(said)


def test_stop_leaves_the_form_and_says_nothing_changed(db):
    events, said = run(
        ActionStop(),
        tracker(
            MARIA,
            "never mind",
            intent="stop",
            form="cancel_form",
            slots={"appointment_id": "6", "requested_slot": "cancel_confirmed"},
        ),
    )
    assert "Nothing was changed" in texts(said)
    assert slots_of(events)["appointment_id"] is None
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_a_bare_cancel_with_no_form_asks_whether_an_appointment_is_meant(db):
    for text in ("cancel", "cancel everything"):
        _, said = run(ActionStop(), tracker(MARIA, text, intent="stop"))
        assert "cancel an appointment?" in texts(said), text
        assert [b["payload"] for b in buttons(said)] == ["/cancel_appointment", "/deny"]
    # mid-form it is "stop", as before
    _, said = run(ActionStop(), tracker(MARIA, "cancel", intent="stop", form="booking_form"))
    assert "Nothing was changed" in texts(said) and not buttons(said)


def test_cancel_it_right_after_my_appointments_are_listed_cancels_one_of_them(db):
    events, said = run(
        ActionStop(), answered_by(tracker(MARIA, "cancel it", "stop"), "action_list_appointments")
    )
    assert [(e["event"], e["name"]) for e in events] == [("followup", "cancel_form")]
    assert not said.messages, "the cancel form asks which, and to confirm"
    # with nothing listed before, "cancel it" is still "stop"
    events, said = run(ActionStop(), tracker(MARIA, "cancel it", "stop"))
    assert not [e for e in events if e.get("event") == "followup"]


def test_goodbye_mid_form_leaves_it_and_otherwise_just_says_goodbye(db):
    events, said = run(
        ActionGoodbye(),
        tracker(
            MARIA,
            "bye",
            intent="goodbye",
            form="booking_form",
            slots={"appointment_type": "checkup", "requested_slot": "provider"},
        ),
    )
    assert texts(said) == "OK, I've stopped; nothing was changed. Goodbye, take care."
    assert slots_of(events)["appointment_type"] is None
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    events, said = run(ActionGoodbye(), tracker(MARIA, "bye", intent="goodbye"))
    assert texts(said) == "Goodbye, take care."
    assert not any(e["event"] == "active_loop" for e in events)


def test_urgency_said_in_place_of_the_callback_number_is_kept_and_the_number_asked_again(db):
    base = {"message_recipient": "lee", "message_text": "my rash is worse",
            "requested_slot": "callback_number"}  # fmt: skip
    events, said = run(
        ValidateMessageForm(), tracker(MARIA, "it's not urgent", intent="inform", form=FORM,
                                       slots=base),
    )  # fmt: skip
    filled = slots_of(events)
    assert filled["message_urgent"] is False
    assert filled.get("callback_number") is None, "still empty: Rasa asks for it again"
    assert "didn't catch" not in texts(said)
    # a number that happens to sit next to "urgent" is the number, not the urgency
    events, _ = run(
        ValidateMessageForm(), tracker(MARIA, "urgent, call 413-555-0199", form=FORM, slots=base)
    )
    assert slots_of(events)["callback_number"] == "+14135550199"


def test_more_about_the_request_given_for_the_number_is_added_to_the_message(db):
    base = {"message_recipient": "patel", "message_text": "i need my blood pressure pills",
            "requested_slot": "callback_number", "message_kind": "refill"}  # fmt: skip
    events, said = run(
        ValidateMessageForm(), tracker(MARIA, "lisinopril 10mg", form=FORM, slots=base)
    )
    filled = slots_of(events)
    assert filled["message_text"] == "i need my blood pressure pills (lisinopril 10mg)"
    assert filled.get("callback_number") is None, "the number is still to be asked"
    assert "added that to your message" in texts(said)
    assert "phone number" not in texts(said)
    # words about phoning around a too-short number are still a bad number
    events, said = run(
        ValidateMessageForm(), tracker(MARIA, "call me at 12", form=FORM, slots=base)
    )
    assert "message_text" not in slots_of(events) and "phone number" in texts(said)
    # words alone, too: where the records should go
    records = {"message_recipient": "front_desk", "message_text": "send my records",
               "requested_slot": "callback_number", "message_kind": "records"}  # fmt: skip
    events, said = run(ValidateMessageForm(), tracker(MARIA, "Dr Brooks at Riverside Cardiology",
                                                      form=FORM, slots=records))  # fmt: skip
    assert slots_of(events)["message_text"].endswith("(Dr Brooks at Riverside Cardiology)")
    assert "didn't catch" not in texts(said)


def test_no_to_the_number_on_file_and_no_again_keeps_the_number_on_file(db):
    asked = {
        "message_recipient": "patel",
        "message_text": "lisinopril 10mg",
        "message_kind": "refill",
        "requested_slot": "callback_number",
    }
    first, _ = run(
        ValidateMessageForm(), tracker(MARIA, "no", intent="deny", form=FORM, slots=asked)
    )
    assert slots_of(first)["callback_number"] is None  # asked for the other number
    _, said = run(
        ActionAskCallbackNumber(), tracker(MARIA, "no", intent="deny", form=FORM, slots=asked)
    )
    again = tracker(MARIA, "no", intent="deny", form=FORM, slots=asked)
    again.events.insert(0, {"event": "bot", "text": texts(said)})
    second, told = run(ValidateMessageForm(), again)
    assert slots_of(second)["callback_number"] == ON_FILE
    assert "number on file" in texts(told)


def test_a_request_that_said_it_all_hears_where_it_goes_before_the_number_question(db):
    """ "I need a doctor's note for work": recipient and text are taken from the message, so the
    first question is the callback number; "they" must be somebody."""
    said_all = {"message_recipient": "front_desk", "message_kind": "records",
                "message_text": "I need a doctor's note for work",
                "requested_slot": "callback_number"}  # fmt: skip
    first = tracker(MARIA, said_all["message_text"], "request_records", form=FORM,
                    activating=True, slots=said_all)  # fmt: skip
    _, said = run(ActionAskCallbackNumber(), first)
    assert texts(said).startswith("I'll pass your request to the front desk. Should they call")
    # asked again later in the form: no lead
    later = tracker(MARIA, "hm", "nlu_fallback", form=FORM, slots=said_all)
    _, said = run(ActionAskCallbackNumber(), later)
    assert texts(said).startswith("Should they call you back on the number we have on file")


def test_the_medicine_named_when_asked_who_prescribed_it_is_kept_and_who_asked_again(db):
    asking_who = {"message_kind": "refill", "requested_slot": "message_recipient"}
    events, said = run(ValidateMessageForm(), tracker(MARIA, "lisinopril", "nlu_fallback",
                                                      form=FORM, slots=asking_who))  # fmt: skip
    filled = slots_of(events)
    assert filled["message_text"] == "lisinopril"
    assert filled.get("message_recipient") is None
    assert "Noted: lisinopril." in texts(said)
    # a desk or a doctor said there is the answer, not the medicine
    events, _ = run(ValidateMessageForm(), tracker(MARIA, "not sure", "inform", form=FORM,
                                                   slots=asking_who))  # fmt: skip
    assert slots_of(events)["message_recipient"] == "front_desk"
    assert "message_text" not in slots_of(events)


def test_what_the_message_is_about_said_when_asked_who_it_is_for_is_kept(db):
    asking_who = {"message_kind": "message", "requested_slot": "message_recipient"}
    about = tracker(MARIA, "it's about my test results", "inform", form=FORM, slots=asking_who)
    events, said = run(ValidateMessageForm(), about)
    assert slots_of(events)["message_text"] == "it's about my test results"
    assert slots_of(events).get("message_recipient") is None, "who is asked again"
    assert "Noted: it's about my test results." in texts(said)
    events, _ = run(ValidateMessageForm(), tracker(MARIA, "yes", "inform", form=FORM,
                                                   slots=asking_who))  # fmt: skip
    assert "message_text" not in slots_of(events), "one word is not a message"


def test_a_message_for_a_doctor_the_practice_does_not_have_says_so(db):
    _, said = run(ValidateMessageForm(), tracker(MARIA, "can you tell dr kim the new pills make "
                  "me dizzy", "leave_message", form=FORM, activating=True))  # fmt: skip
    assert "I couldn't find dr kim at the practice" in texts(said)
    assert "Dr. Anika Patel" in texts(said)
    # records go *to* an outside doctor: that doctor is not looked for at the practice
    events, said = run(ValidateMessageForm(), tracker(MARIA, "send my records to Dr Smith at "
                       "Baystate", "request_records", form=FORM, activating=True))  # fmt: skip
    assert "couldn't find" not in texts(said)
    assert slots_of(events)["message_recipient"] == "front_desk"
    assert "Dr Smith at Baystate" in slots_of(events)["message_text"]


def test_a_records_request_while_a_message_is_taken_starts_the_records_request(db):
    taking = {"message_kind": "message", "requested_slot": "message_recipient"}
    events, said = run(ValidateMessageForm(), tracker(MARIA, "actually can I just get my records "
                       "sent to my new doctor", "request_records", form=FORM,
                       slots=taking))  # fmt: skip
    filled = slots_of(events)
    assert filled["message_kind"] == "records"
    assert filled["message_recipient"] == "front_desk"
    assert filled["message_text"].startswith("actually can I just get my records")
    assert "didn't catch" not in texts(said)
    # the same kind said again is an answer, not a new start
    taking = {"message_kind": "records", "message_recipient": "front_desk",
              "requested_slot": "message_text"}  # fmt: skip
    events, _ = run(ValidateMessageForm(), tracker(MARIA, "my lab results from January",
                    "request_records", form=FORM, slots=taking))  # fmt: skip
    assert slots_of(events)["message_text"] == "my lab results from January"
    assert "message_kind" not in slots_of(events)


def test_urgency_said_when_asked_for_whom_is_kept_and_whom_asked_again(db):
    asking_who = {"message_kind": "message", "message_text": "the new pills make me dizzy",
                  "requested_slot": "message_recipient"}  # fmt: skip
    events, said = run(ValidateMessageForm(), tracker(MARIA, "it's not urgent", form=FORM,
                                                      slots=asking_who))  # fmt: skip
    assert slots_of(events)["message_urgent"] is False
    assert "Noted: not urgent." in texts(said)
    assert "didn't catch" not in texts(said)


def test_no_its_not_urgent_when_asked_for_the_number_is_urgency_not_a_refused_number(db):
    asking_number = {"message_kind": "refill", "message_recipient": "patel",
                     "message_text": "metformin", "requested_slot": "callback_number"}  # fmt: skip
    for said_text, intent in (("no it's not urgent", "deny"), ("it can wait", "inform")):
        events, said = run(ValidateMessageForm(), tracker(MARIA, said_text, intent, form=FORM,
                                                          slots=asking_number))  # fmt: skip
        filled = slots_of(events)
        assert filled["message_urgent"] is False, said_text
        assert filled.get("callback_number") is None, "the number question comes again"
        assert texts(said) == "Noted: not urgent.", said_text


def test_a_number_given_before_it_is_asked_for_is_the_number_to_call(db):
    """A stranger asked whom the message is for types their number instead: kept as the number
    to call back (it was "Sorry, I didn't catch that" and lost), and the question comes again."""
    asked = {"message_text": "please call me back", "requested_slot": "message_recipient"}
    events, said = run(ValidateMessageForm(), tracker(STRANGER_WEB, "413 555 0111", "inform",
                                                      form=FORM, slots=asked))  # fmt: skip
    assert slots_of(events)["callback_number"] == "+14135550111"
    assert "didn't catch" not in texts(said)


def test_the_doctor_a_patient_sees_most_is_offered_first_for_a_message(db):
    _, said = run(ActionAskMessageRecipient(), tracker(MARIA, "tell the doctor I feel dizzy",
                                                       "leave_message"))  # fmt: skip
    first = buttons(said)[0]
    assert first["title"].endswith("(seen most)"), buttons(said)
    assert sum(b["payload"] == first["payload"] for b in buttons(said)) == 1  # not listed twice
    # someone not yet linked sees the plain list
    _, said = run(ActionAskMessageRecipient(), tracker(STRANGER_WEB, "tell the doctor",
                                                       "leave_message"))  # fmt: skip
    assert not any("seen most" in b["title"] for b in buttons(said))


@pytest.mark.parametrize("answer", ["/deny", "I'd rather not say", "what's on this afternoon?"])
def test_an_answer_that_is_no_name_is_not_taken_for_one(db, answer):
    asked = {"message_recipient": "front_desk", "message_text": "call me about my bill",
             "requested_slot": "contact_name"}  # fmt: skip
    events, said = run(ValidateMessageForm(), tracker(STRANGER_WEB, answer, "inform", form=FORM,
                                                      slots=asked))  # fmt: skip
    assert slots_of(events).get("contact_name") is None
    assert "your first name is enough" in texts(said)


def test_a_strangers_name_is_kept_whether_given_at_once_or_read_as_something_else(db):
    text = "Hi, this is Carla Mendes, please ask Dr Patel to call me back at 413 555 6612"
    events, _ = run(ValidateMessageForm(), tracker(STRANGER_WEB, text, "leave_message",
                    [ent("provider", "patel")], form=FORM, activating=True,
                    new_slots={"message_recipient": "patel"}))  # fmt: skip
    assert slots_of(events)["contact_name"] == "Carla Mendes"
    # asked for it, a plain name the classifier took for something else is still the name
    asked = {"message_recipient": "patel", "message_text": "call me back",
             "requested_slot": "contact_name"}  # fmt: skip
    events, _ = run(ValidateMessageForm(), tracker(STRANGER_WEB, "Carla Mendes", "out_of_scope",
                                                   form=FORM, slots=asked))  # fmt: skip
    assert slots_of(events)["contact_name"] == "Carla Mendes"


def test_actually_make_that_dr_lee_changes_whom_not_what(db):
    asked = {"message_recipient": "patel", "requested_slot": "message_text"}
    events, said = run(ValidateMessageForm(), tracker(MARIA, "actually make that Dr Lee",
                       "inform", [ent("provider", "lee")], form=FORM, slots=asked))  # fmt: skip
    filled = slots_of(events)
    assert filled["message_recipient"] == "lee"
    assert not filled.get("message_text"), "the question of what it says comes again"


def test_a_doctor_asking_to_prescribe_is_told_it_is_done_elsewhere_and_nothing_is_filed(db):
    before = newest_slip(db).id
    events, said = run(ValidateMessageForm(), tracker("tg:2003",
                       "can you prescribe amoxicillin for patient Emma Nelson?", "request_refill",
                       form=FORM, activating=True))  # fmt: skip
    assert texts(said).startswith("I can't prescribe, renew or send records from this chat")
    assert slots_of(events)["requested_slot"] is None
    assert newest_slip(db).id == before


def test_a_strangers_name_and_number_said_where_the_message_was_asked_are_who_not_what(db):
    asked = {"message_recipient": "garcia", "requested_slot": "message_text"}
    said = "my name is Carla Diaz and my number is 413-555-7788"
    events, _ = run(ValidateMessageForm(), tracker(STRANGER_WEB, said, "inform", form=FORM,
                                                   slots=asked))  # fmt: skip
    filled = slots_of(events)
    assert filled["contact_name"] == "Carla Diaz"
    assert filled["callback_number"] == "+14135557788"
    assert not filled.get("message_text"), "what the message says is asked next"


def test_the_pharmacy_said_during_a_refill_goes_with_the_request(db):
    asked = {"message_kind": "refill", "message_recipient": "lee",
             "message_text": "atorvastatin 20 mg", "requested_slot": "callback_number"}  # fmt: skip
    events, said = run(ValidateMessageForm(), tracker(MARIA, "CVS on Main Street", "ask_location",
                                                      form=FORM, slots=asked))  # fmt: skip
    assert slots_of(events)["message_text"] == "atorvastatin 20 mg (pharmacy: CVS on Main Street)"
    assert "added the pharmacy" in texts(said)
