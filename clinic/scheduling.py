"""Booking, cancelling, moving and confirming appointments; the waitlist.

    book(session, actor, *, type_key, start, provider_key=None, patient_id=None) -> Appointment
    cancel(session, actor, appointment_id, reason="") -> Appointment
    reschedule(session, actor, appointment_id, new_start, provider_key=None) -> Appointment
    confirm_attendance(session, actor, appointment_id) -> Appointment
    mark_no_show(session, actor, appointment_id) -> Appointment          (staff/system)
    mark_completed(session, actor, appointment_id) -> Appointment        (staff/system)
    get_appointment(session, actor, appointment_id) -> Appointment
    upcoming_for_patient(session, actor, patient_id=None, on=None, limit=10) -> list[Appointment]
    join_waitlist(session, actor, type_key, provider_key=None, earliest=None, latest=None)
        -> WaitlistEntry
    wait_for_earlier(session, actor, appointment_id) -> WaitlistEntry   an earlier time for it
    leave_waitlist(session, actor, entry_id) -> WaitlistEntry

Each change writes the status history (AppointmentEvent), the audit log and the outbox
messages it implies, in the caller's transaction: a confirmation with the .ics and reminders
24 h and 2 h before (on book and reschedule), superseded reminders cancelled (on cancel and
reschedule), a waitlist offer when a slot frees up. Patients act only on their own
appointments (anything else is NotYourAppointment, whether it exists or not); staff on any.

No double booking: the final check is the database's (see clinic.models.scheduling); a
conflict found there becomes SlotTaken with the nearest alternatives. Reschedule moves the
appointment in one UPDATE, so the new time is held before the old one is released and a
failure leaves the old booking untouched. Appointment ids never change.

Booking is the hot path: it reads the practice from `clinic.cache` and does its checks and
writes in one query and one statement (`clinic.booking_sql`), without the ORM unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import exc, func, select, update
from sqlalchemy.orm import Session

from clinic import audit, booking_sql, cache, clock, outbox, practice, slots, text
from clinic.audit import Actor
from clinic.cache import Practice, ProviderInfo, TypeInfo
from clinic.errors import (
    AlreadyCancelled,
    AppointmentNotActive,
    DomainError,
    InvalidInput,
    InvalidTimeRange,
    NotLinked,
    NotStaff,
    NotYourAppointment,
    OutsideHours,
    PastTime,
    PatientAlreadyBooked,
    ProviderDoesNotOffer,
    SlotTaken,
    TooManyAppointments,
)
from clinic.identity import staff_member
from clinic.models import (
    ACTIVE_STATUSES,
    ActorKind,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Insurer,
    Patient,
    Provider,
    WaitlistEntry,
    WaitlistStatus,
)

log = logging.getLogger(__name__)

REMINDERS = (("reminder_24h", timedelta(hours=24)), ("reminder_2h", timedelta(hours=2)))
REMINDER_KINDS = tuple(kind for kind, _ in REMINDERS)
WILL_YOU_BE_THERE = " Will you be there?"
SEE_YOU_THEN = " You've confirmed: see you then."
MAX_UPCOMING_PER_PATIENT = 8


# --- who may touch what ----------------------------------------------------------------------


def _patient_for(session: Session, actor: Actor, patient_id: int | None) -> Patient:
    """The patient a call acts for: the actor themselves, or (staff/system) the one named."""
    if actor.kind is ActorKind.PATIENT:
        if patient_id is not None and patient_id != actor.id:
            raise NotYourAppointment()
        patient_id = actor.id
    elif actor.kind is ActorKind.STAFF:
        staff_member(session, actor)
    elif actor.kind is not ActorKind.SYSTEM:
        raise NotLinked()
    if patient_id is None:
        raise InvalidInput("Which patient is this for?")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise InvalidInput("I couldn't find that patient.")
    return patient


def _appointment_for(
    session: Session, actor: Actor, appointment_id: int | str, *, lock: bool = False
) -> Appointment:
    try:
        appointment_id = int(appointment_id)
    except (TypeError, ValueError):
        raise NotYourAppointment() from None
    if actor.kind is ActorKind.GUEST:
        raise NotLinked()
    if actor.kind is ActorKind.STAFF:
        staff_member(session, actor)
    appointment = session.get(
        Appointment, appointment_id, with_for_update={"of": Appointment} if lock else None
    )
    if appointment is None or (actor.is_patient and appointment.patient_id != actor.id):
        raise NotYourAppointment()
    return appointment


def _event(
    session: Session,
    actor: Actor,
    appointment: Appointment,
    from_status: AppointmentStatus | None,
    reason: str = "",
    **moved: object,
) -> None:
    session.add(
        AppointmentEvent(
            appointment_id=appointment.id,
            at=clock.now(),
            actor_kind=actor.kind,
            actor_id=actor.id,
            from_status=from_status,
            to_status=appointment.status,
            reason=reason[:300],
            **moved,
        )
    )


# --- messages --------------------------------------------------------------------------------


def describe(appointment: Appointment) -> str:
    """'Check-up with Dr. Anika Patel on Tue, Mar 2 at 9:00 AM'."""
    return (
        f"{appointment.appointment_type.name} with {appointment.provider.display_name} "
        f"on {text.when(appointment.start_at)}"
    )


def appointment_buttons(appointment: Appointment, confirm: bool = False) -> list[dict[str, str]]:
    ref = {"appointment_id": appointment.id}
    buttons = [
        outbox.button("Reschedule", "reschedule_appointment", **ref),
        outbox.button("Cancel", "cancel_appointment", **ref),
    ]
    if confirm:
        buttons.insert(0, outbox.button("I'll be there", "confirm_attendance", **ref))
    return buttons


def _write_confirmation_and_reminders(
    session: Session, appointment: Appointment, headline: str
) -> None:
    kind = appointment.appointment_type
    outbox.enqueue_rows(
        session,
        _confirmation_and_reminders(
            cache.practice(session),
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            type_key=kind.key,
            type_name=kind.name,
            provider_name=appointment.provider.display_name,
            start=appointment.start_at,
            headline=headline,
        ),
    )


def _confirmation_and_reminders(
    snapshot: Practice,
    *,
    appointment_id: int,
    patient_id: int,
    type_key: str,
    type_name: str,
    provider_name: str,
    start: datetime,
    headline: str,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows: the confirmation (with the .ics) and the reminders still ahead."""
    settings = practice.settings_of(snapshot)
    address = settings.address
    prep = practice.prep_text(settings, type_key)
    now = now or clock.now()
    ref = {"appointment_id": appointment_id}
    manage = [
        outbox.button("Reschedule", "reschedule_appointment", **ref),
        outbox.button("Cancel", "cancel_appointment", **ref),
    ]
    confirm = [outbox.button("I'll be there", "confirm_attendance", **ref), *manage]
    when = text.when(start)
    rows = [
        outbox.row(
            kind="appointment_confirmation",
            to_patient=patient_id,
            appointment_id=appointment_id,
            text=(
                f"{headline}: {type_name} with {provider_name} on {when}, at {address}. {prep} "
                "The calendar file is attached."
            ),
            buttons=manage,
            attachments=[{"kind": "ics", "appointment_id": appointment_id}],
            now=now,
        )
    ]
    for kind, before in REMINDERS:
        due = start - before
        if due <= now:
            continue
        soon = "tomorrow" if before >= timedelta(hours=24) else "in 2 hours"
        rows.append(
            outbox.row(
                kind=kind,
                to_patient=patient_id,
                appointment_id=appointment_id,
                due_at=due,
                text=(
                    f"Reminder: your {type_name.lower()} with {provider_name} is {soon}, "
                    f"{when}, at {address}.{WILL_YOU_BE_THERE}"
                ),
                buttons=confirm,
                now=now,
            )
        )
    return rows


