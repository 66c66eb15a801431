"""Staff only: the schedule, the inbox, meeting rooms. The role comes from the store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from actions.appointments import ActionListAppointments
from actions.follow_up import ActionAffirm, ActionInformWithoutContext
from actions.staff import (
    ActionStaffMessages,
    ActionStaffSchedule,
    ValidateMeetingForm,
    meeting_minutes,
    meeting_title,
)
from clinic.models import MessageSlip, OutboxMessage, RoomBooking, SlipStatus, Staff
from tests.actions.helpers import (
    DR_PATEL,
    MARIA,
    RITA,
    STRANGER_TG,
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

FORM = "meeting_form"
THURSDAY_2_TO_3 = {"from": "2027-03-04T14:00:00-05:00", "to": "2027-03-04T15:00:00-05:00"}


def test_todays_schedule_by_provider(db):
    _, said = run(ActionStaffSchedule(), tracker(RITA, "what's on today?", intent="staff_schedule"))
    answer = texts(said)
    assert answer.startswith("Schedule for Monday, March 1:")
    assert "Dr. Anika Patel" in answer and "Dr. Daniel Lee" in answer


def test_who_is_dr_patel_seeing_tomorrow(db):
    _, said = run(
        ActionStaffSchedule(),
        tracker(
            RITA,
            "who is Dr Patel seeing tomorrow?",
            intent="staff_schedule",
            entities=[ent("provider", "patel"), ent("time", "2027-03-02")],
        ),
    )
    answer = texts(said)
    assert answer.startswith("Schedule for Tuesday, March 2:")
    assert "Maria Lopez" in answer and "Dr. Daniel Lee" not in answer


def test_a_doctor_asking_for_my_schedule_gets_their_own(db):
    patel = "tg:2003"  # Dr. Anika Patel, staff and a provider
    tomorrow = [ent("time", "2027-03-02")]
    for text in ("my schedule tomorrow", "who am I seeing tomorrow?"):
        _, said = run(
            ActionStaffSchedule(), tracker(patel, text, "staff_schedule", entities=tomorrow)
        )
        answer = texts(said)
        assert "Dr. Anika Patel" in answer and "Grace Okafor" not in answer, text
    # without "my" a doctor sees the whole practice, and the front desk always does
    for sender, text in ((patel, "what's on tomorrow?"), (RITA, "my schedule tomorrow")):
        _, said = run(
            ActionStaffSchedule(), tracker(sender, text, "staff_schedule", entities=tomorrow)
        )
        assert "Dr. Anika Patel" in texts(said) and "Grace Okafor" in texts(said), text


def test_a_doctor_saying_my_appointments_gets_their_day_not_a_patient_prompt(db):
    # "my schedule" / "my appointments" read as a patient's list_appointments
    for text in ("my schedule", "my appointments today"):
        _, said = run(ActionListAppointments(), tracker("tg:2003", text, "list_appointments"))
        answer = texts(said)
        assert "Dr. Anika Patel" in answer and "Grace Okafor" not in answer, answer
        assert "signed in as staff" not in answer
    # the front desk has no day of its own: told what staff can ask instead
    _, said = run(ActionListAppointments(), tracker(RITA, "my appointments", "list_appointments"))
    assert "signed in as staff" in texts(said)


def test_a_date_or_doctor_not_understood_is_said_not_silently_replaced(db):
    _, said = run(
        ActionStaffSchedule(),
        tracker(RITA, "schedule for dr patel on 31 feb", "staff_schedule",
                entities=[ent("provider", "patel")]),
    )  # fmt: skip
    assert said.messages[0]["text"] == "February has no 31st."
    assert said.messages[1]["text"] == "I couldn't read a date in that, so here is today."
    assert "Schedule for Monday, March 1:" in texts(said)
    _, said = run(
        ActionStaffSchedule(),
        tracker(RITA, "who is Dr Nobody seeing tomorrow", "staff_schedule",
                entities=[ent("time", "2027-03-02")]),
    )  # fmt: skip
    assert said.messages[0]["text"] == "I don't know Dr Nobody here, so here is everyone."
    for plain in ("what's on today?", "schedule for tomorrow please", "who's in this afternoon"):
        _, said = run(ActionStaffSchedule(), tracker(RITA, plain, "staff_schedule"))
        assert texts(said).startswith("Schedule for"), plain


def test_a_week_asked_for_is_one_line_a_day(db):
    week = [ent("time", {"from": "2027-03-08", "to": "2027-03-14"})]
    _, said = run(ActionStaffSchedule(), tracker(RITA, "schedule for next week",
                  "staff_schedule", entities=week))  # fmt: skip
    lines = texts(said).splitlines()
    assert lines[0] == "Schedule, Monday, March 8 to Sunday, March 14:"
    days = [line for line in lines if line.startswith("• ")]
    assert len(days) == 7 and days[-1] == "• Sun, Mar 14: closed"
    assert days[0].endswith("; off: Lee"), "time off (the seeded conference), not days off"
    assert "off:" not in days[1], "Dr Lee's usual Tuesday off is not news"
    assert "Maria" not in texts(said), "counts, not patients"
    events, said = run(ActionStaffSchedule(), tracker(RITA, "dr lee next week", "staff_schedule",
                  entities=[*week, ent("provider", "lee")]))  # fmt: skip
    assert "• Tue, Mar 9: not working on Tuesdays" in texts(said)

    # then "tuesday": that week's Tuesday, not this week's (as a follow-up or a new question)
    (asked,) = [e["value"] for e in events if e.get("name") == "schedule_asked"]
    tuesday = {**ent("time", "2027-03-02"), "start": 0, "end": 7}
    for intent, action in (("inform", ActionInformWithoutContext()),
                           ("staff_schedule", ActionStaffSchedule())):  # fmt: skip
        t = tracker(RITA, "tuesday", intent, entities=[tuesday], slots={"schedule_asked": asked})
        _, said = run(action, answered_by(t, "action_staff_schedule"))
        assert texts(said).startswith("Schedule for Tuesday, March 9:"), intent


def test_a_patient_or_stranger_is_refused_the_schedule(db):
    for sender in (MARIA, STRANGER_TG):
        _, said = run(ActionStaffSchedule(), tracker(sender, intent="staff_schedule"))
        assert texts(said) == "Sorry, that is only available to the practice's staff."


def test_a_patient_asking_what_is_on_a_day_is_offered_a_booking_not_the_schedule(db):
    wednesday = [ent("time", "2027-03-03")]
    _, said = run(ActionStaffSchedule(), tracker(MARIA, "what's on for wednesday",
                  "staff_schedule", entities=wednesday))  # fmt: skip
    assert texts(said).startswith("The practice's schedule is for staff only")
    assert "Schedule for" not in texts(said) and "Dr. Anika Patel" not in texts(said)
    assert [b["payload"] for b in buttons(said)] == ["/book_appointment", "/list_appointments"]


def test_a_patient_asking_what_they_have_on_a_day_gets_their_own_appointments(db):
    tuesday = [ent("time", "2027-03-02")]  # Maria's check-up is on Tuesday at 10:00
    _, said = run(ActionStaffSchedule(), tracker(MARIA, "do i have anything on tuesday?",
                  "staff_schedule", entities=tuesday))  # fmt: skip
    assert texts(said).startswith("Your appointment on Tuesday, March 2:"), texts(said)
    assert "Schedule for" not in texts(said) and "Okafor" not in texts(said)


@pytest.mark.parametrize(
    "message, entities",
    [
        ("do you have room for one more patient on wednesday", [ent("time", "2027-03-03")]),
        ("does dr lee have anything tomorrow morning", [ent("provider", "lee"), ent("time", {
            "from": "2027-03-02T08:00:00-05:00", "to": "2027-03-02T12:00:00-05:00"})]),
        ("is dr patel free on friday for a checkup", [ent("provider", "patel"),
         ent("time", "2027-03-05"), ent("appointment_type", "checkup")]),
    ],
)  # fmt: skip
def test_a_patient_asking_whether_there_is_room_is_looking_for_a_time(db, message, entities):
    """Not the schedule and not a refusal: the booking form, with what the question named."""
    events, said = run(ActionStaffSchedule(), tracker(MARIA, message, "staff_schedule", entities))
    assert texts(said) == ""
    assert (events[-1]["event"], events[-1]["name"]) == ("followup", "booking_form")
    named = {e["entity"]: e["value"] for e in entities}
    assert slots_of(events) == named


def test_a_patient_asking_who_a_doctor_sees_hears_when_they_work_not_whom(db):
    morning = {"from": "2027-03-02T08:00:00-05:00", "to": "2027-03-02T12:00:00-05:00"}
    _, said = run(ActionStaffSchedule(), tracker(MARIA, "is dr patel in tomorrow morning",
                  "staff_schedule", entities=[ent("provider", "patel"),
                                              ent("time", morning)]))  # fmt: skip
    assert texts(said).startswith("Dr. Anika Patel sees patients on Tuesday, March 2:")
    assert "Schedule" not in texts(said) and "Lopez" not in texts(said)


def test_a_patient_mid_form_misread_as_asking_the_schedule_hears_not_understood(db):
    _, said = run(
        ActionStaffSchedule(),
        tracker(MARIA, "next blursday", "staff_schedule", form="booking_form",
                slots={"requested_slot": "time"}),
    )  # fmt: skip
    assert texts(said) == "Sorry, I didn't catch that."
    assert "Maria" not in texts(said) and "Schedule" not in texts(said)


def test_the_inbox_urgent_first(db):
    _, said = run(ActionStaffMessages(), tracker(RITA, intent="staff_messages"))
    lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
    open_slips = db.scalars(
        select(MessageSlip).where(MessageSlip.status.in_([SlipStatus.OPEN, SlipStatus.ANSWERED]))
    ).all()
    assert len(lines) == min(len(open_slips), 10)
    urgent = [i for i, line in enumerate(lines) if "❗" in line or "🚨" in line]
    assert urgent and urgent == list(range(len(urgent)))  # all urgent ones come first
    # a patient never sees the inbox: their own messages at most (none here yet)
    _, own = run(ActionStaffMessages(), tracker(MARIA, "any messages for me?", "staff_messages"))
    assert texts(own) == "You haven't sent the practice any messages here yet."
    _, refused = run(ActionStaffMessages(), tracker(STRANGER_TG, intent="staff_messages"))
    assert "only available to the practice's staff" in texts(refused)


def test_a_patient_asking_about_their_messages_sees_their_own_and_the_replies(db):
    from clinic import inbox
    from clinic.identity import who_is

    maria, rita = who_is(db, MARIA), who_is(db, RITA)
    slip = inbox.leave_message(db, maria.actor, reason="Is my rash contagious?",
                               for_provider="patel")  # fmt: skip
    inbox.reply(db, rita.staff_actor, slip.id, "Dr Patel says no, but keep it covered.")
    db.commit()
    _, said = run(ActionStaffMessages(), tracker(MARIA, "did dr patel reply?", "staff_messages"))
    assert texts(said).startswith("Your recent messages to the practice:")
    assert "for Dr. Anika Patel: answered: “Dr Patel says no, but keep it covered.”" in texts(said)
    assert "Kenji" not in texts(said) and "lisinopril" not in texts(said)  # nobody else's


def test_meeting_title_from_the_request():
    assert meeting_title("book the conference room Thursday 2-3pm for a staff meeting") == (
        "Staff meeting"
    )
    assert meeting_title("reserve the library for the billing review on friday") == (
        "Billing review"
    )
    assert meeting_title("book the library") == "Staff meeting"
    # how long is not what for
    assert meeting_title("book the conference room friday at 2 for an hour") == "Staff meeting"
    assert meeting_title("room for the budget review for 30 minutes") == "Budget review"
    # who it is for is not what it is
    assert meeting_title("book the conference room thursday 3-4 for me and Rita") == "Staff meeting"
    assert meeting_title("the library monday 9am for the whole team") == "Staff meeting"
    assert meeting_title("conference room tues 3-4 for a team huddle") == "Team huddle"


def test_meeting_length_from_the_request():
    assert meeting_minutes("book the conference room friday at 2 for an hour") == 60
    assert meeting_minutes("the library for 90 minutes at 10") == 90
    assert meeting_minutes("for half an hour") == 30
    assert meeting_minutes("for two hours tomorrow") == 120
    assert meeting_minutes("for 1.5 hrs") == 90
    assert meeting_minutes("for the team, 2 to 3pm") is None


def test_a_meeting_as_long_as_the_request_says(db):
    friday_10 = "2027-03-05T10:00:00-05:00"
    text = "book the conference room friday at 10 for 90 minutes"
    events, _ = run(
        ValidateMeetingForm(),
        tracker(RITA, text, intent="staff_book_meeting", form=FORM, activating=True,
                new_slots={"room": "conference", "time": friday_10}),
    )  # fmt: skip
    state = slots_of(events)
    assert state["meeting_minutes"] == 90
    assert "10:00 AM–11:30 AM" in state["slot_label"], state["slot_label"]
    state |= {"meeting_invite": False, "requested_slot": "meeting_confirmed"}
    run(
        ValidateMeetingForm(),
        tracker(RITA, "yes", intent="affirm", form=FORM, slots=state,
                new_slots={"meeting_confirmed": True}),
    )  # fmt: skip
    db.rollback()
    booking = db.scalars(select(RoomBooking).order_by(RoomBooking.id.desc())).first()
    assert booking.end_at - booking.start_at == timedelta(minutes=90)


def test_an_exam_room_is_not_a_meeting_room(db):
    events, said = run(
        ValidateMeetingForm(),
        tracker(
            RITA,
            "book exam room 1",
            intent="staff_book_meeting",
            form=FORM,
            activating=True,
            new_slots={"room": "exam1"},
        ),
    )
    assert slots_of(events)["room"] is None
    assert "Exam Room 1 is an exam room" in texts(said)


def test_a_meeting_time_outside_opening_hours_is_refused_when_given(db):
    events, said = run(
        ValidateMeetingForm(),
        tracker(
            RITA,
            "book the conference room at 3am tomorrow",
            intent="staff_book_meeting",
            form=FORM,
            activating=True,
            new_slots={"room": "conference", "time": "2027-03-02T03:00:00-05:00"},
        ),
    )
    assert slots_of(events)["time"] is None  # asked again, before any confirmation
    assert "while the practice is open" in texts(said), texts(said)


def test_a_meeting_day_then_its_hours_make_one_time(db):
    """ "book the conference room tomorrow" ... "2 to 3pm": tomorrow 2-3pm, not today."""
    from actions import questions

    day = [ent("time", "2027-03-02")]
    events, said = run(
        ValidateMeetingForm(),
        tracker(RITA, "book the conference room tomorrow", "staff_book_meeting", entities=day,
                form=FORM, activating=True, new_slots={"room": "conference",
                                                       "time": "2027-03-02"}),
    )  # fmt: skip
    assert slots_of(events).get("time") is None and texts(said) == "", "asked once, below"
    asked = tracker(RITA, "book the conference room tomorrow", "staff_book_meeting",
                    entities=day, form=FORM)  # fmt: skip
    _, question = run(questions.ActionAskMeetingFormTime(), asked)
    assert texts(question) == 'What time on Tuesday, March 2? For example "2-3pm".'

    today_2_to_3 = {"from": "2027-03-01T14:00:00-05:00", "to": "2027-03-01T15:00:00-05:00"}
    hours = {**ent("time", today_2_to_3), "additional_info": {"grain": "range", "dated": False}}
    answer = tracker(RITA, "2 to 3pm", "inform", entities=[hours], form=FORM,
                     slots={"room": "conference", "requested_slot": "time"},
                     new_slots={"time": today_2_to_3})  # fmt: skip
    parsed = {"intent": {"name": "staff_book_meeting"}, "entities": day}
    earlier = {"event": "user", "text": "book the conference room tomorrow", "parse_data": parsed}
    answer.events.insert(0, earlier)
    tomorrow_2_to_3 = {"from": "2027-03-02T14:00:00-05:00", "to": "2027-03-02T15:00:00-05:00"}
    events, said = run(ValidateMeetingForm(), answer)
    assert slots_of(events)["time"] == tomorrow_2_to_3, texts(said)

    # "2 to 3" bare (the NLU finds no time in it: alone it could be a count) is that too
    bare = tracker(RITA, "2 to 3", "inform", form=FORM,
                   slots={"room": "conference", "requested_slot": "time"})  # fmt: skip
    bare.events.insert(0, earlier)
    events, said = run(ValidateMeetingForm(), bare)
    assert slots_of(events)["time"] == tomorrow_2_to_3, texts(said)


def test_a_schedule_asked_on_the_side_does_not_move_the_meeting(db):
    """ "book the conference room friday" ... "who is Dr Patel seeing tomorrow?" (answered on
    the side) ... "and Friday?" is that schedule again; the meeting is still on Friday."""
    from actions import questions

    def user(text, intent, entities=()):
        parsed = {"intent": {"name": intent}, "entities": list(entities)}
        return {"event": "user", "text": text, "parse_data": parsed}

    friday = [ent("time", "2027-03-05")]
    booked = user("book the conference room friday", "staff_book_meeting", friday)
    side = user("who is Dr Patel seeing tomorrow?", "staff_schedule",
                [ent("provider", "patel"), ent("time", "2027-03-02")])  # fmt: skip
    asked = tracker(RITA, side["text"], "staff_schedule", side["parse_data"]["entities"],
                    form=FORM, slots={"room": "conference", "requested_slot": "time"})  # fmt: skip
    asked.events[1:2] = [booked, side]
    _, question = run(questions.ActionAskMeetingFormTime(), asked)
    assert texts(question) == 'What time on Friday, March 5? For example "2-3pm".'

    again = tracker(RITA, "and Friday?", "inform", friday, form=FORM,
                    slots={"room": "conference", "requested_slot": "time",
                           "schedule_asked": {"day": "2027-03-02", "provider": "patel"}},
                    new_slots={"time": "2027-03-05"})  # fmt: skip
    again.events[1:1] = [booked, side]
    events, said = run(ValidateMeetingForm(), again)
    assert texts(said).startswith("Schedule for Friday, March 5:"), texts(said)
    assert "Dr. Anika Patel" in texts(said) and "Dr. Daniel Lee" not in texts(said)
    assert slots_of(events)["time"] is None, "the meeting time is still to be said"

    # the same once the meeting's time was given: it keeps that time
    friday_2_to_3 = {"from": "2027-03-05T14:00:00-05:00", "to": "2027-03-05T15:00:00-05:00"}
    later = tracker(RITA, "and Friday?", "inform", friday, form=FORM,
                    slots={"room": "conference", "requested_slot": "meeting_invite",
                           "schedule_asked": {"day": "2027-03-02", "provider": "patel"}},
                    new_slots={"time": "2027-03-05"})  # fmt: skip
    later.events[1:1] = [booked, {"event": "slot", "name": "time", "value": friday_2_to_3}, side]
    events, said = run(ValidateMeetingForm(), later)
    assert texts(said).startswith("Schedule for Friday, March 5:"), texts(said)
    assert slots_of(events)["time"] == friday_2_to_3

    hours = {**ent("time", {"from": "2027-03-01T14:00:00-05:00",
                            "to": "2027-03-01T15:00:00-05:00"}),
             "additional_info": {"grain": "range", "dated": False}}  # fmt: skip
    answer = tracker(RITA, "2 to 3pm", "inform", [hours], form=FORM,
                     slots={"room": "conference", "requested_slot": "time"},
                     new_slots={"time": hours["value"]})  # fmt: skip
    answer.events[1:1] = [booked, side, again.events[-2]]
    events, said = run(ValidateMeetingForm(), answer)
    assert slots_of(events)["time"] == {
        "from": "2027-03-05T14:00:00-05:00", "to": "2027-03-05T15:00:00-05:00"
    }, texts(said)  # fmt: skip


def test_book_a_meeting_room_and_invite_the_team(db):
    text = "book the conference room Thursday 2-3pm for a staff meeting"
    events, _ = run(
        ValidateMeetingForm(),
        tracker(
            RITA,
            text,
            intent="staff_book_meeting",
            form=FORM,
            activating=True,
            new_slots={"room": "conference", "time": THURSDAY_2_TO_3},
        ),
    )
    state = slots_of(events)
    assert state["meeting_title"] == "Staff meeting"
    state |= {
        "room": "conference",
        "time": THURSDAY_2_TO_3,
        "meeting_invite": True,
        "requested_slot": "meeting_confirmed",
    }
    events, _ = run(
        ValidateMeetingForm(),
        tracker(
            RITA,
            "yes",
            intent="affirm",
            form=FORM,
            slots=state,
            new_slots={"meeting_confirmed": True},
        ),
    )
    assert slots_of(events)["meeting_confirmed"] is True
    db.rollback()
    booking = db.scalars(select(RoomBooking).order_by(RoomBooking.id.desc())).first()
    assert booking.room.key == "conference" and booking.title == "Staff meeting"
    invites = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meeting_invite")).all()
    staff = db.scalars(select(Staff).where(Staff.active)).all()
    assert len([i for i in invites if i.meta["room_booking_id"] == booking.id]) == len(staff) - 1


def test_a_meeting_with_the_people_named_invites_only_them(db):
    """ "Dr Patel and Ben" when asked whether to invite everyone, or "with Ben" in the request:
    those two, named in the confirmation, and only they get an invitation."""
    asked = {"room": "conference", "time": THURSDAY_2_TO_3, "requested_slot": "meeting_invite"}
    events, _ = run(ValidateMeetingForm(), tracker(RITA, "dr patel and ben", "inform",
                    [ent("provider", "patel")], form=FORM, slots=asked))  # fmt: skip
    state = slots_of(events)
    people = {p.name: p.id for p in db.scalars(select(Staff))}
    assert sorted(state["meeting_invite"]) == sorted([people["Anika Patel"], people["Ben Okoro"]])
    assert state["slot_label"].endswith("inviting Anika Patel and Ben Okoro"), state["slot_label"]

    state = {**asked, **state, "requested_slot": "meeting_confirmed"}
    events, _ = run(ValidateMeetingForm(), tracker(RITA, "yes", "affirm", form=FORM, slots=state,
                    new_slots={"meeting_confirmed": True}))  # fmt: skip
    assert slots_of(events)["meeting_confirmed"] is True
    db.rollback()
    booking = db.scalars(select(RoomBooking).order_by(RoomBooking.id.desc())).first()
    invites = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meeting_invite")).all()
    invited = [i.meta for i in invites if i.meta["room_booking_id"] == booking.id]
    assert len(invited) == 2

    events, _ = run(ValidateMeetingForm(), tracker(RITA, "book the library friday at 10 for a "
                    "budget chat with ben", "staff_book_meeting", form=FORM, activating=True,
                    new_slots={"room": "library"}))  # fmt: skip
    assert slots_of(events)["meeting_invite"] == [people["Ben Okoro"]]


def test_a_patient_cannot_book_a_meeting_room(db):
    events, said = run(
        ValidateMeetingForm(),
        tracker(
            MARIA,
            intent="staff_book_meeting",
            form=FORM,
            activating=True,
            new_slots={"room": "conference"},
        ),
    )
    assert slots_of(events)["requested_slot"] is None
    assert "only available to the practice's staff" in texts(said)


def test_and_tomorrow_after_a_schedule_shows_tomorrows_schedule(db):
    events, _ = run(ActionStaffSchedule(), tracker(RITA, "who is Dr Lee seeing today?",
                    "staff_schedule", entities=[ent("provider", "lee")]))  # fmt: skip
    asked = slots_of(events)["schedule_asked"]
    assert asked == {"day": "2027-03-01", "provider": "lee"}

    tomorrow = tracker(RITA, "and tomorrow?", entities=[ent("time", "2027-03-02")],
                       slots={"schedule_asked": asked})  # fmt: skip
    events, said = run(ActionInformWithoutContext(), answered_by(tomorrow, "action_staff_schedule"))
    assert texts(said).startswith("Schedule for Tuesday, March 2:")
    assert "Dr. Daniel Lee" in texts(said) and "Dr. Anika Patel" not in texts(said), "still Dr Lee"
    asked = slots_of(events)["schedule_asked"]

    patel = tracker(RITA, "what about dr patel", entities=[ent("provider", "patel")],
                    slots={"schedule_asked": asked})  # fmt: skip
    _, said = run(
        ActionInformWithoutContext(),
        answered_by(patel, "action_staff_schedule", "action_inform_without_context"),
    )
    assert texts(said).startswith("Schedule for Tuesday, March 2:"), "still tomorrow"
    assert "Dr. Anika Patel" in texts(said) and "Dr. Daniel Lee" not in texts(said)


def test_a_bare_detail_from_staff_with_no_schedule_before_offers_staff_things(db):
    t = tracker(RITA, "the blue one")
    _, said = run(ActionInformWithoutContext(), answered_by(t, "action_staff_messages"))
    assert [b["payload"] for b in buttons(said)] == [
        "/staff_schedule", "/staff_messages", "/staff_book_meeting"
    ]  # fmt: skip
    # a day out of the blue from staff ("friday afternoon?"): that day's schedule
    t = tracker(RITA, "tomorrow?", entities=[ent("time", "2027-03-02")])
    _, said = run(ActionInformWithoutContext(), answered_by(t, "action_staff_messages"))
    assert texts(said).startswith("Schedule for Tuesday, March 2:")
    # a patient who says "and tomorrow?" sees no schedule, whatever slot they carry
    t = tracker(MARIA, "and tomorrow?", entities=[ent("time", "2027-03-02")],
                slots={"schedule_asked": {"day": "2027-03-01", "provider": None}})  # fmt: skip
    _, said = run(ActionInformWithoutContext(), answered_by(t, "action_staff_schedule"))
    assert "Schedule" not in texts(said)
    assert "/book_appointment" in [b["payload"] for b in buttons(said)]


def test_a_stranger_who_types_their_name_when_asked_to_link_is_told_how(db):
    register = [{"title": "Register as a new patient", "payload": "/register"}]
    t = after_question(tracker(STRANGER_WEB, "Jane Doe"), "Link or register", register)
    _, said = run(ActionInformWithoutContext(), t)
    assert texts(said).startswith("Thanks, Jane Doe.")
    assert [b["payload"] for b in buttons(said)] == ["/link_account", "/register"]
    # not asked to link: no guessing that words are a name
    _, said = run(ActionInformWithoutContext(), tracker(STRANGER_WEB, "Jane Doe"))
    assert "Thanks" not in texts(said)


def test_yes_to_a_question_with_one_thing_to_start_starts_it(db):
    book_again = [{"title": "Book a new time",
                   "payload": '/book_appointment{"appointment_type":"checkup","provider":"patel"}'},
                  {"title": "No, thanks", "payload": "/deny"}]  # fmt: skip
    asked = "Would you like to book another time?"
    t = after_question(tracker(MARIA, "yes", "affirm"), asked, book_again)
    events, said = run(ActionAffirm(), t)
    assert not said.messages
    assert [(e["event"], e.get("name"), e.get("value")) for e in events] == [
        ("slot", "appointment_type", "checkup"),
        ("slot", "provider", "patel"),
        ("followup", "booking_form", None),
    ]
    # a yes to nothing in particular: what else?
    _, said = run(ActionAffirm(), tracker(MARIA, "yes", "affirm"))
    assert texts(said) == "OK. What else can I help you with?"
    # "ok" after a menu that is no question ("Sorry, I can't help with that" [What can you
    # do?] [Talk to a person]): not a handoff to staff
    menu = [{"title": "What can you do?", "payload": "/help"},
            {"title": "Talk to a person", "payload": "/request_human"}]  # fmt: skip
    t = after_question(tracker(MARIA, "ok", "affirm"), "Sorry, I can't help with that.", menu)
    events, said = run(ActionAffirm(), t)
    assert texts(said) == "OK. What else can I help you with?" and not events
    # nor a button shown before this session started (the session expired overnight)
    t = after_question(tracker(MARIA, "yes", "affirm"), asked, book_again)
    t.events.insert(1, {"event": "session_started"})
    events, said = run(ActionAffirm(), t)
    assert texts(said) == "OK. What else can I help you with?" and not events


def test_the_second_one_from_a_menu_does_what_that_button_does(db):
    menu = [{"title": "Book an appointment", "payload": "/book_appointment"},
            {"title": "My appointments", "payload": "/list_appointments"}]  # fmt: skip
    t = after_question(tracker(MARIA, "the second one"), "Here's what I can do.", menu)
    _, said = run(ActionInformWithoutContext(), t)
    assert texts(said).startswith("Your upcoming appointments:"), "answered in this turn"
    # a form is started as the next action, its loop then waits for the answers
    t = after_question(tracker(MARIA, "the first one"), "Here's what I can do.", menu)
    events, _ = run(ActionInformWithoutContext(), t)
    assert [(e["event"], e.get("name")) for e in events] == [("followup", "booking_form")]


def test_any_urgent_messages_lists_only_the_urgent_ones(db):
    _, said = run(ActionStaffMessages(), tracker(RITA, "any urgent messages?", "staff_messages"))
    lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
    assert texts(said).startswith("Open urgent messages: ")
    assert lines and all("❗" in line or "🚨" in line for line in lines)
    assert texts(said).splitlines()[-1].endswith("can wait.")


def test_urgent_messages_beyond_the_list_are_counted_never_taken_for_none(db):
    """Fourteen urgent ones: ten listed, and the other four said, apart from the ones that
    can wait."""
    from clinic import inbox
    from clinic.identity import who_is
    from clinic.models import Desk, Urgency

    maria = who_is(db, MARIA).actor
    for n in range(12):
        inbox.leave_message(db, maria, reason=f"dizzy spell {n}", desk=Desk.NURSE,
                            urgency=Urgency.URGENT)  # fmt: skip
    db.commit()
    _, said = run(ActionStaffMessages(), tracker(RITA, "any urgent messages?", "staff_messages"))
    lines = texts(said).splitlines()
    assert lines[0] == "Open urgent messages: 14, the 10 most urgent shown, emergencies first:"
    assert len([line for line in lines if line.startswith("• ")]) == 10
    assert "4 more open urgent messages not shown here: type /inbox for the longer list." in lines
    assert lines[-1] == "3 other open messages can wait."
    _, said = run(ActionStaffMessages(), tracker(RITA, "any messages?", "staff_messages"))
    assert texts(said).startswith("Open messages: 17, the 10 most urgent shown, urgent first:")
    assert "7 more open messages not shown here" in texts(said)


def test_any_refill_requests_lists_only_those_and_says_how_many_others_wait(db):
    _, said = run(ActionStaffMessages(), tracker(RITA, "any refill requests?", "staff_messages"))
    lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
    assert texts(said).startswith("Open refill requests: "), texts(said)
    assert lines and all(" refill for " in line for line in lines)
    assert texts(said).splitlines()[-1].endswith("other open messages.")


def test_messages_for_one_doctor_lists_only_theirs(db):
    asked = tracker(
        RITA, "any messages for dr patel?", "staff_messages", [ent("provider", "patel")]
    )
    _, said = run(ActionStaffMessages(), asked)
    lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
    assert texts(said).startswith("Open messages for Dr. Anika Patel: "), texts(said)
    assert lines and all(" for Dr. Anika Patel from " in line for line in lines)
    _, said = run(ActionStaffMessages(), tracker(RITA, "any records requests for dr lee?",
                  "staff_messages", [ent("provider", "lee")]))  # fmt: skip
    assert texts(said).startswith(("No open records requests for Dr. Daniel Lee right now.",
                                   "Open records requests for Dr. Daniel Lee: "))  # fmt: skip


def test_a_doctor_asking_for_their_messages_gets_theirs_and_the_desk_gets_all(db):
    _, said = run(
        ActionStaffMessages(), tracker(DR_PATEL, "any messages for me?", "staff_messages")
    )
    assert texts(said).startswith("Open messages for Dr. Anika Patel: "), texts(said)
    _, said = run(ActionStaffMessages(), tracker(RITA, "any messages for me?", "staff_messages"))
    assert texts(said).startswith("Open messages: "), texts(said)


def test_one_desks_messages_when_named_or_asked_for_by_its_staff(db):
    ben = "tg:2002"  # billing (clinic/seed.py)
    for sender, asked in ((RITA, "any billing messages?"), (ben, "anything for me?"),
                          (ben, "any billing messages")):  # fmt: skip
        _, said = run(ActionStaffMessages(), tracker(sender, asked, "staff_messages"))
        lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
        assert texts(said).startswith("Open messages for the billing office: "), texts(said)
        assert lines and all(" for billing from " in line for line in lines), texts(said)
    _, said = run(ActionStaffMessages(), tracker(RITA, "anything for the front desk?",
                                                 "staff_messages"))  # fmt: skip
    assert texts(said).startswith("Open messages for the front desk: "), texts(said)


def test_only_the_urgent_ones_just_after_the_inbox_narrows_it(db):
    follow_up = answered_by(tracker(RITA, "only the urgent ones", "inform"),
                            "action_staff_messages")  # fmt: skip
    _, said = run(ActionInformWithoutContext(), follow_up)
    assert texts(said).startswith("Open urgent messages: "), texts(said)


def test_staff_cancel_a_room_booking_they_made_and_the_invited_are_told(db):
    from datetime import datetime

    from actions.appointments import ValidateCancelForm
    from clinic import staff as staff_service
    from clinic.db import session_scope
    from clinic.identity import who_is

    friday_2pm = datetime.fromisoformat("2027-03-05T14:00:00-05:00")
    with session_scope() as session:
        rita, ben = who_is(session, RITA).staff_actor, who_is(session, "tg:2002").staff_actor
        others = [s.id for s in staff_service.staff_list(session, rita) if s.id != rita.id]
        mine = staff_service.book_room(
            session,
            rita,
            "conference",
            friday_2pm,
            friday_2pm + timedelta(hours=1),
            "Budget review",
            others,
        )
        theirs = staff_service.book_room(
            session, ben, "library", friday_2pm, friday_2pm + timedelta(hours=1), "Billing review"
        )
        mine_id, theirs_id = mine.id, theirs.id

    def cancel(text, appointment_id=None):
        new = {"appointment_id": appointment_id} if appointment_id else {}
        return run(ValidateCancelForm(), tracker(RITA, text, "cancel_appointment",
                   form="cancel_form", activating=True, new_slots=new))  # fmt: skip

    _, said = cancel("cancel the budget review on friday")
    assert texts(said).startswith("Cancel “Budget review” in the Conference Room, Fri, Mar 5")
    assert f"The {len(others)} people invited will be told." in texts(said)
    yes = buttons(said)[0]["payload"]
    assert yes == f'/cancel_appointment{{"appointment_id":"room:{mine_id}:yes"}}'
    # another's booking, by a typed payload: refused, and it stays
    _, said = cancel("x", f"room:{theirs_id}:yes")
    assert "couldn't find that room booking" in texts(said)

    _, said = cancel("yes", f"room:{mine_id}:yes")
    assert texts(said).startswith("Cancelled: “Budget review”")
    db.rollback()
    assert db.get(RoomBooking, mine_id).status.value == "cancelled"
    assert db.get(RoomBooking, theirs_id).status.value == "booked"
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meeting_cancelled")).all()
    assert sorted(m.staff_id for m in told) == sorted(others)
    _, said = cancel("cancel my room booking")
    assert texts(said).startswith("You have no room bookings coming up.")


def test_a_part_of_the_day_shows_only_its_visits(db):
    afternoon = {"from": "2027-03-05T12:00:00-05:00", "to": "2027-03-05T17:00:00-05:00"}
    _, said = run(ActionStaffSchedule(), tracker(RITA, "what's on friday afternoon?",
                  "staff_schedule", [ent("time", afternoon)]))  # fmt: skip
    answer = texts(said)
    assert answer.startswith("Schedule for Friday, March 5, 12:00 PM–5:00 PM:"), answer
    assert " PM " in answer and " AM " not in answer, "the morning's visits are left out"
    _, whole = run(ActionStaffSchedule(), tracker(RITA, "what's on friday?", "staff_schedule",
                                                  [ent("time", "2027-03-05")]))  # fmt: skip
    assert "AM" in texts(whole) and texts(whole).startswith("Schedule for Friday, March 5:")


def test_a_yes_or_no_buttons_title_typed_is_that_answer(db):
    """ "no just book the room" typed for "Shall I invite the whole team?" reads to the
    classifier as booking a room; it is the [No, just book the room] button's answer."""
    question = "Shall I invite the whole team?"
    choices = [{"title": "Yes, invite everyone", "payload": "/affirm"},
               {"title": "No, just book the room", "payload": "/deny"}]  # fmt: skip
    asking = {"room": "library", "time": THURSDAY_2_TO_3, "requested_slot": "meeting_invite"}
    for typed, intent, value in (("no just book the room", "staff_book_meeting", False),
                                 ("Yes, invite everyone!", "inform", True)):  # fmt: skip
        t = after_question(tracker(RITA, typed, intent, form=FORM, slots=asking), question,
                           choices)  # fmt: skip
        events, said = run(ValidateMeetingForm(), t)
        assert slots_of(events)["meeting_invite"] is value, typed
        assert "didn't catch" not in texts(said), typed


