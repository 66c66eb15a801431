"""Staff-only services: the day's schedule, meeting-room bookings, the staff list, time off.

    day_schedule(s, actor, day, provider_key=None) -> list[ProviderDay]
    format_schedule(days) -> str                                 plain text for chat
    book_room(s, actor, room_key, start, end, title, invitees=()) -> RoomBooking
    cancel_room_booking(s, actor, booking_id) -> RoomBooking
    room_bookings(s, actor, day) -> list[RoomBooking]
    my_room_bookings(s, actor, first=None, last=None) -> list[RoomBooking]   ahead, organised
    my_room_booking(s, actor, booking_id) -> RoomBooking                     one of those
    my_meetings(s, actor, first=None, last=None) -> list[RoomBooking]  organised or invited to
    staff_list(s, actor) -> list[Staff]
    patients_named(s, actor, said) -> list[Patient]               "is Maria Lopez booked?"
    add_staff(s, *, name, role, telegram_user_id=None, email=None, provider_key=None) -> Staff
    add_time_off(s, actor, provider_key, start, end, reason="") -> TimeOff

Every call re-checks in the store that the actor is active staff (NotStaff otherwise).
Meetings use meeting rooms only (exam rooms belong to appointments); the database refuses two
bookings of one room at once (`room_bookings_no_overlap`). Each invitee gets an outbox invite
with the .ics ({"kind": "ics", "room_booking_id": N}).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exc, func, or_, select
from sqlalchemy.orm import Session

from clinic import audit, cache, clock, outbox, practice, text
from clinic.audit import Actor
from clinic.errors import (
    ClinicClosed,
    InvalidInput,
    InvalidTimeRange,
    NotFound,
    NotStaff,
    OutsideHours,
    PastTime,
    RoomTaken,
)
from clinic.identity import staff_member
from clinic.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Patient,
    Provider,
    RoomBooking,
    RoomBookingStatus,
    RoomKind,
    Staff,
    StaffRole,
    TimeOff,
)

log = logging.getLogger(__name__)
MAX_MEETING = timedelta(hours=10)


@dataclass(frozen=True)
class ProviderDay:
    provider: Provider
    appointments: list[Appointment]  # the day's appointments (all statuses), by time
    away: str | None = None  # why nobody can be booked that day: "off on Tuesdays", ...


def _away(session: Session, provider: Provider, day: date) -> str | None:
    """Why a provider sees no one on a day, when it is not just an empty diary."""
    snapshot = cache.practice(session)
    if day in snapshot.closures:
        return f"practice closed: {snapshot.closures[day]}"
    if not snapshot.provider(provider.key).bookable[day.weekday()]:
        return f"not working on {day.strftime('%A')}s"
    start, end = _day_bounds(day)
    off = session.scalar(
        select(TimeOff.reason).where(
            TimeOff.provider_id == provider.id, TimeOff.start_at < end, TimeOff.end_at > start
        )
    )
    return None if off is None else f"time off{': ' + off if off else ''}"


def _staff(session: Session, actor: Actor) -> Staff:
    if not actor.is_staff:
        raise NotStaff()
    return staff_member(session, actor)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=clock.clinic_tz())
    return start, start + timedelta(days=1)


def day_schedule(
    session: Session, actor: Actor, day: date, provider_key: str | None = None
) -> list[ProviderDay]:
    """Appointments on a local day by provider and time (cancelled ones included, marked by
    status, because the desk wants to see gaps). Providers with nothing that day are left out
    unless asked for by key."""
    _staff(session, actor)
    start, end = _day_bounds(day)
    providers = (
        [practice.get_provider(session, provider_key)]
        if provider_key
        else practice.providers(session)
    )
    rows = session.scalars(
        select(Appointment)
        .where(
            Appointment.provider_id.in_([p.id for p in providers]),
            Appointment.start_at >= start,
            Appointment.start_at < end,
        )
        .order_by(Appointment.start_at, Appointment.id)
    ).all()
    by_provider: dict[int, list[Appointment]] = {p.id: [] for p in providers}
    for row in rows:
        by_provider[row.provider_id].append(row)
    audit.record(
        session, actor, "schedule.read", patient_id=None, day=day.isoformat(), count=len(rows)
    )
    return [
        ProviderDay(p, by_provider[p.id], None if by_provider[p.id] else _away(session, p, day))
        for p in providers
        if by_provider[p.id] or provider_key
    ]


STATUS_MARK = {
    AppointmentStatus.BOOKED: "",
    AppointmentStatus.CONFIRMED: " ✓",
    AppointmentStatus.CANCELLED: " (cancelled)",
    AppointmentStatus.COMPLETED: " (done)",
    AppointmentStatus.NO_SHOW: " (no-show)",
}


def format_schedule(
    days: Sequence[ProviderDay], day: date, window: tuple[datetime, datetime] | None = None
) -> str:
    """The day's schedule as chat text; `window` keeps the visits starting in it ("friday
    afternoon")."""
    if not days:
        return f"No appointments on {text.day(day)}."
    when = text.day(day)
    if window is not None:
        when += f", {text.clock_time(window[0])}–{text.clock_time(window[1])}"
    lines = [f"Schedule for {when}:"]
    for provider_day in days:
        shown = [
            a
            for a in provider_day.appointments
            if window is None or window[0] <= a.start_at < window[1]
        ]
        active = [a for a in shown if a.status in ACTIVE_STATUSES]
        lines.append(f"\n{provider_day.provider.display_name} — {len(active)} booked")
        if not shown:
            empty = "nothing booked" if window is None else "nothing booked then"
            lines.append(f"  ({provider_day.away or empty})")
        for a in shown:
            room = f", {a.room.name}" if a.room else ""
            about = f" — “{a.reason}”" if a.reason else ""
            lines.append(
                f"  {text.clock_time(a.start_at)} {a.appointment_type.name}: "
                f"{a.patient.full_name}{room}{STATUS_MARK[a.status]}{about}"
            )
    return "\n".join(lines)


