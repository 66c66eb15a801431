"""Free slots: when can this kind of visit happen, with whom, earliest first.

    find_free_slots(session, type_key, provider_key | None, window_start, window_end, limit=10)
        -> list[Slot]
    nearest_alternatives(session, type_key, provider_key | None, at, limit=3) -> list[Slot]
    check_bookable(session, type_key, provider_key, start) -> (TypeInfo, ProviderInfo, room id)
        (raises why not)

A slot is a visit `[start, start + duration)` that lies inside the provider's working hours
and the practice's opening hours that day, on no closure day, outside the provider's time off,
at least the type's minimum notice from now and no further than its horizon. The provider (and
one of the type's rooms, if it needs one) must be free over `[start, start + duration + buffer)`
(the buffer may run past the end of the working interval: cleaning up after the last visit).
Candidate starts step through each working interval on the clinic's grid (15 minutes by
default, `slot_step_minutes` in the clinic file). Windows are aware datetimes; results are UTC.

How it stays fast: the practice (hours, closures, types, rooms) comes from `clinic.cache`; the
busy time of the stretch being scanned (the provider's bookings, the rooms' bookings and the
provider's time off) is one query whose times arrive as POSIX seconds computed by the database,
and each working interval is checked as a bit mask over its grid points, one busy interval at
a time, instead of testing every grid point against every interval.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import ceil, floor
from typing import Any

from sqlalchemy import bindparam, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Float, Integer

from clinic import cache, clock, text
from clinic.cache import Practice, ProviderInfo, TypeInfo
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
from clinic.models import ACTIVE_STATUSES, Appointment, TimeOff

MAX_WINDOW = timedelta(days=400)
FIRST_CHUNK = timedelta(days=7)
NEXT_CHUNK = timedelta(days=35)
# No visit is longer than a day: lets the busy query bound `start_at` on both sides (an index
# range) instead of scanning every past appointment of the provider.
LONGEST_VISIT = timedelta(days=1)


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


# --- busy time, straight from the database as POSIX seconds -----------------------------------


class epoch_seconds(FunctionElement):
    """POSIX seconds (float) of a stored UTC datetime, computed by the database, so thousands of
    busy intervals never become datetime objects in Python."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT8)"


# unixepoch() (SQLite 3.38+) is twice as fast as strftime('%s').
_SQLITE_SECONDS = (
    "unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38) else "strftime('%s', {})"
)


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds, plus the fraction as is.
    column = compiler.process(element.clauses, **kw)
    seconds = _SQLITE_SECONDS.format(column)
    return f"(CAST({seconds} AS INTEGER) + CAST(substr({column}, 20) AS REAL))"


class in_ids(FunctionElement):
    """`column IN (the ids in parameter name)`. PostgreSQL: `= ANY (array)`, one parameter
    however many ids, so nothing is re-rendered per execution. SQLite: an ordinary expanding
    IN list (its planner picks the (provider, start) index only for a literal list)."""

    # No Boolean type: SQLite would get `(.. IN (..)) = 1`, which no index serves.
    inherit_cache = True

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, bindparam(name, type_=ARRAY(Integer)))


class not_in_ids(in_ids):
    """`column NOT IN (the ids in parameter name)`."""

    inherit_cache = True


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    if isinstance(element, not_in_ids):
        return f"{column} <> ALL ({ids})"
    return f"{column} = ANY ({ids})"


