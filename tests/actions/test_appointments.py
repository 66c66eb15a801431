"""My appointments: list, confirm, cancel and reschedule, always only my own (button payloads
carrying someone else's id are refused) and never without a yes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rasa_sdk.events import FollowupAction
from sqlalchemy import select

from actions import slot_search
from actions.appointments import (
    ActionAskAppointmentId,
    ActionConfirmAttendance,
    ActionListAppointments,
    ActionSubmitCancel,
    ActionSubmitReschedule,
    ValidateCancelForm,
    ValidateRescheduleForm,
    as_choices,
)
from actions.follow_up import ActionInformWithoutContext
from actions.messages import ActionStop
from clinic import clock, scheduling, slots
from clinic import text as clinic_text
from clinic.db import session_scope
from clinic.identity import register_patient, who_is
from clinic.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinic.text import local
from tests.actions.helpers import (
    AISHA,
    MARIA,
    RITA,
    STRANGER_WEB,
    after_question,
    answered_by,
    buttons,
    ent,
    run,
    slots_of,
    texts,
    tracker,
)


def upcoming(db, sender):
    """The sender's upcoming active appointments, read directly (no audit write: `db` only
    reads)."""
    db.rollback()
    patient = who_is(db, sender).patient
    query = (
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at >= clock.now(),
        )
        .order_by(Appointment.start_at)
    )
    return list(db.scalars(query))


def test_list_shows_my_upcoming_appointments_and_nobody_elses(db):
    mine = upcoming(db, MARIA)
    _, said = run(ActionListAppointments(), tracker(MARIA, intent="list_appointments"))
    for appointment in mine:
        assert scheduling.describe(appointment) in texts(said)
    for appointment in upcoming(db, AISHA):
        assert scheduling.describe(appointment) not in texts(said)
    # several: "Reschedule one" / "Cancel one" ask which, not the first one silently
    assert len(mine) > 1
    assert [b["payload"] for b in buttons(said)] == [
        "/reschedule_appointment",
        "/cancel_appointment",
    ]
    # one: its own buttons
    asked = tracker(MARIA, "when is my blood test?", "list_appointments",
                    [ent("appointment_type", "blood_test")])  # fmt: skip
    _, said = run(ActionListAppointments(), asked)
    blood_test = next(a for a in mine if a.appointment_type.key == "blood_test")
    assert (
        buttons(said)[1]["payload"] == f'/cancel_appointment{{"appointment_id":"{blood_test.id}"}}'
    )


def test_asking_about_one_doctor_or_visit_shows_those_or_says_there_are_none(db):
    mine = upcoming(db, MARIA)  # the demo: a check-up with Dr Patel, a blood test with Okafor
    checkup = next(a for a in mine if a.appointment_type.key == "checkup")
    asked = tracker(MARIA, "when is my checkup?", "list_appointments",
                    [ent("appointment_type", "checkup")])  # fmt: skip
    _, said = run(ActionListAppointments(), asked)
    assert texts(said).startswith("Your check-up:\n")
    assert scheduling.describe(checkup) in texts(said) and "Blood test" not in texts(said)
    asked = tracker(MARIA, "what time am i seeing dr lee again?", "list_appointments",
                    [ent("provider", "lee")])  # fmt: skip
    _, said = run(ActionListAppointments(), asked)
    assert texts(said).startswith("You have no appointment with Dr. Daniel Lee booked.\n")
    for appointment in mine:  # and what there is
        assert scheduling.describe(appointment) in texts(said)


def test_a_stranger_is_told_how_to_link_and_sees_nothing(db):
    _, said = run(ActionListAppointments(), tracker(STRANGER_WEB, intent="list_appointments"))
    assert "first need to know who you are" in texts(said)
    assert "Check-up" not in texts(said) and "with Dr." not in texts(said)
    # someone who says they are new is pointed at registering first
    from actions.booking import ValidateBookingForm

    _, said = run(ValidateBookingForm(), tracker(STRANGER_WEB, "I'm new, can I book a checkup?",
                  "book_appointment", form="booking_form", activating=True))  # fmt: skip
    assert "As a new patient, tap Register as a new patient" in texts(said)
    assert buttons(said)[0]["payload"] == "/register"


def test_staff_asking_for_their_appointments_are_pointed_to_the_schedule(db):
    _, said = run(ActionListAppointments(), tracker(RITA, intent="list_appointments"))
    assert "signed in as staff" in texts(said) and "/schedule" in texts(said)
    assert "with Dr." not in texts(said)
    # with days named ("show me next week's bookings"): the schedule of those days
    week = {"from": "2027-03-08", "to": "2027-03-14"}
    _, said = run(ActionListAppointments(), tracker(RITA, "show me next week's bookings",
                  "list_appointments", [ent("time", week)]))  # fmt: skip
    assert "signed in as staff" not in texts(said)
    assert "Mon, Mar 8" in texts(said) or "Monday, March 8" in texts(said), texts(said)


def test_cancel_with_one_appointment_asks_to_confirm_it_and_changes_nothing_yet(db):
    (only,) = upcoming(db, AISHA)
    events, _ = run(
        ValidateCancelForm(),
        tracker(
            AISHA,
            "cancel my appointment",
            intent="cancel_appointment",
            form="cancel_form",
            activating=True,
        ),
    )
    filled = slots_of(events)
    assert filled["appointment_id"] == str(only.id)
    assert filled["appointment_label"].endswith(
        f"{only.provider.display_name} on Thu, Mar 4 at 9:00 AM"
    )
    assert upcoming(db, AISHA)[0].status is only.status


def test_cancel_on_a_named_day_picks_that_appointment(db):
    mine = upcoming(db, MARIA)
    tuesday = [a for a in mine if a.start_at.astimezone().date() <= date(2027, 3, 3)]
    assert len(mine) > 1 and len(tuesday) == 1
    events, _ = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "cancel my appointment on tuesday",
            intent="cancel_appointment",
            entities=[ent("time", "2027-03-02")],
            form="cancel_form",
            activating=True,
        ),
    )
    assert slots_of(events)["appointment_id"] == str(tuesday[0].id)


def test_cancel_my_blood_test_picks_the_blood_test(db):
    mine = upcoming(db, MARIA)
    (blood,) = [a for a in mine if a.appointment_type.key == "blood_test"]
    assert len(mine) > 1
    events, _ = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "cancel my blood test",
            intent="cancel_appointment",
            entities=[ent("appointment_type", "blood_test")],
            form="cancel_form",
            activating=True,
        ),
    )
    assert slots_of(events)["appointment_id"] == str(blood.id)


def test_a_visit_named_that_is_not_on_the_day_named_is_never_swapped_for_another(db):
    """ "cancel my checkup next week" when next week holds only the blood test: not "cancel
    your blood test?", but "you have no check-up next week" and the choice of all of them.
    (For a move, "next week" is when to, and the check-up is the one moved.)"""
    mine = upcoming(db, MARIA)
    week = {"from": "2027-03-08", "to": "2027-03-14"}
    in_week = [a for a in mine if date(2027, 3, 8) <= local(a.start_at).date() <= date(2027, 3, 14)]
    assert [a.appointment_type.key for a in in_week] == ["blood_test"]  # the seeded month
    events, said = run(ValidateCancelForm(), tracker(
        MARIA, "cancel my checkup next week", intent="cancel_appointment",
        entities=[ent("appointment_type", "checkup"), ent("time", week)],
        form="cancel_form", activating=True,
    ))  # fmt: skip
    assert "appointment_id" not in slots_of(events)
    assert texts(said) == (
        "You have no check-up between Monday, March 8 and Sunday, March 14. "
        "Here are your upcoming appointments."
    )
    offered = [o["id"] for o in slots_of(events)["offered_appointments"]]
    assert offered == [str(a.id) for a in mine]
    # a visit nobody booked, no day said: told so, and offered what there is
    events, said = run(ValidateCancelForm(), tracker(
        MARIA, "cancel my vaccination", intent="cancel_appointment",
        entities=[ent("appointment_type", "vaccination")], form="cancel_form", activating=True,
    ))  # fmt: skip
    assert texts(said).startswith("You have no vaccination booked.")
    assert "appointment_id" not in slots_of(events)


def test_asked_which_the_blood_test_or_the_provider_names_it(db):
    mine = upcoming(db, MARIA)
    offered = [
        {"id": str(a.id), "label": "x", "start": a.start_at.astimezone().isoformat(),
         "type": a.appointment_type.key, "provider": a.provider.key}
        for a in mine
    ]  # fmt: skip
    (blood,) = [a for a in mine if a.appointment_type.key == "blood_test"]
    asked = {"requested_slot": "appointment_id", "offered_appointments": offered}
    events, said = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "the blood test",
            entities=[ent("appointment_type", "blood_test")],
            form="cancel_form",
            slots=asked,
        ),
    )
    assert slots_of(events)["appointment_id"] == str(blood.id), texts(said)
    events, _ = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "the one with " + blood.provider.name,
            entities=[ent("provider", blood.provider.key)],
            form="cancel_form",
            slots=asked,
        ),
    )
    # Maria's blood test is her only visit with that provider (seeded: check-up with Patel)
    assert [a.provider.key for a in mine].count(blood.provider.key) == 1
    assert slots_of(events)["appointment_id"] == str(blood.id)


def test_asked_which_a_span_of_days_narrows_the_choice_and_never_guesses(db):
    def offer(id_: str, day: str) -> dict[str, str]:
        return {"id": id_, "label": id_, "start": f"{day}T10:00:00-05:00", "type": "checkup",
                "provider": "patel"}  # fmt: skip

    offered = [offer("11", "2027-03-03"), offer("12", "2027-03-09"), offer("13", "2027-03-11")]
    asked = {"requested_slot": "appointment_id", "offered_appointments": offered}

    def answer(text: str, time_value):
        events, said = run(
            ValidateRescheduleForm(),
            tracker(MARIA, text, entities=[ent("time", time_value)],
                    form="reschedule_form", slots=asked),
        )  # fmt: skip
        return slots_of(events), texts(said)

    # "next week" covers two of the three: only those are offered again, nothing guessed
    slots, _ = answer("next week", {"from": "2027-03-08T00:00:00-05:00",
                                    "to": "2027-03-15T00:00:00-05:00"})  # fmt: skip
    assert slots.get("appointment_id") is None
    assert [o["id"] for o in slots["offered_appointments"]] == ["12", "13"]
    assert slots["time"] is None, "a day naming the appointment is not the new time"
    # a span covering all of them: the same question again
    slots, _ = answer("this month", {"from": "2027-03-01T00:00:00-05:00",
                                     "to": "2027-04-01T00:00:00-05:00"})  # fmt: skip
    assert slots.get("appointment_id") is None and "offered_appointments" not in slots
    # one day with one of them: that one (a real appointment of hers, as it is checked)
    mine = upcoming(db, MARIA)
    offered[1] = offer(str(mine[0].id), local(mine[0].start_at).date().isoformat())
    slots, _ = answer("that day", offered[1]["start"][:10])
    assert slots["appointment_id"] == str(mine[0].id)
    # a day with none: said so
    slots, said = answer("the one in april", "2027-04-20")
    assert "You have no appointment on" in said and slots.get("appointment_id") is None
    assert slots.get("time") is None
    # a day alone with none of them on it: where to move it, kept for when one is picked
    friday_pm = {"from": "2027-03-05T12:00:00-05:00", "to": "2027-03-05T17:00:00-05:00"}
    slots, said = answer("friday afternoon", friday_pm)
    assert said == ("You have no appointment on Friday, March 5, so I'll look for a new time then.")
    assert slots.get("appointment_id") is None and slots["time"] == friday_pm
    # a side question with a date ("my bill from January 5th") is not an answer: nothing said
    events, said = run(
        ValidateRescheduleForm(),
        tracker(MARIA, "my bill from january 5", "ask_invoice", form="reschedule_form",
                entities=[ent("time", "2027-01-05")], slots=asked),
    )  # fmt: skip
    assert texts(said) == "" and slots_of(events).get("appointment_id") is None


def test_move_my_checkup_to_friday_picks_the_checkup(db):
    mine = upcoming(db, MARIA)
    (checkup,) = [a for a in mine if a.appointment_type.key == "checkup"]
    events, _ = run(
        ValidateRescheduleForm(),
        tracker(
            MARIA,
            "can I move my checkup to friday at 2pm",
            intent="reschedule_appointment",
            entities=[ent("appointment_type", "checkup"), ent("time", "2027-03-05T14:00:00-05:00")],
            form="reschedule_form",
            activating=True,
        ),
    )
    assert slots_of(events)["appointment_id"] == str(checkup.id)


def test_the_day_of_my_appointment_said_in_a_story_picks_it_a_day_after_to_does_not(db):
    mine = upcoming(db, MARIA)
    (tuesday,) = [a for a in mine if a.start_at.date().isoformat() == "2027-03-02"]

    def move(text, day, said):
        on = {**ent("time", day), "start": text.index(said)}
        return run(ValidateRescheduleForm(), tracker(
            MARIA, text, "reschedule_appointment", [on, ent("provider", "patel")],
            form="reschedule_form", activating=True, new_slots={"time": day}))  # fmt: skip

    story = ("Hello this is Maria Lopez, I have an appointment on Tuesday with Dr Patel and I "
             "wanted to know if I could come a little earlier")  # fmt: skip
    events, _ = move(story, "2027-03-02", "on Tuesday")
    assert slots_of(events)["appointment_id"] == str(tuesday.id), "'wanted to' is not 'to Tuesday'"
    # Tuesday named the appointment, not the new time; "a little earlier" is before it
    assert slots_of(events)["time"]["label"] == "before Tue, Mar 2 at 10:00 AM"
    events, said = move(story + ", maybe 9 instead of 10", "2027-03-02", "on Tuesday")
    assert slots_of(events)["time"] == "2027-03-02T09:00:00-05:00", texts(said)
    assert slots_of(events)["offered_slots"], "times offered around 9 that Tuesday"
    events, _ = move(story + ", maybe 9 instead of 11", "2027-03-02", "on Tuesday")
    # 11 is not the appointment's time: no guess at 9 (what is before it, as "earlier" asks)
    assert slots_of(events)["time"] != "2027-03-02T09:00:00-05:00"
    events, said = move("can I move my appointment to Wednesday", "2027-03-03", "Wednesday")
    assert slots_of(events).get("appointment_id") is None, "the new day, not which appointment"
    assert "would you like to move" in texts(said) or texts(said) == ""


@pytest.mark.parametrize(
    "text, moved_to",
    [
        ("can you move my wednesday appointment an hour later", "2027-03-10T09:30:00-05:00"),
        ("push my wednesday appointment back 30 minutes", "2027-03-10T09:00:00-05:00"),
        ("could my appointment on wed be half an hour earlier", "2027-03-10T08:00:00-05:00"),
    ],
)
def test_my_weekday_appointment_moved_by_an_amount(db, text, moved_to):
    """A bare weekday names the appointment on that weekday even when it is not the coming
    one (the blood test is on Wednesday the 10th; the NLU reads "wednesday" as the 3rd), and
    "an hour later" is that much after it."""
    coming_wednesday = "2027-03-03"
    said = text[text.index("wed") :].split()[0]
    on = {
        **ent("time", coming_wednesday),
        "start": text.index(said),
        "end": text.index(said) + len(said),
    }
    events, said = run(ValidateRescheduleForm(), tracker(
        MARIA, text, "reschedule_appointment", [on], form="reschedule_form", activating=True,
        new_slots={"time": coming_wednesday}))  # fmt: skip
    (wednesday,) = [a for a in upcoming(db, MARIA) if a.start_at.date().isoformat() == "2027-03-10"]
    assert slots_of(events)["appointment_id"] == str(wednesday.id), texts(said)
    assert slots_of(events)["time"] == moved_to, texts(said)


def test_a_time_of_day_without_a_day_is_on_the_day_of_the_appointment_moved(db):
    """ "Can I move my checkup to the afternoon?": Tuesday's afternoon (the checkup's day), not
    this afternoon (what the NLU resolves a bare part of the day to)."""
    this_afternoon = {"from": "2027-03-01T12:00:00-05:00", "to": "2027-03-01T17:00:00-05:00"}
    undated = {**ent("time", this_afternoon), "additional_info": {"grain": "range",
                                                                  "dated": False}}  # fmt: skip
    events, said = run(ValidateRescheduleForm(), tracker(
        MARIA, "can I move my checkup to the afternoon", "reschedule_appointment",
        [ent("appointment_type", "checkup"), undated], form="reschedule_form", activating=True,
        new_slots={"time": this_afternoon}))  # fmt: skip
    filled = slots_of(events)
    assert filled["time"] == {"from": "2027-03-02T12:00:00-05:00",
                              "to": "2027-03-02T17:00:00-05:00"}, texts(said)  # fmt: skip
    offered = filled["offered_slots"]
    assert offered and offered[0]["start"].startswith("2027-03-02T1"), offered
    assert "Monday" not in texts(said)


def test_asked_when_to_move_it_the_afternoon_is_that_days_and_any_afternoon_is_any_days(db):
    first = upcoming(db, MARIA)[0]  # the check-up with Dr Patel, Tue Mar 2 at 10:00
    base = {"appointment_id": str(first.id), "appointment_type": "checkup", "provider": "patel",
            "requested_slot": "time"}  # fmt: skip
    this_afternoon = {"from": "2027-03-01T12:00:00-05:00", "to": "2027-03-01T17:00:00-05:00"}
    undated = {**ent("time", this_afternoon), "additional_info": {"grain": "range",
                                                                  "dated": False}}  # fmt: skip

    def answer(text):
        events, said = run(ValidateRescheduleForm(), tracker(
            MARIA, text, entities=[undated], new_slots={"time": this_afternoon},
            form="reschedule_form", slots=base))  # fmt: skip
        return slots_of(events)["time"], texts(said)

    time, said = answer("in the afternoon")
    assert time == {"from": "2027-03-02T12:00:00-05:00", "to": "2027-03-02T17:00:00-05:00"}, said
    time, _ = answer("any afternoon")
    assert time == this_afternoon, "any afternoon: searched from today on"


def test_cancel_with_several_offers_them_as_buttons(db):
    mine = upcoming(db, MARIA)
    events, _ = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            "cancel my appointment",
            intent="cancel_appointment",
            form="cancel_form",
            activating=True,
        ),
    )
    offered = slots_of(events)["offered_appointments"]
    assert [o["id"] for o in offered] == [str(a.id) for a in mine]
    _, asked = run(
        ActionAskAppointmentId(),
        tracker(MARIA, form="cancel_form", slots={"offered_appointments": offered}),
    )
    assert "cancel" in texts(asked)
    assert [b["payload"] for b in buttons(asked)] == [
        *(f'/inform{{"appointment_id":"{a.id}"}}' for a in mine),
        '/inform{"appointment_id":"all"}',
    ]


def test_someone_elses_appointment_id_from_a_button_is_refused(db):
    (aishas,) = upcoming(db, AISHA)
    events, said = run(
        ValidateCancelForm(),
        tracker(
            MARIA,
            f'/cancel_appointment{{"appointment_id":"{aishas.id}"}}',
            intent="cancel_appointment",
            entities=[ent("appointment_id", str(aishas.id))],
            form="cancel_form",
            activating=True,
            new_slots={"appointment_id": str(aishas.id)},
        ),
    )
    filled = slots_of(events)
    assert filled["appointment_id"] is None
    assert "couldn't find that appointment among yours" in texts(said)
    assert str(aishas.id) not in [o["id"] for o in filled["offered_appointments"]]
    assert "Aisha" not in texts(said)
    _, submitted = run(
        ActionSubmitCancel(),
        tracker(MARIA, slots={"appointment_id": str(aishas.id), "cancel_confirmed": True}),
    )
    assert "couldn't find" in texts(submitted)
    assert upcoming(db, AISHA)[0].status is aishas.status


def test_yes_cancels_my_appointment_and_offers_a_new_time(db):
    first = upcoming(db, MARIA)[0]
    _, said = run(
        ActionSubmitCancel(),
        tracker(
            MARIA,
            "yes",
            intent="affirm",
            slots={"appointment_id": str(first.id), "cancel_confirmed": True},
        ),
    )
    db.rollback()
    assert db.get(Appointment, first.id).status is AppointmentStatus.CANCELLED
    assert texts(said).startswith("Cancelled: your check-up with Dr. Anika Patel")
    assert buttons(said)[0]["payload"] == '/book_appointment{"appointment_type":"checkup"}'


def test_cancel_all_my_appointments_names_them_all_in_one_confirmation(db):
    """A patient moving away: every upcoming appointment, each named in the question, and
    exactly those cancelled on yes."""
    mine = upcoming(db, MARIA)
    assert len(mine) == 2
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "Please cancel all my appointments I "
                    "am moving to Florida", "cancel_appointment", form="cancel_form",
                    activating=True))  # fmt: skip
    chosen = slots_of(events)
    assert chosen["appointment_id"] == "all"
    assert chosen["appointment_label"].startswith("2 appointments: check-up with Dr. Anika Patel")
    from actions.questions import ActionAskCancelConfirmed

    _, asked = run(ActionAskCancelConfirmed(), tracker(MARIA, slots=chosen))
    assert texts(asked).startswith("Cancel your 2 appointments: check-up")
    assert [b["title"] for b in buttons(asked)] == ["Yes, cancel them all", "No, keep them"]
    # "both" when asked which: the same
    asked = {"offered_appointments": as_choices(mine), "requested_slot": "appointment_id"}
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "both of them", "inform",
                                                  form="cancel_form", slots=asked))  # fmt: skip
    assert slots_of(events)["appointment_id"] == "all"

    yes = tracker(MARIA, "yes", "affirm", slots={**chosen, "cancel_confirmed": True})
    _, said = run(ActionSubmitCancel(), yes)
    assert texts(said).startswith("Cancelled:\n• check-up with Dr. Anika Patel")
    db.rollback()
    assert upcoming(db, MARIA) == []


def test_one_picked_after_asking_for_all_offers_the_next(db):
    mine = upcoming(db, MARIA)
    asked = tracker(MARIA, "cancel all my appointments", "cancel_appointment")
    chosen = {"appointment_id": str(mine[0].id), "cancel_confirmed": True}
    confirmed = tracker(MARIA, "yes", "affirm", slots=chosen)
    confirmed.events[1:1] = [asked.events[1]]  # the request, earlier in the conversation
    _, said = run(ActionSubmitCancel(), confirmed)
    assert "You have 1 more appointment coming up. Cancel the next one too?" in texts(said)
    assert buttons(said)[0] == {"title": "Cancel the next one", "payload": "/cancel_appointment"}


def test_no_keeps_the_appointment(db):
    first = upcoming(db, MARIA)[0]
    _, said = run(
        ActionSubmitCancel(),
        tracker(
            MARIA,
            "no",
            intent="deny",
            slots={"appointment_id": str(first.id), "cancel_confirmed": False},
        ),
    )
    db.rollback()
    assert db.get(Appointment, first.id).status is first.status
    assert "kept your appointment" in texts(said)


def test_a_patient_without_appointments_is_told_so_and_the_form_ends(db):
    with session_scope() as session:
        register_patient(
            session,
            first_name="Nora",
            last_name="Newman",
            date_of_birth=date(1991, 5, 5),
            phone="+14135550999",
            identity="web:nora",
        )
    events, said = run(
        ValidateRescheduleForm(),
        tracker(
            "web:nora", intent="reschedule_appointment", form="reschedule_form", activating=True
        ),
    )
    assert slots_of(events)["requested_slot"] is None
    assert "no upcoming appointments to move" in texts(said)


def test_reschedule_from_a_reminder_button_to_a_free_time(db):
    first = upcoming(db, MARIA)[0]
    base = {"appointment_id": str(first.id)}
    events, _ = run(
        ValidateRescheduleForm(),
        tracker(
            MARIA,
            intent="reschedule_appointment",
            entities=[ent("appointment_id", str(first.id))],
            form="reschedule_form",
            activating=True,
            new_slots=base,
        ),
    )
    filled = slots_of(events)
    assert filled["appointment_type"] == "checkup" and filled["provider"] == "patel"
    state = {**base, **filled, "requested_slot": "time"}

    events, said = run(
        ValidateRescheduleForm(),
        tracker(
            MARIA,
            "friday",
            entities=[ent("time", "2027-03-05")],
            form="reschedule_form",
            slots=state,
            new_slots={"time": "2027-03-05"},
        ),
    )
    offered = slots_of(events)["offered_slots"]
    friday = datetime.fromisoformat("2027-03-05T00:00:00-05:00")
    free = slots.find_free_slots(db, "checkup", "patel", friday, friday + timedelta(days=1), None)
    assert [o["start"] for o in offered] == [s.iso_start for s in free][: len(offered)]
    state |= {"time": "2027-03-05", "offered_slots": offered, "requested_slot": "slot_start"}

    events, _ = run(
        ValidateRescheduleForm(),
        tracker(MARIA, "the first one", form="reschedule_form", slots=state),
    )
    picked = slots_of(events)
    assert picked["slot_start"] == offered[0]["start"]
    assert picked["slot_label"].startswith("Fri, Mar 5 at")
    state |= picked | {"requested_slot": "reschedule_confirmed"}

    events, _ = run(
        ValidateRescheduleForm(),
        tracker(
            MARIA,
            "yes",
            intent="affirm",
            form="reschedule_form",
            slots=state,
            new_slots={"reschedule_confirmed": True},
        ),
    )
    assert slots_of(events)["reschedule_confirmed"] is True
    db.rollback()
    moved = db.get(Appointment, first.id)
    assert moved.start_at == datetime.fromisoformat(offered[0]["start"])
    assert moved.status is AppointmentStatus.BOOKED

    _, said = run(
        ActionSubmitReschedule(),
        tracker(MARIA, slots={"reschedule_confirmed": True, "last_appointment_id": str(first.id)}),
    )
    assert "Your appointment is now: Check-up with Dr. Anika Patel on Fri, Mar 5" in texts(said)


def test_confirm_attendance_from_a_reminder_button(db):
    target = next(a for a in upcoming(db, MARIA) if a.status is AppointmentStatus.BOOKED)
    _, said = run(
        ActionConfirmAttendance(),
        tracker(
            MARIA, intent="confirm_attendance", entities=[ent("appointment_id", str(target.id))]
        ),
    )
    db.rollback()
    assert db.get(Appointment, target.id).status is AppointmentStatus.CONFIRMED
    assert "you're confirmed" in texts(said)


def test_confirming_someone_elses_appointment_is_refused(db):
    (aishas,) = upcoming(db, AISHA)
    _, said = run(
        ActionConfirmAttendance(),
        tracker(
            MARIA, intent="confirm_attendance", entities=[ent("appointment_id", str(aishas.id))]
        ),
    )
    db.rollback()
    assert db.get(Appointment, aishas.id).status is aishas.status
    assert "couldn't find that appointment among yours" in texts(said)


def test_a_typed_cannot_come_read_as_a_confirmation_confirms_nothing_and_asks(db):
    """The classifier has mistaken "I can't make it" for confirm_attendance: the action must
    not confirm the visit on such words, whatever the intent says."""
    before = {a.id: a.status for a in upcoming(db, MARIA)}
    for text in ("I can't make it tomorrow", "i wont be able to come", "I’m not going to make it"):
        _, said = run(ActionConfirmAttendance(), tracker(MARIA, text, intent="confirm_attendance"))
        assert "you're confirmed" not in texts(said)
        assert "cancel" in texts(said).lower()
        titles = {b["title"] for b in buttons(said)}
        assert {"Cancel an appointment", "Move an appointment"} <= titles
    assert {a.id: a.status for a in upcoming(db, MARIA)} == before


def test_a_question_read_as_a_confirmation_confirms_nothing_and_offers_both(db):
    before = {a.id: a.status for a in upcoming(db, MARIA)}
    _, said = run(ActionConfirmAttendance(), tracker(MARIA, "who can see me tomorrow?",
                                                     "confirm_attendance"))  # fmt: skip
    assert "you're confirmed" not in texts(said)
    assert texts(said).startswith("Your next appointment: ")
    assert [b["title"] for b in buttons(said)] == ["Yes, I'll be there", "Book an appointment"]
    assert {a.id: a.status for a in upcoming(db, MARIA)} == before
    # a question that asks to confirm still confirms
    _, said = run(ActionConfirmAttendance(), tracker(AISHA, "can I confirm my appointment?",
                                                     "confirm_attendance"))  # fmt: skip
    assert "you're confirmed" in texts(said)


def test_a_typed_cannot_come_with_one_visit_offers_that_visits_buttons(db):
    (aishas,) = upcoming(db, AISHA)
    _, said = run(ActionConfirmAttendance(), tracker(AISHA, "can't make it", "confirm_attendance"))
    assert "Just to be sure" in texts(said)
    assert [b["payload"] for b in buttons(said)] == [
        f'/confirm_attendance{{"appointment_id":"{aishas.id}"}}',
        f'/reschedule_appointment{{"appointment_id":"{aishas.id}"}}',
        f'/cancel_appointment{{"appointment_id":"{aishas.id}"}}',
    ]
    db.rollback()
    assert db.get(Appointment, aishas.id).status is aishas.status


def test_a_typed_yes_with_one_visit_confirms_it(db):
    (aishas,) = upcoming(db, AISHA)
    _, said = run(
        ActionConfirmAttendance(), tracker(AISHA, "wouldn't miss it", "confirm_attendance")
    )
    db.rollback()
    assert "you're confirmed" in texts(said)
    assert db.get(Appointment, aishas.id).status is AppointmentStatus.CONFIRMED


def test_a_typed_yes_confirms_the_one_not_yet_confirmed_or_says_all_are(db):
    """Maria's blood test is confirmed (seeded), her check-up is not: "yes I'll be there" is
    the check-up; said again, she hears both are confirmed rather than "which one?"."""
    checkup, blood = upcoming(db, MARIA)
    assert blood.status is AppointmentStatus.CONFIRMED
    _, said = run(ActionConfirmAttendance(), tracker(MARIA, "yes I'll be there",
                                                     "confirm_attendance"))  # fmt: skip
    assert texts(said).startswith("Thanks, you're confirmed for your check-up"), texts(said)
    _, said = run(ActionConfirmAttendance(), tracker(MARIA, "yes I'll be there",
                                                     "confirm_attendance"))  # fmt: skip
    assert texts(said).startswith("Thanks, you're already confirmed for:\n• Check-up")


def test_running_late_tells_the_front_desk_about_the_visit_about_to_start(db, frozen_now):
    from actions.appointments import ActionRunningLate
    from clinic.models import MessageSlip

    visit = upcoming(db, MARIA)[0]
    frozen_now((visit.start_at - timedelta(minutes=20)).isoformat())  # 20 minutes before it
    _, said = run(ActionRunningLate(), tracker(MARIA, "stuck in traffic", "running_late"))
    assert "told the front desk you're running late" in texts(said)
    assert {b["title"] for b in buttons(said)} == {"Reschedule", "Cancel"}
    db.rollback()
    slip = db.scalars(select(MessageSlip).order_by(MessageSlip.id.desc())).first()
    assert slip.desk.value == "front_desk"
    assert slip.reason.startswith(f"Running late for {scheduling.describe(visit)}")
    assert slip.patient_id == visit.patient_id

    # the day before ("I'll be a few minutes late tomorrow"): the desk is told it is expected
    frozen_now((visit.start_at - timedelta(hours=20)).isoformat())
    _, said = run(ActionRunningLate(), tracker(MARIA, "I'll be a few minutes late tomorrow",
                                               "running_late"))  # fmt: skip
    assert "told the front desk you expect to be a little late" in texts(said)
    db.rollback()
    ahead = db.scalars(select(MessageSlip).order_by(MessageSlip.id.desc())).first()
    assert ahead.reason.startswith(f"Expects to be late for {scheduling.describe(visit)}")
    # days before: nothing to tell the desk yet, and no slip
    frozen_now((visit.start_at - timedelta(days=3)).isoformat())
    _, said = run(ActionRunningLate(), tracker(MARIA, "running late", "running_late"))
    assert "If you'll be late on the day, tell me then" in texts(said)
    db.rollback()
    assert db.scalars(select(MessageSlip).order_by(MessageSlip.id.desc())).first().id == ahead.id
    # a stranger is given the front desk's number
    _, said = run(ActionRunningLate(), tracker(STRANGER_WEB, "running late", "running_late"))
    assert "call the front desk on (413) 555-0100" in texts(said)


def test_reschedule_offers_later_times_when_asked_and_keeps_the_appointment(db):
    first = upcoming(db, MARIA)[0]
    friday = datetime.fromisoformat("2027-03-05T00:00:00-05:00")
    free = slots.find_free_slots(db, "checkup", "patel", friday, friday + timedelta(days=1), None)
    offered = slot_search.as_offers(free[:2])
    state = {"appointment_id": str(first.id), "appointment_type": "checkup", "provider": "patel",
             "time": "2027-03-05", "offered_slots": offered,
             "requested_slot": "slot_start"}  # fmt: skip
    events, said = run(ValidateRescheduleForm(), tracker(MARIA, "anything a bit later?",
                       form="reschedule_form", slots=state))  # fmt: skip
    later = [o["start"] for o in slots_of(events)["offered_slots"]]
    assert later == [s.iso_start for s in free[2 : 2 + len(later)]] and later
    assert "after Fri, Mar 5" in texts(said)
    db.rollback()
    assert db.get(Appointment, first.id).start_at == first.start_at, "nothing moved"


def test_cancel_the_second_one_after_the_list_picks_the_second_listed(db):
    mine = upcoming(db, MARIA)
    assert len(mine) >= 2
    t = tracker(MARIA, "cancel the second one", "stop", form="cancel_form", activating=True)
    answered_by(t, "action_list_appointments")
    events, _ = run(ValidateCancelForm(), t)
    assert slots_of(events)["appointment_id"] == str(mine[1].id)
    # not after the list: which one is asked
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "cancel the second one",
                    "cancel_appointment", form="cancel_form", activating=True))  # fmt: skip
    assert "appointment_id" not in slots_of(events)


def test_the_second_one_alone_after_the_list_asks_what_to_do_with_the_second_listed(db):
    mine = upcoming(db, MARIA)
    t = answered_by(tracker(MARIA, "the second one"), "action_list_appointments")
    events, said = run(ActionInformWithoutContext(), t)
    assert events == [], "nothing starts before they say what they want"
    second = str(mine[1].id)
    assert texts(said).startswith(f"Your {mine[1].appointment_type.name.lower()}")
    assert [b["payload"] for b in buttons(said)] == [
        f'/reschedule_appointment{{"appointment_id":"{second}"}}',
        f'/cancel_appointment{{"appointment_id":"{second}"}}',
    ]


def test_cancel_or_move_typed_where_buttons_for_one_appointment_were_shown_means_that_one(db):
    second = upcoming(db, MARIA)[1]
    shown = scheduling.appointment_buttons(second)  # [Reschedule] [Cancel] for the second
    question = f"Your {second.appointment_type.name.lower()}: would you like to move it or ...?"
    events, said = run(ActionStop(), after_question(tracker(MARIA, "cancel", "stop"), question,
                                                    shown))  # fmt: skip
    assert events == [FollowupAction("cancel_form")] and texts(said) == ""
    for form, text, intent in (
        (ValidateCancelForm(), "cancel", "stop"),
        (ValidateRescheduleForm(), "move it", "reschedule_appointment"),
    ):
        t = tracker(MARIA, text, intent, form=form.name().removeprefix("validate_"),
                    activating=True)  # fmt: skip
        events, _ = run(form, after_question(t, question, shown))
        assert slots_of(events)["appointment_id"] == str(second.id), text
    # with no such buttons shown, which one is asked
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "cancel", "stop", form="cancel_form",
                                                  activating=True))  # fmt: skip
    assert "appointment_id" not in slots_of(events)


def test_my_appointment_on_a_day_shows_that_one(db):
    first, second = upcoming(db, MARIA)[:2]
    day = clinic_text.local(first.start_at).date().isoformat()
    _, said = run(ActionListAppointments(), tracker(MARIA, "what time is my appointment on "
                  "tuesday and who is it with", "list_appointments",
                  entities=[ent("time", day)]))  # fmt: skip
    assert texts(said).startswith("Your appointment on ")
    assert first.provider.display_name in texts(said)
    assert clinic_text.when(second.start_at) not in texts(said)
    _, said = run(ActionListAppointments(), tracker(MARIA, "anything on sunday?",
                  "list_appointments", entities=[ent("time", "2027-03-07")]))  # fmt: skip
    assert texts(said).startswith("You have no appointment on Sunday, March 7.")
    assert "Your upcoming appointments:" in texts(said)


def test_a_relatives_appointments_are_not_answered_with_the_senders_own(db):
    mine = upcoming(db, MARIA)
    _, said = run(ActionListAppointments(), tracker(MARIA, "can you tell me if my husband has an "
                  "appointment tomorrow", "list_appointments",
                  entities=[ent("time", "2027-03-02")]))  # fmt: skip
    assert texts(said).startswith("I can only help with your own appointments here, Maria.")
    assert "husband's" in texts(said) and clinic_text.when(mine[0].start_at) not in texts(said)
    events, said = run(ValidateCancelForm(), tracker(MARIA, "cancel my daughter's appointment",
                       "cancel_appointment", form="cancel_form", activating=True))  # fmt: skip
    assert "daughter's" in texts(said) and "appointment_id" not in slots_of(events)
    assert "link their own record" not in texts(said)  # a child's is the parent's to ask
    # "my little boy", not only "my son"; the booking form is not started for the sender
    from actions.booking import ValidateBookingForm

    events, said = run(ValidateBookingForm(), tracker(MARIA, "my little boy needs his vaccinations,"
                       " can I book him in with dr garcia", "book_appointment",
                       form="booking_form", activating=True))  # fmt: skip
    assert texts(said).startswith("I can only book appointments for you, Maria, in this chat")
    assert texts(said).endswith("To book for your boy, please call the front desk on "
                                "(413) 555-0100.")  # fmt: skip
    assert slots_of(events)["requested_slot"] is None, "the cancel form ends"
    # the sender's own, with a relative only mentioned: as usual
    _, said = run(ActionListAppointments(), tracker(MARIA, "when is my appointment, my husband "
                  "is driving me", "list_appointments"))  # fmt: skip
    assert texts(said).startswith("Your upcoming appointments:")


def test_moving_with_someone_else_widens_to_whoever_offers_the_visit(db):
    first = upcoming(db, MARIA)[0]  # the check-up with Dr Patel, Tue Mar 2 at 10:00
    base = {"appointment_id": str(first.id), "appointment_type": "checkup", "provider": "patel",
            "time": "2027-03-04", "requested_slot": "slot_start"}  # fmt: skip
    events, said = run(ValidateRescheduleForm(), tracker(MARIA, "can I see someone else on "
                       "thursday?", form="reschedule_form", slots=base))  # fmt: skip
    filled = slots_of(events)
    assert filled["provider"] == "any"
    offered = {o.get("provider") for o in filled.get("offered_slots") or []}
    assert offered and offered != {"patel"}, texts(said)
    # said when asked when: the same, and the question stays
    asked_when = {**base, "time": None, "requested_slot": "time"}
    events, said = run(ValidateRescheduleForm(), tracker(MARIA, "can I see someone else?",
                       form="reschedule_form", slots=asked_when))  # fmt: skip
    assert slots_of(events)["provider"] == "any" and texts(said) == "Noted: with whoever is free."


def test_moving_an_appointment_relative_to_when_it_is_now(db):
    first = upcoming(db, MARIA)[0]  # the check-up with Dr Patel, Tue Mar 2 at 10:00
    base = {"appointment_id": str(first.id), "appointment_type": "checkup", "provider": "patel",
            "requested_slot": "time"}  # fmt: skip
    events, said = run(ValidateRescheduleForm(), tracker(MARIA, "anything later the same day?",
                       form="reschedule_form", slots=base))  # fmt: skip
    offered = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    assert offered and all(first.start_at < start for start in offered)
    assert f"after {clinic_text.when(first.start_at)}" in texts(said)

    next_week = {"from": "2027-03-08", "to": "2027-03-14"}  # what the NLU makes of "next week"
    events, _ = run(ValidateRescheduleForm(), tracker(MARIA, "same time next week",
                    entities=[ent("time", next_week)], new_slots={"time": next_week},
                    form="reschedule_form", slots=base))  # fmt: skip
    week_on = clinic_text.local(first.start_at) + timedelta(days=7)
    assert slots_of(events)["time"] == week_on.isoformat()


def test_yes_to_several_new_times_asks_which_one(db):
    first = upcoming(db, MARIA)[0]
    friday = datetime.fromisoformat("2027-03-05T00:00:00-05:00")
    free = slots.find_free_slots(db, "checkup", "patel", friday, friday + timedelta(days=1), None)
    state = {"appointment_id": str(first.id), "appointment_type": "checkup", "provider": "patel",
             "time": "2027-03-05", "offered_slots": slot_search.as_offers(free[:3]),
             "requested_slot": "slot_start"}  # fmt: skip
    yes = tracker(MARIA, "yes", "affirm", form="reschedule_form", slots=state)
    _, said = run(ValidateRescheduleForm(), yes)
    assert texts(said).startswith("Which one?")


def test_which_one_am_i_confirming_answered_in_words(db):
    mine = upcoming(db, MARIA)
    assert len(mine) >= 2
    with session_scope() as session:  # neither confirmed yet (the seed confirmed the second)
        session.get(Appointment, mine[1].id).status = AppointmentStatus.BOOKED
    mine = upcoming(db, MARIA)
    _, asked = run(ActionConfirmAttendance(), tracker(MARIA, "yes i'll be there",
                                                      "confirm_attendance"))  # fmt: skip
    assert texts(asked) == "Which appointment are you confirming?"
    day = clinic_text.local(mine[0].start_at).date().isoformat()
    answer = tracker(MARIA, "the one on tuesday", entities=[ent("time", day)])
    answered_by(answer, "action_confirm_attendance")
    _, said = run(ActionInformWithoutContext(), answer)
    assert "you're confirmed for your check-up" in texts(said)
    db.rollback()
    assert db.get(Appointment, mine[0].id).status is AppointmentStatus.CONFIRMED
    assert db.get(Appointment, mine[1].id).status is mine[1].status, "only that one"


def test_cancel_it_when_asked_to_confirm_the_cancellation_is_yes(db):
    first = upcoming(db, MARIA)[0]
    asking = {"appointment_id": str(first.id), "requested_slot": "cancel_confirmed"}
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "cancel it", "stop",
                                                  form="cancel_form", slots=asking))  # fmt: skip
    assert slots_of(events)["cancel_confirmed"] is True
    for keep in ("no don't cancel it", "keep it, don't cancel"):
        events, _ = run(ValidateCancelForm(), tracker(MARIA, keep, "stop", form="cancel_form",
                                                      slots=asking))  # fmt: skip
        assert slots_of(events).get("cancel_confirmed") is not True, keep


def test_who_is_my_doctor_names_the_one_seen_most_then_the_visits_booked(db):
    _, said = run(
        ActionListAppointments(), tracker(MARIA, "who is my doctor?", "list_appointments")
    )
    first, listing = said.messages[0]["text"], said.messages[1]["text"]
    assert first.startswith("The provider you've seen most here is "), first
    assert listing.startswith("Your upcoming appointments:")


def test_a_day_that_cannot_be_and_the_day_wanted_instead_in_one_message(db):
    """ "I can't come on Tuesday ... can we do Thursday instead?": the Tuesday appointment,
    moved to Thursday (the slot held Thursday only, so neither was understood)."""
    text = "I can't come on tuesday, my grandson has a recital. Can we do thursday instead?"
    found = [
        {**ent("time", "2027-03-02"), "start": text.index("tuesday"), "end": text.index(",")},
        {**ent("time", "2027-03-04"), "start": text.index("thursday"),
         "end": text.index(" instead")},
    ]  # fmt: skip
    events, said = run(ValidateRescheduleForm(), tracker(
        MARIA, text, "reschedule_appointment", found, form="reschedule_form", activating=True,
        new_slots={"time": "2027-03-04"}))  # fmt: skip
    (tuesday,) = [a for a in upcoming(db, MARIA) if a.start_at.date().isoformat() == "2027-03-02"]
    filled = slots_of(events)
    assert filled["appointment_id"] == str(tuesday.id), texts(said)
    assert filled["time"] == "2027-03-04"
    assert all(o["start"].startswith("2027-03-04") for o in filled["offered_slots"]), texts(said)


def test_from_one_day_or_time_to_another_moves_the_appointment_at_the_first(db):
    """ "change my appointment from tusday to wensday": the NLU reads one range (Tuesday to
    Wednesday); it starts at the Tuesday check-up, which is moved to Wednesday. Clock times
    likewise: "from 10am to 2pm" is the 10:00 check-up, moved to 2pm that day."""
    (tuesday,) = [a for a in upcoming(db, MARIA) if a.start_at.date().isoformat() == "2027-03-02"]

    def move(text, span, value):
        found = [{**ent("time", value), "start": text.index(span), "end": text.index(span)
                  + len(span)}]  # fmt: skip
        events, said = run(ValidateRescheduleForm(), tracker(
            MARIA, text, "reschedule_appointment", found, form="reschedule_form",
            activating=True, new_slots={"time": value}))  # fmt: skip
        return slots_of(events), texts(said)

    text = "helo i need to chage my apointment from tusday to wensday if posible"
    filled, said = move(text, "from tusday to wensday", {"from": "2027-03-02", "to": "2027-03-03"})
    assert filled["appointment_id"] == str(tuesday.id), said
    assert filled["time"] == "2027-03-03"
    assert all(o["start"].startswith("2027-03-03") for o in filled["offered_slots"]), said
    text = "move my appointment from 10am to 2pm"
    filled, said = move(text, "10am to 2pm", {"from": "2027-03-01T10:00:00-05:00",
                                              "to": "2027-03-01T14:00:00-05:00"})  # fmt: skip
    assert filled["appointment_id"] == str(tuesday.id), said
    assert filled["time"] == "2027-03-02T14:00:00-05:00"
    # a range that starts at none of my appointments is what it says: when I can come
    text = "move my appointment to sometime from thursday to friday"
    filled, _ = move(text, "from thursday to friday", {"from": "2027-03-04", "to": "2027-03-05"})
    assert filled.get("time") != "2027-03-05"


def test_earlier_in_the_request_applies_once_the_appointment_is_picked(db):
    """ "Can I come in earlier than my appointment?" with two booked: which one is asked; once
    picked, the times before it are offered (the request's "earlier" was forgotten)."""
    mine = upcoming(db, MARIA)
    asked = tracker(MARIA, "the second one", "inform", form="reschedule_form",
                    slots={"offered_appointments": as_choices(mine),
                           "requested_slot": "appointment_id"})  # fmt: skip
    asked.events[:0] = [{"event": "user", "text": "can I come in earlier than my appointment",
                         "parse_data": {"intent": {"name": "reschedule_appointment"}}}]  # fmt: skip
    events, said = run(ValidateRescheduleForm(), asked)
    filled = slots_of(events)
    assert filled["appointment_id"] == str(mine[1].id)
    assert filled["time"]["label"].startswith("before "), filled["time"]
    assert filled["offered_slots"], texts(said)
    starts = [datetime.fromisoformat(o["start"]) for o in filled["offered_slots"]]
    assert all(start < mine[1].start_at.replace(tzinfo=UTC) for start in starts), starts


def test_cancelling_a_relatives_appointments_is_not_cancelling_ones_own(db):
    """ "My mother passed away and I need to cancel her appointments": her record is not this
    chat's; the front desk's number, and none of the sender's own appointments offered."""
    events, said = run(ValidateCancelForm(), tracker(
        MARIA, "my mother passed away and I need to cancel her appointments",
        "cancel_appointment", form="cancel_form", activating=True))  # fmt: skip
    assert texts(said).startswith("I'm so sorry for your loss, Maria. Your mother's record")
    assert "(413) 555-0100" in texts(said) and "link their own record" not in texts(said)
    assert not slots_of(events).get("appointment_id")
    assert "offered_appointments" not in slots_of(events)


def test_questions_about_a_booked_visit_or_a_doctors_openings_are_not_read_as_other_things(db):
    """Misreadings seen in fresh probes: a question about the visit booked started a new
    booking; "is Dr Garcia taking appointments next month?" listed my own; "remove my 8:30 on
    wednesday", read as a bare time, got "what would you like to do?"."""
    from actions.booking import ValidateBookingForm

    physical = [ent("appointment_type", "physical")]
    t = tracker(AISHA, "is my physical on the 4th or the 5th", "inform", physical,
                form="booking_form", activating=True)  # fmt: skip
    events, said = run(ValidateBookingForm(), t)
    assert texts(said).startswith(
        "Here is what you have booked:\n• Physical exam with Dr. Daniel Lee"
    )
    assert not any(e.get("name") == "slot_start" for e in events)
    asked = tracker(MARIA, "is dr garcia taking appointments next month", "list_appointments",
                    [ent("provider", "garcia"), ent("time", {"from": "2027-04-01",
                                                             "to": "2027-04-30"})])  # fmt: skip
    events, said = run(ActionListAppointments(), asked)
    assert events[-1] == {"event": "followup", "name": "booking_form", "timestamp": None}
    assert "You have no appointment" not in texts(said)
    removed = tracker(MARIA, "remove my 8:30 on wednesday", "inform",
                      [ent("time", "2027-03-10T08:30:00-05:00")])  # fmt: skip
    events, _ = run(ActionInformWithoutContext(), removed)
    assert events == [{"event": "followup", "name": "cancel_form", "timestamp": None}]
    # asked about a visit not booked: said so, with what is
    t = tracker(MARIA, "is my physical on the 4th or the 5th", "inform", physical,
                form="booking_form", activating=True)  # fmt: skip
    _, said = run(ValidateBookingForm(), t)
    assert texts(said).startswith("You have no physical exam booked. Here is what you have")


def test_another_day_same_time_keeps_the_appointments_clock_time(db):
    mine = upcoming(db, MARIA)
    (checkup,) = [a for a in mine if a.appointment_type.key == "checkup"]  # Tue Mar 2, 10:00
    asked = {"appointment_id": str(checkup.id), "requested_slot": "time"}
    events, _ = run(ValidateRescheduleForm(), tracker(
        MARIA, "can we do friday, same time", "reschedule_appointment", form="reschedule_form",
        entities=[ent("time", "2027-03-05")], slots=asked,
        new_slots={"time": "2027-03-05"}))  # fmt: skip
    assert slots_of(events)["time"] == "2027-03-05T10:00:00-05:00"
    # said at once, with the day of the appointment it moves ("can't make it thursday")
    events, _ = run(ValidateRescheduleForm(), tracker(
        AISHA, "I can't make it thursday, can we do friday same time", "reschedule_appointment",
        form="reschedule_form", activating=True, new_slots={"time": "2027-03-05"},
        entities=[{**ent("time", "2027-03-04"), "start": 16, "end": 24},
                  {**ent("time", "2027-03-05"), "start": 40, "end": 46}]))  # fmt: skip
    assert slots_of(events)["time"] == "2027-03-05T09:00:00-05:00"  # her physical: Thu 9:00


def test_no_the_other_one_instead_when_asked_to_confirm_a_cancellation_switches_to_it(db):
    mine = upcoming(db, MARIA)
    checkup = next(a for a in mine if a.appointment_type.key == "checkup")
    blood = next(a for a in mine if a.appointment_type.key == "blood_test")
    asked = tracker(MARIA, "actually no, cancel the blood test instead", "cancel_appointment",
                    [ent("appointment_type", "blood_test")], form="cancel_form",
                    slots={"appointment_id": str(checkup.id), "requested_slot": "cancel_confirmed"},
                    new_slots={"cancel_confirmed": False})  # fmt: skip
    events, said = run(ValidateCancelForm(), asked)
    filled = slots_of(events)
    assert filled["appointment_id"] == str(blood.id) and filled["cancel_confirmed"] is None
    assert (
        "Blood test" in filled["appointment_label"] or "blood test" in filled["appointment_label"]
    )
    assert {a.id: a.status for a in upcoming(db, MARIA)} == {a.id: a.status for a in mine}


def test_all_of_them_means_those_listed_or_named_never_every_appointment(db):
    """ "Cancel both my check-ups" or "Both of them" under a list of check-ups: the check-ups,
    not the blood test that was never mentioned."""
    blood_test = next(a for a in upcoming(db, MARIA) if a.appointment_type.key == "blood_test")
    friday = datetime.fromisoformat("2027-03-05T00:00:00-05:00")
    free = slots.find_free_slots(db, "checkup", "patel", friday, friday + timedelta(days=1), None)
    maria = who_is(db, MARIA).actor
    scheduling.book(db, maria, type_key="checkup", start=free[0].start, provider_key="patel")
    db.commit()
    checkups = [a for a in upcoming(db, MARIA) if a.appointment_type.key == "checkup"]
    assert len(checkups) == 2

    named = [ent("appointment_type", "checkup")]
    start = tracker(MARIA, "cancel both my checkups", "cancel_appointment", named,
                    form="cancel_form", activating=True)  # fmt: skip
    chosen = slots_of(run(ValidateCancelForm(), start)[0])
    assert chosen["appointment_id"] == "all"
    assert [o["id"] for o in chosen["offered_appointments"]] == [str(a.id) for a in checkups]
    assert "blood test" not in chosen["appointment_label"]

    listed = {"offered_appointments": as_choices(checkups), "requested_slot": "appointment_id"}
    pressed = tracker(MARIA, '/inform{"appointment_id":"all"}', "inform", form="cancel_form",
                      slots=listed, new_slots={"appointment_id": "all"})  # fmt: skip
    chosen = slots_of(run(ValidateCancelForm(), pressed)[0])
    assert [o["id"] for o in chosen["offered_appointments"]] == [str(a.id) for a in checkups]

    yes = tracker(MARIA, "yes", "affirm", slots={**chosen, "cancel_confirmed": True})
    run(ActionSubmitCancel(), yes)
    db.rollback()
    assert [a.id for a in upcoming(db, MARIA)] == [blood_test.id], "the blood test stays"


def test_my_next_appointment_is_that_one_with_the_rest_counted(db):
    mine = upcoming(db, MARIA)
    assert len(mine) == 2
    _, said = run(ActionListAppointments(), tracker(MARIA, "when is my next appointment?",
                                                    "list_appointments"))  # fmt: skip
    assert texts(said).splitlines() == [
        "Your next appointment:",
        f"• {scheduling.describe(mine[0])} ({mine[0].status.value})",
        "You have 1 more appointment after that.",
    ]
    assert buttons(said)[1]["payload"] == f'/cancel_appointment{{"appointment_id":"{mine[0].id}"}}'


def test_except_keeps_the_one_named_after_it_never_cancels_it(db):
    """ "Cancel everything except my blood test": the check-up only; "cancel all my checkups
    except the one with dr patel" with Patel's the only check-up: nothing to cancel."""
    mine = upcoming(db, MARIA)  # a check-up with Dr Patel and a blood test with Grace Okafor
    checkup = next(a for a in mine if a.appointment_type.key == "checkup")
    text = "cancel everything except my blood test"
    named = [{**ent("appointment_type", "blood_test"), "start": 27, "end": 37}]
    events, _ = run(ValidateCancelForm(), tracker(MARIA, text, "cancel_appointment", named,
                    form="cancel_form", activating=True))  # fmt: skip
    assert slots_of(events)["appointment_id"] == str(checkup.id)

    text = "cancel all my checkups except the one with dr patel"
    named = [{**ent("appointment_type", "checkup"), "start": 14, "end": 22},
             {**ent("provider", "patel"), "start": 44, "end": 52}]  # fmt: skip
    events, said = run(ValidateCancelForm(), tracker(MARIA, text, "cancel_appointment", named,
                       form="cancel_form", activating=True))  # fmt: skip
    assert slots_of(events).get("appointment_id") is None
    assert "That leaves nothing to cancel." in texts(said)


def test_both_back_appointments_are_the_two_about_the_back_never_all(db):
    friday = datetime.fromisoformat("2027-03-05T00:00:00-05:00")
    free = slots.find_free_slots(db, "checkup", "patel", friday, friday + timedelta(days=1), None)
    maria = who_is(db, MARIA).actor
    back = [
        scheduling.book(db, maria, type_key="checkup", start=free[0].start, provider_key="patel",
                        reason="back pain"),
        scheduling.book(db, maria, type_key="checkup", start=free[-1].start, provider_key="patel",
                        reason="my back"),
    ]  # fmt: skip
    db.commit()
    assert len(upcoming(db, MARIA)) == 4
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "cancel both back appointments",
                    "cancel_appointment", form="cancel_form", activating=True))  # fmt: skip
    chosen = slots_of(events)
    assert chosen["appointment_id"] == "all"
    assert {o["id"] for o in chosen["offered_appointments"]} == {str(a.id) for a in back}
    # "both" with nothing to tell which two: asked, not all four
    events, _ = run(ValidateCancelForm(), tracker(MARIA, "cancel both", "cancel_appointment",
                    form="cancel_form", activating=True))  # fmt: skip
    assert slots_of(events).get("appointment_id") != "all"