def format_next(days: Sequence[ProviderDay], now: datetime) -> str:
    """ "Who's next?": each provider's next visit today that has not started yet, and the one
    after it, rather than the whole day."""
    lines: list[str] = []
    for provider_day in days:
        coming = [
            a
            for a in provider_day.appointments
            if a.status in ACTIVE_STATUSES and a.start_at >= now
        ]
        name = provider_day.provider.display_name
        if not coming:
            lines.append(f"{name}: nothing more booked today.")
            continue
        first = coming[0]
        room = f", {first.room.name}" if first.room else ""
        about = f" — “{first.reason}”" if first.reason else ""
        line = (
            f"{name}: next {text.clock_time(first.start_at)} {first.appointment_type.name}, "
            f"{first.patient.full_name}{room}{STATUS_MARK[first.status]}{about}"
        )
        if len(coming) > 1:
            then = coming[1]
            line += f"; then {text.clock_time(then.start_at)} {then.patient.full_name}"
        lines.append(line + f" ({len(coming)} still to come)")
    return "\n".join(lines) if lines else "No more appointments today."


MAX_SUMMARY_DAYS = 14


def format_days(
    session: Session, actor: Actor, first: date, last: date, provider_key: str | None = None
) -> str:
    """A run of days ("next week", "the first week of April"), one line a day: how many are
    booked, by provider; one day's list is one question away."""
    last = min(last, first + timedelta(days=MAX_SUMMARY_DAYS - 1))
    who = (
        f" for {practice.get_provider(session, provider_key).display_name}" if provider_key else ""
    )
    lines = [f"Schedule{who}, {text.days(first, last)}:"]
    everyone = [] if provider_key else practice.providers(session)  # for who is off
    day = first
    while day <= last:
        booked = [
            (d.provider, [a for a in d.appointments if a.status in ACTIVE_STATUSES], d.away)
            for d in day_schedule(session, actor, day, provider_key)
        ]
        total = sum(len(active) for _, active, _ in booked)
        if not practice.hours_on(session, day).is_open:
            detail = "closed"
        elif provider_key:
            _, active, away = booked[0]
            detail = f"{len(active)} booked" if active or not away else away
            if active:
                detail += f", {text.clock_time(active[0].start_at)}–"
                detail += text.clock_time(active[-1].start_at)
        else:
            each = ", ".join(f"{p.name.split()[-1]} {len(a)}" for p, a, _ in booked if a)
            detail = f"{total} booked" + (f" ({each})" if each else "")
            # time off, not the usual days off: "who's off this week?"
            seen = {p.id for p, _, _ in booked}
            off = [
                p.name.split()[-1]
                for p in everyone
                if p.id not in seen and (_away(session, p, day) or "").startswith("time off")
            ]
            detail += f"; off: {', '.join(off)}" if off else ""
        lines.append(f"• {day:%a, %b} {day.day}: {detail}")
        day += timedelta(days=1)
    lines.append('Ask for a day ("Tuesday") to see its appointments.')
    return "\n".join(lines)


