"""Finding free times to offer, for booking and rescheduling.

    search(s, type_key, provider_key | None, wanted) -> Found
        exact moment free  -> Found(exact=slot)
        otherwise          -> Found(offers=[...], note="why / what these are")
        nothing at all     -> Found(note=...) (ask for another time)
    check_start(s, type_key, provider_key | None, start) -> Found   a picked (button) time

Offers travel in the `offered_slots` slot as plain dicts {"start", "provider", "label"} so a
later "the second one" or a button press can be matched to what was actually shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from actions.faq import provider_day_answer
from actions.when import SOONEST, Wanted
from clinic import clock, practice, slots, text
from clinic.errors import DomainError, OutsideHours, ProviderDoesNotOffer, SlotTaken
from clinic.slots import Slot

OFFER_COUNT = 6
ALTERNATIVES = 4
FOLLOW_ON_DAYS = 30


@dataclass(frozen=True)
class Busy:
    """One of the patient's own visits: no time that overlaps it is offered to them."""

    start: datetime
    end: datetime
    what: str  # "your check-up with Dr. Anika Patel on Mon, Mar 15 at 8:00 AM"

    def overlaps(self, slot: Slot) -> bool:
        return slot.start < self.end and self.start < slot.end


def _free_of(found: list[Slot], busy: list[Busy]) -> list[Slot]:
    return [slot for slot in found if not any(b.overlaps(slot) for b in busy)]


@dataclass
class Found:
    exact: Slot | None = None
    offers: list[Slot] = field(default_factory=list)
    note: str | None = None
    error: DomainError | None = None

    @property
    def bad_provider(self) -> bool:
        return isinstance(self.error, ProviderDoesNotOffer)


def visit_label(type_name: str, provider_name: str, start: datetime) -> str:
    """'a check-up with Dr. Anika Patel on Tue, Mar 2 at 9:00 AM'."""
    return f"{text.article(type_name.lower())} with {provider_name} on {text.when(start)}"


def appointment_label(appointment: Any) -> str:
    """'check-up with Dr. Anika Patel on Tue, Mar 2 at 9:00 AM' (no article)."""
    kind, who = appointment.appointment_type.name.lower(), appointment.provider.display_name
    return f"{kind} with {who} on {text.when(appointment.start_at)}"


def slot_label(slot: Slot) -> str:
    return visit_label(slot.type_name, slot.provider_name, slot.start)


def as_offers(found: list[Slot]) -> list[dict[str, str]]:
    return [
        {"start": slot.iso_start, "provider": slot.provider_key, "label": slot.label()}
        for slot in found
    ]


def _exact(
    session: Session, type_key: str, provider_key: str | None, at: datetime, busy: list[Busy]
) -> Found:
    kind = practice.get_type(session, type_key)
    end = at + timedelta(minutes=kind.duration_minutes)
    free = slots.find_free_slots(session, type_key, provider_key, at, end, limit=None)
    match = next((slot for slot in free if slot.start == at), None)
    clash = next((b for b in busy if b.start < end and at < b.end), None)
    if match is not None and clash is None:
        return Found(exact=match)
    # Say precisely why not (their own visit then, closed, outside hours, too soon, taken),
    # then what is near.
    reason = (
        f"You already have {clash.what} at that time."
        if clash
        else _provider_absent(session, provider_key, text.local(at).date())
        or _why_not(session, type_key, provider_key, at)
    )
    near = slots.nearest_alternatives(
        session, type_key, provider_key, at, limit=ALTERNATIVES + len(busy)
    )
    near = sorted(sorted(_free_of(near, busy), key=lambda s: abs(s.start - at))[:ALTERNATIVES])
    if not near:
        return Found(note=reason + " I couldn't find a free time near it; try another day.")
    return Found(offers=near, note=f"{reason} The nearest free times are below.")


def _why_not(session: Session, type_key: str, provider_key: str | None, at: datetime) -> str:
    """Why `at` can't be booked, for one provider or (`None`) for whoever offers the type: one
    provider's hours are no reason when the patient asked for anyone."""
    keys = (
        [provider_key] if provider_key else [p.key for p in practice.providers(session, type_key)]
    )
    errors: list[DomainError] = []
    for key in keys:
        try:
            slots.check_bookable(session, type_key, key, at)
        except DomainError as error:
            errors.append(error)
    if len(errors) < len(keys) or not errors:
        return "That time isn't free."
    if provider_key:
        error = errors[0]
        return "That time is already taken." if isinstance(error, SlotTaken) else str(error)
    # Past, too soon, too far ahead, closed: the same for everyone.
    shared = [e for e in errors if not isinstance(e, SlotTaken | OutsideHours)]
    if shared:
        return str(shared[0])
    if any(isinstance(e, SlotTaken) for e in errors):
        return "Everyone is booked at that time."
    return "No one sees patients for that visit at that time."


