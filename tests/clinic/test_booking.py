"""Booking, cancelling, moving, confirming: on SQLite and on PostgreSQL (`store` fixture).

"Now" is Monday 2027-03-01 09:00 in New York; Dr Patel works Tuesdays 8-12 and 13-17.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from clinic import outbox, scheduling, slots
from clinic.audit import Actor
from clinic.errors import (
    AlreadyCancelled,
    AppointmentNotActive,
    ClinicClosed,
    NotLinked,
    NotStaff,
    NotYourAppointment,
    OutsideHours,
    PastTime,
    PatientAlreadyBooked,
    ProviderDoesNotOffer,
    SlotTaken,
    TooFarAhead,
    TooSoon,
    UnknownAppointmentType,
    UnknownProvider,
)
from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEntry,
    OutboxMessage,
    OutboxStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.clinic.helpers import at, count, make_patient, make_staff


@pytest.fixture
def two_patients(store):
    return make_patient(store, 1, "tg:101"), make_patient(store, 2, "tg:102")


def book_checkup(store, patient, when, provider="patel"):
    return scheduling.book(
        store, Actor.patient(patient.id), type_key="checkup", provider_key=provider, start=when
    )


def test_book_writes_history_audit_confirmation_and_reminders(store, two_patients):
    maria, _ = two_patients
    appointment = book_checkup(store, maria, at("2027-03-03", "10:00"))
    store.commit()

    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.end_at - appointment.start_at == timedelta(minutes=30)
    assert appointment.blocked_until - appointment.end_at == timedelta(minutes=5)
    assert appointment.room.key in {"exam1", "exam2", "exam3"}
    events = store.scalars(select(AppointmentEvent)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, AppointmentStatus.BOOKED)]
    assert store.scalar(select(func.count()).where(AuditEntry.action == "appointment.book")) == 1
    pending = outbox.pending_for(store, appointment_id=appointment.id)
    kinds = {m.kind: m for m in pending}
    assert set(kinds) == {"appointment_confirmation", "reminder_24h", "reminder_2h"}
    assert kinds["reminder_24h"].due_at == appointment.start_at - timedelta(hours=24)
    assert kinds["reminder_2h"].due_at == appointment.start_at - timedelta(hours=2)
    assert kinds["appointment_confirmation"].attachments == [
        {"kind": "ics", "appointment_id": appointment.id}
    ]
    payloads = [b["payload"] for b in kinds["reminder_24h"].buttons]
    assert f'/confirm_attendance{{"appointment_id":"{appointment.id}"}}' in payloads
    assert f'/cancel_appointment{{"appointment_id":"{appointment.id}"}}' in payloads
    assert "Wed, Mar 3 at 10:00 AM" in kinds["appointment_confirmation"].text


def test_once_confirmed_the_reminders_no_longer_ask_will_you_be_there(store, two_patients):
    maria, _ = two_patients
    appointment = book_checkup(store, maria, at("2027-03-03", "10:00"))
    scheduling.confirm_attendance(store, Actor.patient(maria.id), appointment.id)
    store.commit()
    reminders = [
        m for m in outbox.pending_for(store, appointment_id=appointment.id) if "reminder" in m.kind
    ]
    assert len(reminders) == 2
    for reminder in reminders:
        assert "Will you be there?" not in reminder.text
        assert reminder.text.endswith("You've confirmed: see you then.")
        payloads = [b["payload"] for b in reminder.buttons]
        assert payloads == [
            f'/reschedule_appointment{{"appointment_id":"{appointment.id}"}}',
            f'/cancel_appointment{{"appointment_id":"{appointment.id}"}}',
        ]


def test_what_the_visit_is_about_is_kept_shown_on_the_schedule_and_moves_with_it(
    store, two_patients, caplog
):
    from clinic import staff

    maria, _ = two_patients
    desk = Actor.staff(make_staff(store).id)
    said = "  my knee has been   swollen since the fall. "
    with caplog.at_level("DEBUG"):
        booked = scheduling.book(store, Actor.patient(maria.id), type_key="checkup",
                                 provider_key="patel", start=at("2027-03-03", "10:00"),
                                 reason=said)  # fmt: skip
    assert booked.reason == "my knee has been swollen since the fall"
    assert "knee" not in caplog.text, "health details are never logged"
    days = staff.day_schedule(store, desk, at("2027-03-03", "10:00").date())
    shown = staff.format_schedule(days, at("2027-03-03", "10:00").date())
    assert "10:00 AM Check-up: Test PatientA, " in shown
    assert "— “my knee has been swollen since the fall”" in shown
    moved = scheduling.reschedule(store, Actor.patient(maria.id), booked.id,
                                  at("2027-03-04", "10:00"))  # fmt: skip
    assert moved.reason == "my knee has been swollen since the fall"
    assert scheduling.visit_reason("x" * 500).endswith("…")
    assert len(scheduling.visit_reason("x" * 500)) == scheduling.REASON_CHARS
    assert scheduling.visit_reason("  ") is None


def test_reminder_already_past_is_not_written(store, two_patients):
    maria, _ = two_patients
    # Tomorrow 8:00 is 23 hours away: no 24 h reminder, only the 2 h one.
    appointment = book_checkup(store, maria, at("2027-03-02", "08:00"))
    kinds = {m.kind for m in outbox.pending_for(store, appointment_id=appointment.id)}
    assert kinds == {"appointment_confirmation", "reminder_2h"}


def test_taken_slot_raises_with_nearest_alternatives_and_writes_nothing(store, two_patients):
    maria, jo = two_patients
    book_checkup(store, maria, at("2027-03-02", "09:00"))
    store.commit()
    before = (count(store, Appointment), count(store, OutboxMessage), count(store, AuditEntry))

    with pytest.raises(SlotTaken) as caught:
        book_checkup(store, jo, at("2027-03-02", "09:15"))
    store.rollback()

    alternatives = caught.value.alternatives
    # 9:00 holds Dr Patel until 9:35 (5 min buffer). Nearest free to 9:15: 9:45 (30 min away),
    # 10:00 (45) and 8:15 (60; 8:30 and 8:45 would run into 9:00), shown in time order.
    assert [a.local_start.strftime("%H:%M") for a in alternatives] == ["08:15", "09:45", "10:00"]
    assert all(a.provider_key == "patel" for a in alternatives)
    assert "taken" in str(caught.value)
    after = (count(store, Appointment), count(store, OutboxMessage), count(store, AuditEntry))
    assert after == before


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"start": at("2027-02-26", "09:00")}, PastTime),
        ({"start": at("2027-03-01", "09:30")}, TooSoon),  # checkups need 2 h notice
        ({"start": at("2027-03-02", "07:30")}, OutsideHours),
        ({"start": at("2027-03-02", "12:15")}, OutsideHours),  # Dr Patel's lunch break
        ({"start": at("2027-03-02", "16:45")}, OutsideHours),  # would end after 17:00
        ({"start": at("2027-03-07", "10:00")}, OutsideHours),  # Sunday
        ({"start": at("2027-12-24", "10:00")}, TooFarAhead),
        ({"start": at("2027-03-02", "09:00"), "type_key": "haircut"}, UnknownAppointmentType),
        ({"start": at("2027-03-02", "09:00"), "provider_key": "house"}, UnknownProvider),
        ({"start": at("2027-03-02", "09:00"), "type_key": "blood_test"}, ProviderDoesNotOffer),
    ],
)
def test_bad_requests_raise_specific_errors_and_write_nothing(store, two_patients, kwargs, error):
    maria, _ = two_patients
    store.commit()
    request = {"type_key": "checkup", "provider_key": "patel", **kwargs}
    with pytest.raises(error) as caught:
        scheduling.book(store, Actor.patient(maria.id), **request)
    store.rollback()
    assert str(caught.value)  # a sentence for the patient
    assert count(store, Appointment) == 0
    assert count(store, OutboxMessage) == 0


def test_a_visit_that_would_run_past_the_end_of_hours_says_the_last_start(store, two_patients):
    maria, _ = two_patients
    with pytest.raises(OutsideHours) as caught:
        scheduling.book(store, Actor.patient(maria.id), type_key="checkup", provider_key="patel",
                        start=at("2027-03-02", "16:45"))  # fmt: skip
    assert str(caught.value) == (
        "A check-up takes 30 minutes, and Dr. Anika Patel's hours that Tuesday end at 5:00 PM; "
        "the last start is 4:30 PM."
    )


def test_closure_day_says_why(store, two_patients, frozen_now):
    frozen_now("2027-05-20T09:00:00-04:00")
    maria, _ = two_patients
    with pytest.raises(ClinicClosed, match="Memorial Day"):
        book_checkup(store, maria, at("2027-05-31", "10:00"))


def test_book_without_provider_picks_someone_free(store, two_patients):
    maria, jo = two_patients
    first = scheduling.book(
        store, Actor.patient(maria.id), type_key="checkup", start=at("2027-03-02", "09:00")
    )
    second = scheduling.book(
        store, Actor.patient(jo.id), type_key="checkup", start=at("2027-03-02", "09:00")
    )
    assert first.provider_id != second.provider_id
    assert first.room_id != second.room_id


def test_exam_rooms_run_out_before_providers(store):
    # Three exam rooms: a fourth check-up at the same time fails even though Dr Lee, Dr Patel
    # and NP Okafor... only three providers offer check-ups, so use follow-ups (four providers).
    patients = [make_patient(store, n) for n in range(1, 5)]
    start = at("2027-03-03", "10:00")  # Wednesday: Patel, Lee, Garcia, Okafor all work
    booked = []
    for patient, provider in zip(patients[:3], ["patel", "lee", "garcia"], strict=True):
        booked.append(
            scheduling.book(
                store,
                Actor.patient(patient.id),
                type_key="follow_up",
                provider_key=provider,
                start=start,
            )
        )
    assert len({a.room_id for a in booked}) == 3
    with pytest.raises(SlotTaken):
        scheduling.book(
            store,
            Actor.patient(patients[3].id),
            type_key="follow_up",
            provider_key="okafor",
            start=start,
        )


def test_patient_cannot_double_book_themselves(store, two_patients):
    maria, _ = two_patients
    book_checkup(store, maria, at("2027-03-02", "09:00"))
    with pytest.raises(PatientAlreadyBooked):
        book_checkup(store, maria, at("2027-03-02", "09:15"), provider="lee")


def test_guest_and_other_patients_cannot_touch_an_appointment(store, two_patients):
    maria, jo = two_patients
    appointment = book_checkup(store, maria, at("2027-03-02", "09:00"))
    store.commit()
    jo_actor = Actor.patient(jo.id)
    for action in (
        lambda: scheduling.cancel(store, jo_actor, appointment.id),
        lambda: scheduling.reschedule(store, jo_actor, appointment.id, at("2027-03-02", "10:00")),
        lambda: scheduling.confirm_attendance(store, jo_actor, appointment.id),
        lambda: scheduling.get_appointment(store, jo_actor, appointment.id),
        lambda: scheduling.cancel(store, jo_actor, 999_999),  # same answer when it doesn't exist
        lambda: scheduling.cancel(store, jo_actor, "12; drop table"),
    ):
        with pytest.raises(NotYourAppointment):
            action()
    with pytest.raises(NotLinked):
        scheduling.cancel(store, Actor.guest("tg:5"), appointment.id)
    with pytest.raises(NotYourAppointment):
        scheduling.book(
            store,
            jo_actor,
            type_key="checkup",
            provider_key="lee",
            start=at("2027-03-03", "10:00"),
            patient_id=maria.id,
        )
    store.rollback()
    assert store.get(Appointment, appointment.id).status is AppointmentStatus.BOOKED


def test_cancel_twice_and_cancel_past(store, two_patients, frozen_now):
    maria, _ = two_patients
    actor = Actor.patient(maria.id)
    appointment = book_checkup(store, maria, at("2027-03-02", "09:00"))
    cancelled = scheduling.cancel(store, actor, appointment.id, reason="feeling better")
    assert cancelled.status is AppointmentStatus.CANCELLED
    reminders = [
        m for m in store.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("reminder%")))
    ]
    assert reminders and all(m.status is OutboxStatus.CANCELLED for m in reminders)
    with pytest.raises(AlreadyCancelled):
        scheduling.cancel(store, actor, appointment.id)

    other = book_checkup(store, maria, at("2027-03-02", "10:00"))
    store.commit()
    frozen_now("2027-03-02T11:00:00-05:00")
    with pytest.raises(AppointmentNotActive):
        scheduling.cancel(store, actor, other.id)


def test_cancel_frees_the_slot(store, two_patients):
    maria, jo = two_patients
    appointment = book_checkup(store, maria, at("2027-03-02", "09:00"))
    scheduling.cancel(store, Actor.patient(maria.id), appointment.id)
    again = book_checkup(store, jo, at("2027-03-02", "09:00"))
    assert again.status is AppointmentStatus.BOOKED


def test_staff_cancel_notifies_the_patient(store, two_patients):
    maria, _ = two_patients
    staff = make_staff(store)
    appointment = book_checkup(store, maria, at("2027-03-02", "09:00"))
    scheduling.cancel(store, Actor.staff(staff.id), appointment.id, reason="provider ill")
    notices = store.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "appointment_cancelled")
    ).all()
    assert len(notices) == 1 and notices[0].patient_id == maria.id


def test_reschedule_moves_in_place_and_supersedes_reminders(store, two_patients):
    maria, _ = two_patients
    actor = Actor.patient(maria.id)
    appointment = book_checkup(store, maria, at("2027-03-03", "10:00"))
    scheduling.confirm_attendance(store, actor, appointment.id)
    old_reminders = [
        m.id
        for m in outbox.pending_for(store, appointment_id=appointment.id)
        if "reminder" in m.kind
    ]

    # 15 minutes later overlaps its own old time: must still work.
    moved = scheduling.reschedule(store, actor, appointment.id, at("2027-03-03", "10:15"))
    store.commit()

    assert moved.id == appointment.id
    assert moved.start_at == at("2027-03-03", "10:15")
    assert moved.status is AppointmentStatus.BOOKED  # needs confirming again
    for message_id in old_reminders:
        assert store.get(OutboxMessage, message_id).status is OutboxStatus.CANCELLED
    live = outbox.pending_for(store, appointment_id=appointment.id)
    reminder_due = sorted(m.due_at for m in live if m.kind.startswith("reminder"))
    assert reminder_due == [
        moved.start_at - timedelta(hours=24),
        moved.start_at - timedelta(hours=2),
    ]
    last = store.scalars(
        select(AppointmentEvent).order_by(AppointmentEvent.id.desc()).limit(1)
    ).one()
    assert last.previous_start_at == at("2027-03-03", "10:00")


def test_reschedule_to_taken_slot_keeps_the_old_booking(store, two_patients):
    maria, jo = two_patients
    mine = book_checkup(store, maria, at("2027-03-03", "10:00"))
    book_checkup(store, jo, at("2027-03-03", "11:00"))
    store.commit()
    with pytest.raises(SlotTaken):
        scheduling.reschedule(store, Actor.patient(maria.id), mine.id, at("2027-03-03", "11:00"))
    store.rollback()
    again = store.get(Appointment, mine.id)
    assert again.start_at == at("2027-03-03", "10:00")
    assert again.status is AppointmentStatus.BOOKED


def test_reschedule_to_another_provider(store, two_patients):
    maria, _ = two_patients
    mine = book_checkup(store, maria, at("2027-03-03", "10:00"))
    moved = scheduling.reschedule(
        store, Actor.patient(maria.id), mine.id, at("2027-03-03", "10:00"), provider_key="lee"
    )
    assert moved.provider.key == "lee"


def test_confirm_and_no_show_rules(store, two_patients, frozen_now):
    maria, _ = two_patients
    staff = make_staff(store)
    actor = Actor.patient(maria.id)
    appointment = book_checkup(store, maria, at("2027-03-02", "09:00"))
    assert scheduling.confirm_attendance(store, actor, appointment.id).status is (
        AppointmentStatus.CONFIRMED
    )
    assert scheduling.confirm_attendance(store, actor, appointment.id).status is (
        AppointmentStatus.CONFIRMED
    )
    with pytest.raises(NotStaff):
        scheduling.mark_no_show(store, actor, appointment.id)
    with pytest.raises(AppointmentNotActive):  # not started yet
        scheduling.mark_no_show(store, Actor.staff(staff.id), appointment.id)
    store.commit()
    frozen_now("2027-03-02T09:20:00-05:00")
    no_show = scheduling.mark_no_show(store, Actor.staff(staff.id), appointment.id)
    assert no_show.status is AppointmentStatus.NO_SHOW
    with pytest.raises(AppointmentNotActive):
        scheduling.mark_no_show(store, Actor.staff(staff.id), appointment.id)
    statuses = [e.to_status for e in scheduling.history(store, Actor.system(), appointment.id)]
    assert statuses == [
        AppointmentStatus.BOOKED,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.NO_SHOW,
    ]


def test_upcoming_lists_only_mine_in_order_and_is_audited(store, two_patients):
    maria, jo = two_patients
    later = book_checkup(store, maria, at("2027-03-04", "10:00"))
    sooner = book_checkup(store, maria, at("2027-03-02", "10:00"))
    book_checkup(store, jo, at("2027-03-02", "11:00"))
    cancelled = book_checkup(store, maria, at("2027-03-05", "09:00"))
    scheduling.cancel(store, Actor.patient(maria.id), cancelled.id)

    mine = scheduling.upcoming_for_patient(store, Actor.patient(maria.id))
    assert [a.id for a in mine] == [sooner.id, later.id]
    on_thursday = scheduling.upcoming_for_patient(
        store, Actor.patient(maria.id), on=at("2027-03-04", "00:00").date()
    )
    assert [a.id for a in on_thursday] == [later.id]
    assert (
        store.scalar(
            select(func.count()).where(
                AuditEntry.action == "appointment.list", AuditEntry.patient_id == maria.id
            )
        )
        == 2
    )


def test_waitlist_gets_offered_a_freed_slot(store, two_patients):
    maria, jo = two_patients
    taken = book_checkup(store, maria, at("2027-03-02", "09:00"))
    entry = scheduling.join_waitlist(
        store,
        Actor.patient(jo.id),
        "checkup",
        "patel",
        earliest=at("2027-03-02", "08:00"),
        latest=at("2027-03-02", "12:00"),
    )
    scheduling.cancel(store, Actor.patient(maria.id), taken.id)
    store.commit()

    assert store.get(WaitlistEntry, entry.id).status is WaitlistStatus.OFFERED
    offer = store.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")).one()
    assert offer.patient_id == jo.id
    assert "Tue, Mar 2 at 9:00 AM" in offer.text
    assert offer.buttons[0]["payload"].startswith('/book_appointment{"appointment_type":"checkup"')
    assert '"time":"2027-03-02T09:00:00-05:00"' in offer.buttons[0]["payload"]

    # Booking it closes the entry.
    scheduling.book(
        store,
        Actor.patient(jo.id),
        type_key="checkup",
        provider_key="patel",
        start=at("2027-03-02", "09:00"),
    )
    assert store.get(WaitlistEntry, entry.id).status is WaitlistStatus.BOOKED


def test_waiting_for_an_earlier_time_is_offered_a_move_of_that_visit(store, two_patients):
    """Jo has a check-up on Thursday and asks for something earlier: Maria's freed Tuesday slot
    is offered as a move of Jo's visit (not a second booking); Maria's freed Friday one, later
    than Jo's visit, is not offered at all."""
    maria, jo = two_patients
    jos = book_checkup(store, jo, at("2027-03-04", "10:00"))
    tuesday = book_checkup(store, maria, at("2027-03-02", "09:00"))
    friday = book_checkup(store, maria, at("2027-03-05", "09:00"))
    entry = scheduling.wait_for_earlier(store, Actor.patient(jo.id), jos.id)
    assert (entry.appointment_id, entry.provider.key) == (jos.id, "patel")
    with pytest.raises(NotYourAppointment):
        scheduling.wait_for_earlier(store, Actor.patient(maria.id), jos.id)

    scheduling.cancel(store, Actor.patient(maria.id), friday.id)
    assert not store.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")
    ).all()
    scheduling.cancel(store, Actor.patient(maria.id), tuesday.id)
    offer = store.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")).one()
    assert offer.patient_id == jo.id
    assert "earlier time opened up for your check-up: Tue, Mar 2 at 9:00 AM" in offer.text
    assert "(you have Thu, Mar 4 at 10:00 AM)" in offer.text
    move = offer.buttons[0]["payload"]
    assert move.startswith("/reschedule_appointment{") and f'"appointment_id":"{jos.id}"' in move
    assert '"time":"2027-03-02T09:00:00-05:00"' in move
    assert store.get(Appointment, jos.id).status is AppointmentStatus.BOOKED, "nothing moved yet"

    # Moving the visit (by the offer or otherwise) ends the wait.
    scheduling.reschedule(store, Actor.patient(jo.id), jos.id, at("2027-03-02", "09:00"))
    assert store.get(WaitlistEntry, entry.id).status is WaitlistStatus.CANCELLED


