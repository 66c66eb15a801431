"""The booking form against the seeded store: real free slots, the nearest alternatives when a
time is taken, confirmation before anything is booked, and strangers refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import func, select

from actions.booking import (
    ActionAskAppointmentType,
    ActionAskProvider,
    ActionAskSlotStart,
    ActionSubmitBooking,
    ValidateBookingForm,
)
from actions.common import payload_entities
from actions.waitlist import ActionJoinWaitlist
from clinic import clock, practice, scheduling, slots
from clinic import text as clinic_text
from clinic.audit import Actor
from clinic.db import session_scope
from clinic.identity import who_is
from clinic.models import Appointment, WaitlistEntry
from clinic.text import clock_time, local
from tests.actions.helpers import (
    AISHA,
    MARIA,
    RITA,
    STRANGER_TG,
    STRANGER_WEB,
    after_question,
    buttons,
    customs,
    ent,
    run,
    slots_of,
    texts,
    tracker,
)

FORM = "booking_form"
FRIDAY = "2027-03-05"


def start(sender=MARIA, text="", **new_slots):
    return tracker(
        sender, text, intent="book_appointment", new_slots=new_slots, form=FORM, activating=True
    )


def free_on(db, day: str, provider: str | None = "patel", type_key="checkup"):
    first = datetime.fromisoformat(f"{day}T00:00:00-05:00")
    return slots.find_free_slots(db, type_key, provider, first, first + timedelta(days=1), None)


def book_for_aisha(start: datetime) -> None:
    with session_scope() as session:
        aisha = who_is(session, AISHA).patient
        scheduling.book(
            session, Actor.patient(aisha.id), type_key="checkup", start=start, provider_key="patel"
        )


def maria_appointments(db) -> list[Appointment]:
    db.rollback()
    patient = who_is(db, MARIA).patient
    return list(db.scalars(select(Appointment).where(Appointment.patient_id == patient.id)))


def test_a_day_offers_the_real_free_slots_of_that_day(db):
    events, said = run(
        ValidateBookingForm(),
        start(
            text="checkup with dr patel on friday",
            appointment_type="checkup",
            provider="patel",
            time=FRIDAY,
        ),
    )
    offered = slots_of(events)["offered_slots"]
    expected = [s.iso_start for s in free_on(db, FRIDAY)][: len(offered)]
    assert [o["start"] for o in offered] == expected
    assert offered and all(o["provider"] == "patel" for o in offered)
    assert "Friday, March 5" in texts(said)

    _, asked = run(ActionAskSlotStart(), tracker(MARIA, slots={"offered_slots": offered}))
    payloads = [b["payload"] for b in buttons(asked)]
    assert payloads[0] == f'/inform{{"slot_start":"{offered[0]["start"]}","provider":"patel"}}'


def offered_on_friday() -> dict:
    """The booking's slots once Dr Patel's free times on Friday are offered for a check-up."""
    events, _ = run(
        ValidateBookingForm(),
        start(text="checkup with dr patel on friday", appointment_type="checkup",
              provider="patel", time=FRIDAY),
    )  # fmt: skip
    offered = slots_of(events)["offered_slots"]
    return {"appointment_type": "checkup", "provider": "patel", "time": FRIDAY,
            "offered_slots": offered, "requested_slot": "slot_start"}  # fmt: skip


def test_none_of_the_offered_times_asks_for_another_and_offers_the_waitlist(db):
    asked = offered_on_friday()
    for text, intent in [("none of these work", "deny"), ("another day please", "inform")]:
        events, said = run(ValidateBookingForm(), tracker(MARIA, text, intent, form=FORM,
                                                          slots=asked))  # fmt: skip
        filled = slots_of(events)
        assert filled["time"] is None, "the form asks for another time"
        assert "slot_start" not in filled
        assert "Tell me another day or time" in texts(said), text
        assert "didn't catch" not in texts(said) and "couldn't understand" not in texts(said)
        assert buttons(said)[0]["payload"] == '/join_waitlist{"appointment_type":"checkup"}'
    # another day said instead is taken as the new time (the slot mapping), not refused
    _, said = run(ValidateBookingForm(), tracker(MARIA, "no, monday", "deny", form=FORM,
                  entities=[ent("time", "2027-03-08")], slots=asked))  # fmt: skip
    assert "Tell me another day" not in texts(said)


def test_a_free_exact_time_goes_straight_to_confirmation_and_yes_books_it(db):
    free = free_on(db, FRIDAY)[2]
    before = len(maria_appointments(db))
    events, _ = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="patel", time=free.iso_start),
    )
    filled = slots_of(events)
    assert filled["slot_start"] == free.iso_start
    assert filled["slot_label"].startswith("a check-up with Dr. Anika Patel on Fri, Mar 5")
    db.rollback()
    assert len(maria_appointments(db)) == before  # nothing booked before the yes

    confirmed, _ = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "yes",
            intent="affirm",
            form=FORM,
            slots={
                **filled,
                "appointment_type": "checkup",
                "time": free.iso_start,
                "requested_slot": "booking_confirmed",
            },
            new_slots={"booking_confirmed": True},
        ),
    )
    result = slots_of(confirmed)
    assert result["booking_confirmed"] is True
    db.rollback()
    booked = db.get(Appointment, int(result["last_appointment_id"]))
    assert booked.patient.first_name == "Maria" and booked.start_at == free.start

    _, said = run(
        ActionSubmitBooking(),
        tracker(MARIA, slots={"booking_confirmed": True, **result}),
    )
    assert "You're booked: Check-up with Dr. Anika Patel on Fri, Mar 5" in texts(said)
    assert any("cancel_appointment" in b["payload"] for b in buttons(said))


def test_a_taken_time_offers_the_nearest_free_alternatives(db):
    taken = free_on(db, FRIDAY)[1]
    aisha = who_is(db, AISHA).patient
    scheduling.book(
        db, Actor.patient(aisha.id), type_key="checkup", start=taken.start, provider_key="patel"
    )
    db.commit()
    events, said = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="patel", time=taken.iso_start),
    )
    filled = slots_of(events)
    assert filled.get("slot_start") is None
    near = slots.nearest_alternatives(db, "checkup", "patel", taken.start, limit=4)
    assert [o["start"] for o in filled["offered_slots"]] == [s.iso_start for s in near]
    assert taken.iso_start not in [o["start"] for o in filled["offered_slots"]]
    assert "taken" in texts(said)


def test_a_time_nobody_works_with_whoever_is_free_names_no_one_provider(db):
    """ "whoever is free" at 3 am: no single provider's hours are the reason."""
    events, said = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="any", time=f"{FRIDAY}T03:00:00-05:00"),
    )
    assert slots_of(events).get("slot_start") is None
    assert "No one sees patients for that visit at that time." in texts(said), texts(said)
    assert "Dr." not in texts(said).split("The nearest")[0]
    assert slots_of(events)["offered_slots"], "the nearest free times are offered"


def test_a_time_one_provider_does_not_work_names_their_hours(db):
    events, said = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="patel", time=f"{FRIDAY}T03:00:00-05:00"),
    )
    assert "Dr. Anika Patel sees patients on" in texts(said), texts(said)


def test_a_slot_taken_between_offer_and_yes_is_not_double_booked(db):
    chosen = free_on(db, FRIDAY)[0]
    aisha = who_is(db, AISHA).patient
    scheduling.book(
        db, Actor.patient(aisha.id), type_key="checkup", start=chosen.start, provider_key="patel"
    )
    db.commit()
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "yes",
            intent="affirm",
            form=FORM,
            slots={
                "appointment_type": "checkup",
                "provider": "patel",
                "time": FRIDAY,
                "slot_start": chosen.iso_start,
                "requested_slot": "booking_confirmed",
            },
            new_slots={"booking_confirmed": True},
        ),
    )
    filled = slots_of(events)
    assert filled["booking_confirmed"] is None and filled["slot_start"] is None
    assert filled["offered_slots"] and chosen.iso_start not in [
        o["start"] for o in filled["offered_slots"]
    ]
    assert "taken" in texts(said)
    assert not [a for a in maria_appointments(db) if a.start_at == chosen.start]


def test_picking_the_second_offer_by_words(db):
    offered = [
        {"start": s.iso_start, "provider": s.provider_key, "label": s.label()}
        for s in free_on(db, FRIDAY)[:4]
    ]
    events, _ = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "the second one please",
            form=FORM,
            slots={
                "appointment_type": "checkup",
                "provider": "patel",
                "time": FRIDAY,
                "offered_slots": offered,
                "requested_slot": "slot_start",
            },
        ),
    )
    assert slots_of(events)["slot_start"] == offered[1]["start"]


