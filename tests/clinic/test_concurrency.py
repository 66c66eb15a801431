"""Many people pressing "book" for the same slot at the same moment: exactly one gets it.

Each attempt runs in its own thread on its own database connection (NullPool), released
together by a barrier. On SQLite the BEGIN IMMEDIATE writer lock serialises them; on
PostgreSQL they really run in parallel and the exclusion constraint decides.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from clinic import outbox, scheduling
from clinic.audit import Actor
from clinic.db import create_engine_for, session_scope
from clinic.errors import SlotTaken
from clinic.models import Appointment, AppointmentStatus, OutboxMessage
from tests.clinic.helpers import at, make_patient

ATTEMPTS = 52


def _race(engine, patient_ids, attempt):
    barrier = threading.Barrier(len(patient_ids))

    def one(patient_id):
        barrier.wait()
        try:
            with session_scope(engine) as session:
                attempt(session, patient_id)
            return "booked"
        except SlotTaken:
            return "taken"

    with ThreadPoolExecutor(max_workers=len(patient_ids)) as pool:
        return list(pool.map(one, patient_ids))


@pytest.fixture
def racers(store_engine):
    with session_scope(store_engine) as session:
        ids = [make_patient(session, n).id for n in range(1, ATTEMPTS + 1)]
    url = store_engine.url.render_as_string(hide_password=False)
    engine = create_engine_for(url, poolclass=NullPool)
    yield engine, ids
    engine.dispose()


def test_many_concurrent_bookings_of_one_slot_give_exactly_one(racers, store_engine):
    engine, patient_ids = racers
    start = at("2027-03-02", "09:00")

    def book(session, patient_id):
        scheduling.book(
            session,
            Actor.patient(patient_id),
            type_key="checkup",
            provider_key="patel",
            start=start,
        )

    results = _race(engine, patient_ids, book)

    assert results.count("booked") == 1, results
    assert results.count("taken") == ATTEMPTS - 1
    with session_scope(store_engine) as session:
        active = session.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
        ).all()
        assert len(active) == 1
        # The losers left nothing behind: one confirmation + one 2 h reminder, for the winner.
        messages = session.scalars(select(OutboxMessage)).all()
        assert {m.patient_id for m in messages} == {active[0].patient_id}
        assert len(messages) == 2


def test_concurrent_overlapping_times_give_one(racers, store_engine):
    """Different start times that overlap (9:00, 9:15, 9:30 for a 30 min visit)."""
    engine, patient_ids = racers
    starts = [at("2027-03-02", t) for t in ("09:00", "09:15", "09:30")]

    def book(session, patient_id):
        scheduling.book(
            session,
            Actor.patient(patient_id),
            type_key="checkup",
            provider_key="patel",
            start=starts[patient_id % 3],
        )

    results = _race(engine, patient_ids[:30], book)
    with session_scope(store_engine) as session:
        rows = session.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
        ).all()
    # 9:00 and 9:30 can't both exist (9:00 holds until 9:35), nor 9:15 with either.
    assert results.count("booked") == len(rows) == 1


def test_concurrent_reschedules_into_one_slot_give_one(racers, store_engine):
    engine, patient_ids = racers
    ids = patient_ids[:20]
    # Each patient holds a follow-up with NP Okafor on a different day; all try to move to
    # the same Friday 10:00.
    with session_scope(store_engine) as session:
        booked = {}
        for n, pid in enumerate(ids):
            day = ["2027-03-02", "2027-03-03", "2027-03-04"][n % 3]
            hour = 8 + n // 3
            booked[pid] = scheduling.book(
                session,
                Actor.patient(pid),
                type_key="follow_up",
                provider_key="okafor",
                start=at(day, f"{hour:02d}:00"),
            ).id
    target = at("2027-03-05", "10:00")

    def move(session, patient_id):
        scheduling.reschedule(session, Actor.patient(patient_id), booked[patient_id], target)

    results = _race(engine, ids, move)
    assert results.count("booked") == 1
    with session_scope(store_engine) as session:
        at_target = session.scalar(
            select(func.count()).where(
                Appointment.start_at == target, Appointment.status == AppointmentStatus.BOOKED
            )
        )
        assert at_target == 1
        # Everyone else still has their original appointment.
        still = session.scalar(
            select(func.count()).where(Appointment.status == AppointmentStatus.BOOKED)
        )
        assert still == len(ids)
        assert outbox.pending_for(session)
