"""Staff services: the day's schedule and meeting rooms."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clinic import scheduling, staff
from clinic.audit import Actor
from clinic.errors import (
    ClinicClosed,
    InvalidInput,
    InvalidTimeRange,
    NotStaff,
    OutsideHours,
    PastTime,
    RoomTaken,
    UnknownRoom,
)
from clinic.models import OutboxMessage, StaffRole
from tests.clinic.helpers import at, make_patient, make_staff


def test_day_schedule_by_provider_and_time(store):
    desk = Actor.staff(make_staff(store).id)
    a, b = make_patient(store, 1), make_patient(store, 2)
    late = scheduling.book(
        store,
        Actor.patient(a.id),
        type_key="checkup",
        provider_key="patel",
        start=at("2027-03-02", "11:00"),
    )
    early = scheduling.book(
        store,
        Actor.patient(b.id),
        type_key="checkup",
        provider_key="patel",
        start=at("2027-03-02", "08:00"),
    )
    lee = scheduling.book(
        store,
        Actor.patient(b.id),
        type_key="follow_up",
        provider_key="okafor",
        start=at("2027-03-02", "09:00"),
    )
    scheduling.cancel(store, Actor.patient(a.id), late.id)

    days = staff.day_schedule(store, desk, date(2027, 3, 2))
    by_key = {d.provider.key: [x.id for x in d.appointments] for d in days}
    assert by_key == {"patel": [early.id, late.id], "okafor": [lee.id]}
    text = staff.format_schedule(days, date(2027, 3, 2))
    assert "8:00 AM Check-up: Test PatientB" in text and "(cancelled)" in text
    only = staff.day_schedule(store, desk, date(2027, 3, 2), "garcia")
    assert [(d.provider.key, d.appointments) for d in only] == [("garcia", [])]
    with pytest.raises(NotStaff):
        staff.day_schedule(store, Actor.patient(a.id), date(2027, 3, 2))


def test_whos_next_skips_visits_begun_and_cancelled(store):
    desk = Actor.staff(make_staff(store).id)
    a, b, c = (make_patient(store, n) for n in (1, 2, 3))
    booked = [
        scheduling.book(store, Actor.patient(patient.id), type_key="checkup",
                        provider_key="patel", start=at("2027-03-02", hour))
        for patient, hour in ((a, "08:00"), (b, "09:00"), (c, "10:00"))
    ]  # fmt: skip
    nine = booked[1]
    scheduling.cancel(store, Actor.patient(b.id), nine.id)
    days = staff.day_schedule(store, desk, date(2027, 3, 2))
    said = staff.format_next(days, at("2027-03-02", "08:30"))
    assert said.startswith("Dr. Anika Patel: next 10:00 AM Check-up, Test PatientC"), said
    assert "(1 still to come)" in said
    assert staff.format_next(days, at("2027-03-02", "10:30")) == (
        "Dr. Anika Patel: nothing more booked today."
    )
    assert staff.format_schedule([], date(2027, 3, 7)) == "No appointments on Sunday, March 7."


def test_an_empty_day_says_why_when_the_provider_is_away(store):
    desk = Actor.staff(make_staff(store).id)
    tuesday = date(2027, 3, 2)
    (lee,) = staff.day_schedule(store, desk, tuesday, "lee")
    assert lee.away == "not working on Tuesdays"
    (garcia,) = staff.day_schedule(store, desk, tuesday, "garcia")
    assert garcia.away is None  # works Tuesdays, nobody booked yet
    assert "(nothing booked)" in staff.format_schedule([garcia], tuesday)
    staff.add_time_off(store, desk, "garcia", at("2027-03-02", "00:00"),
                       at("2027-03-03", "00:00"), "conference")  # fmt: skip
    (garcia,) = staff.day_schedule(store, desk, tuesday, "garcia")
    assert "(time off: conference)" in staff.format_schedule([garcia], tuesday)


def test_book_meeting_room_invites_staff_and_refuses_overlaps(store):
    rita = make_staff(store, telegram_user_id=1)
    ben = make_staff(store, StaffRole.BILLING, telegram_user_id=2)
    actor = Actor.staff(rita.id)
    booking = staff.book_room(
        store,
        actor,
        "conference",
        at("2027-03-04", "14:00"),
        at("2027-03-04", "15:00"),
        "Staff meeting",
        [ben.id],
    )
    invite = store.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "meeting_invite")
    ).one()
    assert invite.staff_id == ben.id
    assert invite.attachments == [{"kind": "ics", "room_booking_id": booking.id}]
    with pytest.raises(RoomTaken, match="Staff meeting"):
        staff.book_room(
            store,
            actor,
            "conference",
            at("2027-03-04", "14:30"),
            at("2027-03-04", "16:00"),
            "Other",
        )
    # Back to back, and another room at the same time, are fine.
    staff.book_room(
        store, actor, "conference", at("2027-03-04", "15:00"), at("2027-03-04", "16:00"), "Next"
    )
    staff.book_room(
        store, actor, "library", at("2027-03-04", "14:00"), at("2027-03-04", "15:00"), "Other"
    )


@pytest.mark.parametrize(
    ("room", "start", "end", "error"),
    [
        ("exam1", ("2027-03-04", "14:00"), ("2027-03-04", "15:00"), InvalidInput),
        ("rooftop", ("2027-03-04", "14:00"), ("2027-03-04", "15:00"), UnknownRoom),
        ("conference", ("2027-03-04", "15:00"), ("2027-03-04", "14:00"), InvalidTimeRange),
        ("conference", ("2027-02-01", "14:00"), ("2027-02-01", "15:00"), PastTime),
        # 3 am is nearly always a slip for 3 pm; Thursday opens 8-5
        ("conference", ("2027-03-04", "03:00"), ("2027-03-04", "04:00"), OutsideHours),
        ("conference", ("2027-03-04", "16:30"), ("2027-03-04", "17:30"), OutsideHours),
        ("conference", ("2027-03-07", "10:00"), ("2027-03-07", "11:00"), ClinicClosed),  # Sun
        ("conference", ("2027-05-31", "10:00"), ("2027-05-31", "11:00"), ClinicClosed),
    ],
)
def test_book_room_garbage(store, room, start, end, error):
    actor = Actor.staff(make_staff(store).id)
    with pytest.raises(error):
        staff.book_room(store, actor, room, at(*start), at(*end), "x")


def test_patients_cannot_book_rooms_or_list_staff(store):
    patient = make_patient(store, 1)
    with pytest.raises(NotStaff):
        staff.book_room(
            store,
            Actor.patient(patient.id),
            "conference",
            at("2027-03-04", "14:00"),
            at("2027-03-04", "15:00"),
            "x",
        )
    with pytest.raises(NotStaff):
        staff.staff_list(store, Actor.patient(patient.id))
    inactive = make_staff(store, telegram_user_id=5)
    inactive.active = False
    with pytest.raises(NotStaff):
        staff.staff_list(store, Actor.staff(inactive.id))


def test_add_staff_validates(store):
    made = staff.add_staff(store, name="Kim Lee", role="billing", telegram_user_id=99)
    assert made.role is StaffRole.BILLING
    with pytest.raises(InvalidInput):
        staff.add_staff(store, name="X", role="boss")
    with pytest.raises(InvalidInput):
        staff.add_staff(store, name="Y", role="nurse", telegram_user_id=99)
    with pytest.raises(InvalidInput):
        staff.add_staff(store, name="  ", role="nurse")


def test_outside_hours_says_the_days_hours(store):
    actor = Actor.staff(make_staff(store).id)
    with pytest.raises(OutsideHours) as refused:
        staff.book_room(
            store, actor, "conference", at("2027-03-04", "03:00"), at("2027-03-04", "04:00"), "x"
        )
    assert "8:00 AM-5:00 PM on Thursday, March 4" in str(refused.value)
    with pytest.raises(ClinicClosed) as closed:
        staff.book_room(
            store, actor, "conference", at("2027-05-31", "10:00"), at("2027-05-31", "11:00"), "x"
        )
    assert "Memorial Day" in str(closed.value)


def test_my_room_bookings_are_the_ones_i_made_still_ahead(store, monkeypatch):
    from clinic import clock
    from clinic.errors import NotFound

    rita = Actor.staff(make_staff(store, telegram_user_id=1).id)
    ben = Actor.staff(make_staff(store, StaffRole.BILLING, telegram_user_id=2).id)
    thursday = staff.book_room(store, rita, "conference", at("2027-03-04", "14:00"),
                               at("2027-03-04", "15:00"), "Thursday")  # fmt: skip
    friday = staff.book_room(store, rita, "library", at("2027-03-05", "09:00"),
                             at("2027-03-05", "10:00"), "Friday")  # fmt: skip
    bens = staff.book_room(store, ben, "conference", at("2027-03-05", "09:00"),
                           at("2027-03-05", "10:00"), "Ben's")  # fmt: skip
    assert staff.my_room_bookings(store, rita) == [thursday, friday], "soonest first, not Ben's"
    assert staff.my_room_bookings(store, rita, date(2027, 3, 5), date(2027, 3, 5)) == [friday]
    assert staff.my_room_booking(store, rita, friday.id) is friday
    with pytest.raises(NotFound):
        staff.my_room_booking(store, rita, bens.id)
    staff.cancel_room_booking(store, rita, friday.id)
    with pytest.raises(NotFound):
        staff.my_room_booking(store, rita, friday.id)
    later = at("2027-03-04", "14:30")  # Thursday's has started
    monkeypatch.setattr(clock, "now", lambda: later)
    assert staff.my_room_bookings(store, rita) == []


def test_patients_named_finds_first_and_last_name_for_staff_only(store):
    desk = Actor.staff(make_staff(store).id)
    a = make_patient(store, 1)
    said = f"is {a.first_name.lower()} {a.last_name.upper()}'s visit this week?"
    assert [p.id for p in staff.patients_named(store, desk, said)] == [a.id]
    assert staff.patients_named(store, desk, f"is {a.last_name} {a.first_name} in") == []
    assert staff.patients_named(store, desk, "") == []
    with pytest.raises(NotStaff):
        staff.patients_named(store, Actor.patient(a.id), said)


def test_my_meetings_are_the_ones_organised_or_invited_to_still_ahead(store):
    rita = make_staff(store, telegram_user_id=1)
    ben = make_staff(store, StaffRole.BILLING, telegram_user_id=2)
    nina = make_staff(store, StaffRole.NURSE, telegram_user_id=3)
    thursday = staff.book_room(store, Actor.staff(rita.id), "conference",
                               at("2027-03-04", "14:00"), at("2027-03-04", "15:00"),
                               "Staff meeting", [ben.id])  # fmt: skip
    friday = staff.book_room(store, Actor.staff(nina.id), "library", at("2027-03-05", "09:00"),
                             at("2027-03-05", "10:00"), "Nurses' huddle", [])  # fmt: skip
    assert [b.id for b in staff.my_meetings(store, Actor.staff(ben.id))] == [thursday.id]
    assert [b.id for b in staff.my_meetings(store, Actor.staff(rita.id))] == [thursday.id]
    assert [b.id for b in staff.my_meetings(store, Actor.staff(nina.id))] == [friday.id]
    on_friday = staff.my_meetings(store, Actor.staff(rita.id), date(2027, 3, 5), date(2027, 3, 5))
    assert on_friday == []
    with pytest.raises(NotStaff):
        staff.my_meetings(store, Actor.patient(make_patient(store).id))