def test_any_provider_offers_every_provider_of_the_type(db):
    events, _ = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "whoever is free first",
            form=FORM,
            slots={"appointment_type": "checkup", "time": FRIDAY, "requested_slot": "provider"},
        ),
    )
    filled = slots_of(events)
    assert filled["provider"] == "any"
    expected = free_on(db, FRIDAY, provider=None)[: len(filled["offered_slots"])]
    assert [(o["start"], o["provider"]) for o in filled["offered_slots"]] == [
        (s.iso_start, s.provider_key) for s in expected
    ]


def test_whatever_works_means_anyone_and_the_earliest(db):
    for text in ("whatever works", "up to you", "whoever"):
        events, said = run(
            ValidateBookingForm(),
            tracker(
                MARIA,
                text,
                intent="nlu_fallback",
                form=FORM,
                slots={"appointment_type": "checkup", "requested_slot": "provider"},
            ),
        )
        assert slots_of(events)["provider"] == "any", (text, texts(said))
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "whatever works",
            intent="nlu_fallback",
            form=FORM,
            slots={"appointment_type": "checkup", "provider": "any", "requested_slot": "time"},
        ),
    )
    assert slots_of(events)["offered_slots"], texts(said)  # the earliest free times


def test_a_provider_who_does_not_offer_the_type_is_refused(db):
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "Dr Garcia",
            form=FORM,
            entities=[ent("provider", "garcia")],
            slots={"appointment_type": "checkup", "requested_slot": "provider"},
            new_slots={"provider": "garcia"},
        ),
    )
    assert slots_of(events)["provider"] is None
    assert "doesn't offer check-up visits" in texts(said)


def test_a_type_and_a_provider_who_does_not_offer_it_are_refused_once(db):
    events, said = run(
        ValidateBookingForm(),
        start(MARIA, "book a vaccination with dr lee", appointment_type="vaccination",
              provider="lee"),
    )  # fmt: skip
    assert slots_of(events)["appointment_type"] == "vaccination"
    assert slots_of(events)["provider"] is None
    assert texts(said).count("doesn't offer vaccination visits") == 1, texts(said)


def test_the_provider_question_lists_only_who_offers_the_type(db):
    _, said = run(ActionAskProvider(), tracker(MARIA, slots={"appointment_type": "blood_test"}))
    titles = [b["title"] for b in buttons(said)]
    assert titles[0] == "Whoever is free first"
    assert [t for t in titles[1:]] == ["Grace Okafor, NP (nurse practitioner)"]


def test_a_closed_day_says_so_and_offers_the_next_free_times(db):
    events, said = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="patel", time="2027-03-07"),  # a Sunday
    )
    offered = slots_of(events)["offered_slots"]
    assert "We're closed on Sunday, March 7. The next free times are below." in texts(said)
    monday = datetime.fromisoformat("2027-03-08T00:00:00-05:00")
    first = slots.find_free_slots(db, "checkup", "patel", monday, monday + timedelta(days=30), 1)
    assert offered[0]["start"] == first[0].iso_start


def test_a_past_time_is_refused_and_asked_again(db):
    events, said = run(
        ValidateBookingForm(),
        start(appointment_type="checkup", provider="patel", time="2027-02-26T09:00:00-05:00"),
    )
    assert slots_of(events)["time"] is None
    assert "already passed" in texts(said)
    # said before the doctor is chosen: told at once, not after the next answer
    events, said = run(ValidateBookingForm(), start(text="a follow up for last monday",
                       appointment_type="follow_up", time="2027-02-22"))  # fmt: skip
    assert slots_of(events)["time"] is None
    assert "already passed" in texts(said)


def test_a_past_time_that_tells_what_happened_is_not_the_time_wanted(db):
    text = "I had a fall off a ladder last weekend and the ER said to see my doctor"
    weekend = {"from": "2027-02-27", "to": "2027-02-28"}
    asked = start(text=text, time=weekend)
    asked.latest_message["entities"] = [
        {"entity": "time", "value": weekend, "start": text.index("last"), "end": 43}
    ]
    events, said = run(ValidateBookingForm(), asked)
    assert slots_of(events)["time"] is None
    assert "already passed" not in texts(said)  # the form goes on to ask what it needs


def test_a_side_question_fills_nothing_so_the_form_lets_the_rule_answer(db):
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "what are your hours?",
            intent="ask_hours",
            form=FORM,
            slots={"appointment_type": "checkup", "requested_slot": "provider"},
        ),
    )
    assert slots_of(events) == {} and not said.messages


def test_an_answer_that_fills_nothing_is_asked_again(db):
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "hmm banana",
            intent="inform",
            form=FORM,
            slots={"appointment_type": "checkup", "requested_slot": "provider"},
        ),
    )
    assert slots_of(events) == {"provider": None}
    assert "didn't catch" in texts(said)


def test_a_stranger_is_refused_and_the_form_ends(db):
    events, said = run(ValidateBookingForm(), start(STRANGER_WEB, appointment_type="checkup"))
    assert slots_of(events)["requested_slot"] is None
    assert "Link my account" in [b["title"] for b in buttons(said)]
    assert "Maria" not in texts(said)

    _, on_telegram = run(ValidateBookingForm(), start(STRANGER_TG, appointment_type="checkup"))
    assert customs(on_telegram)[0]["request_contact"] is True
    assert customs(on_telegram)[0]["held_request"] is True, "the bot books once they link"


def test_deny_at_the_confirmation_books_nothing(db):
    before = len(maria_appointments(db))
    events, _ = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            "no",
            intent="deny",
            form=FORM,
            slots={
                "appointment_type": "checkup",
                "provider": "patel",
                "slot_start": free_on(db, FRIDAY)[0].iso_start,
                "requested_slot": "booking_confirmed",
            },
            new_slots={"booking_confirmed": False},
        ),
    )
    assert slots_of(events)["booking_confirmed"] is False
    declined = {"booking_confirmed": False, "appointment_type": "checkup", "provider": "patel"}
    _, said = run(ActionSubmitBooking(), tracker(MARIA, slots=declined))
    assert "haven't booked anything" in texts(said)
    assert len(maria_appointments(db)) == before
    another = buttons(said)
    again = '/book_appointment{"appointment_type":"checkup","provider":"patel"}'
    assert another == [{"title": "Another time", "payload": again}]
    # the times declined were anyone's ("whoever is free"): so are the next ones, though the
    # one declined was Dr Patel's
    anyones = [{"start": "x", "provider": "patel", "label": "a"},
               {"start": "y", "provider": "okafor", "label": "b"}]  # fmt: skip
    _, whoever = run(ActionSubmitBooking(), tracker(MARIA, slots={**declined,
                     "offered_slots": anyones}))  # fmt: skip
    assert buttons(whoever)[0]["payload"] == (
        '/book_appointment{"appointment_type":"checkup","provider":"any"}'
    )

    # then "what times are there on thursday instead": the same visit and doctor, that day
    from actions.follow_up import ActionInformWithoutContext

    thursday = tracker(MARIA, "what times are there on thursday instead", "inform",
                       [ent("time", "2027-03-04")])  # fmt: skip
    events, _ = run(ActionInformWithoutContext(), after_question(thursday, texts(said), another))
    assert slots_of(events) == {"appointment_type": "checkup", "provider": "patel",
                                "time": "2027-03-04"}  # fmt: skip
    assert events[-1] == {"event": "followup", "name": "booking_form", "timestamp": None}


def test_join_the_waitlist_for_a_type_instead_of_booking(db):
    events, said = run(
        ActionJoinWaitlist(),
        tracker(
            MARIA,
            "tell me if an earlier physical opens up",
            intent="join_waitlist",
            entities=[ent("appointment_type", "physical")],
            form=FORM,
            slots={"appointment_type": "physical", "requested_slot": "provider"},
        ),
    )
    db.rollback()
    patient = who_is(db, MARIA).patient
    entries = db.scalars(select(WaitlistEntry).where(WaitlistEntry.patient_id == patient.id))
    assert "physical" in [e.appointment_type.key for e in entries]
    assert "waitlist for a physical exam" in texts(said)
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]  # the booking form ends
    assert slots_of(events)["appointment_type"] is None


def test_the_waitlist_without_a_type_asks_which_and_ends_the_open_form(db):
    events, said = run(
        ActionJoinWaitlist(),
        tracker(
            MARIA,
            "put me on the waiting list please",
            intent="join_waitlist",
            form="reschedule_form",
            slots={"requested_slot": "appointment_id"},
        ),
    )
    assert "Which kind of visit should I watch for?" in texts(said)
    assert buttons(said)[0]["payload"].startswith('/join_waitlist{"appointment_type"')
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]  # no second question from the form
    # a doctor named: only the visits that doctor offers (Dr Lee takes no blood tests)
    _, said = run(ActionJoinWaitlist(), tracker(AISHA, "put me on the waiting list for dr lee",
                  "join_waitlist", [ent("provider", "lee")]))  # fmt: skip
    offered = [b["payload"] for b in buttons(said)]
    assert offered and not any("blood_test" in p for p in offered)
    assert all('"provider":"lee"' in p for p in offered)