def test_a_patient_is_never_offered_the_slot_they_just_cancelled(store, two_patients):
    maria, _ = two_patients
    taken = book_checkup(store, maria, at("2027-03-02", "09:00"))
    entry = scheduling.join_waitlist(store, Actor.patient(maria.id), "checkup", "patel",
                                     earliest=at("2027-03-02", "08:00"),
                                     latest=at("2027-03-02", "12:00"))  # fmt: skip
    scheduling.cancel(store, Actor.patient(maria.id), taken.id)
    store.commit()
    assert store.get(WaitlistEntry, entry.id).status is WaitlistStatus.ACTIVE
    assert not store.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")
    ).all()


def test_waitlist_is_not_offered_a_slot_outside_its_window(store, two_patients):
    maria, jo = two_patients
    taken = book_checkup(store, maria, at("2027-03-02", "09:00"))
    scheduling.join_waitlist(
        store,
        Actor.patient(jo.id),
        "checkup",
        earliest=at("2027-03-03", "08:00"),
        latest=at("2027-03-05", "12:00"),
    )
    scheduling.cancel(store, Actor.patient(maria.id), taken.id)
    assert not store.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")
    ).all()


def test_a_waitlist_with_a_doctor_who_does_not_offer_the_visit_is_refused(store, two_patients):
    _, jo = two_patients  # a wait that could never end: Dr Lee takes no blood tests
    with pytest.raises(ProviderDoesNotOffer, match="Dr. Daniel Lee doesn't offer blood test"):
        scheduling.join_waitlist(store, Actor.patient(jo.id), "blood_test", provider_key="lee")
    assert scheduling.join_waitlist(store, Actor.patient(jo.id), "blood_test").provider is None


