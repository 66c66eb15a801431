"""The practice's reference data, kept in memory per process and checked on every call.

    snapshot = cache.practice(session)     # a Practice: frozen, plain data, no ORM objects
    kind = snapshot.type("checkup")         # TypeInfo (raises UnknownAppointmentType)
    who = snapshot.provider("patel")        # ProviderInfo (raises UnknownProvider)

Settings, opening hours, closures, rooms, providers with their working hours and the
appointment types change rarely (`medsec clinic load`), yet every slot search and booking needs
all of them. The database keeps a random token in `practice_version` that triggers replace on
any change to those tables (migrations/versions/0002), whichever process or tool makes it.
`practice(session)` reads that token (one tiny query, after flushing the session so its own
pending changes count) and returns the snapshot built for it, loading a new one only when the
token is new. So a clinic file loaded by another process, a closure added in psql, or a change
made earlier in the same transaction is seen by the next call; a rolled-back change leaves the
old token, and the old snapshot, in place.

Time off is not cached: it is read together with the bookings (`clinic.slots`), so staff time
off counts from the moment it is committed.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from clinic.errors import UnknownAppointmentType, UnknownProvider
from clinic.models import (
    AppointmentType,
    ClinicSettings,
    Closure,
    OpeningHours,
    PracticeVersion,
    Provider,
    ProviderHours,
    Room,
    RoomKind,
    type_providers,
    type_rooms,
)

Intervals = tuple[tuple[time, time], ...]
KEEP = 8  # snapshots kept per process (a test run flips between a few databases)


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    id: int
    key: str
    name: str
    title: str
    specialty: str
    synonyms: tuple[str, ...]
    display_name: str
    active: bool
    hours: tuple[Intervals, ...]  # per weekday (0 = Monday), local, sorted
    bookable: tuple[Intervals, ...]  # hours that are also inside the practice's opening hours


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: int
    key: str
    name: str
    kind: RoomKind
    active: bool


@dataclass(frozen=True, slots=True)
class TypeInfo:
    id: int
    key: str
    name: str
    duration_minutes: int
    buffer_after_minutes: int
    min_notice_hours: int
    horizon_days: int
    synonyms: tuple[str, ...]
    active: bool
    providers: tuple[ProviderInfo, ...]  # linked providers, by key (active or not)
    rooms: tuple[RoomInfo, ...]  # rooms it can use, by key (active or not); empty: no room

    @property
    def offered_by(self) -> list[ProviderInfo]:
        """The active providers offering it, by key."""
        return [p for p in self.providers if p.active]

    @property
    def room_ids(self) -> list[int]:
        return [r.id for r in self.rooms if r.active]


def normalized_question(message: str) -> str:
    """Lower case, one kind of apostrophe, single spaces: what `faq_patterns` search."""
    return " ".join(message.lower().replace("\u2019", "'").split())


def faq_patterns(entries: list[dict[str, Any]]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """One pattern per clinic FAQ entry: any of its phrases as whole words ("no show" also
    finds "no-show")."""

    def phrase(text: str) -> str:
        words = re.split(r"[\s-]+", normalized_question(text))
        return r"[\s-]+".join(re.escape(word) for word in words if word)

    return tuple(
        (re.compile(r"\b(?:" + "|".join(phrase(a) for a in entry["ask"]) + r")\b"), entry["answer"])
        for entry in entries
        if entry.get("ask") and entry.get("answer")
    )


@dataclass(frozen=True, slots=True)
class SettingsInfo:
    name: str
    address: str
    phone: str
    email: str | None
    timezone: str
    emergency_number: str
    parking: str | None
    payment_methods: tuple[str, ...]
    payment_plan_policy: str | None
    insurance_update: str | None
    visit_type_help: str | None
    visit_prep: dict[str, Any]
    slot_step_minutes: int
    faq: tuple[tuple[re.Pattern[str], str], ...] = ()
    crisis_line: str | None = None


@dataclass(frozen=True)
class Practice:
    token: str | None
    settings: SettingsInfo | None  # None until a clinic file is loaded
    opening: tuple[Intervals, ...]  # per weekday
    closures: dict[date, str]  # day -> reason
    providers: dict[str, ProviderInfo]  # by key
    types: dict[str, TypeInfo]  # by key
    rooms: dict[str, RoomInfo]  # by key
    providers_by_id: dict[int, ProviderInfo] = field(repr=False)
    rooms_by_id: dict[int, RoomInfo] = field(repr=False)

    @property
    def slot_step(self) -> timedelta:
        return timedelta(minutes=self.settings.slot_step_minutes if self.settings else 15)

    def active_providers(self) -> list[ProviderInfo]:
        return sorted((p for p in self.providers.values() if p.active), key=lambda p: p.key)

    def active_types(self) -> list[TypeInfo]:
        return sorted((t for t in self.types.values() if t.active), key=lambda t: t.key)

    def provider(self, key: str | None) -> ProviderInfo:
        """The active provider with this key (any case, spaces around ignored)."""
        found = self.providers.get((key or "").strip().lower())
        if found is None or not found.active:
            raise UnknownProvider(key, [p.display_name for p in self.active_providers()])
        return found

    def type(self, key: str | None) -> TypeInfo:
        found = self.types.get((key or "").strip().lower())
        if found is None or not found.active:
            raise UnknownAppointmentType(key, [t.name for t in self.active_types()])
        return found


_TOKEN = select(PracticeVersion.token).where(PracticeVersion.id == 1)
_snapshots: OrderedDict[str, Practice] = OrderedDict()
_latest: dict[Any, str] = {}  # database URL -> the token last seen there
_lock = threading.Lock()


def practice(session: Session) -> Practice:
    """The practice as `session` sees it now (its own flushed changes included)."""
    if session.autoflush:
        session.flush()  # a no-op unless something is pending
    connection = session.connection()
    token = connection.execute(_TOKEN).scalar()
    if token is not None:
        _latest[session.get_bind().url] = token
        snapshot = _snapshots.get(token)
        if snapshot is not None:
            return snapshot
    snapshot = _load(connection, token)
    if token is not None:
        with _lock:
            _snapshots[token] = snapshot
            while len(_snapshots) > KEEP:
                _snapshots.popitem(last=False)
    return snapshot


def recent(session: Session) -> Practice | None:
    """The snapshot last seen current in this session's database, NOT checked now: for a
    caller that reads the token itself in a query it runs anyway (clinic.booking_sql) and
    calls `practice(session)` if the token turns out to differ."""
    token = _latest.get(session.get_bind().url)
    return None if token is None else _snapshots.get(token)


def clear() -> None:
    """Forget every snapshot (never needed for correctness; for tests and benchmarks)."""
    with _lock:
        _snapshots.clear()
        _latest.clear()


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return tuple(sorted(out))


def _display_name(name: str, title: str) -> str:
    # Same rule as Provider.display_name (kept there for ORM callers).
    if title.lower().startswith("dr"):
        return f"{title} {name}"
    return f"{name}, {title}" if title else name


def _load(connection: Any, token: str | None) -> Practice:
    """Read every reference table (the token was read first, so the data is never older)."""
    settings_row = connection.execute(select(ClinicSettings.__table__)).first()
    settings = None
    if settings_row is not None:
        settings = SettingsInfo(
            name=settings_row.name,
            address=settings_row.address,
            phone=settings_row.phone,
            email=settings_row.email,
            timezone=settings_row.timezone,
            emergency_number=settings_row.emergency_number,
            parking=settings_row.parking,
            payment_methods=tuple(settings_row.payment_methods or ()),
            payment_plan_policy=settings_row.payment_plan_policy,
            insurance_update=settings_row.insurance_update,
            visit_type_help=settings_row.visit_type_help,
            visit_prep=dict(settings_row.visit_prep or {}),
            faq=faq_patterns(settings_row.faq or []),
            slot_step_minutes=settings_row.slot_step_minutes or 15,
            crisis_line=settings_row.crisis_line,
        )
    weekly: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for weekday, opens, closes in connection.execute(
        select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
    ):
        weekly[weekday].append((opens, closes))
    opening = tuple(tuple(sorted(day)) for day in weekly)
    closures = dict(connection.execute(select(Closure.day, Closure.reason)).all())

    hours: dict[int, list[list[tuple[time, time]]]] = {}
    for provider_id, weekday, starts, ends in connection.execute(
        select(
            ProviderHours.provider_id,
            ProviderHours.weekday,
            ProviderHours.starts,
            ProviderHours.ends,
        )
    ):
        hours.setdefault(provider_id, [[] for _ in range(7)])[weekday].append((starts, ends))
    providers: dict[str, ProviderInfo] = {}
    for row in connection.execute(
        select(
            Provider.id,
            Provider.key,
            Provider.name,
            Provider.title,
            Provider.specialty,
            Provider.synonyms,
            Provider.active,
        )
    ):
        own = tuple(tuple(sorted(day)) for day in hours.get(row.id, [[] for _ in range(7)]))
        providers[row.key] = ProviderInfo(
            id=row.id,
            key=row.key,
            name=row.name,
            title=row.title,
            specialty=row.specialty,
            synonyms=tuple(row.synonyms or ()),
            display_name=_display_name(row.name, row.title),
            active=row.active,
            hours=own,
            bookable=tuple(_intersect(own[wd], opening[wd]) for wd in range(7)),
        )
    by_id = {p.id: p for p in providers.values()}
    rooms = {
        row.key: RoomInfo(id=row.id, key=row.key, name=row.name, kind=row.kind, active=row.active)
        for row in connection.execute(select(Room.id, Room.key, Room.name, Room.kind, Room.active))
    }
    rooms_by_id = {r.id: r for r in rooms.values()}
    type_provider_ids: dict[int, list[int]] = {}
    for type_id, provider_id in connection.execute(
        select(type_providers.c.type_id, type_providers.c.provider_id)
    ):
        type_provider_ids.setdefault(type_id, []).append(provider_id)
    type_room_ids: dict[int, list[int]] = {}
    for type_id, room_id in connection.execute(select(type_rooms.c.type_id, type_rooms.c.room_id)):
        type_room_ids.setdefault(type_id, []).append(room_id)
    types = {}
    for row in connection.execute(
        select(
            AppointmentType.id,
            AppointmentType.key,
            AppointmentType.name,
            AppointmentType.duration_minutes,
            AppointmentType.buffer_after_minutes,
            AppointmentType.min_notice_hours,
            AppointmentType.horizon_days,
            AppointmentType.synonyms,
            AppointmentType.active,
        )
    ):
        types[row.key] = TypeInfo(
            id=row.id,
            key=row.key,
            name=row.name,
            duration_minutes=row.duration_minutes,
            buffer_after_minutes=row.buffer_after_minutes,
            min_notice_hours=row.min_notice_hours,
            horizon_days=row.horizon_days,
            synonyms=tuple(row.synonyms or ()),
            active=row.active,
            providers=tuple(
                sorted((by_id[i] for i in type_provider_ids.get(row.id, ())), key=_by_key)
            ),
            rooms=tuple(
                sorted((rooms_by_id[i] for i in type_room_ids.get(row.id, ())), key=_by_key)
            ),
        )
    return Practice(
        token=token,
        settings=settings,
        opening=opening,
        closures=closures,
        providers=providers,
        types=types,
        rooms=rooms,
        providers_by_id=by_id,
        rooms_by_id=rooms_by_id,
    )


def _by_key(info: ProviderInfo | RoomInfo) -> str:
    return info.key


# --- ORM rows without a query ---------------------------------------------------------------


def attach[T](session: Session, model: type[T], values: dict[str, Any]) -> T:
    """The session's `model` instance with primary key `values["id"]`: the one already in its
    identity map, else a new one holding `values` as if just loaded (no SQL). `values` must hold
    every column (a missing one would be loaded lazily, inside the session only)."""
    found = session.identity_map.get(session.identity_key(model, values["id"]))
    if found is not None:
        return found  # type: ignore[return-value]
    instance = model(**values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def provider_row(session: Session, info: ProviderInfo) -> Provider:
    return attach(
        session,
        Provider,
        {
            "id": info.id,
            "key": info.key,
            "name": info.name,
            "title": info.title,
            "specialty": info.specialty,
            "synonyms": list(info.synonyms),
            "active": info.active,
        },
    )


def type_row(session: Session, info: TypeInfo) -> AppointmentType:
    return attach(
        session,
        AppointmentType,
        {
            "id": info.id,
            "key": info.key,
            "name": info.name,
            "duration_minutes": info.duration_minutes,
            "buffer_after_minutes": info.buffer_after_minutes,
            "min_notice_hours": info.min_notice_hours,
            "horizon_days": info.horizon_days,
            "synonyms": list(info.synonyms),
            "active": info.active,
        },
    )


def room_row(session: Session, info: RoomInfo) -> Room:
    return attach(
        session,
        Room,
        {
            "id": info.id,
            "key": info.key,
            "name": info.name,
            "kind": info.kind,
            "active": info.active,
        },
    )