def _notify_patient(session: Session, appointment: Appointment, kind: str, message: str) -> None:
    outbox.enqueue(
        session,
        kind=kind,
        to_patient=appointment.patient_id,
        appointment_id=appointment.id,
        text=message,
    )


# --- the database's word on overlaps ----------------------------------------------------------


_conflict = booking_sql.conflict


def _place(
    session: Session,
    appointment: Appointment,
    type_key: str,
    provider_key: str,
    start: datetime,
    exclude_id: int | None = None,
) -> None:
    """Move an existing appointment to `start` with `provider_key` and a free room, and get the
    database to accept it (trying the type's other rooms if a concurrent booking just took the
    chosen one).

    The change is made and flushed inside a SAVEPOINT, so a refusal by the database rolls back
    only this attempt (the appointment reverts to where it was)."""
    tried_rooms: set[int | None] = set()
    while True:
        kind, provider, room_id = slots.check_bookable(
            session, type_key, provider_key, start, exclude_appointment_id=exclude_id
        )
        if room_id in tried_rooms:  # the finder still thinks it is free: someone holds it
            raise SlotTaken(slots.nearest_alternatives(session, type_key, provider_key, start))
        tried_rooms.add(room_id)
        session.flush()  # nothing unrelated may be flushed inside the savepoint below
        try:
            with session.begin_nested():
                appointment.provider_id = provider.id
                appointment.type_id = kind.id
                appointment.room_id = room_id
                appointment.start_at = start.astimezone(UTC)
                appointment.end_at = appointment.start_at + timedelta(minutes=kind.duration_minutes)
                appointment.blocked_until = appointment.end_at + timedelta(
                    minutes=kind.buffer_after_minutes
                )
                appointment.updated_at = clock.now()
                session.flush()
            # The related rows follow the new ids when next read.
            session.expire(appointment, ["provider", "appointment_type", "room"])
            return
        except exc.IntegrityError as error:
            conflict = _conflict(error)
            if conflict is None:
                raise
        if conflict == "no_provider_overlap":
            raise SlotTaken(slots.nearest_alternatives(session, type_key, provider_key, start))


