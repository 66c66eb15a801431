"""The practice cache (clinic.cache): a process keeps the practice in memory, yet sees every
change made to it, by itself or by another process (here: a second engine on the same
database, with its own connections), from the next call on. On SQLite and PostgreSQL.

"Now" is Monday 2027-03-01 09:00 in New York; Dr Patel works Tuesdays 8-12 and 13-17.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import Engine, delete, event, insert, inspect, select, text
from sqlalchemy.pool import NullPool

from clinic import cache, practice, scheduling, slots, staff
from clinic.audit import Actor
from clinic.db import create_engine_for, session_scope
from clinic.errors import ClinicClosed, OutsideHours, SlotTaken
from clinic.models import (
    Appointment,
    Closure,
    Insurer,
    PracticeVersion,
    Provider,
)
from tests.clinic.helpers import at, day_window, make_patient
from tests.conftest import DEMO_CLINIC_FILE

TUESDAY = "2027-03-02"


@pytest.fixture
def other_process(store_engine: Engine) -> Iterator[Engine]:
    """Another process's view of the same database: its own engine and connections."""
    engine = create_engine_for(
        store_engine.url.render_as_string(hide_password=False), poolclass=NullPool
    )
    yield engine
    engine.dispose()


@pytest.fixture
def restores_the_demo_practice(store_engine: Engine) -> Iterator[None]:
    """Tests that change the practice put the demo clinic back (the PostgreSQL store keeps
    the practice between tests)."""
    yield
    with session_scope(store_engine) as session:
        practice.load_clinic_file(session, DEMO_CLINIC_FILE)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def tuesday_starts(engine: Engine, provider: str = "patel") -> list[str]:
    with session_scope(engine, readonly=True) as session:
        found = slots.find_free_slots(
            session, "checkup", provider, *day_window(TUESDAY), limit=None
        )
    return [slot.local_start.strftime("%H:%M") for slot in found]


def test_a_warm_cache_costs_one_small_query(store_engine):
    cache.clear()
    with session_scope(store_engine) as session, statements(store_engine) as seen:
        cold = cache.practice(session)
        loading = len(seen)
        warm = cache.practice(session)
    assert loading > 5  # the token, then every reference table
    assert len(seen) == loading + 1 and "practice_version" in seen[-1]
    assert warm is cold
    assert warm.provider(" Patel ").display_name == "Dr. Anika Patel"


def test_a_clinic_file_loaded_by_another_process_is_seen(
    store_engine, other_process, restores_the_demo_practice, tmp_path
):
    assert tuesday_starts(store_engine)[0] == "08:00"  # warms this process's cache
    data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
    data["clinic"]["name"] = "Maple Street Family Practice (new owners)"
    data["clinic"]["slot_step_minutes"] = 30
    patel = next(p for p in data["providers"] if p["key"] == "patel")
    patel["hours"]["tuesday"] = [["10:00", "12:00"]]
    changed = tmp_path / "clinic.yml"
    changed.write_text(yaml.safe_dump(data))
    with session_scope(other_process) as session:
        practice.load_clinic_file(session, changed)

    assert tuesday_starts(store_engine) == ["10:00", "10:30", "11:00", "11:30"]
    with session_scope(store_engine) as session:
        assert practice.clinic_info(session).name.endswith("(new owners)")
        patient = make_patient(session, 1)
        with pytest.raises(OutsideHours, match="10:00 AM-12:00 PM"):
            scheduling.book(
                session,
                Actor.patient(patient.id),
                type_key="checkup",
                provider_key="patel",
                start=at(TUESDAY, "08:00"),
            )
        booked = scheduling.book(
            session,
            Actor.patient(patient.id),
            type_key="checkup",
            provider_key="patel",
            start=at(TUESDAY, "10:30"),
        )
    assert booked.provider.display_name == "Dr. Anika Patel"