def test_no_to_which_appointment_changes_nothing_and_asks_no_more(db):
    mine = upcoming(db, MARIA)
    asked = {"offered_appointments": as_choices(mine), "requested_slot": "appointment_id"}
    events, said = run(ValidateCancelForm(), tracker(MARIA, "no", "deny", form="cancel_form",
                                                     slots=asked))  # fmt: skip
    assert slots_of(events)["requested_slot"] is None
    assert texts(said) == "OK, nothing was changed."


def test_the_one_at_a_clock_time_picks_that_appointment(db):
    mine = upcoming(db, MARIA)
    blood_test = next(a for a in mine if a.appointment_type.key == "blood_test")
    clock_said = clinic_text.local(blood_test.start_at).strftime(
        "the %-I%M one pls"
    )  # "the 830 one"
    asked = {"offered_appointments": as_choices(mine), "requested_slot": "appointment_id"}
    events, _ = run(ValidateCancelForm(), tracker(MARIA, clock_said, "inform",
                                                  form="cancel_form", slots=asked))  # fmt: skip
    assert slots_of(events)["appointment_id"] == str(blood_test.id), clock_said


def test_reschedule_my_appointment_with_dr_patel_picks_hers_not_the_list(db):
    checkup = next(a for a in upcoming(db, MARIA) if a.provider.key == "patel")
    text = "reschedule my appointment with dr patel"
    named = [{**ent("provider", "patel"), "start": 31, "end": 39}]
    events, _ = run(ValidateRescheduleForm(), tracker(MARIA, text, "reschedule_appointment", named,
                    form="reschedule_form", activating=True))  # fmt: skip
    assert slots_of(events)["appointment_id"] == str(checkup.id)


