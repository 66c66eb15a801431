"""Free slots: when can this kind of visit happen, with whom, earliest first.

    find_free_slots(session, type_key, provider_key | None, window_start, window_end, limit=10)
        -> list[Slot]
    nearest_alternatives(session, type_key, provider_key | None, at, limit=3) -> list[Slot]
    check_bookable(session, type_key, provider_key, start) -> None   (raises why not)

A slot is a visit `[start, start + duration)` that lies inside the provider's working hours
and the practice's opening hours that day, on no closure day, outside the provider's time off,
at least the type's minimum notice from now and no further than its horizon. The provider (and
one of the type's rooms, if it needs one) must be free over `[start, start + duration + buffer)`
(the buffer may run past the end of the working interval: cleaning up after the last visit).
Candidate starts step through each working interval on the clinic's grid (15 minutes by
default, `slot_step_minutes` in the clinic file). Windows are aware datetimes; results are UTC.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import clock, practice, text
from clinic.errors import (
    ClinicClosed,
    InvalidTimeRange,
    OutsideHours,
    PastTime,
    ProviderDoesNotOffer,
    SlotTaken,
    TooFarAhead,
    TooSoon,
)
from clinic.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    Closure,
    OpeningHours,
    Provider,
    TimeOff,
)

MAX_WINDOW = timedelta(days=400)
FIRST_CHUNK = timedelta(days=7)
NEXT_CHUNK = timedelta(days=35)


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    provider_key: str
    type_key: str
    provider_name: str = field(compare=False)
    type_name: str = field(compare=False)

    @property
    def local_start(self) -> datetime:
        return text.local(self.start)

    @property
    def iso_start(self) -> str:
        """ISO 8601 in the clinic's zone: the value the NLU `time` entity and buttons use."""
        return text.iso_local(self.start)

    def label(self, with_provider: bool = True) -> str:
        """'Tue, Mar 2 at 9:00 AM with Dr. Anika Patel'."""
        when = text.when(self.start)
        return f"{when} with {self.provider_name}" if with_provider else when


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(clock.clinic_tz())


class _Busy:
    """Sorted, non-overlapping busy intervals of one resource as POSIX seconds (the database
    guarantees they do not overlap), so an overlap test is one bisect on floats."""

    def __init__(self, intervals: list[tuple[datetime, datetime]]) -> None:
        pairs = sorted((start.timestamp(), end.timestamp()) for start, end in intervals)
        self.starts = [start for start, _ in pairs]
        self.ends = [end for _, end in pairs]

    def overlaps(self, start: float, end: float) -> bool:
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


def _intersect(a: list[tuple[time, time]], b: list[tuple[time, time]]) -> list[tuple[time, time]]:
    out = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return sorted(out)