def staff_list(session: Session, actor: Actor) -> list[Staff]:
    _staff(session, actor)
    return list(session.scalars(select(Staff).where(Staff.active).order_by(Staff.name)))


_NAME_WORD_RE = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def patients_named(session: Session, actor: Actor, said: str) -> list[Patient]:
    """The patients whose first and last name the message says, in that order ("is Maria
    Lopez booked this week?", "maria lopez's next visit"); staff only, and audited: a name is
    a patient's data. Several when patients share the name."""
    _staff(session, actor)
    words = [w.lower().removesuffix("'s") for w in _NAME_WORD_RE.findall(said or "")]
    pairs = list(dict.fromkeys(zip(words, words[1:], strict=False)))[:40]
    if not pairs:
        return []
    query = select(Patient).where(
        or_(
            *(
                and_(func.lower(Patient.first_name) == first, func.lower(Patient.last_name) == last)
                for first, last in pairs
            )
        )
    )
    found = list(session.scalars(query.order_by(Patient.last_name, Patient.date_of_birth)))
    for patient in found:
        audit.record(session, actor, "patient.lookup", patient_id=patient.id)
    return found


def staff_by_ids(session: Session, staff_ids: Sequence[Any]) -> list[Staff]:
    """Active staff with these ids, by name (for labels; no patient data)."""
    ids = [int(i) for i in staff_ids if str(i).isdigit()]
    if not ids:
        return []
    return list(
        session.scalars(select(Staff).where(Staff.id.in_(ids), Staff.active).order_by(Staff.name))
    )


def add_staff(
    session: Session,
    *,
    name: str,
    role: StaffRole | str,
    telegram_user_id: int | None = None,
    email: str | None = None,
    provider_key: str | None = None,
) -> Staff:
    """Create a staff member (an administrative command: `medsec staff add`)."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("A staff member needs a name.")
    try:
        role = StaffRole(role)
    except ValueError:
        raise InvalidInput(
            f"Unknown role '{role}'; use one of {', '.join(r.value for r in StaffRole)}."
        ) from None
    if telegram_user_id is not None and session.scalar(
        select(Staff.id).where(Staff.telegram_user_id == telegram_user_id)
    ):
        raise InvalidInput(f"Telegram id {telegram_user_id} already belongs to a staff member.")
    provider = practice.get_provider(session, provider_key) if provider_key else None
    staff = Staff(
        name=name,
        role=role,
        telegram_user_id=telegram_user_id,
        email=email,
        provider_id=provider.id if provider else None,
        created_at=clock.now(),
    )
    session.add(staff)
    session.flush()
    log.info("staff.add id=%s role=%s", staff.id, role.value)
    return staff


def check_meeting_time(session: Session, start: datetime, end: datetime) -> None:
    """A meeting's time: a sensible range, not past, and while the practice is open (rooms are
    the practice's; "3 am" is nearly always a slip for 3 pm). Raises InvalidTimeRange,
    PastTime, ClinicClosed or OutsideHours with the day's hours."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start or end - start > MAX_MEETING:
        raise InvalidTimeRange()
    if start < clock.now():
        raise PastTime()
    local_start, local_end = start.astimezone(clock.clinic_tz()), end.astimezone(clock.clinic_tz())
    day = local_start.date()
    hours = practice.hours_on(session, day)
    if not hours.is_open:
        why = f" ({hours.closure_reason})" if hours.closure_reason else ""
        raise ClinicClosed(f"The practice is closed on {text.day(day)}{why}.")
    inside = local_end.date() == day and any(
        opens <= local_start.time() and local_end.time() <= closes
        for opens, closes in hours.intervals
    )
    if not inside:
        open_hours = ", ".join(
            f"{text.clock_time(datetime.combine(day, opens, tzinfo=local_start.tzinfo))}-"
            f"{text.clock_time(datetime.combine(day, closes, tzinfo=local_start.tzinfo))}"
            for opens, closes in hours.intervals
        )
        raise OutsideHours(
            f"Rooms can be booked while the practice is open: {open_hours} on {text.day(day)}."
        )