# --- booking ---------------------------------------------------------------------------------


REASON_CHARS = 200


def visit_reason(said: str | None) -> str | None:
    """What a visit is about, tidied for the schedule: one line, at most REASON_CHARS."""
    said = " ".join((said or "").split()).strip(" .,;")
    if not said:
        return None
    return said if len(said) <= REASON_CHARS else said[: REASON_CHARS - 1].rstrip() + "…"


def book(
    session: Session,
    actor: Actor,
    *,
    type_key: str,
    start: datetime,
    provider_key: str | None = None,
    patient_id: int | None = None,
    reason: str | None = None,
) -> Appointment:
    """Book a visit of `type_key` at `start` (aware) for the actor (patient) or `patient_id`
    (staff/system). Without a provider, the first provider offering the type who is free then.
    `reason`: what the visit is about, in the patient's words (kept for staff, never logged).

    Raises NotLinked, NotYourAppointment, UnknownAppointmentType, UnknownProvider,
    ProviderDoesNotOffer, PastTime, TooSoon, TooFarAhead, ClinicClosed, OutsideHours,
    SlotTaken (with `.alternatives`), PatientAlreadyBooked, TooManyAppointments.

    In the caller's transaction: the checks, the appointment (the database's no-overlap
    constraints have the last word), its status history, the audit entry, the confirmation and
    reminders in the outbox. Usually two round trips (clinic.booking_sql: one read, one write)
    and no ORM flush; the appointment returned is built from what was read, not re-selected.
    """
    patient_id = _patient_id_for(session, actor, patient_id)
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    now = clock.now()
    snapshot, kind, providers, facts, calendar = _read_for_booking(
        session, type_key, provider_key, patient_id, start, now
    )
    if facts.patient.clash is not None:
        raise PatientAlreadyBooked()
    if actor.is_patient and facts.patient.upcoming >= MAX_UPCOMING_PER_PATIENT:
        raise TooManyAppointments()
    connection = session.connection()
    start_at = start.astimezone(UTC)
    end_at = start_at + timedelta(minutes=kind.duration_minutes)
    new = {
        **({} if facts.next_id is None else {"id": facts.next_id}),
        "patient_id": patient_id,
        "type_id": kind.id,
        "start_at": start_at,
        "end_at": end_at,
        "blocked_until": end_at + timedelta(minutes=kind.buffer_after_minutes),
        "status": AppointmentStatus.BOOKED,
        "reason": visit_reason(reason),
        "created_at": now,
        "updated_at": now,
    }
    event = _event_row(actor, facts.next_id, None, AppointmentStatus.BOOKED, "booked", now)
    entry = audit.row(
        actor,
        "appointment.book",
        patient_id=patient_id,
        object_type="appointment",
        object_id=facts.next_id,
        at=now,
    )

    def write(values: dict[str, Any]) -> tuple[int | None, str]:
        provider = snapshot.providers_by_id[values["provider_id"]]
        return booking_sql.write(
            connection,
            values,
            event,
            entry,
            lambda appointment_id: _confirmation_and_reminders(
                snapshot,
                appointment_id=appointment_id,
                patient_id=patient_id,
                type_key=kind.key,
                type_name=kind.name,
                provider_name=provider.display_name,
                start=start_at,
                headline="You're booked",
                now=now,
            ),
        )

    first_error: DomainError | None = None
    for provider in providers:
        try:
            values = _take(session, snapshot, kind, provider, start, now, new, write, calendar)
        except DomainError as error:
            if provider_key:
                raise
            first_error = first_error or error
            continue
        break
    else:
        if isinstance(first_error, SlotTaken | OutsideHours):
            alternatives = slots.nearest_alternatives(session, kind.key, None, start)
            raise SlotTaken(
                alternatives,
                "Sorry, no one is free for that then."
                + (" Here are the nearest free times." if alternatives else ""),
            )
        raise first_error or OutsideHours()
    if facts.patient.waiting:
        _close_waitlist_for(session, patient_id, kind.id)
    appointment = _booked_appointment(session, values, facts, kind, provider)
    log.info("appointment.book id=%s provider=%s type=%s", values["id"], provider.key, kind.key)
    return appointment