def test_database_itself_refuses_overlaps(store, two_patients):
    """Bypass the service: a raw INSERT that overlaps an active booking is refused."""
    from sqlalchemy.exc import IntegrityError

    maria, jo = two_patients
    first = book_checkup(store, maria, at("2027-03-02", "09:00"))
    store.commit()
    row = {
        "patient_id": jo.id,
        "provider_id": first.provider_id,
        "type_id": first.type_id,
        "room_id": None,
        "start_at": at("2027-03-02", "09:20"),
        "end_at": at("2027-03-02", "09:50"),
        "blocked_until": at("2027-03-02", "09:55"),
        "status": "booked",
        "created_at": first.created_at,
        "updated_at": first.created_at,
    }
    with pytest.raises(IntegrityError, match="no_provider_overlap"):
        store.execute(insert(Appointment), [row])
    store.rollback()
    # Cancelled rows do not hold time, and back-to-back is fine.
    store.execute(insert(Appointment), [{**row, "status": "cancelled"}])
    store.execute(
        insert(Appointment),
        [
            {
                **row,
                "start_at": first.blocked_until,
                "end_at": first.blocked_until + timedelta(minutes=30),
                "blocked_until": first.blocked_until + timedelta(minutes=35),
            }
        ],
    )
    store.commit()
    # Un-cancelling into an overlap is refused too (the UPDATE path).
    cancelled = store.scalars(
        select(Appointment).where(Appointment.status == AppointmentStatus.CANCELLED)
    ).one()
    cancelled.status = AppointmentStatus.BOOKED
    with pytest.raises(IntegrityError, match="no_provider_overlap"):
        store.flush()
    store.rollback()


