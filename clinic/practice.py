"""The practice's facts: load them from YAML into the store, and answer questions about them.

    load_clinic_file(session, path)            `medsec clinic load FILE`; idempotent upsert
    clinic_info(session) -> ClinicInfo          name, address, phone, parking, payment methods...
    hours_on(session, day) -> DayHours          open intervals that day, or the closure reason
    week_hours(session) -> list[DayHours]       the regular week, Monday first
    closures(session, start, end) -> list[Closure]
    visit_prep(session, type_key | None) -> str general advice + the type's own
    accepted_insurers(session) -> list[Insurer]
    find_insurer(session, text) -> Insurer | None   by key, name or synonym
    providers(session, type_key=None) -> list[Provider]
    appointment_types(session) -> list[AppointmentType]
    get_provider(session, key) / get_type(session, key) / get_room(session, key)  (raise Unknown*)

No patient data here, so no Actor and no audit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clinic import cache, clock
from clinic.cache import SettingsInfo, normalized_question
from clinic.errors import InvalidInput, UnknownRoom
from clinic.models import (
    AppointmentType,
    ClinicSettings,
    Closure,
    Insurer,
    OpeningHours,
    Provider,
    ProviderHours,
    Room,
    RoomKind,
    TimeOff,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: str
    phone: str
    email: str | None
    timezone: str
    emergency_number: str
    parking: str | None
    payment_methods: list[str]
    payment_plan_policy: str | None
    insurance_update: str | None
    visit_type_help: str | None = None
    crisis_line: str | None = None


@dataclass(frozen=True)
class DayHours:
    day: date
    intervals: list[tuple[time, time]]  # local opening intervals; empty when closed
    closure_reason: str | None = None  # set when a holiday/closure shuts the practice

    @property
    def is_open(self) -> bool:
        return bool(self.intervals)


# --- loading -------------------------------------------------------------------------------


def _parse_time(value: str, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{where}: '{value}' is not a time like 08:30") from None


def _intervals(spec: dict[str, Any] | None, where: str) -> list[tuple[int, time, time]]:
    out = []
    for day_name, intervals in (spec or {}).items():
        if day_name not in WEEKDAYS:
            raise InvalidInput(f"{where}: '{day_name}' is not a weekday")
        for start, end in intervals:
            opens, closes = _parse_time(start, where), _parse_time(end, where)
            if opens >= closes:
                raise InvalidInput(f"{where} {day_name}: {start}-{end} ends before it starts")
            out.append((WEEKDAYS.index(day_name), opens, closes))
    return out


def _by_key(session: Session, model: type, key: str) -> Any:
    return session.scalar(select(model).where(model.key == key))


def load_clinic(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """Upsert the practice from a parsed clinic file; returns counts of what it holds.

    Providers, types, rooms and insurers missing from the file are deactivated, not deleted.
    """
    spec = data.get("clinic") or {}
    for field in ("name", "address", "phone"):
        if not spec.get(field):
            raise InvalidInput(f"clinic.{field} is missing")
    settings = session.get(ClinicSettings, 1) or ClinicSettings(id=1)
    settings.name = spec["name"]
    settings.address = spec["address"]
    settings.phone = str(spec["phone"])
    settings.email = spec.get("email")
    settings.timezone = spec.get("timezone") or clock.clinic_tz().key
    settings.emergency_number = str(spec.get("emergency_number") or "911")
    settings.crisis_line = spec.get("crisis_line")
    settings.parking = spec.get("parking")
    settings.payment_methods = list(spec.get("payment_methods") or [])
    settings.payment_plan_policy = spec.get("payment_plan_policy")
    settings.insurance_update = spec.get("insurance_update")
    settings.visit_type_help = spec.get("visit_type_help")
    settings.visit_prep = dict(spec.get("visit_prep") or {})
    settings.faq = _faq(spec.get("faq"))
    settings.slot_step_minutes = int(spec.get("slot_step_minutes") or 15)
    settings.updated_at = clock.now()
    session.add(settings)

    session.execute(delete(OpeningHours))
    for weekday, opens, closes in _intervals(spec.get("opening_hours"), "opening_hours"):
        session.add(OpeningHours(weekday=weekday, opens=opens, closes=closes))

    session.execute(delete(Closure))
    for item in spec.get("closures") or []:
        try:
            day = date.fromisoformat(str(item["date"]))
        except (KeyError, ValueError):
            raise InvalidInput(f"closures: bad entry {item!r}") from None
        session.add(Closure(day=day, reason=item.get("reason") or "closed"))

    insurer_keys = set()
    for item in data.get("insurers") or []:
        insurer = _by_key(session, Insurer, item["key"]) or Insurer(key=item["key"])
        insurer.name = item["name"]
        insurer.synonyms = list(item.get("synonyms") or [])
        insurer.accepted = bool(item.get("accepted", True))
        session.add(insurer)
        insurer_keys.add(item["key"])
    for insurer in session.scalars(select(Insurer).where(Insurer.key.not_in(insurer_keys))):
        insurer.accepted = False

    rooms: dict[str, Room] = {}
    for item in data.get("rooms") or []:
        room = _by_key(session, Room, item["key"]) or Room(key=item["key"])
        room.name = item["name"]
        room.kind = RoomKind(item.get("kind", "exam"))
        room.active = True
        session.add(room)
        rooms[room.key] = room
    for room in session.scalars(select(Room).where(Room.key.not_in(rooms))):
        room.active = False

    providers: dict[str, Provider] = {}
    for item in data.get("providers") or []:
        provider = _by_key(session, Provider, item["key"]) or Provider(key=item["key"])
        provider.name = item["name"]
        provider.title = item.get("title", "")
        provider.specialty = item.get("specialty", "")
        provider.synonyms = list(item.get("synonyms") or [])
        provider.active = True
        provider.hours = [
            ProviderHours(weekday=weekday, starts=starts, ends=ends)
            for weekday, starts, ends in _intervals(item.get("hours"), f"providers.{item['key']}")
        ]
        session.add(provider)
        providers[provider.key] = provider
    for provider in session.scalars(select(Provider).where(Provider.key.not_in(providers))):
        provider.active = False

    type_keys = set()
    exam_rooms = [room for room in rooms.values() if room.kind is RoomKind.EXAM]
    for item in data.get("appointment_types") or []:
        kind = _by_key(session, AppointmentType, item["key"]) or AppointmentType(key=item["key"])
        kind.name = item["name"]
        kind.duration_minutes = int(item["duration"])
        kind.buffer_after_minutes = int(item.get("buffer_after", 0))
        kind.min_notice_hours = int(item.get("min_notice_hours", 0))
        kind.horizon_days = int(item.get("horizon_days", 90))
        kind.synonyms = list(item.get("synonyms") or [])
        kind.active = True
        try:
            kind.providers = [providers[key] for key in item.get("providers") or []]
            # No `rooms:` means any exam room.
            kind.rooms = (
                [rooms[key] for key in item["rooms"]] if "rooms" in item else list(exam_rooms)
            )
        except KeyError as missing:
            raise InvalidInput(f"appointment_types.{item['key']}: unknown {missing}") from None
        if kind.duration_minutes <= 0:
            raise InvalidInput(f"appointment_types.{item['key']}: duration must be positive")
        session.add(kind)
        type_keys.add(kind.key)
    for kind in session.scalars(
        select(AppointmentType).where(AppointmentType.key.not_in(type_keys))
    ):
        kind.active = False

    session.flush()
    return {
        "providers": len(providers),
        "appointment_types": len(type_keys),
        "rooms": len(rooms),
        "insurers": len(insurer_keys),
        "closures": len(spec.get("closures") or []),
    }


def load_clinic_file(session: Session, path: str | Path) -> dict[str, int]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read clinic file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a clinic file (expected a mapping)")
    return load_clinic(session, data)


# --- questions -----------------------------------------------------------------------------


def _settings(session: Session) -> SettingsInfo:
    return settings_of(cache.practice(session))


def settings_of(snapshot: cache.Practice) -> SettingsInfo:
    if snapshot.settings is None:
        raise InvalidInput("the clinic is not set up yet: run `medsec clinic load FILE`")
    return snapshot.settings


def clinic_info(session: Session) -> ClinicInfo:
    s = _settings(session)
    return ClinicInfo(
        name=s.name,
        address=s.address,
        phone=s.phone,
        email=s.email,
        timezone=s.timezone,
        emergency_number=s.emergency_number,
        parking=s.parking,
        payment_methods=list(s.payment_methods),
        payment_plan_policy=s.payment_plan_policy,
        insurance_update=s.insurance_update,
        visit_type_help=s.visit_type_help,
        crisis_line=s.crisis_line,
    )


def slot_step(session: Session) -> timedelta:
    return cache.practice(session).slot_step


def closures(session: Session, start: date, end: date) -> list[Closure]:
    """Closures with start <= day <= end."""
    return list(
        session.scalars(
            select(Closure).where(Closure.day >= start, Closure.day <= end).order_by(Closure.day)
        )
    )


def hours_on(session: Session, day: date) -> DayHours:
    snapshot = cache.practice(session)
    reason = snapshot.closures.get(day)
    if reason is not None:
        return DayHours(day, [], reason)
    return DayHours(day, list(snapshot.opening[day.weekday()]))


def week_hours(session: Session) -> list[DayHours]:
    """The regular weekly hours, Monday first (dates are the coming week's, for labels)."""
    opening = cache.practice(session).opening
    today = clock.local_now().date()
    monday = today - timedelta(days=today.weekday())
    return [DayHours(monday + timedelta(days=i), list(opening[i])) for i in range(7)]


def is_open_at(session: Session, moment: datetime) -> bool:
    local = moment.astimezone(clock.clinic_tz())
    hours = hours_on(session, local.date())
    return any(opens <= local.time() < closes for opens, closes in hours.intervals)


def visit_prep(session: Session, type_key: str | None = None) -> str:
    snapshot = cache.practice(session)
    if type_key:
        snapshot.type(type_key)  # unknown keys get the clear error
    return prep_text(settings_of(snapshot), type_key)


def prep_text(settings: SettingsInfo, type_key: str | None = None) -> str:
    """General visit advice, then the type's own."""
    parts = [settings.visit_prep.get("general", "")]
    if type_key:
        parts.append(settings.visit_prep.get(type_key, ""))
    return " ".join(part for part in parts if part)


def _faq(entries: Any) -> list[dict[str, Any]]:
    """The clinic file's `faq`: a list of {ask: [phrases], answer: text}."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InvalidInput("clinic.faq must be a list of {ask: [phrases], answer: text}")
    checked = []
    for number, entry in enumerate(entries, 1):
        asks = entry.get("ask") if isinstance(entry, dict) else None
        answer = entry.get("answer") if isinstance(entry, dict) else None
        if isinstance(asks, str):
            asks = [asks]
        if not asks or not all(isinstance(a, str) and a.strip() for a in asks):
            raise InvalidInput(f"clinic.faq entry {number} needs `ask`: the phrases it answers")
        if not isinstance(answer, str) or not answer.strip():
            raise InvalidInput(f"clinic.faq entry {number} needs an `answer`")
        checked.append({"ask": [a.strip() for a in asks], "answer": answer.strip()})
    return checked


def faq_answer(session: Session, message: str) -> str | None:
    """The practice's own answer to a common question ("do I need a referral?", "is there a
    fee for a missed visit?"), from the clinic file's `faq`: the first entry one of whose
    phrases the message contains, or None."""
    snapshot = cache.practice(session)
    if snapshot.settings is None:
        return None
    said = normalized_question(message)
    return next((answer for pattern, answer in snapshot.settings.faq if pattern.search(said)), None)


def accepted_insurers(session: Session) -> list[Insurer]:
    return list(session.scalars(select(Insurer).where(Insurer.accepted).order_by(Insurer.name)))


def find_insurer(session: Session, text: str) -> Insurer | None:
    """The insurer whose key, name or a synonym matches `text` (case-insensitive)."""
    wanted = " ".join(text.lower().split())
    for insurer in session.scalars(select(Insurer).order_by(Insurer.id)):
        names = {insurer.key.lower(), insurer.name.lower(), *(s.lower() for s in insurer.synonyms)}
        if wanted in names:
            return insurer
    return None


def providers(session: Session, type_key: str | None = None) -> list[Provider]:
    query = select(Provider).where(Provider.active).order_by(Provider.key)
    if type_key:
        offered = cache.practice(session).type(type_key).offered_by
        query = query.where(Provider.id.in_([p.id for p in offered]))
    return list(session.scalars(query))


def appointment_types(session: Session, provider_key: str | None = None) -> list[AppointmentType]:
    """The active visit types, or those `provider_key` offers (all, if the key is unknown)."""
    kinds = list(
        session.scalars(
            select(AppointmentType).where(AppointmentType.active).order_by(AppointmentType.key)
        )
    )
    if provider_key:
        snapshot = cache.practice(session)
        offered = [
            k for k in kinds if any(p.key == provider_key for p in snapshot.type(k.key).offered_by)
        ]
        return offered or kinds
    return kinds


def rooms(session: Session, kind: RoomKind | None = None) -> list[Room]:
    query = select(Room).where(Room.active).order_by(Room.key)
    if kind is not None:
        query = query.where(Room.kind == kind)
    return list(session.scalars(query))


def get_provider(session: Session, key: str) -> Provider:
    """The active provider with this key (raises UnknownProvider listing who there is)."""
    # From the cache: no query (relationships such as `.hours` load when first read).
    return cache.provider_row(session, cache.practice(session).provider(key))


def get_type(session: Session, key: str) -> AppointmentType:
    return cache.type_row(session, cache.practice(session).type(key))


def get_room(session: Session, key: str) -> Room:
    room = _by_key(session, Room, (key or "").strip().lower())
    if room is None or not room.active:
        raise UnknownRoom(
            f"I don't know a room called '{key}'. Rooms: "
            + ", ".join(r.name for r in rooms(session))
            + "."
        )
    return room


@dataclass(frozen=True)
class ProviderDay:
    """When a provider sees patients on one day ("is Dr Lee in on Thursday?")."""

    day: date
    intervals: list[tuple[time, time]]  # local, inside the practice's opening hours
    closure_reason: str | None = None  # the practice is closed that day
    away: bool = False  # time off covers the day's hours

    @property
    def sees_patients(self) -> bool:
        return bool(self.intervals) and not self.away and self.closure_reason is None


def provider_day(session: Session, key: str, day: date) -> ProviderDay:
    snapshot = cache.practice(session)
    info = snapshot.provider(key)  # raises UnknownProvider
    reason = snapshot.closures.get(day)
    intervals = list(info.bookable[day.weekday()])
    if reason is not None or not intervals:
        return ProviderDay(day, intervals, reason)
    zone = clock.clinic_tz()
    first = datetime.combine(day, intervals[0][0], tzinfo=zone)
    last = datetime.combine(day, intervals[-1][1], tzinfo=zone)
    away = session.scalar(
        select(TimeOff.id).where(
            TimeOff.provider_id == info.id, TimeOff.start_at <= first, TimeOff.end_at >= last
        )
    )
    return ProviderDay(day, intervals, away=away is not None)


def provider_week(session: Session, key: str) -> list[tuple[str, list[tuple[time, time]]]]:
    """(weekday name, intervals) for each weekday the provider sees patients, Monday first."""
    info = cache.practice(session).provider(key)
    return [(WEEKDAYS[i], list(day)) for i, day in enumerate(info.bookable) if day]


MIN_FUZZY_LENGTH = 6
FUZZY_SCORE = 0.85


def type_like(session: Session, said: str) -> str | None:
    """The visit type a misspelt request names ("chekup", "vacination", "blod test"): the key
    of the type whose name or synonym a run of 1-3 words is closest to, if close enough.
    Spelt right, the NLU's lookup already found it; short words are left alone ("shout" is no
    "shot")."""
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", (said or "").lower())
    runs = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    best: tuple[float, str] | None = None
    for kind in cache.practice(session).types.values():
        if not kind.active:
            continue
        for name in {kind.name.lower(), *kind.synonyms}:
            if len(name) < MIN_FUZZY_LENGTH:
                continue
            for run in runs:
                if 2 * min(len(run), len(name)) < FUZZY_SCORE * (len(run) + len(name)):
                    continue  # lengths too far apart to come close
                if name in (run + "s", run + "es") or run in (name + "s", name + "es"):
                    continue  # "blood" (pressure) is no misspelt "bloods": plurals are exact
                match = SequenceMatcher(None, run, name)
                if match.quick_ratio() < FUZZY_SCORE:
                    continue
                score = match.ratio()
                if score >= FUZZY_SCORE and (best is None or score > best[0]):
                    best = (score, kind.key)
    return best[1] if best else None


PROVIDER_NAME_SCORE = 0.82  # "pattel" is Patel (0.91), "garsia" Garcia (0.83)


def provider_like(session: Session, name: str) -> str | None:
    """The provider a misspelt name means ("Dr Pattel", "doctor Garsia"): the key of the one
    whose surname (the key) or a synonym is closest, if close enough; names under 4 letters
    are left alone (one letter off would be another name)."""
    said = (name or "").strip().lower()
    if len(said) < 4:
        return None
    best: tuple[float, str] | None = None
    for provider in cache.practice(session).providers.values():
        if not provider.active:
            continue
        for known in {provider.key, *provider.synonyms}:
            score = SequenceMatcher(None, said, known.lower()).ratio()
            if score >= PROVIDER_NAME_SCORE and (best is None or score > best[0]):
                best = (score, provider.key)
    return best[1] if best else None


def the_nurse(session: Session) -> str | None:
    """The provider a patient means by "the nurse" when booking: the practice's only nurse
    (a nurse practitioner); None when it has none or several (then they are asked who)."""
    nurses = [
        provider.key
        for provider in cache.practice(session).providers.values()
        if provider.active
        and re.search(r"\b(nurse|np|rn)\b", f"{provider.title} {provider.specialty}", re.I)
    ]
    return nurses[0] if len(nurses) == 1 else None
