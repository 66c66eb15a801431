"""Staff asking about one patient by name ("is Maria Lopez booked this week?"): that patient's
upcoming visits, with the birth date to tell same-named patients apart, audited as a staff
read. Patients and strangers naming someone get nothing of theirs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from actions.appointments import ActionListAppointments
from actions.staff import ActionStaffSchedule
from actions.unclear import ActionFallback, ActionOutOfScope
from clinic.db import session_scope
from clinic.identity import register_patient, who_is
from clinic.models import ActorKind, AuditEntry
from tests.actions.helpers import AISHA, MARIA, RITA, STRANGER_WEB, ent, run, texts, tracker

THIS_WEEK = {"from": "2027-03-01", "to": "2027-03-07"}
CHECKUP = "Check-up with Dr. Anika Patel on Tue, Mar 2 at 10:00 AM (booked)"
BLOOD_TEST = "Blood test with Grace Okafor, NP on Wed, Mar 10 at 8:30 AM (confirmed)"


def test_staff_asking_whether_a_patient_is_booked_get_that_patients_visits(db):
    asked = tracker(RITA, "is Maria Lopez booked this week?", "list_appointments",
                    [ent("time", THIS_WEEK)])  # fmt: skip
    _, said = run(ActionListAppointments(), asked)
    assert texts(said) == (
        "Maria Lopez (born Apr 12, 1985), between Monday, March 1 and Sunday, March 7:\n"
        f"• {CHECKUP}"
    )
    # whatever the classifier made of it, and with no day: all upcoming
    for action, intent in (
        (ActionStaffSchedule(), "staff_schedule"),
        (ActionOutOfScope(), "out_of_scope"),
        (ActionFallback(), "nlu_fallback"),
    ):
        _, said = run(action, tracker(RITA, "when is maria lopez's next appointment", intent))
        assert (
            texts(said)
            == f"Maria Lopez (born Apr 12, 1985), upcoming:\n• {CHECKUP}\n• {BLOOD_TEST}"
        )


def test_a_day_with_nothing_for_that_patient_says_so_and_shows_what_is_booked(db):
    tomorrow_week = {"from": "2027-03-15", "to": "2027-03-21"}
    asked = tracker(RITA, "does Maria Lopez have anything the week of the 15th",
                    "staff_schedule", [ent("time", tomorrow_week)])  # fmt: skip
    _, said = run(ActionStaffSchedule(), asked)
    assert texts(said).startswith(
        "Maria Lopez (born Apr 12, 1985) has no appointment between Monday, March 15 and "
        "Sunday, March 21. Upcoming:"
    )
    assert CHECKUP in texts(said)


def test_patients_sharing_a_name_are_told_apart_by_birth_date(db):
    with session_scope() as session:
        register_patient(session, first_name="Maria", last_name="Lopez",
                         date_of_birth=date(1949, 2, 3), phone="+14135550999")  # fmt: skip
    _, said = run(ActionListAppointments(), tracker(RITA, "maria lopez appointments",
                                                    "list_appointments"))  # fmt: skip
    assert "Maria Lopez (born Feb 3, 1949) has no upcoming appointments." in texts(said)
    assert f"Maria Lopez (born Apr 12, 1985), upcoming:\n• {CHECKUP}" in texts(said)


def test_each_lookup_is_audited_as_the_staff_members_read(db):
    run(ActionListAppointments(), tracker(RITA, "is Maria Lopez booked?", "list_appointments"))
    db.rollback()
    maria = who_is(db, MARIA).patient
    rita = who_is(db, RITA).staff
    actions = set(
        db.scalars(
            select(AuditEntry.action).where(
                AuditEntry.patient_id == maria.id,
                AuditEntry.actor_kind == ActorKind.STAFF,
                AuditEntry.actor_id == rita.id,
            )
        )
    )
    assert {"patient.lookup", "appointment.list"} <= actions


def test_a_patient_or_stranger_naming_someone_never_sees_their_visits(db):
    for sender in (AISHA, STRANGER_WEB):
        for action, intent in ((ActionListAppointments(), "list_appointments"),
                               (ActionStaffSchedule(), "staff_schedule"),
                               (ActionFallback(), "nlu_fallback")):  # fmt: skip
            _, said = run(action, tracker(sender, "is Maria Lopez booked this week?", intent))
            assert "Mar 2" not in texts(said) and "1985" not in texts(said), (sender, intent)
    # a name that is no patient's, from staff: the usual schedule answer, nothing invented
    _, said = run(ActionStaffSchedule(), tracker(RITA, "what is on today for Zed Quorn",
                                                 "staff_schedule"))  # fmt: skip
    assert texts(said).startswith("Schedule for Monday, March 1")


def test_staff_asking_to_change_a_named_patients_visit_see_it_and_hear_who_does_that(db):
    """ "move Maria Lopez to Thursday": not "you are not a patient", but her visits and that
    changes are made in the practice's own system; nothing is moved or booked."""
    from actions.appointments import ValidateRescheduleForm
    from actions.booking import ValidateBookingForm

    before = len(upcoming_of_maria(db))
    for form, name, text, verb in (
        (ValidateRescheduleForm(), "reschedule_form", "can you move maria lopez to thursday",
         "move"),
        (ValidateBookingForm(), "booking_form", "book Maria Lopez a checkup with dr lee", "book"),
    ):  # fmt: skip
        events, said = run(form, tracker(RITA, text, "inform", form=name, activating=True))
        assert texts(said).startswith("Maria Lopez (born Apr 12, 1985), upcoming:"), text
        assert texts(said).endswith(
            f"I can't {verb} a patient's appointment from this chat: that is done in the "
            "practice's own scheduling system."
        ), text
        assert not any(e.get("name") == "appointment_id" and e.get("value") for e in events)
    # a question filed as a booking is only answered
    _, said = run(ValidateBookingForm(), tracker(RITA, "when is maria lopez coming in next",
                  "book_appointment", form="booking_form", activating=True))  # fmt: skip
    assert texts(said).startswith("Maria Lopez (born Apr 12, 1985), upcoming:")
    assert "I can't" not in texts(said)
    assert len(upcoming_of_maria(db)) == before


def upcoming_of_maria(db):
    from tests.actions.test_appointments import upcoming

    return upcoming(db, MARIA)