def test_a_closure_added_by_another_process_stops_bookings_at_once(
    store_engine, other_process, restores_the_demo_practice
):
    with session_scope(store_engine) as session:
        patient = make_patient(session, 1)
        scheduling.book(  # this process now holds the practice as it is
            session,
            Actor.patient(patient.id),
            type_key="checkup",
            provider_key="patel",
            start=at(TUESDAY, "09:00"),
        )
    with session_scope(other_process) as session:  # a bare INSERT, as psql would do it
        session.execute(
            insert(Closure), [{"day": at(TUESDAY, "00:00").date(), "reason": "Burst pipe"}]
        )

    with session_scope(store_engine) as session:  # the booking is the first to notice
        with pytest.raises(ClinicClosed, match="Burst pipe"):
            scheduling.book(
                session,
                Actor.patient(patient.id),
                type_key="checkup",
                provider_key="patel",
                start=at(TUESDAY, "10:00"),
            )
        assert practice.hours_on(session, at(TUESDAY, "00:00").date()).closure_reason == (
            "Burst pipe"
        )
    assert tuesday_starts(store_engine) == []


def test_a_visit_type_added_by_another_process_can_be_booked_at_once(
    store_engine, other_process, restores_the_demo_practice, tmp_path
):
    with session_scope(store_engine) as session:
        patient = make_patient(session, 1)
        scheduling.book(  # this process now holds the practice as it is
            session,
            Actor.patient(patient.id),
            type_key="checkup",
            provider_key="patel",
            start=at(TUESDAY, "09:00"),
        )
    data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
    data["appointment_types"].append(
        {"key": "telehealth", "name": "Video visit", "duration": 20, "providers": ["patel"]}
    )
    changed = tmp_path / "clinic.yml"
    changed.write_text(yaml.safe_dump(data))
    with session_scope(other_process) as session:
        practice.load_clinic_file(session, changed)

    with session_scope(store_engine) as session:
        booked = scheduling.book(
            session,
            Actor.patient(patient.id),
            type_key="telehealth",
            provider_key="patel",
            start=at(TUESDAY, "10:00"),
        )
    assert booked.appointment_type.name == "Video visit"
    assert booked.end_at - booked.start_at == timedelta(minutes=20)


def test_time_off_added_by_another_process_is_seen(store_engine, other_process):
    assert "09:30" in tuesday_starts(store_engine)
    with session_scope(other_process) as session:
        staff.add_time_off(
            session, Actor.system(), "patel", at(TUESDAY, "09:00"), at(TUESDAY, "11:00")
        )

    starts = tuesday_starts(store_engine)
    # A 30-minute visit may end when the time off starts and start when it ends.
    assert not [s for s in starts if "08:31" <= s < "11:00"]
    assert "08:30" in starts and "11:00" in starts
    with session_scope(store_engine) as session:
        patient = make_patient(session, 1)
        with pytest.raises(SlotTaken):
            scheduling.book(
                session,
                Actor.patient(patient.id),
                type_key="checkup",
                provider_key="patel",
                start=at(TUESDAY, "09:30"),
            )


def test_a_change_counts_inside_its_transaction_and_is_gone_after_a_rollback(store_engine):
    with session_scope(store_engine) as session:
        assert slots.find_free_slots(session, "checkup", "patel", *day_window(TUESDAY))
        session.add(Closure(day=at(TUESDAY, "00:00").date(), reason="Inventory"))  # not flushed
        assert slots.find_free_slots(session, "checkup", "patel", *day_window(TUESDAY)) == []
        session.rollback()
        assert slots.find_free_slots(session, "checkup", "patel", *day_window(TUESDAY))
        assert practice.hours_on(session, at(TUESDAY, "00:00").date()).is_open


def test_the_token_row_cannot_go_missing(store_engine):
    def token() -> str | None:
        with store_engine.connect() as connection:
            return connection.execute(select(PracticeVersion.token)).scalar()

    first = token()
    with store_engine.begin() as connection:
        connection.execute(delete(PracticeVersion))
    second = token()
    assert second and second != first  # a fresh token, never "no row"
    with store_engine.begin() as connection:
        connection.execute(text("UPDATE providers SET name = name"))
    assert token() not in (first, second, None)