class _Calendar:
    """Everything the finder needs for one type: the week's shape and closures (loaded once)
    and who is busy when (`load(lo, hi)`, per stretch of time being scanned)."""

    def __init__(
        self,
        session: Session,
        kind: AppointmentType,
        providers: list[Provider],
        start: datetime,
        end: datetime,
        exclude_appointment_id: int | None = None,
        first_chunk: timedelta | None = None,
    ) -> None:
        tz = clock.clinic_tz()
        self.session = session
        self.tz = tz
        self.kind = kind
        self.providers = providers
        self.exclude = exclude_appointment_id or 0
        self.duration = timedelta(minutes=kind.duration_minutes)
        self.block = self.duration + timedelta(minutes=kind.buffer_after_minutes)
        self.duration_s = self.duration.total_seconds()
        self.block_s = self.block.total_seconds()
        self.step = practice.slot_step(session)
        first_day = start.astimezone(tz).date() - timedelta(days=1)
        last_day = end.astimezone(tz).date() + timedelta(days=1)
        self.closed = set(
            session.scalars(
                select(Closure.day).where(Closure.day >= first_day, Closure.day <= last_day)
            )
        )
        self.opening: dict[int, list[tuple[time, time]]] = defaultdict(list)
        for row in session.scalars(select(OpeningHours)):
            self.opening[row.weekday].append((row.opens, row.closes))
        self.hours = {
            p.id: {wd: [(h.starts, h.ends) for h in p.hours if h.weekday == wd] for wd in range(7)}
            for p in providers
        }
        self.room_ids = [room.id for room in kind.rooms if room.active]
        self.load(start, end if first_chunk is None else min(end, start + first_chunk))

    def load(self, start: datetime, end: datetime) -> None:
        """Busy time that could touch a visit starting in [start, end]."""
        # Core (not ORM) execution: these are plain column tuples, and this is the hot path.
        session = self.session.connection()
        lo, hi = start - timedelta(days=1), end + self.block + timedelta(days=1)
        provider_ids = [p.id for p in self.providers]
        busy: dict[int, list[tuple[datetime, datetime]]] = {pid: [] for pid in provider_ids}
        for pid, s, e in session.execute(
            select(Appointment.provider_id, Appointment.start_at, Appointment.blocked_until).where(
                Appointment.provider_id.in_(provider_ids),
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.id != self.exclude,
                Appointment.start_at < hi,
                # No visit is longer than a day: bound the index range on both sides.
                Appointment.start_at > lo - timedelta(days=1),
                Appointment.blocked_until > lo,
            )
        ):
            busy[pid].append((s, e))
        self.provider_busy = {pid: _Busy(intervals) for pid, intervals in busy.items()}
        self.time_off: dict[int, list[tuple[float, float]]] = {pid: [] for pid in busy}
        for pid, s, e in session.execute(
            select(TimeOff.provider_id, TimeOff.start_at, TimeOff.end_at).where(
                TimeOff.provider_id.in_(provider_ids), TimeOff.start_at < hi, TimeOff.end_at > lo
            )
        ):
            self.time_off[pid].append((s.timestamp(), e.timestamp()))
        rooms: dict[int, list[tuple[datetime, datetime]]] = {rid: [] for rid in self.room_ids}
        if self.room_ids:
            for rid, s, e in session.execute(
                select(Appointment.room_id, Appointment.start_at, Appointment.blocked_until).where(
                    Appointment.room_id.in_(self.room_ids),
                    Appointment.status.in_(ACTIVE_STATUSES),
                    Appointment.id != self.exclude,
                    Appointment.start_at < hi,
                    Appointment.start_at > lo - timedelta(days=1),
                    Appointment.blocked_until > lo,
                )
            ):
                rooms[rid].append((s, e))
        self.room_busy = {rid: _Busy(intervals) for rid, intervals in rooms.items()}

    def working_intervals(self, provider: Provider, day: date) -> list[tuple[datetime, datetime]]:
        """The provider's bookable intervals that day as aware datetimes (empty if closed)."""
        if day in self.closed:
            return []
        local = _intersect(self.hours[provider.id][day.weekday()], self.opening[day.weekday()])
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz),
                datetime.combine(day, end, tzinfo=self.tz),
            )
            for start, end in local
        ]

    def free_room(self, start: datetime) -> int | None | bool:
        """A free room id for a visit at `start`; None if the type needs no room; False if
        every room it can use is taken."""
        if not self.room_ids:
            return None
        s = start.timestamp()
        for rid in self.room_ids:
            if not self.room_busy[rid].overlaps(s, s + self.block_s):
                return rid
        return False

    def is_free(self, provider: Provider, start: datetime) -> bool:
        s = start.timestamp()
        if self.provider_busy[provider.id].overlaps(s, s + self.block_s):
            return False
        end = s + self.duration_s
        if any(
            off_start < end and s < off_end for off_start, off_end in self.time_off[provider.id]
        ):
            return False
        return self.free_room(start) is not False

    def slot(self, provider: Provider, start: datetime) -> Slot:
        utc_start = start.astimezone(UTC)
        return Slot(
            start=utc_start,
            end=utc_start + self.duration,
            provider_key=provider.key,
            type_key=self.kind.key,
            provider_name=provider.display_name,
            type_name=self.kind.name,
        )


def _resolve(
    session: Session, type_key: str, provider_key: str | None
) -> tuple[AppointmentType, list[Provider]]:
    kind = practice.get_type(session, type_key)
    offered = [p for p in kind.providers if p.active]
    if provider_key:
        provider = practice.get_provider(session, provider_key)
        if provider not in offered:
            raise ProviderDoesNotOffer(
                provider.display_name, kind.name, [p.display_name for p in offered]
            )
        return kind, [provider]
    return kind, offered


def bookable_range(kind: AppointmentType, now: datetime) -> tuple[datetime, datetime]:
    """Earliest and latest start allowed by the type's notice and horizon."""
    return (
        now + timedelta(hours=kind.min_notice_hours),
        now + timedelta(days=kind.horizon_days),
    )


def find_free_slots(
    session: Session,
    type_key: str,
    provider_key: str | None,
    window_start: datetime,
    window_end: datetime,
    limit: int | None = 10,
) -> list[Slot]:
    """Free slots whose visit lies inside [window_start, window_end), earliest first.

    With no provider, every provider offering the type is searched (ties: provider key).
    Raises UnknownAppointmentType, UnknownProvider, ProviderDoesNotOffer, InvalidTimeRange,
    PastTime (the whole window is over) or TooFarAhead (it starts beyond the horizon).
    Returns [] when nothing is free (the practice closed, all booked, inside minimum notice).
    """
    window_start = _aware(window_start, "window_start")
    window_end = _aware(window_end, "window_end")
    if window_end <= window_start or window_end - window_start > MAX_WINDOW:
        raise InvalidTimeRange()
    kind, providers = _resolve(session, type_key, provider_key)
    now = clock.now()
    if window_end <= now:
        raise PastTime()
    earliest, latest = bookable_range(kind, now)
    if window_start > latest:
        raise TooFarAhead(
            f"We book {kind.name.lower()} visits up to {kind.horizon_days} days ahead; "
            f"that is after {text.day(latest)}."
        )
    first = max(window_start, earliest)
    last_start = min(window_end - timedelta(minutes=kind.duration_minutes), latest)
    if first > last_start or not providers:
        return []
    # Scan a week first (the usual ask is "the next few slots"), then a month at a time,
    # loading only the busy time of the stretch being scanned.
    span = FIRST_CHUNK if limit is not None else last_start - first
    calendar = _Calendar(session, kind, providers, first, last_start, first_chunk=span)
    found: list[Slot] = []
    chunk_start = first
    while chunk_start <= last_start:
        chunk_end = min(chunk_start + span, last_start)
        if chunk_start is not first:
            calendar.load(chunk_start, chunk_end)
        found += _scan(
            calendar, chunk_start, chunk_end, None if limit is None else limit - len(found)
        )
        if limit is not None and len(found) >= limit:
            return found[:limit]
        chunk_start, span = chunk_end + timedelta(microseconds=1), NEXT_CHUNK
    return found


