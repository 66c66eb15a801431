"""Booking: the booking form (type -> provider or "any" -> time -> a real free slot -> confirm ->
clinic.scheduling.book); joining the waitlist is actions/waitlist.py.

The waitlist offer button (`/book_appointment{"appointment_type":..,"provider":..,"time":..}`)
arrives with every slot filled: the form checks the time is still free and asks to confirm.
Booking happens when the person says yes, inside the form, so a slot taken meanwhile is
answered with the nearest free times and the form goes on.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slot_search
from actions.also_asked import ANOTHER_VISIT, offer_the_other
from actions.common import (
    ANY,
    StoreAction,
    asked_in_this_form,
    buttons,
    caller_of,
    doctor_named,
    entity,
    is_a_child,
    last_question_buttons,
    latest_intent,
    latest_text,
    log,
    parse_iso,
    payload,
    pick_ordinal,
    picked_button,
    reset_flow,
    said_without_day,
    say_error,
    say_if_date_unread,
    say_no_upcoming,
    say_not_linked,
    say_unknown_doctor,
    slot_before_message,
    someone_else,
    store,
    time_entities,
    wants_earliest,
)
from actions.faq import REMINDER_ASKED_RE, day_answer, reminder_when, reminders_answer
from actions.forms import GuardedForm, current_caller, is_activating
from actions.offer_shift import shifted_time
from actions.patient_lookup import say_staff_cannot_change
from actions.visit_reason import THANKS_FOR_THE_REASON, reason_in, sounds_like_a_reason
from actions.waitlist import earlier_pick, join_waitlist, wait_for_earlier, waitlist_answer
from actions.when import (
    EARLIEST,
    Wanted,
    days_of,
    hours_of_part,
    on_day,
    refused_weekdays,
    wanted,
    without_weekdays,
)
from clinic import clock, practice, scheduling, slots, text
from clinic.errors import (
    DomainError,
    PastTime,
    ProviderDoesNotOffer,
    SlotTaken,
    TooManyAppointments,
)
from clinic.identity import Caller

_SOON_RE = re.compile(
    r"\b(asap|as soon as (possible|you can)|earliest|soonest|first (available|free|opening)"
    r"|next (available|free|opening))\b",
    re.IGNORECASE,
)
# "not sure", "any" when asked what kind of visit
_UNSURE_RE = re.compile(
    r"\b(not sure|unsure|(do ?n'?t|dunno) know|no idea|any(thing)?|whatever|doesn'?t matter|"
    r"no preference|you (choose|pick|decide))\b",
    re.IGNORECASE,
)
# a question about a visit already booked ("is my physical on the 4th?", "when is my checkup")
_MY_VISIT_ASKED_RE = re.compile(
    r"^\W*(?:is|when\s+is|when's|what\s+time\s+is|what\s+day\s+is|which\s+day\s+is|"
    r"where\s+is)\s+my\b",
    re.IGNORECASE,
)
# a visit no longer wanted ("no longer need the vaccine appt, got it done at the pharmacy")
# that the classifier read as a booking because it names the visit
_NO_LONGER_NEEDED_RE = re.compile(
    r"\b(no\s+longer\s+(need|want|require)(?!\s+to\b)|"
    r"(don'?t|dont|do\s+not|won'?t|will\s+not)\s+(need|want|require)\s+(the|my|our|that|this|"
    r"it|them)\b[^.?!]*\b(any\s*more|after\s+all)\b|"
    r"no\s+need\s+for\s+(the|my|that)\b)",
    re.IGNORECASE,
)
# a past time that tells what happened ("I had a fall last weekend", "since monday", "two days
# ago"), rather than when the person wants to come
_HAPPENED_BEFORE_RE = re.compile(
    r"\b(since|had|have\s+had|was|were|fell|hurt|injured|broke|started|began|happened|went|got|"
    r"did|ran\s+out|saw|seen|told|said|came|been)\b[^.;!?]*$",
    re.IGNORECASE,
)


def told_as_past(tracker: Tracker) -> bool:
    text = latest_text(tracker)
    for found in time_entities(tracker):
        start, end = found.get("start"), found.get("end")
        if start is None or end is None:
            continue
        if _HAPPENED_BEFORE_RE.search(text[:start]) or re.match(r"\s*ago\b", text[end:]):
            return True
    return False


# "the 2nd", "2nd one please": a button picked by its position, not a date
_PICKED_BY_POSITION_RE = re.compile(
    r"(the\s+)?\d{1,2}(st|nd|rd|th)(\s+one)?(\s+please|\s+pls)?[.!]?", re.IGNORECASE
)
_ANY_RE = re.compile(
    r"\b(any(one|body| doctor| provider| of them)?|whoever|no preference|doesn'?t matter|"
    r"don'?t (mind|care)|either|first (available|free)|whatever|whichever|up to you)\b"
    # "any morning", "any day next week": about the time, not the doctor
    r"(?!\s+(?:morning|afternoon|evening|day|days|time|week|weekday|hour)s?\b)",
    re.IGNORECASE,
)

# "my usual doctor", "the same doctor as last time": whom the patient has seen most
_USUAL_DOCTOR_RE = re.compile(
    r"\b(?:my|the|our)\s+(?:usual|regular|normal|own|same|family|primary)\s+(?:doctor|dr|doc|gp|"
    r"physician|provider|nurse)\b|\bsame (?:doctor|one|person) as (?:last time|before)\b|"
    r"\bwho(?:ever)? i (?:usually|normally|always) see\b",
    re.IGNORECASE,
)

# "see the nurse", "a nurse appointment": the practice's nurse, not a nurse named ("nurse Kim")
_THE_NURSE_RE = re.compile(
    r"\b(?:a|the|my|with|see)\s+nurse\b(?!\s+(?:practitioner|said|told|says|gave)\b)"
    r"|^\s*(?:the\s+)?nurse\s*[.!]?\s*$",
    re.IGNORECASE,
)

# "with someone else", "another doctor": whoever is free, said when times were offered
OTHER_DOCTOR_RE = re.compile(
    r"\b(someone|somebody|anyone|anybody) else\b|\b(another|a different|other|any other) "
    r"(doctor|provider|physician|nurse)s?\b",
    re.IGNORECASE,
)

# "whichever doctor is free": anyone, said while asked something else
# "with anyone", "whoever is free", "any doctor is fine": in the request itself
_WITH_ANYONE_RE = re.compile(
    r"\b(with\s+(anyone|anybody|whoever|any\s+(doctor|provider|one))|"
    r"whoever('?s|\s+is)\s+(free|available|around)|"
    r"any\s+(doctor|provider|one)\s+(is\s+)?(fine|ok|okay|will\s+do))\b",
    re.IGNORECASE,
)
_ANY_DOCTOR_RE = re.compile(
    r"\b(whoever|whichever (doctor|provider|one is free)|any (doctor|provider|physician)|"
    r"anyone|anybody|any of the doctors|(doctor|provider) (doesn'?t|does not) matter)\b",
    re.IGNORECASE,
)


def own_visits(session, tracker: Tracker) -> list[slot_search.Busy]:
    """The patient's own upcoming visits (but the one being moved): a time that overlaps one
    is not offered ("You already have your check-up ... at that time")."""
    caller = current_caller()
    if not caller.is_patient:
        return []
    moving = str(tracker.get_slot("appointment_id") or "")
    mine = scheduling.upcoming_for_patient(session, caller.actor, limit=MAX_OWN_VISITS)
    return [
        slot_search.Busy(a.start_at, a.end_at, "your " + slot_search.appointment_label(a))
        for a in mine
        if str(a.id) != moving
    ]


MAX_OWN_VISITS = 20


def search_slots_events(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    type_key: str,
    provider_key: str | None,
    time_value: Any,
    confirm_slot: str,
    label_for=slot_search.slot_label,
) -> list[EventType]:
    """Search free times for the form and say what was found; the events that follow from it.

    An exact free moment fills `slot_start` (and asks to confirm); otherwise the offers go to
    `offered_slots` for the slot_start question; nothing at all clears `time` to ask again."""
    want = wanted(time_value)
    reset = [SlotSet("slot_start", None), SlotSet(confirm_slot, None)]
    if want is None:
        dispatcher.utter_message(text="Sorry, I couldn't understand that time.")
        return [*reset, SlotSet("time", None), SlotSet("offered_slots", None)]
    with store(readonly=True) as session:
        busy = own_visits(session, tracker)
        found = slot_search.search(session, type_key, provider_key, want, busy)
    if found.exact is not None:
        slot = found.exact
        return [
            SlotSet("slot_start", slot.iso_start),
            SlotSet("provider", slot.provider_key),
            SlotSet("slot_label", label_for(slot)),
            SlotSet("offered_slots", slot_search.as_offers([slot])),
            SlotSet(confirm_slot, None),
        ]
    if found.note:
        dispatcher.utter_message(text=found.note)
    if found.bad_provider:
        return [*reset, SlotSet("provider", None), SlotSet("offered_slots", None)]
    if not found.offers:
        return [*reset, SlotSet("time", None), SlotSet("offered_slots", None)]
    return [*reset, SlotSet("offered_slots", slot_search.as_offers(found.offers))]


# "8:30", "930", "10am", "the 2 o'clock one": a clock time with nothing else to it
_CLOCK_SAID_RE = re.compile(
    r"\b(?P<h>1[0-2]|0?[1-9])(?:[:.]?(?P<m>[0-5]\d))?\s*(?P<ap>[ap]\.?m\.?)?(?:\s*o'?clock)?\b",
    re.IGNORECASE,
)


def offered_at_clock(said: str, offered: list[dict]) -> dict | None:
    """The one offered appointment at the clock time said, if exactly one is (on any day)."""
    found = _CLOCK_SAID_RE.search(said or "")
    if not found or not (found["m"] or found["ap"] or re.search(r"o'?clock|\bone\b", said)):
        return None  # a bare "2" is a position, read elsewhere
    hour, minute = int(found["h"]), int(found["m"] or 0)
    hits = []
    for choice in offered:
        start = parse_iso(choice.get("start"))
        if start is None:
            continue
        local = text.local(start)
        if local.minute == minute and local.hour % 12 == hour % 12:
            if found["ap"] and (local.hour >= 12) != found["ap"].lower().startswith("p"):
                continue
            hits.append(choice)
    return hits[0] if len(hits) == 1 else None


def pick_offer(tracker: Tracker) -> dict[str, str] | None:
    """What the person picked from the offered times, by position, "the earliest" or time."""
    offers = tracker.get_slot("offered_slots") or []
    if not offers:
        return None
    text = latest_text(tracker)
    index = pick_ordinal(text, len(offers))
    said_window = any(isinstance(e.get("value"), dict) for e in time_entities(tracker))
    if index is None and (
        # "anything in the morning?" names hours, not "any of them"
        (wants_earliest(text) and not said_window)
        or (len(offers) == 1 and latest_intent(tracker) == "affirm")
    ):
        index = 0  # "the earliest", "any of them"; "yes" to the one time offered
    if index is not None:
        return offers[index]
    at_clock = offered_at_clock(text, offers)
    if at_clock is not None:  # "the 930 one pls" (no time entity in it)
        return at_clock
    for found in time_entities(tracker):
        value = found.get("value")
        moment = parse_iso(value) if isinstance(value, str) else None
        if moment is None:
            continue
        exact = slot_search.offer_matching(offers, moment, None)
        if exact is not None:
            return exact
        said_day = bool(re.search(r"\d{1,2}[/-]\d|\b(mon|tue|wed|thu|fri|sat|sun)", text, re.I))
        return slot_search.offer_at_clock(offers, moment, same_day=said_day)
    return None


def with_hours(tracker: Tracker, value: Any) -> Any:
    """A run of days said with a part of the day ("mornings next week") keeps its daily hours
    in the slot, for a search that may come turns later (once the provider is known)."""
    if not isinstance(value, dict) or "hours" in value:
        return value
    said = next((e for e in time_entities(tracker) if e.get("value") == value), None)
    hours = ((said or {}).get("additional_info") or {}).get("hours")
    return {**value, "hours": list(hours)} if hours else value


_INSTEAD_RE = re.compile(r"\binstead\b", re.IGNORECASE)


def offer_to_move_instead(dispatcher, type_key: str | None) -> None:
    """ "I have a checkup tomorrow ... can I come in today instead": a booking that would sit
    beside the visit it is meant to replace. Offer to move that one (the booking goes on if
    they answer the questions instead)."""
    with store(readonly=True) as session:
        mine = scheduling.upcoming_for_patient(session, current_caller().actor, limit=5)
        same = [a for a in mine if type_key in (None, a.appointment_type.key)]
        if not same:
            return
        visit = same[0]
        what = scheduling.describe(visit)
        move = payload("reschedule_appointment", appointment_id=str(visit.id))
    dispatcher.utter_message(
        text=f"You already have a {what[0].lower()}{what[1:]}. Shall I move that one instead "
        "of booking another? Or answer below to book a new visit as well.",
        buttons=buttons([("Move that one", move)]),
    )


def say_if_closed(dispatcher, found: Wanted) -> bool:
    """A single day asked for when the practice is closed ("on sunday", a holiday): said, and
    True (the time is asked again)."""
    tz = clock.clinic_tz()
    day = found.start.astimezone(tz).date()
    if (found.end - timedelta(microseconds=1)).astimezone(tz).date() != day:
        return False
    with store(readonly=True) as session:
        hours = practice.hours_on(session, day)
    if hours.is_open:
        return False
    dispatcher.utter_message(text=day_answer(hours))
    return True


def on_the_day_discussed(tracker: Tracker, value: Any) -> Any:
    """A clock time said without a day ("9:30", "in the afternoon") while times on a day are on
    offer, or after one day was asked for ("Thursday morning" ... "9 o'clock"), means that day,
    not today (the NLU resolves it to the next such time from now)."""
    if not said_without_day(tracker, value):
        return value
    days = days_of(slot_before_message(tracker, "time"))
    hours = hours_of_part(value)
    if days and days[0] != days[1] and hours:
        # "anything in the morning?" while next week's times are shown: next week's mornings
        return {"from": days[0].isoformat(), "to": days[1].isoformat(), "hours": hours}
    offers = tracker.get_slot("offered_slots") or []
    if offers:
        start = parse_iso(offers[0].get("start"))
        return on_day(value, text.local(start).date()) if start else value
    days = days_of(slot_before_message(tracker, "time"))
    return on_day(value, days[0]) if days and days[0] == days[1] else value


# "None of these", "no", "something later": the offered times don't suit.
_NONE_OF_THEM_RE = re.compile(
    r"\b(none|neither|no good|(don'?t|doesn'?t|won'?t) (work|suit)|later|earlier|another (day|time)"
    r"|other (days|times)|different (day|time))\b",
    re.IGNORECASE,
)


def none_of_the_offers(
    dispatcher: CollectingDispatcher, tracker: Tracker, waitlist: bool
) -> dict[str, Any]:
    """The offered times don't suit and no other time was said: ask for one (forgetting the
    time asked before) rather than "Sorry, I didn't catch that"; a booking also offers the
    waitlist. Nothing when the message is not a refusal."""
    if time_entities(tracker) or not (
        latest_intent(tracker) == "deny" or _NONE_OF_THEM_RE.search(latest_text(tracker))
    ):
        return {}
    type_key = tracker.get_slot("appointment_type")
    if waitlist and type_key:
        dispatcher.utter_message(
            text="No problem. Tell me another day or time that suits you, or I can put you on "
            "the waitlist and message you if an earlier time opens up.",
            buttons=buttons(
                [("Join the waitlist", payload("join_waitlist", appointment_type=type_key))]
            ),
        )
    else:
        dispatcher.utter_message(text="No problem. Tell me another day or time that suits you.")
    return {"time": None}


def validate_picked_start(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    value: Any,
    type_key: str | None,
    provider_key: str | None,
    label_for=slot_search.slot_label,
) -> dict[str, Any]:
    """A picked start (button or words): still free? Then it and its provider, else offers."""
    start = parse_iso(value)
    if start is None or not type_key:
        return {"slot_start": None}
    offer = slot_search.offer_matching(tracker.get_slot("offered_slots"), start, None)
    if provider_key in (None, ANY) and offer is not None:
        provider_key = offer.get("provider")
    with store(readonly=True) as session:
        found = slot_search.check_start(
            session,
            type_key,
            None if provider_key == ANY else provider_key,
            start,
            own_visits(session, tracker),
        )
    if found.exact is not None:
        return {
            "slot_start": found.exact.iso_start,
            "slot_label": label_for(found.exact),
            "provider": found.exact.provider_key,
        }
    dispatcher.utter_message(text=found.note or "Sorry, that time isn't free any more.")
    if found.offers:
        return {"slot_start": None, "offered_slots": slot_search.as_offers(found.offers)}
    return {"slot_start": None, "offered_slots": None, "time": None}


def extract_picked_slot(
    form: GuardedForm, dispatcher: CollectingDispatcher, tracker: Tracker, waitlist: bool
) -> dict[str, Any]:
    """The answer to "which time suits you?": a pick among the offers, another window
    relative to them ("anything later?"), or none of them (ask for another time)."""
    if tracker.get_slot("requested_slot") != "slot_start" or entity(tracker, "slot_start"):
        return {}
    # "more options please" can read as a request for help: as an answer here, it is not
    if form.answers(tracker) or latest_intent(tracker) == "help":
        shifted = shifted_time(tracker)  # "anything later?", "the week after"
        if shifted is not None:
            return {"time": shifted}
    if not form.answers(tracker) or OTHER_DOCTOR_RE.search(latest_text(tracker)):
        return {}  # "anything with someone else?": not a pick (extract_provider reads it)
    offer = pick_offer(tracker)
    if offer is None:
        return between_the_offers(dispatcher, tracker) or none_of_the_offers(
            dispatcher, tracker, waitlist=waitlist
        )
    return {"slot_start": offer["start"], "provider": offer["provider"]}


def between_the_offers(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """ "The 3pm one" when 2:15 and 3:45 on Friday (after 2) were offered: 3:00 is not free,
    so the times of the wish already said are offered again ("after 2" still holds), instead
    of the nearest times to 3:00 on any side of it."""
    offers = tracker.get_slot("offered_slots") or []
    asked = slot_before_message(tracker, "time")  # the slot now holds what was just said
    moments = [parse_iso(e.get("value")) for e in time_entities(tracker)]
    moment = next((m for m in moments if m is not None), None)
    starts = [parse_iso(o.get("start")) for o in offers]
    starts = [s for s in starts if s is not None]
    if moment is None or not asked or len(starts) < 2:
        return {}
    said = on_day(moment.isoformat(), text.local(starts[0]).date())
    at = parse_iso(said) or moment
    if not (min(starts) < at < max(starts)) or any(s == at for s in starts):
        return {}
    dispatcher.utter_message(text=f"{text.clock_time(at)} isn't free that day.")
    return {"time": asked}  # the same wish again: the same offers, asked again


# "for me and my husband", "one for me and one for my son", "both of us": the sender's own too
_ME_TOO_RE = re.compile(
    r"\b(for me and|me and my|both of us|for us both|for the two of us)\b", re.IGNORECASE
)
# A question about a doctor, not a choice of one ("is dr lee a man or a woman?")
_ABOUT_THE_DOCTOR_RE = re.compile(
    r"^\W*(is|are|does|do|what|what'?s|how|who|which)\b.*\b(man|woman|male|female|good|nice|"
    r"old|young|speak|languages?|experience|difference|better|best|like|rated|reviews?)\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE_RE = re.compile(
    r"\b(not|no|instead of|rather than|never mind the|not the)\s+(a|an|the|my)?\s*$", re.I
)


def meant_not_negated(tracker: Tracker, name: str) -> str | None:
    """Of two values of an entity in one message, the one not negated ("a follow-up not a
    checkup", "not the checkup, the follow-up"); None unless exactly one is left."""
    said = latest_text(tracker)
    found = [
        e for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == name and isinstance(e.get("start"), int)
    ]  # fmt: skip
    if len({e.get("value") for e in found}) < 2:
        return None
    kept = {e.get("value") for e in found if not _NEGATED_BEFORE_RE.search(said[: e["start"]])}
    return kept.pop() if len(kept) == 1 else None


def other_offer_picked(form: GuardedForm, tracker: Tracker, confirm_slot: str) -> dict:
    """ "No, the 2:45 one" when asked to confirm one of the times offered: that other offer,
    with its own doctor (the one just refused came with another), asked to confirm again."""
    if tracker.get_slot("requested_slot") != confirm_slot or not form.answers(tracker):
        return {}
    offer = pick_offer(tracker)
    chosen = (tracker.get_slot("slot_start"), tracker.get_slot("provider"))
    if offer is None or (offer["start"], offer["provider"]) == chosen:
        return {}
    return {"slot_start": offer["start"], "provider": offer["provider"], confirm_slot: None}


def asked_which_one(dispatcher, tracker: Tracker, requested: str) -> bool:
    """ "Yes" to several offered times: ask which one (rather than "didn't catch that")."""
    offers = tracker.get_slot("offered_slots") or []
    if requested == "slot_start" and len(offers) > 1 and latest_intent(tracker) == "affirm":
        dispatcher.utter_message(text='Which one? Tap a time, or say "the first one".')
        return True
    return False


def shift_at_confirmation(form: GuardedForm, tracker: Tracker, confirm_slot: str) -> dict:
    """ "What about the week after?" when asked to confirm a time: search again (the search
    forgets the picked time) instead of reading it as yes or no."""
    if tracker.get_slot("requested_slot") != confirm_slot or not form.answers(tracker):
        return {}
    shifted = shifted_time(tracker)
    return {} if shifted is None else {"time": shifted, confirm_slot: None}


def offer_buttons(offers: list[dict[str, str]], intent: str = "inform") -> list[dict[str, str]]:
    return buttons(
        (o["label"], payload(intent, slot_start=o["start"], provider=o["provider"])) for o in offers
    )


STAFF_FREE_TIMES = 3  # per visit type
STAFF_FREE_DAYS = 30


def say_free_times_to_staff(dispatcher, session, tracker, provider, type_key) -> list[EventType]:
    """The next free times for a doctor (each visit type they offer) or a visit type, from
    when the message says or now: what the front desk needs with a patient on the phone. Staff
    book in the practice's system; nothing is booked here."""
    provider = provider if provider and provider != ANY else None
    window = wanted(next(iter(time_entities(tracker)), {}).get("value"))
    start = max(window.start, clock.now()) if window else clock.now()
    end = window.end if window and window.end > start else start + timedelta(days=STAFF_FREE_DAYS)
    try:
        kinds = [practice.get_type(session, type_key)] if type_key else []
        if not kinds:  # the doctor's: each visit type they offer
            kinds = [
                kind
                for kind in practice.appointment_types(session)
                if provider in {p.key for p in practice.providers(session, kind.key)}
            ]
        who = practice.get_provider(session, provider).display_name if provider else None
        lines = []
        for kind in kinds:
            free = slots.find_free_slots(session, kind.key, provider, start, end, STAFF_FREE_TIMES)
            times = "; ".join(
                text.when(f.start) + ("" if provider else f" ({f.provider_name})") for f in free
            )
            lines.append(f"• {kind.name} ({kind.duration_minutes} min): {times or 'none free'}")
    except DomainError as error:
        say_error(dispatcher, error)
        return []
    head = f"Next free times{f' with {who}' if who else ''}:"
    dispatcher.utter_message(text="\n".join([head, *lines]))
    log.info("booking.free_times_for_staff types=%d", len(lines))
    return []


class ValidateBookingForm(GuardedForm):
    offers_the_other = True

    def name(self) -> str:
        return "validate_booking_form"

    async def note_the_other_request(self, dispatcher, tracker: Tracker, domain) -> list[EventType]:
        """ "I need a blood test and a checkup": one visit at a time; the other is offered as a
        button when this one is booked (`offer_the_other`)."""
        first = tracker.get_slot("appointment_type")
        named = [e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                 if e.get("entity") == "appointment_type"]  # fmt: skip
        other = next((key for key in named if key and key != first), None)
        if not first or other is None:
            return await super().note_the_other_request(dispatcher, tracker, domain)
        try:
            with store(readonly=True) as session:
                names = [practice.get_type(session, k).name.lower() for k in (first, other)]
        except DomainError:
            return []
        dispatcher.utter_message(
            text=f"One at a time: first the {names[0]}, then I'll come back to the {names[1]}."
        )
        return [SlotSet("also_wanted", f"{ANOTHER_VISIT}{other}")]

    def gate(self, session, caller: Caller, dispatcher, tracker, activating):
        if activating and REMINDER_ASKED_RE.search(latest_text(tracker)):
            # "can you remind me about my blood test the day before?": it is done already
            dispatcher.utter_message(text=reminders_answer())
            return []
        answer = waitlist_answer(tracker) if activating else None
        if answer is not None:  # "a checkup" typed for the waitlist: no booking was asked for
            return join_waitlist(dispatcher, tracker, *answer, session=session)
        earlier = earlier_pick(tracker, session, caller) if activating else None
        if earlier is not None:  # "the blood test", for "which visit ... earlier?"
            return wait_for_earlier(dispatcher, tracker, session, caller, earlier)
        if (
            activating
            and caller.is_patient
            and _NO_LONGER_NEEDED_RE.search(latest_text(tracker))
            and scheduling.upcoming_for_patient(session, caller.actor, limit=1)
        ):
            log.info("booking.not_wanted to=cancel_form")
            return [FollowupAction("cancel_form")]
        if caller.is_staff and not caller.is_patient and activating:
            if say_staff_cannot_change(session, caller, dispatcher, tracker, "book"):
                return []  # "book Maria Lopez a checkup", "when is Aisha Khan coming in?"
            named = entity(tracker, "provider"), entity(tracker, "appointment_type")
            if any(v and v != ANY for v in named):
                # the front desk on the phone: "when is Dr Garcia's next free slot?"
                return say_free_times_to_staff(dispatcher, session, tracker, *named)
        if not caller.is_patient:
            say_not_linked(dispatcher, tracker, "book an appointment", caller)
            return []
        if activating and _MY_VISIT_ASKED_RE.match(latest_text(tracker)):
            # "is my physical on the 4th or the 5th?": about the one booked, not a new one
            kind = entity(tracker, "appointment_type")
            mine = scheduling.upcoming_for_patient(session, caller.actor, limit=20)
            booked = [a for a in mine if not kind or a.appointment_type.key == kind] or mine
            head = "Here is what you have booked:"
            if kind and booked is mine:
                named = practice.get_type(session, str(kind)).name.lower()
                head = f"You have no {named} booked. Here is what you have booked:"
            if not booked:
                say_no_upcoming(dispatcher)
                return []
            lines = [f"• {scheduling.describe(a)} ({a.status.value})" for a in booked[:5]]
            dispatcher.utter_message(
                text="\n".join([head, *lines]), buttons=scheduling.appointment_buttons(booked[0])
            )
            return []
        someone = someone_else(latest_text(tracker)) if activating else None
        if someone:
            # A booking here goes on this chat's own record: never on a relative's behalf.
            phone = text.phone(practice.clinic_info(session).phone)
            if _ME_TOO_RE.search(latest_text(tracker)):
                # "a checkup for me and one for my husband": theirs goes on, the other is said
                dispatcher.utter_message(
                    text=f"I'll book yours here, {caller.patient.first_name}. For your "
                    f"{someone}'s, please call the front desk on {phone}"
                    + ("." if is_a_child(someone) else ", or they can book in their own chat.")
                )
                return None
            dispatcher.utter_message(
                text=f"I can only book appointments for you, {caller.patient.first_name}, in "
                f"this chat: a booking goes on your own record. To book for your {someone}, "
                f"please call the front desk on {phone}"
                + (
                    "."
                    if is_a_child(someone)
                    else ", or they can link their own record in their own chat."
                )
            )
            return []
        return None

    # --- extraction of answers that are not entities ---------------------------------------

    def extract_provider(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot")
        if not self.answers(tracker) or entity(tracker, "provider"):
            return {}
        text = latest_text(tracker)
        if _USUAL_DOCTOR_RE.search(text) and asked in (None, "appointment_type", "provider"):
            return self.usual_doctor(dispatcher, tracker, asked)  # "with my usual doctor"
        if asked == "appointment_type" and _ANY_DOCTOR_RE.search(text):
            return {"provider": ANY}  # "whichever doctor is free", said before the visit type
        if asked is None and _WITH_ANYONE_RE.search(text):
            return {"provider": ANY}  # "a follow up with anyone friday week", said at once
        named = doctor_named(text) if asked in (None, "provider") else None
        if named is not None:  # "doctor Pattel": the one it is closest to, said so
            with store(readonly=True) as session:
                key = practice.provider_like(session, named.group("name"))
                who = practice.get_provider(session, key).display_name if key else None
            if key:
                if named.group("name").lower() != key:  # spelt right: nothing to say
                    dispatcher.utter_message(text=f"I took “{named.group(0)}” to mean {who}.")
                return {"provider": key}
        if (
            named is None
            and asked in (None, "appointment_type", "provider")
            and _THE_NURSE_RE.search(text)
        ):
            with store(readonly=True) as session:
                nurse = practice.the_nurse(session)  # "can I see the nurse?"
            if nurse:
                return {"provider": nurse}
        if (
            asked in ("time", "slot_start", "booking_confirmed")
            and tracker.get_slot("provider") not in (None, ANY)
            and OTHER_DOCTOR_RE.search(text)
        ):
            # "anything sooner with someone else?", "can I see someone else instead?" when asked
            # when: not only this one
            return {"provider": ANY}
        if asked != "provider":
            return {}
        # "the earliest available" when asked who: whoever is free first
        if _ANY_RE.search(text) or wants_earliest(text):
            return {"provider": ANY}
        picked = picked_button(tracker, "provider")  # "the second one"
        return {"provider": picked} if picked else {}

    @staticmethod
    def usual_doctor(dispatcher, tracker: Tracker, asked: str | None) -> dict[str, Any]:
        """The one the patient has seen most (for this kind of visit, if known); if they have
        not been seen yet, said so when asked who."""
        type_key = tracker.get_slot("appointment_type") or entity(tracker, "appointment_type")
        try:
            with store(readonly=True) as session:
                usual = scheduling.usual_provider(session, current_caller().actor, type_key)
                key, name = (usual.key, usual.display_name) if usual else (None, "")
        except DomainError:
            key = None
        if key:
            dispatcher.utter_message(text=f"Noted: with {name}, whom you've seen most.")
            return {"provider": key}
        if asked == "provider":
            dispatcher.utter_message(
                text="I don't see an earlier visit of yours with us, so I can't tell who your "
                "usual doctor is. Pick one below, or whoever is free first."
            )
        return {}

    def extract_appointment_type(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot")
        starting = is_activating(tracker, self.form_name())
        meant = meant_not_negated(tracker, "appointment_type") if self.answers(tracker) else None
        if meant:  # "sorry, I meant a follow-up not a checkup": the follow-up
            return {"appointment_type": meant}
        if (
            not self.answers(tracker)
            or (asked != "appointment_type" and not starting)
            or entity(tracker, "appointment_type")
            or tracker.get_slot("appointment_type")
        ):
            return {}
        picked = picked_button(tracker, "appointment_type") if not starting else None
        if picked:  # "the first one", "3"
            return {"appointment_type": picked}
        with store(readonly=True) as session:
            misspelt = practice.type_like(session, latest_text(tracker))  # "a chekup"
        return {"appointment_type": misspelt} if misspelt else {}

    def extract_time(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        said = time_entities(tracker)
        if (
            latest_intent(tracker) == "reschedule_appointment"
            and tracker.get_slot("requested_slot") in ("time", "slot_start", "booking_confirmed")
            and said
        ):
            # "actually, can we make it Thursday instead?" before this booking is made: its
            # time, not a move of an appointment already booked
            return {"time": said[-1].get("value")}
        text = latest_text(tracker)
        refused = refused_weekdays(text)
        if refused and not said and self.answers(tracker):
            # "any day but monday", "not mondays": the earliest (or the days already asked
            # for) without them
            base = tracker.get_slot("time") or EARLIEST
            return {"time": without_weekdays(base, refused)}
        if not self.answers(tracker) or said or tracker.get_slot("time"):
            return {}
        asked = tracker.get_slot("requested_slot")
        # asked for a time: "the earliest", "whenever"; or said at once: "Dr Patel asap"; or
        # "the earliest available" asked who: whoever is free first, as soon as they are
        if (asked in ("time", "provider") and wants_earliest(text)) or (
            asked is None and _SOON_RE.search(text)
        ):
            return {"time": "earliest"}
        return {}

    def extract_slot_start(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return extract_picked_slot(self, dispatcher, tracker, waitlist=True)

    def extract_booking_confirmed(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return shift_at_confirmation(self, tracker, "booking_confirmed") or other_offer_picked(
            self, tracker, "booking_confirmed"
        )

    def not_caught(self, dispatcher, tracker: Tracker, requested: str) -> None:
        if requested == "appointment_type" and _UNSURE_RE.search(latest_text(tracker)):
            # "any", "not sure": nobody should be stuck on a question they can't answer
            with store(readonly=True) as session:
                help_text = practice.clinic_info(session).visit_type_help
            dispatcher.utter_message(
                text=f"No problem. {help_text or 'Pick the one that sounds closest.'} If none "
                "of them fits, the front desk can help you choose.",
                buttons=buttons([("Talk to a person", "/request_human")]),
            )
            return
        if requested == "appointment_type" and sounds_like_a_reason(latest_text(tracker)):
            # "my knee's been bad": what it is about (in words `reason_in` could not keep), not
            # a kind of visit; the question that follows says which kind fits what
            dispatcher.utter_message(text=THANKS_FOR_THE_REASON)
            return
        if not asked_which_one(dispatcher, tracker, requested):
            super().not_caught(dispatcher, tracker, requested)

    # --- validation ---------------------------------------------------------------------

    def validate_appointment_type(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            with store(readonly=True) as session:
                kind = practice.get_type(session, str(value))
                provider = tracker.get_slot("provider")
                if provider and provider != ANY:
                    offered = [p.key for p in practice.providers(session, kind.key)]
                    if provider not in offered:
                        names = [p.display_name for p in practice.providers(session, kind.key)]
                        error = ProviderDoesNotOffer(
                            practice.get_provider(session, provider).display_name,
                            kind.name,
                            names,
                        )
                        dispatcher.utter_message(text=str(error))
                        return {"appointment_type": kind.key, "provider": None}
        except DomainError as error:
            say_error(dispatcher, error)
            return {"appointment_type": None}
        return {"appointment_type": kind.key}

    def validate_provider(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if str(value).lower() == ANY:
            return {"provider": ANY}
        said = latest_text(tracker)
        if tracker.get_slot("requested_slot") == "provider" and _ABOUT_THE_DOCTOR_RE.search(said):
            # "is dr lee a man or a woman?", "is dr lee any good?" asked who: a question, not
            # the choice; what the practice file says of its doctors, and the question again
            dispatcher.utter_message(
                text="I can only tell you our doctors' names and fields here; the front desk "
                "can tell you more about each of them."
            )
            return {"provider": None}
        if tracker.get_slot("provider") is None:
            # the visit type named with it was checked first and already refused this provider
            # (and said why): "a vaccination with Dr Lee" must not be refused twice
            return {"provider": None}
        type_key = tracker.get_slot("appointment_type")
        try:
            with store(readonly=True) as session:
                provider = practice.get_provider(session, str(value))
                if type_key:
                    kind = practice.get_type(session, type_key)
                    offering = practice.providers(session, type_key)
                    if provider not in offering:
                        raise ProviderDoesNotOffer(
                            provider.display_name, kind.name, [p.display_name for p in offering]
                        )
        except DomainError as error:
            say_error(dispatcher, error)
            return {"provider": None}
        return {"provider": provider.key}

    def validate_time(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:  # forgotten on purpose (none of the offered times suited)
            return {"time": None}
        said = latest_text(tracker).strip()
        if (
            tracker.get_slot("requested_slot") in ("appointment_type", "provider")
            and _PICKED_BY_POSITION_RE.fullmatch(said)
            and int(re.search(r"\d+", said).group()) <= len(last_question_buttons(tracker))
        ):
            # "the 2nd" when asked which kind of visit: the second button, not March 2 ("the
            # 15th" with four buttons is the 15th)
            return {"time": slot_before_message(tracker, "time")}
        value = with_hours(tracker, on_the_day_discussed(tracker, value))
        value = without_weekdays(value, refused_weekdays(said))  # "next week, not monday"
        found = wanted(value)
        if found is None:
            dispatcher.utter_message(text="Sorry, I couldn't understand that time.")
            return {"time": None}
        if found.end <= clock.now():  # "last monday": said at once, not after the other answers
            if self.starting(tracker) and told_as_past(tracker):
                # "I had a fall last weekend, can I see the doctor?": when it happened, not when
                # they want to come ("a follow-up for last monday" is still said to be past)
                return {"time": None}
            say_error(dispatcher, PastTime())
            return {"time": None}
        # "a checkup on sunday": said at once, not after who and what (with both known, the
        # search says it and offers the next free times)
        known = tracker.get_slot("appointment_type") and tracker.get_slot("provider")
        if not known and say_if_closed(dispatcher, found):
            return {"time": None}
        return {"time": value}

    def validate_slot_start(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return validate_picked_start(
            dispatcher,
            tracker,
            value,
            tracker.get_slot("appointment_type"),
            tracker.get_slot("provider"),
        )

    def validate_booking_confirmed(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is not True:
            return {"booking_confirmed": False if value is False else None}
        start = parse_iso(tracker.get_slot("slot_start"))
        type_key = tracker.get_slot("appointment_type")
        provider = tracker.get_slot("provider")
        if start is None or not type_key:
            return {"booking_confirmed": None}
        actor = current_caller().actor
        try:
            with store() as session:
                appointment = scheduling.book(
                    session,
                    actor,
                    type_key=type_key,
                    start=start,
                    provider_key=None if provider in (None, ANY) else provider,
                    reason=tracker.get_slot("visit_reason"),
                )
                booked_id = appointment.id
        except SlotTaken as error:
            say_error(dispatcher, error)
            offers = slot_search.as_offers(error.alternatives)
            return {
                "booking_confirmed": None,
                "slot_start": None,
                "offered_slots": offers or None,
                **({} if offers else {"time": None}),
            }
        except TooManyAppointments as error:  # another time would not help: end the form
            say_error(dispatcher, error)
            return {"booking_confirmed": False}
        except DomainError as error:
            say_error(dispatcher, error)
            log.info("booking.refused reason=%s", type(error).__name__)
            return {"booking_confirmed": None, "slot_start": None, "time": None}
        log.info("booking.booked appointment=%s", booked_id)
        return {"booking_confirmed": True, "last_appointment_id": str(booked_id)}

    # --- free times once type, provider and time are known ---------------------------------

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        return [
            *self.reason_said(dispatcher, tracker, activating),
            *self.search_after(dispatcher, tracker, changed, activating),
        ]

    @staticmethod
    def reason_said(dispatcher, tracker: Tracker, activating: bool) -> list[EventType]:
        """What the visit is about, when the request or the answer to "what kind of visit?"
        says it ("a checkup for my knee", "it's for my blood pressure"): kept for the
        appointment. Said where the kind was asked, it is thanked for (the question follows)."""
        asked = tracker.get_slot("requested_slot")
        if not (activating or asked == "appointment_type") or tracker.get_slot("visit_reason"):
            return []
        reason = reason_in(latest_text(tracker))
        if reason is None:
            return []
        if not activating and not tracker.get_slot("appointment_type"):
            dispatcher.utter_message(text=THANKS_FOR_THE_REASON)
        return [SlotSet("visit_reason", reason)]

    def search_after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        type_key = tracker.get_slot("appointment_type")
        provider = tracker.get_slot("provider")
        asked = tracker.get_slot("requested_slot")
        chosen: list[EventType] = []
        if type_key and not provider and "appointment_type" in changed:
            with store(readonly=True) as session:
                offering = practice.providers(session, type_key)
            if len(offering) == 1:  # a blood test: only the nurse takes them, no need to ask
                provider = offering[0].key
                chosen = [SlotSet("provider", provider)]
                changed = changed | {"provider"}
                tracker.add_slots(chosen)
        if not activating and asked in _ASKED_FIRST and not tracker.get_slot(asked):
            say_noted(dispatcher, tracker, changed - {asked})  # the question comes again
        if (activating or asked == "provider") and not provider and not entity(tracker, "provider"):
            say_unknown_doctor(dispatcher, latest_text(tracker))  # "Dr Smith": not silently lost
        if activating and not tracker.get_slot("time"):
            say_if_date_unread(dispatcher, tracker)  # "a checkup on feb 30"
        if activating and _INSTEAD_RE.search(latest_text(tracker)):
            offer_to_move_instead(dispatcher, type_key)  # "can I come in today instead"
        time_value = tracker.get_slot("time")
        if not (type_key and provider and time_value):
            return chosen
        if "slot_start" in changed:  # a time was picked (and checked) or refused just now
            return chosen
        if not (changed & {"appointment_type", "provider", "time"}):
            return chosen
        return chosen + search_slots_events(
            dispatcher,
            tracker,
            type_key,
            None if provider == ANY else provider,
            time_value,
            "booking_confirmed",
        )


_ASKED_FIRST = ("appointment_type", "provider", "time")


def say_noted(dispatcher, tracker: Tracker, changed: set[str]) -> None:
    """An answer to another question than the one asked ("tomorrow" when asked who): say it
    was taken, so the question that comes again doesn't sound like it wasn't heard."""
    parts = []
    kind = tracker.get_slot("appointment_type") if "appointment_type" in changed else None
    provider = tracker.get_slot("provider") if "provider" in changed else None
    if kind or (provider and provider != ANY):
        with store(readonly=True) as session:
            if kind:
                parts.append(practice.get_type(session, kind).name.lower())
            if provider and provider != ANY:
                parts.append(f"with {practice.get_provider(session, provider).display_name}")
    if provider == ANY:
        parts.append("with whoever is free")
    time_value = tracker.get_slot("time") if "time" in changed else None
    if time_value == EARLIEST:
        parts.append("the earliest free time")
    elif time_value and (found := wanted(time_value)) is not None:
        parts.append(found.describe())
    if parts:
        dispatcher.utter_message(text=f"Noted: {' '.join(parts)}.")


TYPE_QUESTION = "What kind of visit do you need?"


class ActionAskAppointmentType(StoreAction):
    def name(self) -> str:
        return "action_ask_appointment_type"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        provider = tracker.get_slot("provider")
        question = TYPE_QUESTION
        with store(readonly=True) as session:
            offered = practice.appointment_types(session, None if provider == ANY else provider)
            kinds = [(k.name, k.key) for k in offered]
            help_text = practice.clinic_info(session).visit_type_help
        if help_text and asked_in_this_form(tracker, TYPE_QUESTION):
            # asked before and still not answered ("my knee has been bad", "Dr Patel", "at 9")
            question = f"{TYPE_QUESTION} {help_text}"
        dispatcher.utter_message(
            text=question,
            buttons=buttons((name, payload("inform", appointment_type=key)) for name, key in kinds),
        )
        return []


class ActionAskProvider(StoreAction):
    def name(self) -> str:
        return "action_ask_provider"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        type_key = tracker.get_slot("appointment_type")
        with store(readonly=True) as session:
            try:
                people = practice.providers(session, type_key)
            except DomainError:
                people = practice.providers(session)
            choices = [(f"{p.display_name} ({p.specialty})", p.key) for p in people]
        dispatcher.utter_message(
            text="Who would you like to see?",
            buttons=[
                {"title": "Whoever is free first", "payload": payload("inform", provider=ANY)},
                *buttons((title, payload("inform", provider=key)) for title, key in choices),
            ],
        )
        return []


class ActionAskSlotStart(StoreAction):
    def name(self) -> str:
        return "action_ask_slot_start"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        offers = tracker.get_slot("offered_slots") or []
        if not offers:
            dispatcher.utter_message(text="When would you like to come in?")
            return []
        dispatcher.utter_message(
            text="Which time suits you? Tap one, or tell me another day or time.",
            buttons=offer_buttons(offers),
        )
        return []


def reminder_promise(appointment) -> str:
    """ ", and I'll remind you the day before" only for reminders still ahead (a visit later
    today gets the 2-hour one, or none)."""
    ahead = [
        before for _, before in scheduling.REMINDERS if appointment.start_at - before > clock.now()
    ]
    if not ahead:
        return ""
    return f", and I'll remind you {reminder_when(max(ahead))}"


class ActionSubmitBooking(StoreAction):
    def name(self) -> str:
        return "action_submit_booking"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        booked = tracker.get_slot("last_appointment_id")
        if tracker.get_slot("booking_confirmed") is True and booked:
            with store() as session:
                actor = caller_of(session, tracker).actor
                try:
                    appointment = scheduling.get_appointment(session, actor, booked)
                except DomainError as error:
                    say_error(dispatcher, error)
                    return reset_flow(tracker)
                remind = reminder_promise(appointment)
                dispatcher.utter_message(
                    text=f"Done! You're booked: {scheduling.describe(appointment)}. "
                    f"I've sent you a confirmation with a calendar file{remind}.",
                    buttons=scheduling.appointment_buttons(appointment),
                )
        elif tracker.get_slot("booking_confirmed") is False:
            # the button keeps the visit and the doctor, so another time said next books them
            offered = tracker.get_slot("offered_slots") or []
            whoever = len({o.get("provider") for o in offered if isinstance(o, dict)}) > 1
            kept = {
                "appointment_type": tracker.get_slot("appointment_type"),
                # the times offered were anyone's ("whoever is free"): so are the next ones
                "provider": ANY if whoever else tracker.get_slot("provider"),
            }
            dispatcher.utter_message(
                text="OK, I haven't booked anything. Tell me if you'd like another time.",
                buttons=buttons(
                    [
                        (
                            "Another time",
                            payload("book_appointment", **{k: v for k, v in kept.items() if v}),
                        )
                    ]
                ),
            )
        offer_the_other(dispatcher, tracker)  # "...and also a refill"
        return reset_flow(tracker)