def _read_for_booking(
    session: Session,
    type_key: str,
    provider_key: str | None,
    patient_id: int,
    start: datetime,
    now: datetime,
) -> tuple[Practice, TypeInfo, list[ProviderInfo], booking_sql.BookingFacts, slots.Calendar]:
    """The practice, the type and candidate providers, the facts about the patient and the
    busy time around `start`: one query, when the practice this process last saw is still
    current (the query reads its token); else the practice is read again and so is the rest."""
    if session.autoflush:
        session.flush()  # what this transaction added (a patient, a closure) counts
    snapshot = cache.recent(session)
    verified = snapshot is None
    while True:
        if verified:
            snapshot = cache.practice(session)
        try:
            kind, providers = slots.resolve(snapshot, type_key, provider_key)
            if start < now:
                raise PastTime()
        except DomainError:
            if verified:
                raise
            verified = True  # perhaps only an old practice says so: ask the current one
            continue
        calendar = slots.Calendar(session, snapshot, kind, providers)
        params = calendar.busy_params(start, start + timedelta(seconds=calendar.block_s))
        params.update(
            patient_id=patient_id,
            type_id=kind.id,
            start=start,
            end=start + timedelta(minutes=kind.duration_minutes),
            now=now,
        )
        facts = booking_sql.read(session.connection(), params)
        if facts is None:
            raise InvalidInput("I couldn't find that patient.")
        if verified or facts.token == snapshot.token:
            calendar.fill(facts.busy)
            return snapshot, kind, providers, facts, calendar
        verified = True


def _take(
    session: Session,
    snapshot: Practice,
    kind: TypeInfo,
    provider: ProviderInfo,
    start: datetime,
    now: datetime,
    new: dict[str, Any],
    write: Callable[[dict[str, Any]], tuple[int | None, str]],
    calendar: slots.Calendar | None,
) -> dict[str, Any]:
    """Write the booking with `provider` and a free room; returns the appointment's values.
    The first try uses the busy time read with the booking's facts (`calendar`); if the
    database refuses it (a concurrent booking took the time or the room a moment ago), look
    again and try another room. Raises why the provider can't have it (SlotTaken with the
    nearest alternatives when someone holds the time)."""
    tried_rooms: set[int | None] = set()
    moment = start.timestamp()
    while True:
        if calendar is not None:
            slots.check_start(snapshot, kind, provider, start, now)
            if not calendar.is_free(provider, moment):
                raise SlotTaken(slots.nearest_alternatives(session, kind.key, provider.key, start))
            room_id = calendar.free_room(moment) or None
            calendar = None
        else:
            _, _, room_id = slots.check_bookable(
                session, kind.key, provider.key, start, practice=snapshot
            )
        if room_id in tried_rooms:  # the finder still thinks it is free: someone holds it
            raise SlotTaken(slots.nearest_alternatives(session, kind.key, provider.key, start))
        tried_rooms.add(room_id)
        values = {**new, "provider_id": provider.id, "room_id": room_id}
        new_id, refused = write(values)
        if new_id is not None:
            return {**values, "id": new_id}
        if refused == "no_provider_overlap":
            raise SlotTaken(slots.nearest_alternatives(session, kind.key, provider.key, start))


def _event_row(
    actor: Actor,
    appointment_id: int | None,
    from_status: AppointmentStatus | None,
    to_status: AppointmentStatus,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "appointment_id": appointment_id,
        "at": at,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "from_status": from_status,
        "to_status": to_status,
        "previous_start_at": None,
        "previous_provider_id": None,
        "reason": reason[:300],
    }


def _patient_id_for(session: Session, actor: Actor, patient_id: int | None) -> int:
    """Who a booking is for: the patient acting, or (staff/system) the one named. Whether the
    patient exists is part of the booking's read (clinic.booking_sql)."""
    if actor.kind is ActorKind.PATIENT:
        if patient_id is not None and patient_id != actor.id:
            raise NotYourAppointment()
        patient_id = actor.id
    elif actor.kind is ActorKind.STAFF:
        staff_member(session, actor)
    elif actor.kind is not ActorKind.SYSTEM:
        raise NotLinked()
    if patient_id is None:
        raise InvalidInput("Which patient is this for?")
    return patient_id


