"""The slot finder: examples, garbage, and properties (hypothesis) that must always hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clinic import clock, practice, scheduling, slots
from clinic.audit import Actor
from clinic.errors import (
    InvalidTimeRange,
    PastTime,
    ProviderDoesNotOffer,
    TooFarAhead,
    UnknownAppointmentType,
    UnknownProvider,
)
from clinic.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Closure,
    OpeningHours,
    Provider,
    TimeOff,
)
from tests.clinic.helpers import at, day_window, make_patient


def test_first_slots_of_a_day_in_order_on_the_grid(clinic_session):
    found = slots.find_free_slots(
        clinic_session, "checkup", "patel", *day_window("2027-03-02"), limit=5
    )
    assert [s.local_start.strftime("%H:%M") for s in found] == [
        "08:00",
        "08:15",
        "08:30",
        "08:45",
        "09:00",
    ]
    assert found[0].label() == "Tue, Mar 2 at 8:00 AM with Dr. Anika Patel"
    assert found[0].iso_start == "2027-03-02T08:00:00-05:00"


def test_whole_day_respects_the_lunch_break_and_closing(clinic_session):
    found = slots.find_free_slots(
        clinic_session, "checkup", "patel", *day_window("2027-03-02"), limit=None
    )
    times = [s.local_start.strftime("%H:%M") for s in found]
    assert "11:30" in times and "11:45" not in times  # 11:45 + 30 min runs into lunch
    assert "12:00" not in times and "13:00" in times
    assert times[-1] == "16:30"
    assert len(times) == 2 * (4 * 4 - 1)


def test_min_notice_and_today(clinic_session):
    # Now is Monday 9:00; blood tests need 12 h notice, check-ups 2 h.
    checkups = slots.find_free_slots(
        clinic_session, "checkup", "okafor", *day_window("2027-03-01"), limit=1
    )
    assert checkups[0].local_start.strftime("%H:%M") == "11:00"
    assert (
        slots.find_free_slots(clinic_session, "blood_test", "okafor", *day_window("2027-03-01"))
        == []
    )


def test_no_provider_means_everyone_who_offers_it(clinic_session):
    found = slots.find_free_slots(
        clinic_session, "checkup", None, *day_window("2027-03-02"), limit=6
    )
    assert [(s.local_start.strftime("%H:%M"), s.provider_key) for s in found][:2] == [
        ("08:00", "okafor"),
        ("08:00", "patel"),
    ]
    assert {s.provider_key for s in found} <= {"patel", "lee", "okafor"}


def test_closures_and_time_off_leave_no_slots(clinic_session, frozen_now):
    frozen_now("2026-12-20T09:00:00-05:00")
    assert slots.find_free_slots(clinic_session, "checkup", None, *day_window("2026-12-24")) == []
    assert slots.find_free_slots(clinic_session, "checkup", None, *day_window("2026-12-23"))
    clinic_session.add(
        TimeOff(
            provider_id=practice.get_provider(clinic_session, "patel").id,
            start_at=at("2026-12-23", "00:00"),
            end_at=at("2026-12-24", "00:00"),
        )
    )
    found = slots.find_free_slots(
        clinic_session, "checkup", None, *day_window("2026-12-23"), limit=None
    )
    assert found and "patel" not in {s.provider_key for s in found}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("haircut", None, *day_window("2027-03-02")), UnknownAppointmentType),
        (("checkup", "house", *day_window("2027-03-02")), UnknownProvider),
        (("blood_test", "patel", *day_window("2027-03-02")), ProviderDoesNotOffer),
        (("checkup", "patel", *day_window("2027-02-02")), PastTime),
        (("checkup", "patel", *day_window("2028-03-02")), TooFarAhead),
        (
            ("checkup", "patel", at("2027-03-03", "00:00"), at("2027-03-02", "00:00")),
            InvalidTimeRange,
        ),
    ],
)
def test_garbage_windows_and_names(clinic_session, args, error):
    with pytest.raises(error) as caught:
        slots.find_free_slots(clinic_session, *args)
    assert str(caught.value)


def test_naive_datetimes_are_a_programming_error(clinic_session):
    with pytest.raises(ValueError):
        slots.find_free_slots(
            clinic_session, "checkup", "patel", datetime(2027, 3, 2), datetime(2027, 3, 3)
        )


def test_nearest_alternatives_surround_the_asked_time(clinic_session):
    patient = make_patient(clinic_session, 1)
    scheduling.book(
        clinic_session,
        Actor.patient(patient.id),
        type_key="checkup",
        provider_key="patel",
        start=at("2027-03-02", "10:00"),
    )
    near = slots.nearest_alternatives(
        clinic_session, "checkup", "patel", at("2027-03-02", "10:00"), limit=4
    )
    # 10:00 holds Dr Patel until 10:35, so 9:30 and 9:45 would run into it.
    assert [s.local_start.strftime("%H:%M") for s in near] == ["09:00", "09:15", "10:45", "11:00"]


# --- properties --------------------------------------------------------------------------------

TYPES = [
    "checkup",
    "follow_up",
    "vaccination",
    "blood_test",
    "consultation",
    "physical",
    "procedure",
]

existing = st.lists(
    st.tuples(
        st.sampled_from(["patel", "lee", "garcia", "okafor"]),
        st.sampled_from(TYPES),
        st.integers(0, 6),  # day offset from Monday 2027-03-01
        st.integers(7 * 12, 18 * 12),  # local time in 5-minute steps
        st.sampled_from(list(AppointmentStatus)),
    ),
    min_size=5,
    max_size=40,
)
time_off = st.lists(
    st.tuples(
        st.sampled_from(["patel", "lee", "garcia", "okafor"]),
        st.integers(0, 20 * 24),
        st.integers(1, 72),
    ),
    max_size=3,
)


def _seed_world(session, bookings, offs, closure_day):
    patient = make_patient(session, 1)
    providers = {p.key: p for p in session.scalars(select(Provider))}
    monday = date(2027, 3, 1)
    for key, type_key, day, step, status in bookings:
        kind = practice.get_type(session, type_key)
        start = datetime.combine(
            monday + timedelta(days=day), datetime.min.time(), tzinfo=clock.clinic_tz()
        ) + timedelta(minutes=5 * step)
        end = start + timedelta(minutes=kind.duration_minutes)
        room = kind.rooms[step % len(kind.rooms)]
        row = Appointment(
            patient_id=patient.id,
            provider_id=providers[key].id,
            type_id=kind.id,
            room_id=room.id,
            start_at=start,
            end_at=end,
            blocked_until=end + timedelta(minutes=kind.buffer_after_minutes),
            status=status,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        try:  # the database refuses overlaps; keep the ones it accepts
            with session.begin_nested():
                session.add(row)
                session.flush()
        except Exception:
            pass
    base = datetime.combine(monday, datetime.min.time(), tzinfo=clock.clinic_tz())
    for key, start_hour, hours in offs:
        session.add(
            TimeOff(
                provider_id=providers[key].id,
                start_at=base + timedelta(hours=start_hour),
                end_at=base + timedelta(hours=start_hour + hours),
            )
        )
    if closure_day is not None:
        session.add(Closure(day=monday + timedelta(days=closure_day), reason="test closure"))
    session.flush()


class _World:
    """Everything a slot is checked against, loaded once per example."""

    def __init__(self, session):
        self.providers = {p.key: p for p in session.scalars(select(Provider))}
        self.opening = list(session.scalars(select(OpeningHours)))
        self.closed = set(session.scalars(select(Closure.day)))
        self.time_off = list(session.scalars(select(TimeOff)))
        self.active = list(
            session.scalars(select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES)))
        )


def _check_slot(world, slot, window, kind):
    tz = clock.clinic_tz()
    provider = world.providers[slot.provider_key]
    local_start, local_end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    day = local_start.date()
    assert local_end.date() == day
    # Inside the provider's hours and the practice's opening hours (so not in a break).
    assert any(
        h.weekday == day.weekday() and h.starts <= local_start.time() and local_end.time() <= h.ends
        for h in provider.hours
    )
    assert any(
        o.weekday == day.weekday()
        and o.opens <= local_start.time()
        and local_end.time() <= o.closes
        for o in world.opening
    )
    assert day not in world.closed
    for off in world.time_off:
        if off.provider_id == provider.id:
            assert not (off.start_at < slot.end and slot.start < off.end_at)
    blocked_until = slot.end + timedelta(minutes=kind.buffer_after_minutes)
    for other in world.active:
        if other.provider_id == provider.id:
            assert not (other.start_at < blocked_until and slot.start < other.blocked_until)
    assert any(
        all(
            not (
                o.room_id == room.id and o.start_at < blocked_until and slot.start < o.blocked_until
            )
            for o in world.active
        )
        for room in kind.rooms
    )
    now = clock.now()
    assert slot.start >= now + timedelta(hours=kind.min_notice_hours)
    assert slot.start <= now + timedelta(days=kind.horizon_days)
    assert window[0] <= slot.start and slot.end <= window[1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bookings=existing,
    offs=time_off,
    closure_day=st.none() | st.integers(0, 6),
    type_key=st.sampled_from(TYPES),
    any_provider=st.booleans(),
    window_start=st.integers(-24, 6 * 24),
    window_hours=st.integers(1, 3 * 24),
)
def test_every_returned_slot_is_really_free(
    clinic_session, bookings, offs, closure_day, type_key, any_provider, window_start, window_hours
):
    _seed_world(clinic_session, bookings, offs, closure_day)
    try:
        kind = practice.get_type(clinic_session, type_key)
        provider_key = (
            None if any_provider else kind.providers[window_hours % len(kind.providers)].key
        )
        base = datetime.combine(date(2027, 3, 1), datetime.min.time(), tzinfo=clock.clinic_tz())
        window = (
            base + timedelta(hours=window_start),
            base + timedelta(hours=window_start + window_hours),
        )
        try:
            found = slots.find_free_slots(
                clinic_session, type_key, provider_key, *window, limit=None
            )
        except PastTime:
            assert window[1] <= clock.now()
            return
        assert found == sorted(found) and len(found) == len(set(found))
        world = _World(clinic_session)
        for slot in found:
            _check_slot(world, slot, window, kind)
        if found:  # and the booking path agrees the first one is bookable
            slots.check_bookable(clinic_session, type_key, found[0].provider_key, found[0].start)
    finally:
        clinic_session.rollback()