def book_room(
    session: Session,
    actor: Actor,
    room_key: str,
    start: datetime,
    end: datetime,
    title: str,
    invitees: Sequence[int] = (),
) -> RoomBooking:
    """Reserve a meeting room and invite staff (ids). Raises UnknownRoom, InvalidInput (not a
    meeting room, unknown invitee), InvalidTimeRange, PastTime, ClinicClosed, OutsideHours,
    RoomTaken."""
    organiser = _staff(session, actor)
    room = practice.get_room(session, room_key)
    if room.kind is not RoomKind.MEETING:
        meeting_rooms = ", ".join(r.name for r in practice.rooms(session, RoomKind.MEETING))
        raise InvalidInput(f"{room.name} is an exam room. Meeting rooms: {meeting_rooms}.")
    check_meeting_time(session, start, end)
    title = " ".join((title or "").split())[:200] or "Staff meeting"
    people = []
    for staff_id in dict.fromkeys(invitees):
        person = session.get(Staff, staff_id)
        if person is None or not person.active:
            raise InvalidInput(f"There is no staff member #{staff_id}.")
        people.append(person)
    booking = RoomBooking(
        room_id=room.id,
        start_at=start,
        end_at=end,
        title=title,
        booked_by_id=organiser.id,
        status=RoomBookingStatus.BOOKED,
        invitee_ids=[p.id for p in people],
        created_at=clock.now(),
    )
    session.flush()
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except exc.IntegrityError as error:
        if "room_bookings_no_overlap" not in str(error.orig):
            raise
        taken = session.scalars(
            select(RoomBooking).where(
                RoomBooking.room_id == room.id,
                RoomBooking.status == RoomBookingStatus.BOOKED,
                RoomBooking.start_at < end,
                RoomBooking.end_at > start,
            )
        ).first()
        detail = (
            f" ({taken.title}, {text.clock_time(taken.start_at)}-{text.clock_time(taken.end_at)})"
            if taken
            else ""
        )
        raise RoomTaken(f"{room.name} is already booked then{detail}.") from None
    when = f"{text.when(start)}-{text.clock_time(end)}"
    for person in people:
        outbox.enqueue(
            session,
            kind="meeting_invite",
            to_staff=person.id,
            text=f"{organiser.name} invites you to “{title}” in the {room.name}, {when}.",
            attachments=[{"kind": "ics", "room_booking_id": booking.id}],
            meta={"room_booking_id": booking.id},
        )
    audit.record(
        session,
        actor,
        "room.book",
        patient_id=None,
        object_type="room_booking",
        object_id=booking.id,
    )
    log.info("room.book id=%s room=%s", booking.id, room.key)
    return booking