def test_something_earlier_asks_which_visit_and_waits_to_move_it(db):
    """Maria has a check-up and a blood test booked: "something earlier" is about one of them,
    and the wait is for a move of it, not a second booking."""
    _, asked = run(ActionJoinWaitlist(), tracker(MARIA, "tell me if something earlier opens up",
                                                 "join_waitlist"))  # fmt: skip
    said = asked
    assert texts(said) == "Which visit would you like an earlier time for?"
    active = [a for a in maria_appointments(db) if a.status.value in ("booked", "confirmed")]
    mine = {a.appointment_type.key: a for a in active}
    payloads = [b["payload"] for b in buttons(said)]
    assert f'/join_waitlist{{"appointment_id":"{mine["blood_test"].id}"}}' in payloads
    assert len(payloads) == len(mine)

    pressed = f'/join_waitlist{{"appointment_id":"{mine["blood_test"].id}"}}'
    picked = [ent("appointment_id", str(mine["blood_test"].id))]
    _, said = run(ActionJoinWaitlist(), tracker(MARIA, pressed, "join_waitlist", picked))
    assert texts(said).startswith("I'll watch for an earlier blood test with Grace Okafor, NP")
    assert "until then it stays as booked" in texts(said)
    db.rollback()
    entry = db.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id.desc())).first()
    assert entry.appointment_id == mine["blood_test"].id
    assert entry.latest < mine["blood_test"].start_at

    # the question answered in words: the kind of visit, or its place in the list
    from actions.follow_up import ActionInformWithoutContext

    question, offered = asked.messages[0]["text"], asked.messages[0]["buttons"]
    typed = tracker(MARIA, "the blood test", "book_appointment", [ent("appointment_type",
                    "blood_test")], new_slots={"appointment_type": "blood_test"}, form=FORM,
                    activating=True)  # fmt: skip
    typed = after_question(typed, question, offered)
    events, answer = run(ValidateBookingForm(), typed)
    assert texts(answer).startswith("I'll watch for an earlier blood test"), texts(answer)
    assert "offered_slots" not in slots_of(events), "no booking"
    second = after_question(tracker(MARIA, "the second one", "inform"), question, offered)
    _, answer = run(ActionInformWithoutContext(), second)
    assert texts(answer).startswith("I'll watch for an earlier blood test"), texts(answer)

    # the visit named by its kind: no question
    _, said = run(ActionJoinWaitlist(), tracker(MARIA, "let me know if an earlier checkup comes "
                  "up", "join_waitlist", [ent("appointment_type", "checkup")]))  # fmt: skip
    assert texts(said).startswith("I'll watch for an earlier check-up with Dr. Anika Patel")


def test_a_visit_type_typed_for_the_waitlist_question_joins_the_waitlist_not_a_booking(db):
    _, asked = run(ActionJoinWaitlist(), tracker(MARIA, "add me to the waiting list for dr "
                   "patel", "join_waitlist", entities=[ent("provider", "patel")]))  # fmt: skip
    question = asked.messages[0]
    assert question["text"] == "Which kind of visit should I watch for?"
    assert '"provider":"patel"' in question["buttons"][0]["payload"], "the doctor travels along"

    answer = start(text="a checkup", appointment_type="checkup")
    answer.latest_message["intent"]["name"] = "inform"
    answer.latest_message["entities"] = [ent("appointment_type", "checkup")]
    after_question(answer, question["text"], question["buttons"])
    before = len(maria_appointments(db))
    events, said = run(ValidateBookingForm(), answer)
    assert "You're on the waitlist for a check-up with Dr. Anika Patel" in texts(said)
    assert "offered_slots" not in slots_of(events)
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]  # the booking form ends at once
    db.rollback()
    assert len(maria_appointments(db)) == before
    waiting = db.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id.desc())).first()
    assert waiting.appointment_type.key == "checkup" and waiting.provider.key == "patel"


def test_a_stranger_cannot_join_the_waitlist(db):
    _, said = run(
        ActionJoinWaitlist(),
        tracker(
            STRANGER_WEB, intent="join_waitlist", entities=[ent("appointment_type", "physical")]
        ),
    )
    assert "first need to know who you are" in texts(said)
    assert not db.scalars(select(WaitlistEntry).where(WaitlistEntry.patient_id.is_(None))).all()


def test_a_side_question_mid_form_is_not_read_as_an_answer(db):
    """ "do you take any insurance?" when asked who: not "anyone"; "the first bill" when asked
    for a time is not the first offered time. The question is answered by its own rule and the
    form asks again."""
    asked = {"appointment_type": "checkup", "requested_slot": "provider"}
    side = tracker(MARIA, "do you take any insurance?", "ask_insurance", form=FORM, slots=asked)
    events, _ = run(ValidateBookingForm(), side)
    assert "provider" not in slots_of(events)
    answer = tracker(MARIA, "anyone is fine", "inform", form=FORM, slots=asked)
    events, _ = run(ValidateBookingForm(), answer)
    assert slots_of(events)["provider"] == "any", "the same words as an answer are one"


def test_asap_when_asking_means_the_earliest_time(db):
    events, said = run(
        ValidateBookingForm(),
        start(MARIA, "I'd like to see Dr Patel asap", appointment_type="checkup", provider="patel"),
    )
    filled = slots_of(events)
    assert filled["time"] == "earliest"
    assert filled["offered_slots"], texts(said)  # the earliest free times, at once
    assert texts(said).startswith("Here are the earliest free times."), texts(said)


def test_yes_to_the_only_offered_time_or_any_of_them_takes_one(db):
    several = offered_on_friday()
    offered = several["offered_slots"]
    only = {**several, "offered_slots": offered[:1]}
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "yes", "affirm", form=FORM, slots=only))
    assert slots_of(events)["slot_start"] == offered[0]["start"]
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "yes", "affirm", form=FORM,
                                                   slots=several))  # fmt: skip
    assert slots_of(events).get("slot_start") is None, "which one? 'yes' does not say"
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "any of them", "inform", form=FORM,
                                                   slots=several))  # fmt: skip
    assert slots_of(events)["slot_start"] == offered[0]["start"]


def test_a_clock_time_alone_means_the_day_on_offer_not_today(db):
    asked = offered_on_friday()

    def said(text: str, value: str, dated: bool):
        found = {**ent("time", value), "additional_info": {"grain": "moment", "dated": dated}}
        answer = tracker(MARIA, text, "inform", form=FORM, entities=[found], slots=asked,
                         new_slots={"time": value})  # fmt: skip
        return run(ValidateBookingForm(), answer)

    # the NLU resolves "10:30" to today; it says no day was given
    events, told = said("10:30", "2027-03-01T10:30:00-05:00", dated=False)
    assert slots_of(events)["time"] == "2027-03-05T10:30:00-05:00", texts(told)
    assert "notice" not in texts(told)
    # a day said with it is kept as said
    events, _ = said("monday 10:30", "2027-03-08T10:30:00-05:00", dated=True)
    assert slots_of(events)["time"] == "2027-03-08T10:30:00-05:00"


def test_a_clock_time_alone_after_a_day_was_asked_for_means_that_day(db):
    """ "Thursday morning would be best" (noted while the visit type was still open), then
    "the 9 o'clock one": Thursday at 9, not tomorrow at 9."""
    thursday_morning = {"from": "2027-03-04T08:00:00-05:00", "to": "2027-03-04T12:00:00-05:00"}
    nine = "2027-03-02T09:00:00-05:00"  # what the NLU makes of "9 o'clock" at 9:00 on Monday
    found = {**ent("time", nine), "additional_info": {"grain": "moment", "dated": False}}
    answer = tracker(MARIA, "the 9 o'clock one", form=FORM, entities=[found],
                     slots={"provider": "patel", "time": thursday_morning,
                            "requested_slot": "appointment_type"},
                     new_slots={"time": nine})  # fmt: skip
    answer.events.insert(0, SlotSet("time", thursday_morning))  # set on an earlier turn
    events, said = run(ValidateBookingForm(), answer)
    assert slots_of(events)["time"] == "2027-03-04T09:00:00-05:00", texts(said)