def _booked_appointment(
    session: Session,
    values: dict[str, Any],
    facts: booking_sql.BookingFacts,
    kind: TypeInfo,
    provider: ProviderInfo,
) -> Appointment:
    """The new appointment as an ORM object with its relations, from what the booking already
    read (the patient row, the cached practice): no SELECT after the INSERT."""
    insurer_values = facts.insurer_values()
    insurer = None if insurer_values is None else cache.attach(session, Insurer, insurer_values)
    patient = cache.attach(session, Patient, {**facts.patient_values(), "insurer": insurer})
    room_id = values["room_id"]
    room = None
    if room_id is not None:
        room = cache.room_row(session, next(r for r in kind.rooms if r.id == room_id))
    return cache.attach(
        session,
        Appointment,
        {
            **values,
            "patient": patient,
            "provider": cache.provider_row(session, provider),
            "appointment_type": cache.type_row(session, kind),
            "room": room,
        },
    )


def _check_patient_free(
    session: Session,
    patient: Patient,
    start: datetime,
    duration_minutes: int,
    actor: Actor,
    exclude_id: int | None = None,
) -> None:
    end = start + timedelta(minutes=duration_minutes)
    clash = session.scalar(
        select(Appointment.id).where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
            Appointment.id != (exclude_id or 0),
        )
    )
    if clash is not None:
        raise PatientAlreadyBooked()
    if actor.is_patient and exclude_id is None:
        upcoming = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.start_at >= clock.now(),
            )
        )
        if upcoming >= MAX_UPCOMING_PER_PATIENT:
            raise TooManyAppointments()


def _changeable(appointment: Appointment) -> None:
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AlreadyCancelled()
    if appointment.status not in ACTIVE_STATUSES:
        raise AppointmentNotActive()
    if appointment.start_at <= clock.now():
        raise AppointmentNotActive("That appointment has already started or passed.")