def test_what_meetings_do_i_have_lists_the_ones_organised_or_invited_to(db):
    from datetime import datetime

    from clinic import staff as staff_service
    from clinic.db import session_scope
    from clinic.identity import who_is

    with session_scope() as session:
        rita = who_is(session, RITA).staff_actor
        ben = who_is(session, "tg:2002").staff
        staff_service.book_room(session, rita, "library",
                                datetime.fromisoformat("2027-03-04T14:00:00-05:00"),
                                datetime.fromisoformat("2027-03-04T15:00:00-05:00"),
                                "Billing review", invitees=[ben.id])  # fmt: skip
    mine = "• “Billing review” in the Library, Thu, Mar 4 at 2:00 PM–3:00 PM"
    from actions.unclear import ActionFallback

    for action, asked, intent in (
        (ActionListAppointments(), "my room bookings", "list_appointments"),
        (ActionFallback(), "what meetings do I have", "nlu_fallback"),  # not placed
    ):
        _, said = run(action, tracker(RITA, asked, intent))
        assert texts(said) == f"Your meetings ahead:\n{mine}", asked
    # the one invited sees it too, with who booked it; a question that starts the meeting form
    # lists, on the day asked
    thursday = [ent("time", "2027-03-04")]
    _, said = run(ValidateMeetingForm(), tracker("tg:2002", "any meetings on thursday?",
                  "staff_book_meeting", thursday, form=FORM, activating=True))  # fmt: skip
    assert texts(said) == (f"Your meetings on Thursday, March 4:\n{mine} (booked by Rita Alvarez)")
    _, said = run(ValidateMeetingForm(), tracker(RITA, "any meetings on friday?",
                  "staff_book_meeting", [ent("time", "2027-03-05")], form=FORM,
                  activating=True))  # fmt: skip
    assert texts(said) == "You have no meetings on Friday, March 5."
    # booking one is still booking one
    _, said = run(ValidateMeetingForm(), tracker(RITA, "book a meeting on friday",
                  "staff_book_meeting", [ent("time", "2027-03-05")], form=FORM,
                  activating=True))  # fmt: skip
    assert "Your meetings" not in texts(said) and "no meetings" not in texts(said)