def test_after_a_clock_time_means_after_it_on_the_day_on_offer(db):
    asked = offered_on_friday()
    after_3 = {"from": "2027-03-01T15:00:00-05:00", "to": "2027-03-02T00:00:00-05:00"}
    found = {**ent("time", after_3), "additional_info": {"grain": "range", "dated": False}}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "after 3pm", form=FORM,
                       entities=[found], slots=asked, new_slots={"time": after_3}))  # fmt: skip
    filled = slots_of(events)
    assert filled["time"] == {"from": "2027-03-05T15:00:00-05:00",
                              "to": "2027-03-06T00:00:00-05:00"}  # fmt: skip
    offered = [datetime.fromisoformat(o["start"]) for o in filled.get("offered_slots") or []]
    assert offered and all(clock_time(s).endswith("PM") for s in offered), texts(said)
    # Dr Patel, who was on offer, sees patients on Friday mornings only: that is said
    heard = ("Dr. Anika Patel sees patients on Friday, March 5: 8 AM–12 PM",
             "Here are free times on Friday, March 5 after 3:00 PM")  # fmt: skip
    assert texts(said).startswith(heard), texts(said)


def test_a_booking_for_a_relative_is_not_put_on_the_senders_record(db):
    before = len(maria_appointments(db))
    events, said = run(
        ValidateBookingForm(),
        start(MARIA, "I want to book a checkup for my daughter", appointment_type="checkup"),
    )
    assert "for your daughter, please call the front desk on" in texts(said)
    assert any(e["event"] == "slot" and e["name"] == "requested_slot" for e in events)
    assert "offered_slots" not in slots_of(events)
    db.rollback()
    assert len(maria_appointments(db)) == before
    # her own booking "for my appointment" is hers
    events, said = run(ValidateBookingForm(), start(MARIA, "book a checkup for me",
                                                    appointment_type="checkup"))  # fmt: skip
    assert "call the front desk" not in texts(said)
    # the relative said another way
    for text in ("my daughter has a fever, can she come in today",
                 "my son is sick, could you book him in with dr lee"):  # fmt: skip
        _, said = run(ValidateBookingForm(), start(MARIA, text))
        assert "please call the front desk on" in texts(said), text
    for text in ("my husband is driving me, can I come at 3", "my mom said I need a checkup"):
        _, said = run(ValidateBookingForm(), start(MARIA, text))
        assert "call the front desk" not in texts(said), text


def test_the_earliest_when_asked_who_is_whoever_is_free_first_as_soon_as_they_can(db):
    asked = {"appointment_type": "physical", "requested_slot": "provider"}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "the earliest", "inform", form=FORM,
                                                      slots=asked))  # fmt: skip
    filled = slots_of(events)
    assert (filled["provider"], filled["time"]) == ("any", "earliest")
    assert filled["offered_slots"], texts(said)


def answering(question_action, sender, text, **kwargs):
    """A tracker where `text` answers the question `question_action` just asked (its buttons
    on the bot's last message, as Rasa records them)."""
    asked, said = run(question_action, tracker(sender, "", **kwargs))
    answer = after_question(tracker(sender, text, **kwargs), texts(said), buttons(said))
    return answer, buttons(said)


def test_a_visit_type_picked_by_its_place_in_the_list(db):
    t, offered = answering(
        ActionAskAppointmentType(), MARIA, "the third one", form=FORM,
        slots={"requested_slot": "appointment_type"},
    )  # fmt: skip
    events, said = run(ValidateBookingForm(), t)
    third = payload_entities(offered[2]["payload"])["appointment_type"]
    assert slots_of(events)["appointment_type"] == third
    assert "didn't catch" not in texts(said)


def test_a_doctor_picked_by_its_place_in_the_list(db):
    t, offered = answering(
        ActionAskProvider(), MARIA, "2", form=FORM,
        slots={"appointment_type": "checkup", "requested_slot": "provider"},
    )  # fmt: skip
    events, _ = run(ValidateBookingForm(), t)
    second = payload_entities(offered[1]["payload"])["provider"]
    assert second != "any"
    assert slots_of(events)["provider"] == second


def test_not_sure_which_visit_type_gets_help_not_a_loop(db):
    t, _ = answering(
        ActionAskAppointmentType(), MARIA, "i don't know, any", form=FORM,
        slots={"requested_slot": "appointment_type"},
    )  # fmt: skip
    events, said = run(ValidateBookingForm(), t)
    assert slots_of(events).get("appointment_type") is None
    assert texts(said).startswith("No problem. A check-up is for a new problem")  # clinic file
    assert "front desk can help" in texts(said) and "didn't catch" not in texts(said)
    assert {"title": "Talk to a person", "payload": "/request_human"} in buttons(said)


def test_what_the_visit_is_about_is_kept_with_the_appointment(db):
    """ "a checkup for my knee on friday": "my knee" goes with the booking, for the doctor's
    schedule; said when asked what kind of visit, it is kept too (and thanked for)."""
    (free, *_) = free_on(db, FRIDAY)
    events, _ = run(ValidateBookingForm(), start(text="a checkup for my knee on friday",
                    appointment_type="checkup", provider="patel", time=free.iso_start))  # fmt: skip
    filled = slots_of(events)
    assert filled["visit_reason"] == "my knee"
    confirmed, _ = run(ValidateBookingForm(), tracker(MARIA, "yes", "affirm", form=FORM, slots={
        **filled, "appointment_type": "checkup", "time": free.iso_start,
        "requested_slot": "booking_confirmed"}, new_slots={"booking_confirmed": True}))  # fmt: skip
    db.rollback()
    booked = db.get(Appointment, int(slots_of(confirmed)["last_appointment_id"]))
    assert booked.reason == "my knee"
    # said where the kind was asked
    events, said = run(ValidateBookingForm(), tracker(MARIA, "it's for my blood pressure",
                       form=FORM, slots={"requested_slot": "appointment_type"}))  # fmt: skip
    assert slots_of(events)["visit_reason"] == "my blood pressure"
    assert texts(said) == "Thanks for telling me what it's about."
    # nothing about a problem, or a relative: nothing kept
    for text in ("book a checkup for my son", "a physical for the 31st of march"):
        events, _ = run(ValidateBookingForm(), start(text=text))
        assert "visit_reason" not in slots_of(events), text


def test_what_the_visit_is_about_said_for_its_kind_is_thanked_not_misunderstood(db):
    asking = {"requested_slot": "appointment_type"}
    for said_about in ("it's for my blood pressure", "my knee hurts", "I've had a cough"):
        events, said = run(ValidateBookingForm(), tracker(MARIA, said_about, form=FORM,
                           slots=asking))  # fmt: skip
        assert texts(said) == "Thanks for telling me what it's about.", said_about
        assert slots_of(events).get("appointment_type") is None
    # anything else not understood is still said to be
    _, said = run(ValidateBookingForm(), tracker(MARIA, "zzz", form=FORM, slots=asking))
    assert "didn't catch" in texts(said)


def test_the_visit_type_question_asked_again_says_how_to_choose(db):
    first = tracker(MARIA, "I'd like to see the doctor, my knee has been bad", "book_appointment",
                    form=FORM, activating=True)  # fmt: skip
    _, said = run(ActionAskAppointmentType(), first)
    assert texts(said) == "What kind of visit do you need?"
    again = tracker(MARIA, "Dr Patel if she is free", form=FORM,
                    slots={"requested_slot": "appointment_type"})  # fmt: skip
    again.events[:0] = [{"event": "active_loop", "name": FORM},
                        {"event": "bot", "text": texts(said)}]  # fmt: skip
    _, said = run(ActionAskAppointmentType(), again)
    assert texts(said).startswith("What kind of visit do you need? A check-up is for a new problem")


def test_an_ordinal_with_no_list_asked_is_not_a_pick(db):
    # no buttons on the bot's last message: "the first one" picks nothing
    events, said = run(
        ValidateBookingForm(),
        tracker(MARIA, "the first one", form=FORM, slots={"requested_slot": "appointment_type"}),
    )
    assert slots_of(events).get("appointment_type") is None
    assert "didn't catch" in texts(said)


def test_a_doctor_the_practice_does_not_have_is_said_not_silently_dropped(db):
    _, said = run(ValidateBookingForm(), start(text="I want to see Dr Smith next week"))
    assert "couldn't find Dr Smith" in texts(said)
    assert "Dr. Anika Patel" in texts(said)  # who the practice does have
    for text in (
        "I need to see the doctor about my cough",
        "a doctor tomorrow please",
        "the doctor said I should come back in March",
        "my doctor wants a recheck",
    ):
        _, said = run(ValidateBookingForm(), start(text=text))
        assert "couldn't find" not in texts(said), text
    # a doctor the NLU found is not questioned
    _, said = run(
        ValidateBookingForm(),
        tracker(MARIA, "book with dr lee", "book_appointment", entities=[ent("provider", "lee")],
                new_slots={"provider": "lee"}, form=FORM, activating=True),
    )  # fmt: skip
    assert "couldn't find" not in texts(said)