def cancel_room_booking(session: Session, actor: Actor, booking_id: int) -> RoomBooking:
    _staff(session, actor)
    booking = session.get(RoomBooking, booking_id)
    if booking is None or booking.status is RoomBookingStatus.CANCELLED:
        raise NotFound("There is no such room booking.")
    booking.status = RoomBookingStatus.CANCELLED
    for staff_id in booking.invitee_ids:
        outbox.enqueue(
            session,
            kind="meeting_cancelled",
            to_staff=staff_id,
            text=f"Cancelled: “{booking.title}” in the {booking.room.name}, "
            f"{text.when(booking.start_at)}.",
            meta={"room_booking_id": booking.id},
        )
    audit.record(
        session,
        actor,
        "room.cancel",
        patient_id=None,
        object_type="room_booking",
        object_id=booking.id,
    )
    return booking


MY_BOOKINGS_LIMIT = 8


def my_room_bookings(
    session: Session, actor: Actor, first: date | None = None, last: date | None = None
) -> list[RoomBooking]:
    """The room bookings the staff member organised that are still ahead (on the days from
    `first` to `last`, if given), soonest first."""
    organiser = _staff(session, actor)
    query = select(RoomBooking).where(
        RoomBooking.booked_by_id == organiser.id,
        RoomBooking.status == RoomBookingStatus.BOOKED,
        RoomBooking.start_at > clock.now(),
    )
    if first is not None:
        query = query.where(RoomBooking.start_at >= _day_bounds(first)[0])
    if last is not None:
        query = query.where(RoomBooking.start_at < _day_bounds(last)[1])
    return list(session.scalars(query.order_by(RoomBooking.start_at).limit(MY_BOOKINGS_LIMIT)))


def my_meetings(
    session: Session, actor: Actor, first: date | None = None, last: date | None = None
) -> list[RoomBooking]:
    """The meetings still ahead (on the days from `first` to `last`, if given) that the staff
    member organised or is invited to, soonest first."""
    me = _staff(session, actor)
    query = select(RoomBooking).where(
        RoomBooking.status == RoomBookingStatus.BOOKED, RoomBooking.start_at > clock.now()
    )
    if first is not None:
        query = query.where(RoomBooking.start_at >= _day_bounds(first)[0])
    if last is not None:
        query = query.where(RoomBooking.start_at < _day_bounds(last)[1])
    # invitees are a JSON list: read a bounded window and pick in Python (meetings are few)
    ahead = session.scalars(query.order_by(RoomBooking.start_at).limit(500))
    mine = [b for b in ahead if b.booked_by_id == me.id or me.id in (b.invitee_ids or [])]
    return mine[:MY_BOOKINGS_LIMIT]


def my_room_booking(session: Session, actor: Actor, booking_id: int) -> RoomBooking:
    """One of `my_room_bookings` by id (a button's id is re-checked here: another's booking,
    a past or cancelled one is NotFound)."""
    organiser = _staff(session, actor)
    booking = session.get(RoomBooking, booking_id)
    if (
        booking is None
        or booking.booked_by_id != organiser.id
        or booking.status is not RoomBookingStatus.BOOKED
        or booking.start_at <= clock.now()
    ):
        raise NotFound("I couldn't find that room booking among yours still to come.")
    return booking


def room_bookings(session: Session, actor: Actor, day: date) -> list[RoomBooking]:
    _staff(session, actor)
    start, end = _day_bounds(day)
    return list(
        session.scalars(
            select(RoomBooking)
            .where(
                RoomBooking.status == RoomBookingStatus.BOOKED,
                RoomBooking.start_at >= start,
                RoomBooking.start_at < end,
            )
            .order_by(RoomBooking.start_at)
        )
    )


def add_time_off(
    session: Session,
    actor: Actor,
    provider_key: str,
    start: datetime,
    end: datetime,
    reason: str = "",
) -> TimeOff:
    """Block a provider's time (existing appointments in it are left for the desk to move)."""
    if not actor.is_system:
        _staff(session, actor)
    if end <= start:
        raise InvalidTimeRange()
    provider = practice.get_provider(session, provider_key)
    off = TimeOff(provider_id=provider.id, start_at=start, end_at=end, reason=reason[:200])
    session.add(off)
    session.flush()
    return off