def test_a_booked_appointment_is_complete_after_its_session(store_engine):
    with session_scope(store_engine) as session:
        aetna = session.scalar(select(Insurer).where(Insurer.key == "aetna"))
        patient = make_patient(session, 1)
        patient.insurer_id, patient.member_id = aetna.id, "AET1"
    with session_scope(store_engine) as session:
        booked = scheduling.book(
            session,
            Actor.system(),
            type_key="checkup",
            provider_key="patel",
            start=at(TUESDAY, "10:00"),
            patient_id=patient.id,
        )
    # The session is closed: everything a caller renders must already be there.
    graph = [booked, booked.patient, booked.patient.insurer, booked.provider,
             booked.appointment_type, booked.room]  # fmt: skip
    for instance in graph:
        state = inspect(instance)
        columns = {c.key for c in state.mapper.column_attrs}
        assert not (state.unloaded & columns), (type(instance).__name__, state.unloaded)
    assert scheduling.describe(booked) == "Check-up with Dr. Anika Patel on Tue, Mar 2 at 10:00 AM"
    assert booked.patient.insurer.name == "Aetna"
    with session_scope(store_engine) as session:  # and it is what the database holds
        stored = session.get(Appointment, booked.id)
        for instance, fresh in zip(
            graph,
            [
                stored,
                stored.patient,
                stored.patient.insurer,
                stored.provider,
                stored.appointment_type,
                stored.room,
            ],  # fmt: skip
            strict=True,
        ):
            for column in inspect(instance).mapper.column_attrs:
                assert getattr(instance, column.key) == getattr(fresh, column.key), column.key


def test_practice_rows_come_from_the_session_when_it_has_them(store_engine):
    with session_scope(store_engine) as session:
        loaded = session.scalar(select(Provider).where(Provider.key == "patel"))
        assert practice.get_provider(session, "patel") is loaded
        assert practice.get_type(session, "checkup").providers  # relationships still load


@pytest.fixture
def pg_only(store_engine: Engine) -> Engine:
    if store_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL runs bookings in parallel; SQLite serialises them")
    return store_engine


def _wait_until_blocked(engine: Engine, pid: int) -> None:
    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar()
            if waiting == "Lock":
                return
            connection.rollback()
            time.sleep(0.02)
    raise AssertionError("the second booking never waited for the first")


def test_a_room_taken_by_a_concurrent_booking_is_swapped_for_a_free_one(pg_only, other_process):
    with session_scope(pg_only) as session:
        first_patient, second_patient = make_patient(session, 1), make_patient(session, 2)
    start = at("2027-03-03", "10:00")  # Wednesday: Dr Patel and Dr Lee both work
    outcome: dict = {}

    def second_booking() -> None:
        try:
            with session_scope(other_process) as session:
                outcome["pid"] = (
                    session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
                )
                outcome["booked"] = scheduling.book(
                    session,
                    Actor.patient(second_patient.id),
                    type_key="follow_up",
                    provider_key="lee",
                    start=start,
                )
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    worker = threading.Thread(target=second_booking)
    with session_scope(pg_only) as first_session:
        first = scheduling.book(
            first_session,
            Actor.patient(first_patient.id),
            type_key="follow_up",
            provider_key="patel",
            start=start,
        )  # not committed yet: the second booking cannot see it and picks the same room
        worker.start()
        while "pid" not in outcome and worker.is_alive():
            time.sleep(0.01)
        _wait_until_blocked(pg_only, outcome["pid"])
    # The first committed: the second's INSERT was refused, and it retried another room.
    worker.join(10)

    assert "error" not in outcome, outcome.get("error")
    second = outcome["booked"]  # ...and it retried with another room
    assert second.provider.key == "lee" and second.room_id != first.room_id
    with session_scope(pg_only) as session:
        rooms = session.scalars(select(Appointment.room_id).order_by(Appointment.id)).all()
    assert rooms == [first.room_id, second.room_id]


def test_an_idle_pooled_connection_that_died_is_replaced_before_use(pg_only, monkeypatch):
    import clinic.db

    monkeypatch.setattr(clinic.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = create_engine_for(pg_only.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with pg_only.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        time.sleep(0.1)
        with session_scope(engine) as session:  # no error: the pool swapped the connection
            assert session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
            assert practice.clinic_info(session).name
    finally:
        engine.dispose()