def test_a_date_that_cannot_be_read_is_said_not_silently_dropped(db):
    _, said = run(ValidateBookingForm(), start(text="book a checkup on feb 30"))
    assert "couldn't read a date" in texts(said)
    for text in ("book a checkup on my birthday", "I need a checkup",
                 "a checkup any day but monday"):  # fmt: skip
        _, said = run(ValidateBookingForm(), start(text=text))
        assert "couldn't read a date" not in texts(said), text
    # a date the NLU read is not questioned
    friday = [ent("time", FRIDAY)]
    _, said = run(
        ValidateBookingForm(),
        tracker(MARIA, "a checkup on friday", "book_appointment", entities=friday,
                new_slots={"time": FRIDAY}, form=FORM, activating=True),
    )  # fmt: skip
    assert "couldn't read a date" not in texts(said)


def test_yes_to_several_offered_times_asks_which_one(db):
    asked = offered_on_friday()
    assert len(asked["offered_slots"]) > 1
    events, said = run(
        ValidateBookingForm(), tracker(MARIA, "yes", intent="affirm", form=FORM, slots=asked)
    )
    assert "Which one?" in texts(said) and "didn't catch" not in texts(said)
    assert slots_of(events).get("slot_start") is None


def test_anything_later_offers_the_free_times_after_the_last_one_offered(db):
    tuesday = "2027-03-02"
    events, _ = run(ValidateBookingForm(), start(text="blood test tomorrow",
                    appointment_type="blood_test", provider="okafor", time=tuesday))  # fmt: skip
    offered = slots_of(events)["offered_slots"]
    asked = {"appointment_type": "blood_test", "provider": "okafor", "time": tuesday,
             "offered_slots": offered, "requested_slot": "slot_start"}  # fmt: skip
    last = datetime.fromisoformat(offered[-1]["start"])
    free_later = [s.start for s in free_on(db, tuesday, "okafor", "blood_test") if s.start > last]
    assert free_later, "the test needs a day with more free times than one offer shows"

    events, said = run(ValidateBookingForm(), tracker(MARIA, "anything later in the day?",
                                                      form=FORM, slots=asked))  # fmt: skip
    filled = slots_of(events)
    assert filled.get("slot_start") is None, "'anything' is no pick"
    later = [datetime.fromisoformat(o["start"]) for o in filled["offered_slots"]]
    assert later == free_later[: len(later)], "the next free times that Tuesday"
    assert f"Here are free times after Tue, Mar 2 at {clock_time(last)}" in texts(said)


def test_later_than_the_last_free_time_of_the_day_says_so_and_offers_the_next(db):
    asked = offered_on_friday()
    last = datetime.fromisoformat(asked["offered_slots"][-1]["start"])
    assert not [s for s in free_on(db, FRIDAY) if s.start > last], "Friday's last free time"
    events, said = run(ValidateBookingForm(), tracker(MARIA, "anything later that day",
                                                      form=FORM, slots=asked))  # fmt: skip
    later = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    assert later and all(start > last for start in later)
    assert "Sorry, nothing is free after Fri, Mar 5" in texts(said)
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "do you have any other times?",
                                                   form=FORM, slots=asked))  # fmt: skip
    more = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    assert more == later, "more times: the next ones, as for 'later'"
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "more options please", "help",
                                                   form=FORM, slots=asked))  # fmt: skip
    more = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    assert more == later, "read as help by the NLU, still an answer here"


def test_anything_earlier_offers_free_times_before_the_first_one_offered(db):
    asked = offered_on_friday()
    first = datetime.fromisoformat(asked["offered_slots"][0]["start"])
    events, said = run(ValidateBookingForm(), tracker(MARIA, "got anything earlier?",
                                                      form=FORM, slots=asked))  # fmt: skip
    earlier = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    assert earlier and all(start < first for start in earlier)
    assert "before Fri, Mar 5" in texts(said)


def test_the_week_after_when_asked_to_confirm_searches_again_and_books_nothing(db):
    asked = offered_on_friday()
    picked = asked["offered_slots"][0]
    confirming = asked | {"slot_start": picked["start"], "requested_slot": "booking_confirmed"}
    before = len(maria_appointments(db))
    events, said = run(ValidateBookingForm(), tracker(MARIA, "no, what about the week after",
                       "deny", form=FORM, slots=confirming,
                       new_slots={"booking_confirmed": False}))  # fmt: skip
    filled = slots_of(events)
    assert filled["booking_confirmed"] is None and filled["slot_start"] is None
    days = {datetime.fromisoformat(o["start"]).date().isoformat() for o in filled["offered_slots"]}
    assert days and all("2027-03-08" <= day <= "2027-03-14" for day in days), days
    assert "between Monday, March 8 and Sunday, March 14" in texts(said)
    assert len(maria_appointments(db)) == before


def test_the_later_one_is_a_pick_not_a_new_search(db):
    asked = offered_on_friday()
    offered = asked["offered_slots"]
    for said, expected in (("the later one", offered[-1]), ("the earlier one", offered[0])):
        events, _ = run(ValidateBookingForm(), tracker(MARIA, said, form=FORM, slots=asked))
        assert slots_of(events)["slot_start"] == expected["start"], said


def test_later_that_is_not_about_times_is_not_a_new_search(db):
    asked = offered_on_friday()
    events, said = run(ValidateBookingForm(), tracker(MARIA, "I'll call you back later",
                                                      form=FORM, slots=asked))  # fmt: skip
    assert "offered_slots" not in slots_of(events)
    assert "after Fri" not in texts(said)


def test_an_answer_to_another_question_is_noted_and_the_question_asked_again(db):
    asking_who = {"appointment_type": "blood_test", "requested_slot": "provider"}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "tomorrow", form=FORM,
                       entities=[ent("time", "2027-03-02")], slots=asking_who,
                       new_slots={"time": "2027-03-02"}))  # fmt: skip
    assert slots_of(events)["time"] == "2027-03-02"
    assert "Noted: on Tuesday, March 2." in texts(said)
    assert "didn't catch" not in texts(said)

    asking_what = {"requested_slot": "appointment_type"}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "whichever doctor is free",
                                                      form=FORM, slots=asking_what))  # fmt: skip
    assert slots_of(events)["provider"] == "any"
    assert "Noted: with whoever is free." in texts(said)


def test_mornings_said_before_the_provider_still_limit_the_times_offered_after_it(db):
    next_week = {"from": "2027-03-08", "to": "2027-03-14"}
    found = {**ent("time", next_week),
             "additional_info": {"grain": "range", "hours": ["08:00", "12:00"]}}  # fmt: skip
    events, said = run(ValidateBookingForm(), start(text="a physical, early morning, any day next "
                       "week", appointment_type="physical", time=next_week))  # fmt: skip
    kept = slots_of(events)["time"]
    assert kept == next_week, "no entity with hours in this built tracker: kept as said"
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "a physical, early morning, any day "
                    "next week", "book_appointment", entities=[found], form=FORM,
                    activating=True, new_slots={"appointment_type": "physical",
                                                "time": next_week}))  # fmt: skip
    kept = slots_of(events)["time"]
    assert kept == {**next_week, "hours": ["08:00", "12:00"]}
    asking_who = {"appointment_type": "physical", "time": kept, "requested_slot": "provider"}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "anyone", form=FORM,
                                                      slots=asking_who))  # fmt: skip
    offered = [datetime.fromisoformat(o["start"]) for o in slots_of(events)["offered_slots"]]
    clinic_times = [local(start) for start in offered]
    assert clinic_times and all(8 <= t.hour < 12 for t in clinic_times), clinic_times
    assert "8:00 AM to 12:00 PM" in texts(said)


def test_a_misspelt_visit_type_is_understood_when_booking_starts_or_when_asked(db):
    events, _ = run(ValidateBookingForm(), start(text="i wnat to book a chekup"))
    assert slots_of(events)["appointment_type"] == "checkup"
    asking = {"requested_slot": "appointment_type"}
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "vacination", "nlu_fallback",
                                                   form=FORM, slots=asking))  # fmt: skip
    assert slots_of(events)["appointment_type"] == "vaccination"