@compiles(in_ids)
def _in_ids_expanding(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = element.clauses
    listed = bindparam(ids.key, expanding=True)
    test = column.not_in(listed) if isinstance(element, not_in_ids) else column.in_(listed)
    return compiler.process(test, **kw)


def literal_in(column: Any, values: Iterable[str]) -> Any:
    """`column IN ('a', 'b')` written into the SQL (fixed vocabularies such as statuses)."""
    return column.in_([literal_column(f"'{value}'") for value in values])


PROVIDER, ROOM, AWAY = 0, 1, 2
_A = Appointment.__table__.c
_T = TimeOff.__table__.c


def _bookings_of(resource: Any, code: int, *criteria: Any) -> Any:
    return select(
        literal_column(str(code)).label("busy_code"),
        resource.label("busy_resource"),
        epoch_seconds(_A.start_at).label("busy_start"),
        epoch_seconds(_A.blocked_until).label("busy_end"),
    ).where(
        *criteria,
        literal_in(_A.status, ACTIVE_STATUSES),
        _A.id != bindparam("exclude"),
        _A.start_at < bindparam("hi"),
        _A.start_at > bindparam("lo_start"),
        _A.blocked_until > bindparam("lo"),
    )


# Everything that can make a provider or a room busy in [lo, hi), in one round trip. When one
# provider is searched, the rooms' bookings leave out that provider's own: each holds the
# provider over the same time it holds its room, so it already rules those starts out.
BUSY = union_all(
    _bookings_of(_A.provider_id, PROVIDER, in_ids(_A.provider_id, "provider_ids")),
    _bookings_of(
        _A.room_id,
        ROOM,
        in_ids(_A.room_id, "room_ids"),
        not_in_ids(_A.provider_id, "own_provider_ids"),
    ),
    select(
        literal_column(str(AWAY)).label("busy_code"),
        _T.provider_id.label("busy_resource"),
        epoch_seconds(_T.start_at).label("busy_start"),
        epoch_seconds(_T.end_at).label("busy_end"),
    ).where(
        in_ids(_T.provider_id, "provider_ids"),
        _T.start_at < bindparam("hi"),
        _T.end_at > bindparam("lo"),
    ),
)


class _Busy:
    """Sorted, non-overlapping busy intervals of one resource as POSIX seconds (the database
    guarantees active bookings of one provider or room do not overlap)."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: list[tuple[float, float]]) -> None:
        intervals.sort()
        self.starts = [start for start, _ in intervals]
        self.ends = [end for _, end in intervals]

    def overlaps(self, start: float, end: float) -> bool:
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end

    def mask(self, base: float, count: int, step: float, length: float) -> int:
        """Bit k set: a visit of `length` seconds starting at `base + k * step` (k < count)
        overlaps one of the intervals."""
        return _mask(
            self.starts, self.ends, bisect_right(self.ends, base), base, count, step, length
        )


def _mask(
    starts: list[float],
    ends: list[float],
    first: int,
    base: float,
    count: int,
    step: float,
    length: float,
) -> int:
    bits = 0
    reach = base + (count - 1) * step + length
    last = count - 1
    for index in range(first, len(starts)):
        busy_start = starts[index]
        if busy_start >= reach:  # sorted by start: none of the rest can reach either
            break
        busy_end = ends[index]
        if busy_end <= base:
            continue
        # Grid points k with base + k*step < busy_end and base + k*step + length > busy_start.
        lo = max(floor((busy_start - length - base) / step) + 1, 0)
        hi = min(ceil((busy_end - base) / step) - 1, last)
        if lo <= hi:
            bits |= ((1 << (hi - lo + 1)) - 1) << lo
    return bits


class Calendar:
    """What the finder needs for one type: the practice (from the cache) and who is busy when
    (`load(start, end)`, per stretch of time being scanned)."""

    def __init__(
        self,
        session: Session,
        practice: Practice,
        kind: TypeInfo,
        providers: list[ProviderInfo],
        exclude_appointment_id: int | None = None,
    ) -> None:
        self.connection = session.connection()
        self.tz = clock.clinic_tz()
        self.kind = kind
        self.providers = providers
        self.closed = practice.closures
        self.exclude = exclude_appointment_id or 0
        self.duration = timedelta(minutes=kind.duration_minutes)
        self.duration_s = self.duration.total_seconds()
        self.block_s = float((kind.duration_minutes + kind.buffer_after_minutes) * 60)
        self.step = practice.slot_step
        self.step_s = self.step.total_seconds()
        self.room_ids = kind.room_ids

    def busy_params(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Parameters of BUSY (also part of clinic.booking_sql's read) for [start, end)."""
        provider_ids = [p.id for p in self.providers]
        return {
            "provider_ids": provider_ids,
            "room_ids": self.room_ids,
            "own_provider_ids": provider_ids if len(provider_ids) == 1 else [],
            "exclude": self.exclude,
            "lo": start,
            "lo_start": start - LONGEST_VISIT,
            "hi": end,
        }

    def load(self, start: datetime, end: datetime) -> None:
        """Bookings, room bookings and time off that overlap [start, end)."""
        self.fill(self.connection.execute(BUSY, self.busy_params(start, end)).all())

    def fill(self, rows: Iterable[Any]) -> None:
        """Take BUSY's rows (code, resource, start, end); rows whose code is None are skipped."""
        busy: dict[int, list[tuple[float, float]]] = {p.id: [] for p in self.providers}
        away: dict[int, list[tuple[float, float]]] = {p.id: [] for p in self.providers}
        rooms: dict[int, list[tuple[float, float]]] = {rid: [] for rid in self.room_ids}
        by_code = (busy, rooms, away)
        for code, resource, busy_start, busy_end in rows:
            if code is not None:
                by_code[code][resource].append((busy_start, busy_end))
        self.provider_busy = {pid: _Busy(intervals) for pid, intervals in busy.items()}
        self.room_busy = {rid: _Busy(intervals) for rid, intervals in rooms.items()}
        self.away = {pid: sorted(intervals) for pid, intervals in away.items()}

    def free_room(self, start: float) -> int | None | bool:
        """A free room id for a visit at `start` (POSIX seconds); None if the type needs no
        room; False if every room it can use is taken."""
        if not self.room_ids:
            return None
        for rid in self.room_ids:
            if not self.room_busy[rid].overlaps(start, start + self.block_s):
                return rid
        return False

    def is_free(self, provider: ProviderInfo, start: float) -> bool:
        if self.provider_busy[provider.id].overlaps(start, start + self.block_s):
            return False
        end = start + self.duration_s
        if any(
            off_start < end and start < off_end for off_start, off_end in self.away[provider.id]
        ):
            return False
        return self.free_room(start) is not False

    def free_mask(self, provider: ProviderInfo, base: float, count: int) -> int:
        """Bit k set: a visit at `base + k * step` is free (provider, time off and a room)."""
        step = self.step_s
        taken = self.provider_busy[provider.id].mask(base, count, step, self.block_s)
        away = self.away[provider.id]
        if away:
            taken |= _mask(
                [s for s, _ in away], [e for _, e in away], 0, base, count, step, self.duration_s
            )
        free = ((1 << count) - 1) & ~taken
        if free and self.room_ids:
            every_room_taken = free
            for rid in self.room_ids:
                every_room_taken &= self.room_busy[rid].mask(base, count, step, self.block_s)
                if not every_room_taken:
                    break
            free &= ~every_room_taken
        return free

    def slot(self, provider: ProviderInfo, start: float) -> Slot:
        utc_start = datetime.fromtimestamp(start, UTC)
        return Slot(
            start=utc_start,
            end=utc_start + self.duration,
            provider_key=provider.key,
            type_key=self.kind.key,
            provider_name=provider.display_name,
            type_name=self.kind.name,
        )


def resolve(
    practice: Practice, type_key: str, provider_key: str | None
) -> tuple[TypeInfo, list[ProviderInfo]]:
    kind = practice.type(type_key)
    offered = kind.offered_by
    if provider_key:
        provider = practice.provider(provider_key)
        if all(p.id != provider.id for p in offered):
            raise ProviderDoesNotOffer(
                provider.display_name, kind.name, [p.display_name for p in offered]
            )
        return kind, [provider]
    return kind, offered


def bookable_range(kind: TypeInfo, now: datetime) -> tuple[datetime, datetime]:
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
    practice = cache.practice(session)
    return _find(session, practice, type_key, provider_key, window_start, window_end, limit)


def _find(
    session: Session,
    practice: Practice,
    type_key: str,
    provider_key: str | None,
    window_start: datetime,
    window_end: datetime,
    limit: int | None,
) -> list[Slot]:
    kind, providers = resolve(practice, type_key, provider_key)
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
    calendar = Calendar(session, practice, kind, providers)
    block = timedelta(seconds=calendar.block_s)
    found: list[Slot] = []
    chunk_start = first
    while chunk_start <= last_start:
        chunk_end = min(chunk_start + span, last_start)
        calendar.load(chunk_start, chunk_end + block)
        found += _scan(
            calendar, chunk_start, chunk_end, None if limit is None else limit - len(found)
        )
        if limit is not None and len(found) >= limit:
            return found[:limit]
        chunk_start, span = chunk_end + timedelta(microseconds=1), NEXT_CHUNK
    return found


def _scan(
    calendar: Calendar, first: datetime, last_start: datetime, limit: int | None
) -> list[Slot]:
    found: list[Slot] = []
    tz = calendar.tz
    step = calendar.step_s
    first_s, last_s = first.timestamp(), last_start.timestamp()
    day = first.astimezone(tz).date()
    last_day = last_start.astimezone(tz).date()
    one_day = timedelta(days=1)
    while day <= last_day:
        if day in calendar.closed:
            day += one_day
            continue
        weekday = day.weekday()
        today: list[Slot] = []
        for provider in calendar.providers:
            for opens, closes in provider.bookable[weekday]:
                work_start = datetime.combine(day, opens, tzinfo=tz).timestamp()
                work_end = datetime.combine(day, closes, tzinfo=tz).timestamp()
                # Grid points from the interval's start: the first at or after `first`, the
                # last whose visit still ends inside the interval and starts by `last_start`.
                k0 = 0 if work_start >= first_s else ceil((first_s - work_start) / step)
                k1 = min(
                    floor((work_end - calendar.duration_s - work_start) / step),
                    floor((last_s - work_start) / step),
                )
                if k1 < k0:
                    continue
                base = work_start + k0 * step
                free = calendar.free_mask(provider, base, k1 - k0 + 1)
                while free:
                    lowest = free & -free
                    today.append(calendar.slot(provider, base + (lowest.bit_length() - 1) * step))
                    free ^= lowest
        today.sort()
        found.extend(today)
        if limit is not None and len(found) >= limit:
            return found[:limit]
        day += one_day
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
    practice = cache.practice(session)
    kind, _ = resolve(practice, type_key, provider_key)
    earliest, latest = bookable_range(kind, clock.now())
    duration = timedelta(minutes=kind.duration_minutes)
    for radius in sorted({1, 3, 7, search_days}):
        start = max(at - timedelta(days=radius), earliest)
        end = min(at + timedelta(days=radius), latest) + duration
        if start >= end:
            continue
        found = _find(session, practice, type_key, provider_key, start, end, limit=None)
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
    *,
    practice: Practice | None = None,
) -> tuple[TypeInfo, ProviderInfo, int | None]:
    """Raise the precise reason a visit can't start at `start`, or return (type, provider,
    a free room id or None). The final word is the database's: see scheduling.book."""
    start = _aware(start, "start")
    practice = practice or cache.practice(session)
    kind, (provider,) = resolve(practice, type_key, provider_key)
    check_start(practice, kind, provider, start, clock.now())
    calendar = Calendar(session, practice, kind, [provider], exclude_appointment_id)
    calendar.load(start, start + timedelta(seconds=calendar.block_s))
    moment = start.timestamp()
    if not calendar.is_free(provider, moment):
        raise SlotTaken(nearest_alternatives(session, type_key, provider_key, start))
    room = calendar.free_room(moment)
    return kind, provider, room or None