def cancel(
    session: Session, actor: Actor, appointment_id: int | str, reason: str = ""
) -> Appointment:
    """Cancel a future appointment; reminders are withdrawn and the waitlist is offered the
    slot. Raises NotYourAppointment, AlreadyCancelled, AppointmentNotActive."""
    appointment = _appointment_for(session, actor, appointment_id, lock=True)
    _changeable(appointment)
    before = appointment.status
    appointment.status = AppointmentStatus.CANCELLED
    appointment.updated_at = clock.now()
    _event(session, actor, appointment, before, reason or "cancelled")
    audit.record(
        session,
        actor,
        "appointment.cancel",
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    outbox.cancel_pending(session, appointment_id=appointment.id, kinds=REMINDER_KINDS)
    if not actor.is_patient:
        _notify_patient(
            session,
            appointment,
            "appointment_cancelled",
            f"Your {describe(appointment)} has been cancelled. Reply here to book a new time.",
        )
    _close_waitlist_of(session, appointment.id)
    session.flush()
    # not to the patient who just gave it up (they may be waiting for another time of theirs)
    offer_freed_slot(
        session, appointment.provider_id, appointment.start_at, not_to=appointment.patient_id
    )
    log.info("appointment.cancel id=%s by=%s", appointment.id, actor.kind.value)
    return appointment


def reschedule(
    session: Session,
    actor: Actor,
    appointment_id: int | str,
    new_start: datetime,
    provider_key: str | None = None,
) -> Appointment:
    """Move an appointment to `new_start` (optionally to another provider offering the type).

    The move is one UPDATE: the new time is held before the old one is released; on any error
    the appointment stays where it was. A confirmed appointment becomes booked again."""
    appointment = _appointment_for(session, actor, appointment_id, lock=True)
    _changeable(appointment)
    if new_start.tzinfo is None:
        raise ValueError("new_start must be timezone-aware")
    old_start, old_provider_id = appointment.start_at, appointment.provider_id
    old_status = appointment.status
    type_key = appointment.appointment_type.key
    target = provider_key or appointment.provider.key
    if new_start == old_start and target == appointment.provider.key:
        raise InvalidTimeRange("That's the time you already have.")
    _check_patient_free(
        session,
        appointment.patient,
        new_start,
        appointment.appointment_type.duration_minutes,
        actor,
        exclude_id=appointment.id,
    )
    try:
        _place(session, appointment, type_key, target, new_start, exclude_id=appointment.id)
    except DomainError:
        session.refresh(appointment)
        raise
    appointment.status = AppointmentStatus.BOOKED
    _event(
        session,
        actor,
        appointment,
        old_status,
        "rescheduled",
        previous_start_at=old_start,
        previous_provider_id=old_provider_id,
    )
    audit.record(
        session,
        actor,
        "appointment.reschedule",
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    outbox.cancel_pending(session, appointment_id=appointment.id)
    _close_waitlist_of(session, appointment.id)  # moved: waiting for an earlier time is over
    session.flush()
    session.refresh(appointment)
    _write_confirmation_and_reminders(session, appointment, "Your appointment was moved")
    offer_freed_slot(session, old_provider_id, old_start)
    log.info("appointment.reschedule id=%s", appointment.id)
    return appointment


def confirm_attendance(session: Session, actor: Actor, appointment_id: int | str) -> Appointment:
    """The patient says they'll come. Idempotent for an already confirmed appointment."""
    appointment = _appointment_for(session, actor, appointment_id, lock=True)
    if appointment.status is AppointmentStatus.CONFIRMED and appointment.start_at > clock.now():
        return appointment
    _changeable(appointment)
    before = appointment.status
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.updated_at = clock.now()
    _event(session, actor, appointment, before, "patient confirmed")
    _reminders_without_the_question(session, appointment.id)
    audit.record(
        session,
        actor,
        "appointment.confirm",
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    session.flush()
    return appointment


def _reminders_without_the_question(session: Session, appointment_id: int) -> None:
    """Reminders still to go out for a visit the patient has confirmed: no "Will you be
    there?" and no "I'll be there" button any more (asked again, it reads as if the yes was
    lost); moving or cancelling stays a tap away."""
    outbox.revise_pending(
        session,
        appointment_id=appointment_id,
        kinds=REMINDER_KINDS,
        text=lambda said: said.replace(WILL_YOU_BE_THERE, SEE_YOU_THEN),
        keep_button=lambda payload: not payload.startswith("/confirm_attendance"),
    )


def _staff_or_system(session: Session, actor: Actor) -> None:
    if actor.is_staff:
        staff_member(session, actor)
    elif not actor.is_system:
        raise NotStaff()


def _close_visit(
    session: Session, actor: Actor, appointment_id: int | str, status: AppointmentStatus
) -> Appointment:
    _staff_or_system(session, actor)
    appointment = _appointment_for(session, actor, appointment_id, lock=True)
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AlreadyCancelled()
    if appointment.status not in ACTIVE_STATUSES:
        raise AppointmentNotActive(f"That appointment is already {appointment.status.value}.")
    if appointment.start_at > clock.now():
        raise AppointmentNotActive("That appointment hasn't started yet.")
    before = appointment.status
    appointment.status = status
    appointment.updated_at = clock.now()
    _event(session, actor, appointment, before, status.value)
    audit.record(
        session,
        actor,
        f"appointment.{status.value}",
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    outbox.cancel_pending(session, appointment_id=appointment.id, kinds=REMINDER_KINDS)
    session.flush()
    return appointment


def mark_no_show(session: Session, actor: Actor, appointment_id: int | str) -> Appointment:
    """Staff/system: the patient did not come (only once the visit has started)."""
    return _close_visit(session, actor, appointment_id, AppointmentStatus.NO_SHOW)


def mark_completed(session: Session, actor: Actor, appointment_id: int | str) -> Appointment:
    return _close_visit(session, actor, appointment_id, AppointmentStatus.COMPLETED)


# --- reading ---------------------------------------------------------------------------------


def get_appointment(session: Session, actor: Actor, appointment_id: int | str) -> Appointment:
    appointment = _appointment_for(session, actor, appointment_id)
    audit.record(
        session,
        actor,
        "appointment.read",
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    return appointment


def upcoming_for_patient(
    session: Session,
    actor: Actor,
    patient_id: int | None = None,
    on: date | None = None,
    limit: int = 10,
) -> list[Appointment]:
    """Active (booked/confirmed) appointments from now on, earliest first; `on` keeps those on
    one local day ("cancel my appointment on Tuesday")."""
    patient = _patient_for(session, actor, patient_id)
    query = select(Appointment).where(
        Appointment.patient_id == patient.id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_at >= clock.now(),
    )
    if on is not None:
        tz = clock.clinic_tz()
        day_start = datetime.combine(on, datetime.min.time(), tzinfo=tz)
        query = query.where(
            Appointment.start_at >= day_start,
            Appointment.start_at < day_start + timedelta(days=1),
        )
    appointments = list(session.scalars(query.order_by(Appointment.start_at).limit(limit)))
    audit.record(
        session,
        actor,
        "appointment.list",
        patient_id=patient.id,
        count=len(appointments),
    )
    return appointments


def usual_provider(
    session: Session, actor: Actor, type_key: str | None = None, patient_id: int | None = None
) -> Provider | None:
    """ "My usual doctor": the active provider the patient has seen most (completed visits, the
    latest breaking ties) among those who offer `type_key` if given; None if they have not been
    seen yet."""
    patient = _patient_for(session, actor, patient_id)
    seen = session.execute(
        select(Appointment.provider_id, func.count(), func.max(Appointment.start_at))
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == AppointmentStatus.COMPLETED,
        )
        .group_by(Appointment.provider_id)
    ).all()
    offering = {p.id for p in practice.providers(session, type_key)}
    ranked = sorted(
        (row for row in seen if row[0] in offering), key=lambda row: (row[1], row[2]), reverse=True
    )
    return session.get(Provider, ranked[0][0]) if ranked else None


LATE_WINDOW_BEFORE = timedelta(minutes=45)  # started this long ago: they may still come
LATE_WINDOW_AFTER = timedelta(hours=4)


def appointment_about_to_start(session: Session, actor: Actor) -> Appointment | None:
    """The patient's active appointment that starts within the next hours or started a little
    while ago: the one a "running late" is about."""
    patient = _patient_for(session, actor, None)
    now = clock.now()
    appointment = session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at >= now - LATE_WINDOW_BEFORE,
            Appointment.start_at <= now + LATE_WINDOW_AFTER,
        )
        .order_by(Appointment.start_at)
        .limit(1)
    ).first()
    if appointment is not None:
        audit.record(session, actor, "appointment.read", patient_id=patient.id)
    return appointment


def history(session: Session, actor: Actor, appointment_id: int | str) -> list[AppointmentEvent]:
    appointment = get_appointment(session, actor, appointment_id)
    return list(appointment.events)


# --- waitlist --------------------------------------------------------------------------------


def join_waitlist(
    session: Session,
    actor: Actor,
    type_key: str,
    provider_key: str | None = None,
    earliest: datetime | None = None,
    latest: datetime | None = None,
    patient_id: int | None = None,
) -> WaitlistEntry:
    """Ask to be offered a slot that frees up between `earliest` and `latest` (default: from
    now to the type's horizon). One active entry per patient, type and provider: joining
    again updates its window."""
    patient = _patient_for(session, actor, patient_id)
    kind = practice.get_type(session, type_key)
    provider = practice.get_provider(session, provider_key) if provider_key else None
    offering = practice.providers(session, type_key)
    if provider is not None and provider not in offering:  # a wait that could never end
        raise ProviderDoesNotOffer(
            provider.display_name, kind.name, [p.display_name for p in offering]
        )
    now = clock.now()
    earliest = max(earliest or now, now)
    latest = latest or now + timedelta(days=kind.horizon_days)
    if latest <= earliest:
        raise InvalidTimeRange()
    entry = session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.patient_id == patient.id,
            WaitlistEntry.type_id == kind.id,
            WaitlistEntry.provider_id.is_(None)
            if provider is None
            else WaitlistEntry.provider_id == provider.id,
            WaitlistEntry.status.in_([WaitlistStatus.ACTIVE, WaitlistStatus.OFFERED]),
        )
    )
    if entry is None:
        entry = WaitlistEntry(
            patient_id=patient.id,
            type_id=kind.id,
            provider_id=provider.id if provider else None,
            created_at=now,
        )
        session.add(entry)
    entry.earliest, entry.latest, entry.status = earliest, latest, WaitlistStatus.ACTIVE
    session.flush()
    audit.record(
        session,
        actor,
        "waitlist.join",
        patient_id=patient.id,
        object_type="waitlist_entry",
        object_id=entry.id,
    )
    return entry