def test_a_day_the_doctor_is_away_or_off_says_so_with_the_next_free_times(db):
    away = "Dr. Daniel Lee is away on Monday, March 8."
    off = "Dr. Daniel Lee doesn't see patients on Tuesday, March 2."
    for day, why in (("2027-03-08", away), ("2027-03-02", off)):
        events, said = run(ValidateBookingForm(), start(text=f"checkup with dr lee on {day}",
                           appointment_type="checkup", provider="lee", time=day))  # fmt: skip
        assert texts(said).startswith(why + " The next free times are below."), texts(said)
        assert slots_of(events)["offered_slots"]
    # a clock time that day too: not "that time is already taken"
    at_ten = "2027-03-08T10:00:00-05:00"
    events, said = run(ValidateBookingForm(), start(text="follow up with dr lee at 10 in the "
                       "morning on the 8th", appointment_type="follow_up", provider="lee",
                       time=at_ten))  # fmt: skip
    assert texts(said).startswith(away + " The nearest free times are below."), texts(said)


def test_a_part_of_the_day_the_doctor_does_not_work_says_their_hours_that_day(db):
    """Dr Patel sees patients on Friday mornings only: "Friday afternoon" hears that, not a
    bare "nothing is free"."""
    afternoon = {"from": "2027-03-05T12:00:00-05:00", "to": "2027-03-05T17:00:00-05:00"}
    events, said = run(ValidateBookingForm(), start(text="checkup with dr patel friday afternoon",
                       appointment_type="checkup", provider="patel", time=afternoon))  # fmt: skip
    assert texts(said).startswith("Dr. Anika Patel sees patients on Friday, March 5: 8 AM–12 PM."
                                  " The next free times are below."), texts(said)  # fmt: skip
    assert slots_of(events)["offered_slots"]


def test_the_visit_type_question_lists_only_what_the_chosen_doctor_offers(db):
    garcia = {"provider": "garcia"}
    _, said = run(ActionAskAppointmentType(), tracker(MARIA, "when's the earliest I could see "
                  "dr garcia", "book_appointment", form=FORM, slots=garcia))  # fmt: skip
    offered = {b["title"] for b in buttons(said)}
    assert offered and "Check-up" not in offered and "Vaccination" not in offered
    _, said = run(ActionAskAppointmentType(), tracker(MARIA, "book", "book_appointment",
                  form=FORM, slots={"provider": "any"}))  # fmt: skip
    assert {"Check-up", "Vaccination"} <= {b["title"] for b in buttons(said)}


def test_a_visit_only_one_provider_offers_does_not_ask_who(db):
    at_nine = "2027-03-03T09:00:00-05:00"
    events, said = run(ValidateBookingForm(), start(text="I need a blood test on the 3rd at 9",
                       appointment_type="blood_test", time=at_nine))  # fmt: skip
    filled = slots_of(events)
    assert filled["provider"] == "okafor"  # the only one who takes blood tests
    assert filled.get("slot_start") or filled.get("offered_slots"), texts(said)
    events, _ = run(ValidateBookingForm(), start(text="book a checkup", appointment_type="checkup"))
    assert "provider" not in slots_of(events), "three offer check-ups: asked"


def test_someone_else_when_asked_when_means_whoever_offers_the_visit(db):
    asked = {"appointment_type": "checkup", "provider": "patel", "requested_slot": "time"}
    events, said = run(ValidateBookingForm(), tracker(MARIA, "can I see someone else instead?",
                                                      form=FORM, slots=asked))  # fmt: skip
    assert slots_of(events)["provider"] == "any", texts(said)
    assert "didn't catch" not in texts(said)


def test_someone_else_when_times_are_offered_means_whoever_is_free(db):
    asked = offered_on_friday()
    events, said = run(ValidateBookingForm(), tracker(MARIA, "anything with someone else?",
                                                      form=FORM, slots=asked))  # fmt: skip
    filled = slots_of(events)
    assert filled["provider"] == "any"
    offered = {o.get("provider") for o in filled.get("offered_slots") or []}
    assert offered and offered != {"patel"}, texts(said)  # others' times now too


def test_my_usual_doctor_is_the_one_i_have_seen_most(db):
    from clinic import scheduling as clinic_scheduling

    maria = who_is(db, MARIA)
    usual = clinic_scheduling.usual_provider(db, maria.actor, "checkup").key
    events, said = run(ValidateBookingForm(), start(text="a checkup with my usual doctor please",
                                                    appointment_type="checkup"))  # fmt: skip
    assert slots_of(events)["provider"] == usual, texts(said)
    assert "whom you've seen most" in texts(said)
    # asked who, by someone not seen here yet: said so, and asked again
    asked = {"appointment_type": "checkup", "requested_slot": "provider"}
    events, said = run(ValidateBookingForm(), tracker(AISHA, "my usual doctor", form=FORM,
                                                      slots=asked))  # fmt: skip
    assert slots_of(events).get("provider") is None
    assert "can't tell who your usual doctor is" in texts(said)


def test_any_morning_when_asked_who_is_about_the_time_not_the_doctor(db):
    asked = {"appointment_type": "vaccination", "requested_slot": "provider"}
    mornings = {"from": "2027-03-08", "to": "2027-03-14"}
    events, said = run(ValidateBookingForm(), tracker(
        MARIA, "next week, any morning", entities=[ent("time", mornings)], form=FORM,
        slots=asked, new_slots={"time": mornings}))  # fmt: skip
    assert slots_of(events).get("provider") is None, texts(said)
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "any of them", form=FORM, slots=asked))
    assert slots_of(events)["provider"] == "any"


def test_a_closed_day_said_before_who_and_what_is_told_at_once(db):
    def book(text, day):
        said = [ent("appointment_type", "checkup"), ent("time", day)]
        new = {"appointment_type": "checkup", "time": day}
        return run(
            ValidateBookingForm(),
            tracker(
                MARIA, text, "book_appointment", said, form=FORM, activating=True, new_slots=new
            ),
        )

    events, said = book("book a checkup on sunday", "2027-03-07")
    assert texts(said) == "We're closed on Sunday, March 7."
    assert slots_of(events)["time"] is None, "asked again, after who"
    _, said = book("a checkup on the 24th of december", "2027-12-24")
    assert texts(said) == "We're closed on Friday, December 24 (Christmas Eve)."


def test_two_visits_in_one_request_are_booked_one_at_a_time(db):
    both = [ent("appointment_type", "blood_test"), ent("appointment_type", "checkup")]
    events, said = run(ValidateBookingForm(), tracker(
        MARIA, "I need a blood test and a checkup", "book_appointment", both, form=FORM,
        activating=True, new_slots={"appointment_type": "blood_test"}))  # fmt: skip
    assert "One at a time: first the blood test, then I'll come back to the check-up." in texts(
        said
    )
    declined = {"booking_confirmed": False, "also_wanted": slots_of(events)["also_wanted"]}
    _, said = run(ActionSubmitBooking(), tracker(MARIA, "no", "deny", slots=declined))
    assert "You also asked about a check-up." in texts(said)
    checkup = '/book_appointment{"appointment_type":"checkup"}'
    assert buttons(said)[-1] == {"title": "Book the check-up", "payload": checkup}


def test_booking_instead_of_a_visit_offers_to_move_that_one(db):
    (checkup,) = [a for a in maria_appointments(db) if a.appointment_type.key == "checkup"
                  and a.start_at > datetime.fromisoformat("2027-03-01T09:00:00-05:00")]  # fmt: skip
    asked = "I have a checkup tomorrow but I'm feeling worse, can I come in today instead"
    _, said = run(ValidateBookingForm(), start(text=asked, appointment_type="checkup"))
    assert "You already have a check-up with Dr. Anika Patel on Tue, Mar 2 at 10:00 AM." in texts(
        said
    )
    move = f'/reschedule_appointment{{"appointment_id":"{checkup.id}"}}'
    assert {"title": "Move that one", "payload": move} in buttons(said)
    _, said = run(ValidateBookingForm(), start(text="a checkup please", appointment_type="checkup"))
    assert "already have" not in texts(said), "only when they say instead"


def test_staff_asking_for_a_doctors_next_free_slot_hear_the_times_per_visit_type(db):
    """The front desk with a patient on the phone: "when is Dr Garcia's next free slot?" Each
    visit type Dr Garcia offers, with its next free times; nothing is booked."""
    before = db.scalar(select(func.count()).select_from(Appointment))
    events, said = run(ValidateBookingForm(), tracker(RITA, "when is dr garcia's next free slot",
                       "book_appointment", [ent("provider", "garcia")], form=FORM,
                       activating=True, new_slots={"provider": "garcia"}))  # fmt: skip
    lines = texts(said).splitlines()
    assert lines[0] == "Next free times with Dr. Sofia Garcia:"
    assert len(lines) > 1 and all(line.startswith("• ") and " min): " in line for line in lines[1:])
    assert "Check-up" not in texts(said), "only what Dr Garcia offers"
    assert slots_of(events)["requested_slot"] is None, "no question follows"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Appointment)) == before
    # a visit type: who has it free first
    flu = [ent("appointment_type", "vaccination")]
    asked = tracker(RITA, "next free flu shot", "book_appointment", flu, form=FORM, activating=True)
    _, said = run(ValidateBookingForm(), asked)
    assert texts(said).startswith("Next free times:\n• Vaccination (")