@pytest.mark.parametrize(
    ("text", "shift"),
    [("move my check-up to the same time next week", timedelta(days=7)),
     ("push my appointment with dr patel back an hour", timedelta(hours=1))],
)  # fmt: skip
def test_a_move_said_relative_to_the_visit_is_that_time(db, text, shift):
    checkup = next(a for a in upcoming(db, MARIA) if a.appointment_type.key == "checkup")
    entities = [{**ent("appointment_type", "checkup"), "start": 8, "end": 16}]
    if "next week" in text:
        week = {"from": "2027-03-08", "to": "2027-03-14"}
        entities.append({**ent("time", week), "start": text.index("next week"), "end": len(text)})
    if "dr patel" in text:
        entities = [{**ent("provider", "patel"), "start": text.index("dr patel"), "end": 33}]
    times = [e["value"] for e in entities if e["entity"] == "time"]
    mapped = {"time": times[0]} if times else {}  # as Rasa sets it from the entity
    events, _ = run(ValidateRescheduleForm(), tracker(MARIA, text, "reschedule_appointment",
                    entities, form="reschedule_form", activating=True,
                    new_slots=mapped))  # fmt: skip
    filled = slots_of(events)
    assert filled["appointment_id"] == str(checkup.id)
    moved = clinic_text.local(checkup.start_at) + shift
    assert datetime.fromisoformat(filled["time"]) == moved, filled