def wait_for_earlier(session: Session, actor: Actor, appointment_id: int | str) -> WaitlistEntry:
    """ "Tell me if something earlier opens up" about a booked visit: a freed time of the same
    kind with the same provider, from now until the visit, is offered as a move of it (the
    visit stays booked until the patient says yes). Raises NotYourAppointment,
    AppointmentNotActive, InvalidTimeRange (nothing can be earlier)."""
    appointment = _appointment_for(session, actor, appointment_id)
    _changeable(appointment)
    entry = join_waitlist(
        session,
        actor,
        appointment.appointment_type.key,
        provider_key=appointment.provider.key,
        latest=appointment.start_at - timedelta(minutes=1),
        patient_id=appointment.patient_id,
    )
    entry.appointment_id = appointment.id
    session.flush()
    return entry


def _close_waitlist_of(session: Session, appointment_id: int) -> None:
    session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.appointment_id == appointment_id,
            WaitlistEntry.status.in_(booking_sql.ACTIVE_WAITLIST),
        )
        .values(status=WaitlistStatus.CANCELLED)
    )


def leave_waitlist(session: Session, actor: Actor, entry_id: int) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or (actor.is_patient and entry.patient_id != actor.id):
        raise NotYourAppointment("I couldn't find that waitlist entry among yours.")
    _patient_for(session, actor, entry.patient_id)
    entry.status = WaitlistStatus.CANCELLED
    audit.record(
        session,
        actor,
        "waitlist.leave",
        patient_id=entry.patient_id,
        object_type="waitlist_entry",
        object_id=entry.id,
    )
    return entry