def _scan(calendar: _Calendar, first: datetime, last_start: datetime, limit: int | None):
    found: list[Slot] = []
    day = first.astimezone(calendar.tz).date()
    last_day = last_start.astimezone(calendar.tz).date()
    while day <= last_day:
        today: list[Slot] = []
        for provider in calendar.providers:
            for work_start, work_end in calendar.working_intervals(provider, day):
                start = work_start
                if start < first:  # jump to the first grid point at or after `first`
                    steps = -(-(first - start) // calendar.step)
                    start = work_start + steps * calendar.step
                while start + calendar.duration <= work_end and start <= last_start:
                    if calendar.is_free(provider, start):
                        today.append(calendar.slot(provider, start))
                    start += calendar.step
        today.sort()
        found.extend(today)
        if limit is not None and len(found) >= limit:
            return found[:limit]
        day += timedelta(days=1)
    return found


def nearest_alternatives(
    session: Session,
    type_key: str,
    provider_key: str | None,
    at: datetime,
    limit: int = 3,
    search_days: int = 14,
) -> list[Slot]:
    """The `limit` free slots closest to `at` (before or after), in time order.

    Searches a widening radius (1, 3, 7, then `search_days` days) so the usual case, free
    time the same day, costs one small scan."""
    at = _aware(at, "at")
    kind, _ = _resolve(session, type_key, provider_key)
    earliest, latest = bookable_range(kind, clock.now())
    duration = timedelta(minutes=kind.duration_minutes)
    for radius in sorted({1, 3, 7, search_days}):
        start = max(at - timedelta(days=radius), earliest)
        end = min(at + timedelta(days=radius), latest) + duration
        if start >= end:
            continue
        found = find_free_slots(session, type_key, provider_key, start, end, limit=None)
        closest = sorted(found, key=lambda slot: (abs(slot.start - at), slot))[:limit]
        # Enough, and nothing outside this radius could be closer than the farthest we keep.
        if len(closest) == limit and abs(closest[-1].start - at) <= timedelta(days=radius):
            return sorted(closest)
        if radius >= search_days:
            return sorted(closest)
    return []


def check_bookable(
    session: Session,
    type_key: str,
    provider_key: str,
    start: datetime,
    exclude_appointment_id: int | None = None,
) -> tuple[AppointmentType, Provider, int | None]:
    """Raise the precise reason a visit can't start at `start`, or return (type, provider,
    a free room id or None). The final word is the database's: see scheduling.book."""
    start = _aware(start, "start")
    kind, (provider,) = _resolve(session, type_key, provider_key)
    now = clock.now()
    earliest, latest = bookable_range(kind, now)
    if start < now:
        raise PastTime()
    if start < earliest:
        raise TooSoon(
            f"{kind.name} visits need {kind.min_notice_hours} hours' notice; the earliest is "
            f"{text.when(earliest)}."
        )
    if start > latest:
        raise TooFarAhead(
            f"We book {kind.name.lower()} visits up to {kind.horizon_days} days ahead."
        )
    calendar = _Calendar(session, kind, [provider], start, start, exclude_appointment_id)
    day = start.astimezone(calendar.tz).date()
    if day in calendar.closed:
        reason = session.scalar(select(Closure.reason).where(Closure.day == day))
        raise ClinicClosed(f"The practice is closed on {text.day(day)} ({reason}).")
    intervals = calendar.working_intervals(provider, day)
    if not any(s <= start and start + calendar.duration <= e for s, e in intervals):
        hours = ", ".join(f"{text.clock_time(s)}-{text.clock_time(e)}" for s, e in intervals)
        raise OutsideHours(
            f"{provider.display_name} sees patients on {text.day(day)} {hours}."
            if hours
            else f"{provider.display_name} doesn't see patients on {text.day(day)}."
        )
    if not calendar.is_free(provider, start):
        raise SlotTaken(nearest_alternatives(session, type_key, provider_key, start))
    room = calendar.free_room(start)
    return kind, provider, room or None