def test_actually_i_meant_the_checkup_while_moving_the_blood_test_moves_the_checkup(db):
    mine = upcoming(db, MARIA)
    blood_test = next(a for a in mine if a.appointment_type.key == "blood_test")
    checkup = next(a for a in mine if a.appointment_type.key == "checkup")
    state = {"appointment_id": str(blood_test.id), "appointment_type": "blood_test",
             "provider": "okafor", "requested_slot": "time"}  # fmt: skip
    text = "actually i meant the checkup tmrw"
    named = [{**ent("appointment_type", "checkup"), "start": 21, "end": 28}]
    events, said = run(ValidateRescheduleForm(), tracker(MARIA, text, "inform", named,
                       form="reschedule_form", slots=state))  # fmt: skip
    filled = slots_of(events)
    assert filled["appointment_id"] == str(checkup.id)
    assert filled["provider"] == "patel" and filled["appointment_type"] == "checkup"
    assert texts(said).startswith("OK, your check-up, Tue, Mar 2 at ")


def test_very_late_for_a_short_visit_is_warned_it_may_need_moving(db, frozen_now):
    from actions.appointments import ActionRunningLate

    visit = upcoming(db, MARIA)[0]
    frozen_now((visit.start_at - timedelta(minutes=20)).isoformat())
    _, said = run(ActionRunningLate(), tracker(MARIA, "gonna be 45 min late is that ok?",
                                               "running_late"))  # fmt: skip
    assert "so that late the front desk may need to move it" in texts(said)
    _, said = run(ActionRunningLate(), tracker(MARIA, "running 5 minutes late", "running_late"))
    assert "may need to move it" not in texts(said)


def test_confirm_all_of_them_confirms_each_and_says_so(db):
    from actions.appointments import ActionConfirmAttendance

    mine = upcoming(db, MARIA)
    for appointment in mine:  # the demo has one confirmed already: both unconfirmed first
        appointment.status = AppointmentStatus.BOOKED
    db.commit()
    _, said = run(ActionConfirmAttendance(), tracker(MARIA, "confirm all of them pls",
                                                     "confirm_attendance"))  # fmt: skip
    assert texts(said).startswith("Thanks, you're confirmed for:\n• "), texts(said)
    with session_scope() as fresh:  # `db` keeps its own snapshot of the rows it wrote
        ids = [a.id for a in mine]
        statuses = {a.id: a.status.value for a in map(lambda i: fresh.get(Appointment, i), ids)}
    assert set(statuses.values()) == {"confirmed"}, statuses