@pytest.mark.parametrize(
    "text",
    ["who do i need to call back", "has anyone messaged for the nurse?", "did anyone ring"],
)
def test_staff_asking_about_messages_read_as_leaving_one_get_the_inbox(db, text):
    from actions.messages import ValidateMessageForm

    asked = tracker(RITA, text, "leave_message", form="message_form", activating=True)
    events, said = run(ValidateMessageForm(), asked)
    assert texts(said).startswith("Open "), texts(said)  # the inbox, not "who is it for?"
    assert slots_of(events).get("requested_slot", "unset") is None  # the form asks nothing
    # a message staff leave is still taken
    leaving = tracker(RITA, "tell the nurse the lab called", "leave_message",
                      form="message_form", activating=True)  # fmt: skip
    _, said = run(ValidateMessageForm(), leaving)
    assert not texts(said).startswith("Open "), texts(said)


def test_whos_next_gives_each_doctors_next_visit_not_the_whole_day(db):
    _, said = run(ActionStaffSchedule(), tracker(RITA, "who's next?", "staff_schedule"))
    lines = texts(said).splitlines()
    # the demo's 9:00 now: Dr Patel's 8:00-8:30 visits are done, her 9:00 one is next
    patel = next(line for line in lines if line.startswith("Dr. Anika Patel: next "))
    assert patel.startswith("Dr. Anika Patel: next 9:00 AM"), patel
    assert "Schedule for" not in texts(said) and len(lines) >= 2
    # a doctor's "who's next" is their own
    _, said = run(ActionStaffSchedule(), tracker(DR_PATEL, "who's next?", "staff_schedule"))
    assert texts(said).startswith("Dr. Anika Patel: next ") and "\n" not in texts(said)