def waitlist_for(session: Session, actor: Actor, patient_id: int | None = None):
    patient = _patient_for(session, actor, patient_id)
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.patient_id == patient.id,
                WaitlistEntry.status.in_([WaitlistStatus.ACTIVE, WaitlistStatus.OFFERED]),
            )
            .order_by(WaitlistEntry.created_at)
        )
    )


def _close_waitlist_for(session: Session, patient_id: int, type_id: int) -> None:
    # One UPDATE; entries already loaded in the session are updated too (synchronize).
    session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.patient_id == patient_id,
            WaitlistEntry.type_id == type_id,
            WaitlistEntry.status.in_(booking_sql.ACTIVE_WAITLIST),
        )
        .values(status=WaitlistStatus.BOOKED)
    )


def offer_freed_slot(
    session: Session, provider_id: int, start: datetime, not_to: int | None = None
) -> WaitlistEntry | None:
    """Offer a just-freed start time to the oldest waitlist entry it suits (type offered by
    that provider, inside the entry's window, bookable now). One offer per freed slot; the
    slot is not held: whoever books first gets it."""
    now = clock.now()
    if start <= now:
        return None
    candidates = session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.status == WaitlistStatus.ACTIVE,
            WaitlistEntry.earliest <= start,
            WaitlistEntry.latest >= start,
            (WaitlistEntry.provider_id.is_(None)) | (WaitlistEntry.provider_id == provider_id),
            WaitlistEntry.patient_id != (not_to or 0),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    for entry in candidates:
        provider_key = next(
            (p.key for p in entry.appointment_type.providers if p.id == provider_id), None
        )
        if provider_key is None:
            continue
        try:
            slots.check_bookable(session, entry.appointment_type.key, provider_key, start)
        except DomainError:
            continue
        slot_text = text.when(start)
        provider = next(p for p in entry.appointment_type.providers if p.id == provider_id)
        kind = entry.appointment_type.name.lower()
        if entry.appointment is not None:  # an earlier time for a booked visit: a move
            visit = entry.appointment
            if visit.status not in ACTIVE_STATUSES or visit.start_at <= start:
                continue
            offer_text = (
                f"Good news: an earlier time opened up for your {kind}: {slot_text} with "
                f"{provider.display_name} (you have {text.when(entry.appointment.start_at)}). "
                "Want to move it? It goes to whoever takes it first."
            )
            take = outbox.button(
                f"Move it to {slot_text}",
                "reschedule_appointment",
                appointment_id=str(entry.appointment_id),
                time=text.iso_local(start),
            )
        else:
            offer_text = (
                f"Good news: a {kind} with {provider.display_name} opened up on {slot_text}. "
                "Want it? It goes to whoever books it first."
            )
            take = outbox.button(
                f"Book {slot_text}",
                "book_appointment",
                appointment_type=entry.appointment_type.key,
                provider=provider_key,
                time=text.iso_local(start),
            )
        outbox.enqueue(
            session,
            kind="waitlist_offer",
            to_patient=entry.patient_id,
            text=offer_text,
            buttons=[take, outbox.button("No thanks", "deny")],
            meta={"waitlist_entry_id": entry.id},
        )
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = now
        entry.offered_start_at = start
        audit.record(
            session,
            Actor.system(),
            "waitlist.offer",
            patient_id=entry.patient_id,
            object_type="waitlist_entry",
            object_id=entry.id,
        )
        log.info("waitlist.offer entry=%s", entry.id)
        return entry
    return None