def _window(
    session: Session, type_key: str, provider_key: str | None, want: Wanted, busy: list[Busy]
) -> Found:
    limit = 200 if want.hours or want.not_days else 60
    free = slots.find_free_slots(session, type_key, provider_key, want.start, want.end, limit)
    free = _free_of([slot for slot in free if want.allows(slot.start)], busy)[:OFFER_COUNT]
    if free:
        if want.label == SOONEST:
            return Found(offers=free, note=f"Here are the earliest free times{_but(want)}.")
        return Found(offers=free, note=f"Here are free times {want.describe()}.")
    after = max(want.end, clock.now())
    later = slots.find_free_slots(
        session,
        type_key,
        provider_key,
        after,
        after + timedelta(days=FOLLOW_ON_DAYS),
        limit=limit,
    )
    later = _free_of([slot for slot in later if want.allows(slot.start)], busy)[:ALTERNATIVES]
    if later:
        day = _one_day(want)
        why = _closed(session, day) or _provider_absent(session, provider_key, day, want)
        return Found(
            offers=later,
            note=(why or f"Sorry, nothing is free {want.describe()}.")
            + " The next free times are below.",
        )
    return Found(
        note=f"Sorry, nothing is free {want.describe()} or in the month after. "
        "Try another time, or ask me to put you on the waitlist."
    )


def _but(want: Wanted) -> str:
    """ ", not on Mondays" after "the earliest free times", when some weekdays were refused."""
    said = want.describe()
    return said[len(SOONEST) :] if said.startswith(SOONEST) else ""


def _one_day(want: Wanted) -> date | None:
    first = text.local(want.start).date()
    return first if first == text.local(want.end - timedelta(microseconds=1)).date() else None


def _closed(session: Session, asked: date | None) -> str | None:
    """ "We're closed on Sunday, March 7." for the one day asked for, if the practice is."""
    if asked is None:
        return None
    hours = practice.hours_on(session, asked)
    if hours.is_open:
        return None
    why = f" ({hours.closure_reason})" if hours.closure_reason else ""
    return f"We're closed on {text.day(asked)}{why}."


def _provider_absent(
    session: Session, provider_key: str | None, asked: date | None, want: Wanted | None = None
) -> str | None:
    """ "Dr. Daniel Lee is away on Monday, March 8." when the one day asked for with one
    provider is a day they don't work, or "Dr. Anika Patel sees patients on Friday, March 5:
    8 AM–12 PM." when the part of it asked for ("Friday afternoon") is outside their hours
    (rather than "nothing is free" or "taken")."""
    if provider_key is None or asked is None:
        return None
    day = practice.provider_day(session, provider_key, asked)
    if not practice.hours_on(session, asked).is_open:
        return None  # a closed Sunday is "nothing is free", not the doctor's absence
    if day.sees_patients and (want is None or _overlaps_hours(day, want)):
        return None
    return provider_day_answer(practice.get_provider(session, provider_key).display_name, day)


def _overlaps_hours(day: practice.ProviderDay, want: Wanted) -> bool:
    zone = clock.clinic_tz()
    return any(
        datetime.combine(day.day, opens, tzinfo=zone) < want.end
        and want.start < datetime.combine(day.day, closes, tzinfo=zone)
        for opens, closes in day.intervals
    )


def search(
    session: Session,
    type_key: str,
    provider_key: str | None,
    want: Wanted,
    busy: list[Busy] | None = None,
) -> Found:
    """Free times for the wish; none that overlaps one of the patient's own visits (`busy`)."""
    try:
        if want.is_exact:
            return _exact(session, type_key, provider_key, want.exact, busy or [])  # type: ignore[arg-type]
        return _window(session, type_key, provider_key, want, busy or [])
    except DomainError as error:
        return Found(note=str(error), error=error)


def check_start(
    session: Session,
    type_key: str,
    provider_key: str | None,
    start: datetime,
    busy: list[Busy] | None = None,
) -> Found:
    """Is this exact start (a pressed button, maybe an old one) still free?"""
    return search(session, type_key, provider_key, Wanted(start, start, exact=start), busy)


def offer_matching(offers: Any, start: datetime, provider_key: str | None) -> dict | None:
    for offer in offers or []:
        try:
            same = datetime.fromisoformat(offer["start"]) == start
        except (KeyError, TypeError, ValueError):
            continue
        if same and (not provider_key or provider_key == offer.get("provider")):
            return offer
    return None


def offer_at_clock(offers: Any, moment: datetime, same_day: bool) -> dict | None:
    """The one offer at this local clock time (and day, when the person named one)."""
    local = text.local(moment)
    hits = []
    for offer in offers or []:
        try:
            start = text.local(datetime.fromisoformat(offer["start"]))
        except (KeyError, TypeError, ValueError):
            continue
        if start.time() == local.time() and (not same_day or start.date() == local.date()):
            hits.append(offer)
    if not hits and same_day:
        # "6:30 on wednesday" while next week's times are shown: the NLU reads the coming
        # Wednesday; the Wednesday on the list is meant
        hits = [
            offer
            for offer in offers or []
            if _local_start(offer) is not None
            and _local_start(offer).time() == local.time()
            and _local_start(offer).weekday() == local.weekday()
        ]
    return hits[0] if len(hits) == 1 else None


def _local_start(offer: Any) -> datetime | None:
    try:
        return text.local(datetime.fromisoformat(offer["start"]))
    except (KeyError, TypeError, ValueError):
        return None