def test_make_it_thursday_instead_while_confirming_changes_this_bookings_time(db):
    """Read as "reschedule", "actually can we make it Thursday instead?" at "Shall I book ...?"
    is about the booking being made: Thursday's times, not a move of another appointment."""
    (first, *_) = free_on(db, FRIDAY)
    confirming = {
        "appointment_type": "checkup",
        "provider": "patel",
        "time": FRIDAY,
        "slot_start": first.iso_start,
        "requested_slot": "booking_confirmed",
    }
    thursday = [ent("time", "2027-03-04")]
    events, said = run(ValidateBookingForm(), tracker(MARIA, "actually can we make it thursday "
                       "instead", "reschedule_appointment", thursday, form=FORM,
                       slots=confirming))  # fmt: skip
    filled = slots_of(events)
    assert filled["time"] == "2027-03-04"
    assert filled.get("booking_confirmed") is None
    assert filled["offered_slots"], texts(said)
    assert all(o["start"].startswith("2027-03-04") for o in filled["offered_slots"]), texts(said)


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("I need a checkup for my knee next week", "my knee"),
        ("my back hurts, can I come in tomorrow", "my back hurts"),
        ("I'd like to see someone about my headaches", "my headaches"),
        ("because of a rash on my arm", "a rash on my arm"),
        ("for my wrist at 9am please", "my wrist"),
        ("hello, I would like to make an appointment please", None),
        ("book me in with dr lee for a checkup on friday", None),
        ("can I book a physical for the 31st of march", None),
        ("a checkup for my daughter", None),
    ],
)
def test_the_words_about_the_problem_and_only_those(said, reason):
    from actions.visit_reason import reason_in

    assert reason_in(said) == reason


def test_a_visit_no_longer_needed_read_as_a_booking_goes_to_cancelling(db):
    # the classifier hears "vaccine appt" and books; the words say it is not wanted
    events, said = run(ValidateBookingForm(), start(MARIA, "don't need the blood test anymore"))
    assert ("followup", "cancel_form") in [(e["event"], e.get("name")) for e in events]
    assert not texts(said)  # the cancel form asks which visit and confirms first
    # wanting not to wait is still a booking
    events, said = run(ValidateBookingForm(), start(MARIA, "i need a flu shot, i don't want to "
                                                           "wait any more"))  # fmt: skip
    assert "followup" not in [e["event"] for e in events]


def test_anything_in_the_morning_while_next_weeks_times_are_shown_is_next_weeks_mornings(db):
    next_week = {"from": "2027-03-08", "to": "2027-03-14"}
    offered = [
        {"start": "2027-03-09T13:00:00-05:00", "provider": "patel", "label": "Tue 1 PM"},
        {"start": "2027-03-10T18:15:00-05:00", "provider": "patel", "label": "Wed 6:15 PM"},
    ]
    this_morning = {"from": "2027-03-01T08:00:00-05:00", "to": "2027-03-01T12:00:00-05:00"}
    said = {**ent("time", this_morning), "additional_info": {"dated": False}}  # no day said
    asked = tracker(MARIA, "anything in the morning?", "inform", [said],
                    form=FORM, new_slots={"time": this_morning},
                    slots={"appointment_type": "checkup", "provider": "patel", "time": next_week,
                           "offered_slots": offered, "requested_slot": "slot_start"})  # fmt: skip
    asked.events[:0] = [SlotSet("time", next_week)]
    events, said = run(ValidateBookingForm(), asked)
    filled = slots_of(events)
    assert filled.get("slot_start") is None  # not "any of them": nothing picked, nothing to confirm
    assert filled["time"] == {**next_week, "hours": ["08:00", "12:00"]}
    starts = [datetime.fromisoformat(o["start"]) for o in filled["offered_slots"]]
    assert starts and all(s.hour < 12 and s.date().isoformat() >= "2027-03-08" for s in starts)


def test_a_weekday_and_time_on_the_list_picks_that_offer_whatever_week_the_nlu_read(db):
    offered = [
        {"start": "2027-03-09T13:00:00-05:00", "provider": "patel", "label": "Tue 1 PM"},
        {"start": "2027-03-10T18:30:00-05:00", "provider": "patel", "label": "Wed 6:30 PM"},
    ]
    coming_wednesday = "2027-03-03T18:30:00-05:00"  # how the NLU reads "6:30 on wednesday"
    known = {"appointment_type": "checkup", "provider": "patel", "offered_slots": offered,
             "requested_slot": "slot_start"}  # fmt: skip
    asked = tracker(MARIA, "can I do 6:30 on wednesday", "inform", [ent("time", coming_wednesday)],
                    form=FORM, slots=known)  # fmt: skip
    events, _ = run(ValidateBookingForm(), asked)
    assert slots_of(events)["slot_start"] == "2027-03-10T18:30:00-05:00"


@pytest.mark.parametrize(
    "text",
    [
        "hi I need a follow up with anyone friday week",
        "checkup with whoever is free, end of the month",
    ],
)
def test_anyone_in_the_request_itself_is_whoever_is_free(db, text):
    events, said = run(ValidateBookingForm(), start(MARIA, text))
    assert slots_of(events)["provider"] == "any", texts(said)


def test_the_2nd_when_asked_which_kind_of_visit_is_the_second_button_not_a_date(db):
    asked = tracker(MARIA, "the 2nd", "inform", [ent("time", "2027-03-02")], form=FORM,
                    slots={"provider": "patel", "requested_slot": "appointment_type"},
                    new_slots={"time": "2027-03-02"})  # fmt: skip
    kinds = [
        {"title": "Check-up", "payload": '/inform{"appointment_type":"checkup"}'},
        {"title": "Follow-up visit", "payload": '/inform{"appointment_type":"follow_up"}'},
    ]
    events, _ = run(ValidateBookingForm(), after_question(asked, "What kind of visit?", kinds))
    filled = slots_of(events)
    assert filled.get("time") is None  # no day was asked for
    assert filled["appointment_type"] == "follow_up"  # the second kind offered
    # "the 15th" under two buttons is no button: the 15th, kept
    asked = tracker(MARIA, "the 15th", "inform", [ent("time", "2027-03-15")], form=FORM,
                    slots={"provider": "patel", "requested_slot": "appointment_type"},
                    new_slots={"time": "2027-03-15"})  # fmt: skip
    events, _ = run(ValidateBookingForm(), after_question(asked, "What kind of visit?", kinds))
    assert slots_of(events)["time"] == "2027-03-15"


def test_a_misspelt_doctor_is_the_closest_provider_and_said_so(db):
    events, said = run(ValidateBookingForm(), start(MARIA, "a checkup with doctor pattel"))
    assert slots_of(events)["provider"] == "patel"
    assert "I took “doctor pattel” to mean Dr. Anika Patel." in texts(said)
    # a name not close to anyone's: not guessed, and said
    events, said = run(ValidateBookingForm(), start(MARIA, "a checkup with dr smith"))
    assert slots_of(events).get("provider") is None
    assert "I couldn't find dr smith at the practice" in texts(said)


def test_the_nurse_is_the_practices_nurse_practitioner(db):
    events, _ = run(ValidateBookingForm(), start(MARIA, "can I see the nurse next week"))
    assert slots_of(events)["provider"] == "okafor"
    # what the nurse said is not a wish to see her
    events, _ = run(ValidateBookingForm(), start(MARIA, "the nurse said I need a follow up"))
    assert slots_of(events).get("provider") is None
    # asked who, "nurse" alone is her
    answer = {"appointment_type": "checkup", "requested_slot": "provider"}
    asked = tracker(MARIA, "nurse", "inform", [], form=FORM, slots=answer)
    events, _ = run(ValidateBookingForm(), asked)
    assert slots_of(events)["provider"] == "okafor"


def test_a_time_that_clashes_with_my_own_visit_is_said_so_and_never_offered(db):
    """Maria asks for a follow-up at the very time of her own check-up: not "taken" as if by
    someone else, not offered with another doctor, and no offer overlaps it."""
    checkup = next(
        a
        for a in maria_appointments(db)
        if a.appointment_type.key == "checkup" and a.start_at > clock.now()
    )
    at = clinic_text.iso_local(checkup.start_at)
    events, said = run(ValidateBookingForm(),
                       start(appointment_type="follow_up", provider="any", time=at))  # fmt: skip
    filled = slots_of(events)
    assert filled.get("slot_start") is None
    assert texts(said).startswith("You already have your check-up with Dr. Anika Patel on ")
    length = timedelta(minutes=practice.get_type(db, "follow_up").duration_minutes)
    assert filled["offered_slots"]
    for offer in filled["offered_slots"]:
        begins = datetime.fromisoformat(offer["start"])
        assert not (checkup.start_at - length < begins < checkup.end_at), offer