def test_a_meeting_length_said_while_the_room_is_asked_is_kept(db):
    asked = tracker(
        RITA, "1 hour", "inform", form=FORM,
        slots={"requested_slot": "room", "time": "2027-03-05T14:00:00-05:00"},
    )  # fmt: skip
    events, said = run(ValidateMeetingForm(), asked)
    assert slots_of(events)["meeting_minutes"] == 60
    assert texts(said) == "Noted: 1 hour."  # not "Sorry, I didn't catch that"


@pytest.mark.parametrize(
    ("text", "said_first"),
    [
        ("refund Aisha Khan $50", "I can't change a patient's record, bills or payments"),
        ("delete Maria Lopez's record", "I can't change a patient's record"),
        ("what's Aisha Khan's phone number?", "A patient's contact details aren't shown"),
        ("what's Maria Lopez's balance?", "A patient's bills aren't shown in this chat"),
    ],
)
def test_staff_asking_what_this_chat_never_does_for_a_patient_are_told_so_first(
    db, text, said_first
):
    from actions.unclear import ActionOutOfScope

    _, said = run(ActionOutOfScope(), tracker(RITA, text, "out_of_scope"))
    assert texts(said).startswith(said_first), texts(said)
    assert "+1413" not in texts(said) and "555" not in texts(said), "no contact details"