def test_slot_finder_and_booking_agree(store, two_patients):
    maria, _ = two_patients
    window = (at("2027-03-02", "00:00"), at("2027-03-03", "00:00"))
    free = slots.find_free_slots(store, "physical", "lee", *window, limit=None)
    assert free == []  # Dr Lee doesn't work Tuesdays
    free = slots.find_free_slots(store, "checkup", "patel", *window, limit=None)
    booked = scheduling.book(
        store,
        Actor.patient(maria.id),
        type_key="checkup",
        provider_key="patel",
        start=free[3].start,
    )
    after = slots.find_free_slots(store, "checkup", "patel", *window, limit=None)
    assert free[3] not in after
    assert all(
        not (s.start < booked.blocked_until and booked.start_at < s.end + timedelta(minutes=5))
        for s in after
    )


def test_usual_provider_is_the_one_seen_most_who_offers_the_visit(store, two_patients, monkeypatch):
    from clinic import clock

    maria, newcomer = two_patients
    visits = [("lee", "2027-03-03", "10:00"), ("patel", "2027-03-02", "10:00"),
              ("patel", "2027-03-04", "10:00"), ("lee", "2027-03-04", "14:00")]  # fmt: skip
    booked = [book_checkup(store, maria, at(day, hour), who) for who, day, hour in visits]
    later = at("2027-03-08", "09:00")
    monkeypatch.setattr(clock, "now", lambda: later)
    system = Actor.system()
    for appointment in booked[:3]:  # lee once, patel twice seen; the last lee visit missed
        scheduling.mark_completed(store, system, appointment.id)
    scheduling.mark_no_show(store, system, booked[3].id)
    me = Actor.patient(maria.id)
    assert scheduling.usual_provider(store, me).key == "patel"
    assert scheduling.usual_provider(store, me, "checkup").key == "patel"
    assert scheduling.usual_provider(store, me, "blood_test") is None, "neither takes blood"
    assert scheduling.usual_provider(store, Actor.patient(newcomer.id)) is None