def test_any_day_but_monday_offers_the_earliest_times_on_other_days(db):
    asked = start(MARIA, "checkup with dr patel, any day but monday",
                  appointment_type="checkup", provider="patel")  # fmt: skip
    events, said = run(ValidateBookingForm(), asked)
    offers = slots_of(events)["offered_slots"]
    assert offers, texts(said)
    assert "Here are the earliest free times, not on Mondays." in texts(said)
    assert all(datetime.fromisoformat(o["start"]).weekday() != 0 for o in offers)
    # said when asked when: the same
    when = tracker(MARIA, "not mondays or tuesdays", "inform", form=FORM,
                   slots={"appointment_type": "checkup", "provider": "patel",
                          "requested_slot": "time"})  # fmt: skip
    events, _ = run(ValidateBookingForm(), when)
    offers = slots_of(events)["offered_slots"]
    assert offers and all(datetime.fromisoformat(o["start"]).weekday() > 1 for o in offers)


def test_no_the_other_one_at_the_confirmation_picks_that_offer_with_its_own_doctor(db):
    """Offered times with anyone; the patient tapped Dr Patel's, then "no, the 2:45 one": the
    2:45 offer with Grace Okafor, asked again (not Dr Patel at 2:45, who is busy then)."""
    offers = [
        {"start": "2027-03-02T14:15:00-05:00", "provider": "patel", "label": "Tue 2:15 Patel"},
        {"start": "2027-03-02T14:45:00-05:00", "provider": "okafor", "label": "Tue 2:45 Okafor"},
    ]
    state = {"appointment_type": "checkup", "provider": "patel", "time": "2027-03-02",
             "offered_slots": offers, "slot_start": offers[0]["start"],
             "requested_slot": "booking_confirmed"}  # fmt: skip
    said_time = [ent("time", "2027-03-01T14:45:00-05:00")]  # read as today by the NLU
    mapped = {"booking_confirmed": False, "time": said_time[0]["value"]}
    asked = tracker(MARIA, "no, the 2:45 one", "deny", said_time, form=FORM, slots=state,
                    new_slots=mapped)  # fmt: skip
    events, _ = run(ValidateBookingForm(), asked)
    filled = slots_of(events)
    assert filled["slot_start"] == "2027-03-02T14:45:00-05:00"
    assert filled["provider"] == "okafor"
    assert filled.get("booking_confirmed") is None


def test_a_time_between_the_offers_keeps_the_wish_said_before(db):
    """Offered 2:15 and 3:45 on Friday after 2; "the 3pm one" is not free: those again (still
    after 2), not the nearest times to 3:00 on either side."""
    after_two = {"from": "2027-03-05T14:00:00-05:00", "to": "2027-03-06T00:00:00-05:00"}
    state = {"appointment_type": "vaccination", "provider": "okafor", "time": after_two,
             "requested_slot": "slot_start"}  # fmt: skip
    events, _ = run(ValidateBookingForm(), tracker(MARIA, "friday after 2", "inform",
                    form=FORM, slots={**state, "time": None},
                    new_slots={"time": after_two}))  # fmt: skip
    offers = slots_of(events)["offered_slots"]
    assert len(offers) >= 2
    first, last = offers[0]["start"], offers[-1]["start"]
    between = next(
        f"2027-03-05T{h:02d}:{m:02d}:00-05:00"
        for h in range(14, 18)
        for m in (0, 30)
        if first < f"2027-03-05T{h:02d}:{m:02d}:00-05:00" < last
        and f"2027-03-05T{h:02d}:{m:02d}:00-05:00" not in [o["start"] for o in offers]
    )
    picked = tracker(MARIA, "the one at that time", "inform", [ent("time", between)], form=FORM,
                     slots={**state, "offered_slots": offers},
                     new_slots={"time": between})  # fmt: skip
    picked.events.insert(0, {"event": "slot", "name": "time", "value": after_two})  # asked before
    events, said = run(ValidateBookingForm(), picked)
    assert "isn't free that day." in texts(said)
    again = slots_of(events)["offered_slots"]
    assert all(o["start"] >= "2027-03-05T14:00" for o in again), "after 2 still holds"


def test_what_is_on_my_waitlist_and_taking_me_off_it(db):
    physical = [ent("appointment_type", "physical")]
    run(ActionJoinWaitlist(), tracker(MARIA, "tell me if an earlier physical opens up",
                                      "join_waitlist", physical))  # fmt: skip
    _, said = run(ActionJoinWaitlist(), tracker(MARIA, "am I on any waiting lists?",
                                                "join_waitlist"))  # fmt: skip
    assert texts(said).startswith("You're on the waitlist for: physical exam")
    _, said = run(ActionJoinWaitlist(), tracker(MARIA, "take me off the waitlist",
                                                "join_waitlist"))  # fmt: skip
    assert texts(said).startswith("Done: you're off the waitlist for physical exam")
    _, said = run(ActionJoinWaitlist(), tracker(MARIA, "am I on the waitlist?", "join_waitlist"))
    assert texts(said) == "You're not on any waitlist at the moment."


def test_i_meant_a_follow_up_not_a_checkup_is_the_follow_up(db):
    text = "sorry, I meant a follow-up not a checkup"
    named = [{**ent("appointment_type", "follow_up"), "start": 17, "end": 26},
             {**ent("appointment_type", "checkup"), "start": 33, "end": 40}]  # fmt: skip
    state = {"appointment_type": "checkup", "provider": "lee", "requested_slot": "slot_start"}
    events, _ = run(ValidateBookingForm(), tracker(MARIA, text, "inform", named, form=FORM,
                    slots=state, new_slots={"appointment_type": "checkup"}))  # fmt: skip
    assert slots_of(events)["appointment_type"] == "follow_up"


def test_a_question_about_a_doctor_asked_who_is_answered_not_taken_for_a_choice(db):
    asked = tracker(MARIA, "is dr lee a man or a woman?", "inform", [ent("provider", "lee")],
                    form=FORM, slots={"appointment_type": "checkup", "requested_slot": "provider"},
                    new_slots={"provider": "lee"})  # fmt: skip
    events, said = run(ValidateBookingForm(), asked)
    assert slots_of(events)["provider"] is None
    assert texts(said).startswith("I can only tell you our doctors' names and fields here")


def test_can_you_remind_me_is_answered_with_the_reminders_not_a_booking(db):
    asked = start(MARIA, "can you remind me about my blood test the day before?",
                  appointment_type="blood_test")  # fmt: skip
    events, said = run(ValidateBookingForm(), asked)
    assert texts(said).startswith("Yes: for every visit booked, I send you a reminder here")
    assert slots_of(events)["requested_slot"] is None


def test_a_checkup_for_me_and_one_for_my_husband_books_mine(db):
    events, said = run(ValidateBookingForm(), start(MARIA,
                       "book a checkup for me and one for my husband on saturday",
                       appointment_type="checkup"))  # fmt: skip
    assert texts(said).startswith("I'll book yours here, Maria. For your husband's")
    filled = slots_of(events)
    assert filled.get("appointment_type") == "checkup", "her own booking goes on"
    assert "requested_slot" not in filled, "not ended like a booking for a relative alone"


def test_the_reminder_promised_is_one_that_will_still_go_out(db):
    from datetime import timedelta as td

    from actions.booking import reminder_promise

    class Visit:
        def __init__(self, start):
            self.start_at = start

    now = clock.now()
    assert reminder_promise(Visit(now + td(days=3))) == ", and I'll remind you the day before"
    assert reminder_promise(Visit(now + td(hours=5))) == ", and I'll remind you 2 hours before"
    assert reminder_promise(Visit(now + td(hours=1))) == ""


def test_the_confirmation_says_a_visit_of_the_same_kind_is_booked_near_it(db):
    from actions.questions import ActionAskBookingConfirmed

    (free, *_) = free_on(db, FRIDAY)
    state = {"appointment_type": "checkup", "slot_start": free.iso_start,
             "slot_label": "a check-up with Dr. Anika Patel on Fri, Mar 5"}  # fmt: skip
    _, said = run(ActionAskBookingConfirmed(), tracker(MARIA, slots=state))
    assert texts(said).startswith("You already have a check-up on Tue, Mar 2 at 10:00 AM. Shall I")
    state["appointment_type"] = "physical"
    _, said = run(ActionAskBookingConfirmed(), tracker(MARIA, slots=state))
    assert texts(said).startswith("Shall I book")