def test_staff_cancelling_a_patients_visit_are_told_it_is_done_elsewhere(db):
    from actions.appointments import ValidateCancelForm

    asked = tracker(RITA, "cancel Aisha Khan's appointment on thursday", "cancel_appointment",
                    form="cancel_form", activating=True)  # fmt: skip
    _, said = run(ValidateCancelForm(), asked)
    assert "I can't cancel a patient's appointment from this chat" in texts(said)
    assert "room booking" not in texts(said)


def test_staff_asking_when_a_doctor_is_free_hear_the_free_times_not_the_bookings(db):
    _, said = run(ActionStaffSchedule(), tracker("tg:2003", "when am I free this week?",
                                                 "staff_schedule"))  # fmt: skip
    assert texts(said).startswith("Next free times with Dr. Anika Patel"), texts(said)
    asked = tracker(RITA, "does Dr Garcia have any free slots on Wednesday afternoon?",
                    "staff_schedule", [ent("provider", "garcia")])  # fmt: skip
    _, said = run(ActionStaffSchedule(), asked)
    assert texts(said).startswith("Next free times with Dr. Sofia Garcia")
    # the day's bookings stay the answer to "what's on"
    _, said = run(ActionStaffSchedule(), tracker(RITA, "what's on today?", "staff_schedule"))
    assert texts(said).startswith("Schedule for")


def test_is_the_conference_room_free_says_so_and_offers_to_book_it(db):
    from actions.staff import ValidateMeetingForm

    at_two = "2027-03-01T14:00:00-05:00"
    asked = tracker(RITA, "is the conference room free at 2pm today?", "staff_book_meeting",
                    [ent("room", "conference"), ent("time", at_two)], form="meeting_form",
                    activating=True)  # fmt: skip
    events, said = run(ValidateMeetingForm(), asked)
    assert texts(said).startswith("Meeting rooms, Mon, Mar 1 at 2:00 PM:\n• Conference Room: ")
    assert slots_of(events)["requested_slot"] is None, "no booking questions"
    assert texts(said).endswith("• Conference Room: free")  # the demo has nothing then
    assert buttons(said)[0]["payload"] == (
        f'/staff_book_meeting{{"room":"conference","time":"{at_two}"}}'
    )


def test_staff_asking_to_message_all_patients_hear_it_is_not_done_here(db):
    asked = tracker(RITA, "send a reminder to all of tomorrow's patients", "staff_schedule")
    _, said = run(ActionStaffSchedule(), asked)
    assert texts(said).startswith("I can't send messages to patients from this chat.")