def check_start(
    practice: Practice, kind: TypeInfo, provider: ProviderInfo, start: datetime, now: datetime
) -> None:
    """Everything about a start time that needs no bookings: not past, the type's notice and
    horizon, no closure, inside the provider's bookable hours. Raises the reason."""
    start = start.astimezone(clock.clinic_tz())
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
    day = start.date()
    if day in practice.closures:
        raise ClinicClosed(f"The practice is closed on {text.day(day)} ({practice.closures[day]}).")
    end = start + timedelta(minutes=kind.duration_minutes)
    intervals = [
        (
            datetime.combine(day, opens, tzinfo=start.tzinfo),
            datetime.combine(day, closes, tzinfo=start.tzinfo),
        )
        for opens, closes in provider.bookable[day.weekday()]
    ]
    if not any(s <= start and end <= e for s, e in intervals):
        hours = ", ".join(f"{text.clock_time(s)}-{text.clock_time(e)}" for s, e in intervals)
        inside = next((e for s, e in intervals if s <= start < e), None)
        if inside is not None:
            # 6:45 in hours that end at 7: the visit itself would run past the end
            raise OutsideHours(
                f"{text.article(kind.name.lower()).capitalize()} takes {kind.duration_minutes} "
                f"minutes, and {provider.display_name}'s hours that {day:%A} end at "
                f"{text.clock_time(inside)}; the last start is "
                f"{text.clock_time(inside - timedelta(minutes=kind.duration_minutes))}."
            )
        raise OutsideHours(
            f"{provider.display_name} sees patients on {text.day(day)} {hours}."
            if hours
            else f"{provider.display_name} doesn't see patients on {text.day(day)}."
        )
