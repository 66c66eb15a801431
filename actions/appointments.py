"""My appointments: list them, confirm I'll come, reschedule one, cancel one.

Which appointment: a button payload (`{"appointment_id":"12"}` from a reminder or a list) or
a choice among *my* upcoming appointments ("the second one", "the one on Tuesday"). Payloads
are untrusted: every id goes through clinic.scheduling with the sender's own actor, which
refuses anyone else's appointment. Nothing changes before the person says yes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slot_search
from actions.also_asked import answers, offer_the_other
from actions.booking import (
    ANY,
    OTHER_DOCTOR_RE,
    asked_which_one,
    extract_picked_slot,
    offered_at_clock,
    on_the_day_discussed,
    other_offer_picked,
    search_slots_events,
    shift_at_confirmation,
    validate_picked_start,
    with_hours,
)
from actions.common import (
    BOOK_BUTTON,
    CANCEL_WORD_RE,
    FORM_START_INTENTS,
    StoreAction,
    answered_before,
    buttons,
    caller_of,
    entity,
    entity_values,
    intent_of,
    last_question_buttons,
    latest_intent,
    latest_text,
    log,
    parse_iso,
    payload,
    payload_entities,
    payload_intent,
    pick_ordinal,
    recent_events,
    refuse_for_someone_else,
    reset_flow,
    said_without_day,
    say_error,
    say_if_date_unread,
    say_no_upcoming,
    say_not_linked,
    store,
    time_entities,
    wants_earliest,
)
from actions.forms import GuardedForm, current_caller
from actions.offer_shift import exact_move_said, length_said, moved_by_words, moved_from
from actions.patient_lookup import say_staff_cannot_change, visits_answer
from actions.staff import (
    AVAILABILITY_RE,
    ActionStaffSchedule,
    cancel_room_booking_step,
    look_for_a_time,
    say_my_meetings,
)
from actions.when import WEEKDAY, bare_clock, day_phrase, days_of, on_day
from clinic import clock, inbox, outbox, practice, scheduling, text
from clinic.errors import DomainError, ProviderDoesNotOffer, SlotTaken
from clinic.models import Appointment, AppointmentStatus, Desk
from clinic.slots import Slot

UPCOMING_LIMIT = 8
# "I'll be late tomorrow": a visit this close is told to the front desk at once
LATE_NOTICE_AHEAD = timedelta(hours=48)
# "I can't make it" must never confirm a visit. The classifier has read such messages as
# confirm_attendance ("I'll make it" and "I can't make it" differ by one word), so a typed
# confirmation that says the patient cannot come is asked about instead of acted on.
CANNOT_COME = re.compile(
    r"\b(can'?t|cannot|can not|won'?t|will not|not|unable|couldn'?t|no longer)\b"
    r"[\w\s,']{0,25}?\b(make it|come|coming|be there|attend\w*|able|go|going)\b",
    re.IGNORECASE,
)


def says_cannot_come(text: str) -> bool:
    return not text.startswith("/") and bool(CANNOT_COME.search(text.replace("\u2019", "'")))


def lower_describe(appointment: Appointment) -> str:
    """'check-up with Dr. Anika Patel on Tue, Mar 2 at 9:00 AM'."""
    return slot_search.visit_label(
        appointment.appointment_type.name, appointment.provider.display_name, appointment.start_at
    ).split(" ", 1)[1]


def as_choices(appointments: list[Appointment]) -> list[dict[str, str]]:
    return [
        {
            "id": str(a.id),
            "label": f"{a.appointment_type.name}, {text.when(a.start_at)}",
            "start": text.iso_local(a.start_at),
            "type": a.appointment_type.key,
            "provider": a.provider.key,
        }
        for a in appointments
    ]


def named_in(tracker: Tracker, choices: list[dict[str, str]], keys: tuple[str, ...]) -> list:
    """The choices that fit the visit type and/or provider the message names ("the blood
    test", "the one with Dr Lee"); all of them when it names none, or none that fit."""
    return fitting_named(tracker, choices, keys) or choices


def fitting_named(tracker: Tracker, choices: list[dict[str, str]], keys: tuple[str, ...]) -> list:
    """The choices that fit the visit type and/or provider the message names: all of them when
    it names none, and none when none fits."""
    fitting = choices
    for key, entity_name in (("type", "appointment_type"), ("provider", "provider")):
        named = {str(v) for v in entity_values(tracker, entity_name)} if key in keys else set()
        named.discard(ANY)
        if named:
            fitting = [c for c in fitting if c.get(key) in named]
    return fitting


def what_is_named(session, tracker: Tracker, keys: tuple[str, ...]) -> str | None:
    """ "check-up", "check-up with Dr. Anika Patel", "appointment with Dr. Daniel Lee": the
    visit the message names, in words; None when it names none (or names something unknown)."""
    type_key = entity(tracker, "appointment_type") if "type" in keys else None
    provider_key = entity(tracker, "provider") if "provider" in keys else None
    try:
        what = practice.get_type(session, str(type_key)).name.lower() if type_key else ""
        who = (
            practice.get_provider(session, str(provider_key)).display_name
            if provider_key and provider_key != ANY
            else ""
        )
    except DomainError:
        return None
    if not (what or who):
        return None
    return f"{what or 'appointment'}{' with ' + who if who else ''}"


# A question that is not a confirmation, whatever the classifier thought ("who can see me
# tomorrow?", "what time can I come?"); "will you see me friday?" and "is 10 ok?" confirm nothing
# either, but are rare; the reminder's own button carries the id and never gets here
_ASKS_WHO_OR_WHAT_RE = re.compile(
    r"^\W*(?:who|what|which|when|where|how|can|could|do|does|is|are)\b.*\?\s*$|^\W*(?:who|what|which)\b",
    re.IGNORECASE,
)


# ... unless it asks to confirm ("can I confirm my appointment?")
_CONFIRMS_RE = re.compile(r"\b(confirm\w*|be there|coming|attend\w*|make it)\b", re.IGNORECASE)

# "no, the blood test instead", "not that one, the physical"
_INSTEAD_OR_NOT_RE = re.compile(r"\b(instead|rather|not\s+that|no\b|wrong\s+one)", re.I)


# "friday, same time": the day said, at the appointment's own clock time
_SAME_CLOCK_RE = re.compile(r"\b(same|usual)\s+time\b", re.IGNORECASE)


def plural(visit: str, count: int) -> str:
    """ "check-up with Dr. Lee" -> "check-ups with Dr. Lee" for more than one."""
    if count == 1:
        return visit
    what, sep, who = visit.partition(" with ")
    return f"{what}s{sep}{who}"


def upcoming(session, caller, on=None) -> list[Appointment]:
    return scheduling.upcoming_for_patient(session, caller.actor, on=on, limit=UPCOMING_LIMIT)


def in_days(
    appointments: list[Appointment], value: Any, tracker: Tracker | None = None
) -> list[Appointment]:
    """The appointments on the days `value` covers; for a bare weekday said in the message
    ("my Wednesday appointment"), those on that weekday when none is on the coming one."""
    span = days_of(value)
    if span is None:
        return appointments
    first, last = span
    hits = [a for a in appointments if first <= text.local(a.start_at).date() <= last]
    if hits or tracker is None or first != last or not _bare_weekday(tracker, value):
        return hits
    return [a for a in appointments if text.local(a.start_at).weekday() == first.weekday()]


_WEEKDAY_RE = re.compile(rf"(?:on\s+|this\s+|my\s+|the\s+)?{WEEKDAY}(?:'s)?", re.IGNORECASE)


def _bare_weekday(tracker: Tracker, value: Any) -> bool:
    message = latest_text(tracker)
    for found in time_entities(tracker):
        if found.get("value") == value and isinstance(found.get("start"), int):
            return bool(_WEEKDAY_RE.fullmatch(message[found["start"] : found["end"]].strip()))
    return False


# Words just before a time that make it the time wanted, not the appointment's ("to Friday",
# "for next week", "until after the 10th")
_NEW_TIME_LEAD_RE = re.compile(
    r"\b(?:to|for|till|until|into|instead|rather|prefer|better|maybe|perhaps|how about|"
    r"what about)\s+(?:the\s+|a\s+|on\s+|at\s+|sometime\s+|some\s+time\s+|"
    r"the\s+same\s+time\s+)?$",
    re.IGNORECASE,
)


# "I'm running late", "I'll be 10 minutes late", "stuck in traffic": about the visit that is
# about to start; the front desk needs to know, the visit need not move.
_RUNNING_LATE_RE = re.compile(
    r"\b(running|be|am|i'?m|will be|i'?ll be|gonna be|going to be)\s+"
    r"((a )?(bit|little|few minutes|\d+\s*(min(ute)?s?))\s+)?late\b|"
    r"\brunning behind\b|\bstuck in traffic\b",
    re.IGNORECASE,
)


def tell_desk_running_late(
    session, caller, dispatcher, appointment: Appointment, said: str, ahead: bool = False
):
    """Leave the front desk a note that the patient is (or, `ahead` of the day, expects to
    be) late for this visit, and say so."""
    what = scheduling.describe(appointment)
    late = "Expects to be late for" if ahead else "Running late for"
    inbox.leave_message(
        session,
        caller.actor,
        reason=f"{late} {what}. Said: {said.strip()}"[:500],
        desk=Desk.FRONT_DESK,
    )
    log.info("appointment.running_late appointment=%s ahead=%s", appointment.id, ahead)
    told = "you expect to be a little late for" if ahead else "you're running late for"
    late_by = length_said(said)  # "45 min late"
    length = appointment.end_at - appointment.start_at
    warning = (
        f" Your visit is {int(length.total_seconds() // 60)} minutes long, so that late the "
        "front desk may need to move it; they'll tell you."
        if late_by is not None and late_by >= length.total_seconds() / 60 / 2
        else ""
    )
    dispatcher.utter_message(
        text=f"Thanks for letting us know. I've told the front desk {told} your "
        f"{what[:1].lower()}{what[1:]}.{warning} If you can't make it at all, I can move or "
        "cancel it.",
        buttons=scheduling.appointment_buttons(appointment),
    )


_FROM_TO_RE = re.compile(r"\bfrom\b.+\b(?:to|till|until)\b", re.IGNORECASE)
# "the one in April", "my appointment on Friday": a day that names one of them, not a new time
_NAMES_AN_APPOINTMENT_RE = re.compile(
    r"\b(?:one|ones|appointments?|appt|visits?|bookings?|mine|check-?up|test)\b", re.IGNORECASE
)


class PickAppointmentForm(GuardedForm):
    """Shared by the reschedule and cancel forms: which of my appointments."""

    verb = "change"
    # Asked which one, a day with none of them on it: the new time wanted (moving) or a mistake
    unmatched_day_is_new_time = False
    # What in the starting request can name the appointment meant ("cancel my blood test").
    naming_keys: tuple[str, ...] = ("type", "provider")

    def keys_naming(self, tracker: Tracker) -> tuple[str, ...]:
        """What in this request names the appointment meant."""
        return self.naming_keys

    def gate(self, session, caller, dispatcher, tracker, activating):
        if (
            not activating
            and tracker.get_slot("requested_slot") == "appointment_id"
            and _PLAIN_NO_RE.fullmatch(latest_text(tracker))
        ):
            # "no" to "which appointment would you like to cancel?": none of them (asked again
            # it would be a loop the person cannot leave)
            dispatcher.utter_message(text="OK, nothing was changed.")
            return []
        if caller.is_staff and not caller.is_patient and self.form_name() == "cancel_form":
            if activating and say_staff_cannot_change(
                session, caller, dispatcher, tracker, self.verb
            ):
                return []  # "cancel Aisha Khan's appointment on thursday": not from here
            # "cancel the staff meeting": staff cancel the room bookings they made
            return cancel_room_booking_step(session, caller, dispatcher, tracker)
        if not caller.is_patient:
            if not say_staff_cannot_change(session, caller, dispatcher, tracker, self.verb):
                say_not_linked(dispatcher, tracker, f"{self.verb} an appointment", caller)
            return []
        if activating and refuse_for_someone_else(
            session, dispatcher, tracker, caller, "appointments"
        ):
            return []
        if activating and _RUNNING_LATE_RE.search(latest_text(tracker)):
            soon = scheduling.appointment_about_to_start(session, caller.actor)
            if soon is not None:  # "I'm running late": tell the desk, don't move the visit
                tell_desk_running_late(session, caller, dispatcher, soon, latest_text(tracker))
                return []
        if activating and not tracker.get_slot("appointment_id") and not upcoming(session, caller):
            dispatcher.utter_message(
                text=f"You have no upcoming appointments to {self.verb}.",
                buttons=buttons([("Book an appointment", "/book_appointment")]),
            )
            return []
        return None

    def time_selects_appointment(self, tracker: Tracker, mine: list[Appointment]) -> bool:
        return True

    def said_time(self, tracker: Tracker) -> Any:
        """The time the starting request named ("cancel my appointment on Tuesday")."""
        return next((e.get("value") for e in time_entities(tracker)), None)

    def choose_on_activation(self, dispatcher, tracker: Tracker) -> list[EventType]:
        """No id given: one appointment (on the day said, if any) is picked, several offered."""
        with store() as session:
            mine = upcoming(session, current_caller())
            if entity(tracker, "appointment_id"):
                # a button for an appointment that is not (or no longer) theirs, refused just
                # now: they choose, even from one; never one they did not tap, with one "yes"
                return [SlotSet("offered_appointments", as_choices(mine))] if mine else []
            time_value = self.said_time(tracker)
            selects = time_value is not None and self.time_selects_appointment(tracker, mine)
            chosen = in_days(mine, time_value, tracker) if selects else mine
            if selects and not chosen:
                dispatcher.utter_message(
                    text=f"You have no appointment {day_phrase(time_value)}. "
                    "Here are your upcoming ones."
                )
                chosen = mine
            events: list[EventType] = [SlotSet("time", None)] if selects else []
            # "cancel my blood test": the type names the appointment
            keys = self.keys_naming(tracker)
            ids = {c["id"] for c in fitting_named(tracker, as_choices(chosen), keys)}
            named = what_is_named(session, tracker, keys)
            if chosen and not ids and named:
                # "cancel my checkup next week" when next week holds a blood test: never the
                # other visit; say so and let them pick
                where = day_phrase(time_value) if selects else "booked"
                dispatcher.utter_message(
                    text=f"You have no {named} {where}. Here are your upcoming appointments."
                )
                chosen = mine
            else:
                chosen = [a for a in chosen if str(a.id) in ids] or chosen
            listed = answered_before(tracker) == "action_list_appointments"
            index = pick_ordinal(latest_text(tracker), len(mine)) if listed else None
            if index is not None and not selects:  # "cancel the second one" after the list
                chosen = [mine[index]]
            offered = self.offered_by_button(tracker, mine)
            if len(chosen) > 1 and offered is not None and not selects:
                chosen = [offered]  # "cancel" typed where a Cancel button for one was shown
            if len(chosen) == 1:
                return [*events, *self.chosen_events(chosen[0])]
            return [*events, SlotSet("offered_appointments", as_choices(chosen))]

    def offered_by_button(self, tracker: Tracker, mine: list[Appointment]) -> Appointment | None:
        """The appointment of the button for this form in the question just asked ("would you
        like to move it or cancel it?" [Reschedule] [Cancel]), for a person who types "cancel"
        or "move it" rather than tap."""
        intent = FORM_START_INTENTS[self.form_name()]
        for button in last_question_buttons(tracker):
            sent = str(button.get("payload") or "")
            if payload_intent(sent) == intent:
                wanted_id = str(payload_entities(sent).get("appointment_id") or "")
                return next((a for a in mine if str(a.id) == wanted_id), None)
        return None

    def chosen_events(self, appointment: Appointment) -> list[EventType]:
        return [
            SlotSet("appointment_id", str(appointment.id)),
            SlotSet("appointment_label", lower_describe(appointment)),
        ]

    def extract_appointment_id(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if (
            not self.answers(tracker)
            or tracker.get_slot("requested_slot") != "appointment_id"
            or entity(tracker, "appointment_id")
        ):
            return {}
        offered = tracker.get_slot("offered_appointments") or []
        index = pick_ordinal(latest_text(tracker), len(offered))
        if index is None and wants_earliest(latest_text(tracker)) and offered:
            index = 0
        if index is not None:
            return {"appointment_id": offered[index]["id"]}
        at_clock = offered_at_clock(latest_text(tracker), offered)
        if at_clock is not None:  # "the 8:30 one", "the 930 one pls"
            return {"appointment_id": at_clock["id"], "time": None}
        said = self.offered_in_said_days(tracker, offered)
        if said is not None:
            value, hits = said
            if len(hits) == 1:
                return {"appointment_id": hits[0]["id"], "time": None}
            names_one = _NAMES_AN_APPOINTMENT_RE.search(latest_text(tracker))
            if not hits and self.unmatched_day_is_new_time and not names_one:
                # asked which to move, "friday afternoon": no visit then, so where to
                dispatcher.utter_message(
                    text=f"You have no appointment {day_phrase(value)}, so I'll look for a new "
                    "time then."
                )
                return {"time": value}
            if not hits:
                dispatcher.utter_message(text=f"You have no appointment {day_phrase(value)}.")
            return {"time": None}  # several: `after` offers only those
        named = named_in(tracker, offered, ("type", "provider"))
        if len(named) == 1 and len(offered) > 1:  # "the blood test", "the one with Dr Lee"
            return {"appointment_id": named[0]["id"]}
        return {}

    @staticmethod
    def offered_in_said_days(tracker: Tracker, offered: list[dict]) -> tuple[Any, list] | None:
        """(the time said, the offered appointments in the days it covers): "the one on
        Tuesday", "next week". None when the message names no days."""
        for found in time_entities(tracker):
            value = found.get("value")
            span = days_of(value)
            if span is not None:
                first, last = span
                days = [(o, datetime.fromisoformat(o["start"]).date()) for o in offered]
                return value, [o for o, day in days if first <= day <= last]
        return None

    def narrowed_choice(self, tracker: Tracker) -> list[EventType]:
        """Asked which appointment, the person named days that fit several of those offered
        ("next week"): offer only those, never guess."""
        if tracker.get_slot("requested_slot") != "appointment_id":
            return []
        offered = tracker.get_slot("offered_appointments") or []
        said = self.offered_in_said_days(tracker, offered)
        if said is not None and 1 < len(said[1]) < len(offered):
            return [SlotSet("offered_appointments", said[1])]
        return []

    def validate_appointment_id(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        caller = current_caller()
        try:
            with store() as session:
                appointment = scheduling.get_appointment(session, caller.actor, str(value))
                if appointment.status.value not in ("booked", "confirmed") or (
                    appointment.start_at <= clock.now()
                ):
                    raise DomainError("That appointment can no longer be changed.")
                events = {e["name"]: e["value"] for e in self.chosen_events(appointment)}
                mine = upcoming(session, caller)
        except DomainError as error:
            say_error(dispatcher, error)
            log.info("appointment.pick refused=%s", type(error).__name__)
            with store() as session:
                mine = upcoming(session, caller)
            if not mine:
                dispatcher.utter_message(text=f"You have no upcoming appointments to {self.verb}.")
                return {"appointment_id": None, "requested_slot": None}
            return {"appointment_id": None, "offered_appointments": as_choices(mine)}
        events.setdefault("offered_appointments", as_choices(mine))
        return events


class ActionAskAppointmentId(StoreAction):
    def name(self) -> str:
        return "action_ask_appointment_id"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        offered = tracker.get_slot("offered_appointments") or []
        verb = "cancel" if (tracker.active_loop or {}).get("name") == "cancel_form" else "move"
        events: list[EventType] = []
        if not offered:
            with store() as session:
                caller = caller_of(session, tracker)
                offered = as_choices(upcoming(session, caller)) if caller.is_patient else []
            events = [SlotSet("offered_appointments", offered)]
        question = f"Which appointment would you like to {verb}?"
        if len(offered) > 1 and verb == "move" and _ALL_OF_THEM_RE.search(latest_text(tracker)):
            # "move all my appointments": each needs its own new time
            question = "I'll move them one at a time. Which one first?"
        choices = [(o["label"], payload("inform", appointment_id=o["id"])) for o in offered]
        if len(offered) > 1 and verb == "cancel":
            every = "Both of them" if len(offered) == 2 else f"All {len(offered)} of them"
            choices.append((every, payload("inform", appointment_id=ALL)))
        dispatcher.utter_message(text=question, buttons=buttons(choices))
        return events


_ALL_OF_THEM_RE = re.compile(r"\b(?:all|both|every|each)\b", re.I)
# "everything except my blood test", "all but the one with dr patel": what follows is kept
_EXCEPT_RE = re.compile(
    r"\b(?:except(?:\s+for)?|apart\s+from|other\s+than|but\s+not|but\s+keep|besides|"
    r"excluding|save\s+for|all\s+but|everything\s+but)\b",
    re.IGNORECASE,
)


# "... my appointment with ", "my visit w/ ": the doctor said next is the visit's
_WITH_BEFORE_RE = re.compile(
    r"\b(appointment|appt|visit|one|check-?up|follow[- ]?up|physical|consultation)\s+"
    r"(with|w/|w)\s+$",
    re.IGNORECASE,
)
# "actually I meant the checkup", "no, the other one, the follow-up": another appointment
_I_MEANT_RE = re.compile(
    r"\b(i meant|i mean|meant to say|not that one|the other one|wrong one|not the)\b", re.I
)
_PLAIN_NO_RE = re.compile(
    r"\s*(no|nope|nah|no thanks|no thank you|none|none of them|neither|never ?mind|forget it)"
    r"[.!]*\s*",
    re.IGNORECASE,
)
_NOT_ABOUT_WORDS = (
    "cancel all both every each my the appointments appointment appts appt visits visit ones "
    "one them please pls and of for with"
)
_NOT_ABOUT = frozenset(_NOT_ABOUT_WORDS.split())


def _about_what_is_said(said: str, mine: list[Appointment]) -> list[Appointment]:
    """The visits whose reason ("knee pain") shares a word with the request ("cancel both knee
    appointments"); all of them when the request says nothing a reason could match."""
    words = {w for w in re.findall(r"[a-z]{3,}", said.lower()) if w not in _NOT_ABOUT}
    if not words:
        return mine
    about = [
        a for a in mine if a.reason and words & set(re.findall(r"[a-z]{3,}", a.reason.lower()))
    ]
    return about or mine


def all_but_the_kept(tracker: Tracker, mine: list[Appointment]) -> list[Appointment] | None:
    """The appointments a request with "except" means: those fitting what is named before it
    ("all my checkups"), without those fitting what is named after it ("the one with dr
    patel"). None when nothing after it is recognised (then nothing is picked)."""
    said = latest_text(tracker)
    cut = _EXCEPT_RE.search(said).start()
    entities = [
        e for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") in ("appointment_type", "provider", "time")
    ]  # fmt: skip
    before = [e for e in entities if isinstance(e.get("start"), int) and e["start"] < cut]
    after = [e for e in entities if not isinstance(e.get("start"), int) or e["start"] >= cut]
    if not after:
        return None

    def fits(appointment: Appointment, found: dict) -> bool:
        value = found.get("value")
        if found["entity"] == "appointment_type":
            return appointment.appointment_type.key == value
        if found["entity"] == "provider":
            return appointment.provider.key == value
        span = days_of(value)
        day = text.local(appointment.start_at).date()
        return span is not None and span[0] <= day <= span[1]

    chosen = [a for a in mine if all(fits(a, e) for e in before)]
    return [a for a in chosen if not any(fits(a, e) for e in after)]


_NAMED = ("type", "provider")
ALL = "all"  # the cancel form's appointment_id for every one offered, confirmed at once


def _all_of_them(mine: list[Appointment]) -> list[EventType]:
    """The cancel form's choice of every upcoming appointment: each is named in the one
    confirmation, and exactly those are cancelled (offered_appointments)."""
    listed = "; ".join(lower_describe(a) for a in mine)
    return [
        SlotSet("appointment_id", ALL),
        SlotSet("appointment_label", f"{len(mine)} appointments: {listed}"),
        SlotSet("offered_appointments", as_choices(mine)),
    ]


def _request_text(tracker: Tracker, intent: str) -> str:
    """What the person typed when they last asked for `intent` ("cancel all my appointments")."""
    for event in recent_events(tracker):
        if event.get("event") == "user" and intent_of(event) == intent:
            return event.get("text") or ""
    return ""


# --- reschedule --------------------------------------------------------------------------------


def moved_label(slot: Slot) -> str:
    return f"{text.when(slot.start)} with {slot.provider_name}"


class ValidateRescheduleForm(PickAppointmentForm):
    offers_the_other = True
    unmatched_day_is_new_time = True

    verb = "move"
    # "move my checkup to Dr Lee": a provider named when starting may be the new one
    naming_keys = ("type",)

    def keys_naming(self, tracker: Tracker) -> tuple[str, ...]:
        """ "reschedule my appointment with dr lee": that doctor names the visit meant (said
        after "with", not "to")."""
        said = latest_text(tracker)
        for found in (tracker.latest_message or {}).get("entities") or []:
            start = found.get("start")
            if (
                found.get("entity") == "provider"
                and isinstance(start, int)
                and _WITH_BEFORE_RE.search(said[:start])
            ):
                return ("type", "provider")
        return self.naming_keys

    def name(self) -> str:
        return "validate_reschedule_form"

    def time_selects_appointment(self, tracker: Tracker, mine: list[Appointment]) -> bool:
        # "move my visit to Friday": the new time. "move my Tuesday appointment", "I have an
        # appointment on Tuesday ... I wanted to know if I could come earlier": which one.
        if len(mine) <= 1:
            return False
        said = latest_text(tracker)
        starts = [e["start"] for e in time_entities(tracker) if isinstance(e.get("start"), int)]
        if starts:
            if _NEW_TIME_LEAD_RE.search(said[: starts[0]]):
                return False
        elif " to " in f" {said.lower()} ":  # a button's time: where it was said is unknown
            return False
        return bool(in_days(mine, tracker.get_slot("time"), tracker))

    def said_time(self, tracker: Tracker) -> Any:
        return tracker.get_slot("time")

    def choose_on_activation(self, dispatcher, tracker: Tracker) -> list[EventType]:
        """ "I can't come on Tuesday ... can we do Thursday instead?": two days, one of them an
        appointment's (Tuesday: that one) and the other the new time (Thursday)."""
        said = [e for e in time_entities(tracker) if isinstance(e.get("start"), int)]
        if len(said) == 1:
            with store() as session:
                moved = self.from_one_to_another(tracker, upcoming(session, current_caller()))
            if moved is not None:
                return moved
        if len(said) < 2:
            return super().choose_on_activation(dispatcher, tracker)
        message = latest_text(tracker)
        with store() as session:
            mine = upcoming(session, current_caller())
            for naming in said:
                if _NEW_TIME_LEAD_RE.search(message[: naming["start"]]):
                    continue  # "to Thursday": the new time
                chosen = in_days(mine, naming.get("value"), tracker)
                others = [e for e in said if e is not naming]
                if len(chosen) == 1 and others:
                    wanted_time = others[-1].get("value")
                    log.info("reschedule.two_days named=1")
                    return [SlotSet("time", wanted_time), *self.chosen_events(chosen[0])]
        return super().choose_on_activation(dispatcher, tracker)

    def from_one_to_another(
        self, tracker: Tracker, mine: list[Appointment]
    ) -> list[EventType] | None:
        """ "Change my appointment from Tuesday to Wednesday", "from 10am to 2pm": the NLU reads
        one range; when it starts at one of my appointments, that one is moved to where it
        ends (Wednesday; 2pm that day). None when the words are not that."""
        found = next(iter(time_entities(tracker)), None)
        value = (found or {}).get("value")
        if not isinstance(value, dict) or not isinstance(found.get("start"), int):
            return None
        message = latest_text(tracker)
        phrase = message[max(0, found["start"] - 6) : found["end"]]  # "from" may be just before
        if not _FROM_TO_RE.search(phrase):
            return None
        first, last = str(value.get("from") or ""), str(value.get("to") or "")
        if len(first) == 10:  # days: the appointment on the first, moved to the last
            chosen = in_days(mine, first, tracker)
            new_time: Any = last
        else:  # clock times: the appointment at the first time, moved to the last that day
            try:
                was, to = datetime.fromisoformat(first), datetime.fromisoformat(last)
            except ValueError:
                return None
            chosen = [a for a in mine if text.local(a.start_at).time() == was.time()]
            if len(chosen) != 1:
                return None
            day = text.local(chosen[0].start_at).date()
            new_time = datetime.combine(day, to.timetz()).isoformat()
        if len(chosen) != 1:
            return None
        log.info("reschedule.from_to")
        return [SlotSet("time", new_time), *self.chosen_events(chosen[0])]

    def named_provider(self, dispatcher, tracker: Tracker) -> list[EventType]:
        """ "Can I see Dr Lee instead?": another provider who offers the same visit type;
        "anything sooner with someone else?": whoever offers it."""
        named = entity(tracker, "provider")
        type_key = tracker.get_slot("appointment_type")
        if (
            not named
            and type_key
            and tracker.get_slot("provider") not in (None, ANY)
            and self.answers(tracker)
            and OTHER_DOCTOR_RE.search(latest_text(tracker))
        ):
            if tracker.get_slot("requested_slot") == "time":  # the question comes again
                dispatcher.utter_message(text="Noted: with whoever is free.")
            return [SlotSet("provider", ANY)]
        if (
            not named
            or not type_key
            or named == tracker.get_slot("provider")
            or latest_intent(tracker) not in ("reschedule_appointment", "inform")
        ):
            return []
        try:
            with store(readonly=True) as session:
                kind = practice.get_type(session, type_key)
                provider = practice.get_provider(session, str(named))
                offering = practice.providers(session, type_key)
                if provider not in offering:
                    raise ProviderDoesNotOffer(
                        provider.display_name, kind.name, [p.display_name for p in offering]
                    )
        except DomainError as error:
            say_error(dispatcher, error)
            return []
        return [SlotSet("provider", provider.key)]

    def chosen_events(self, appointment: Appointment) -> list[EventType]:
        return [
            *super().chosen_events(appointment),
            SlotSet("appointment_type", appointment.appointment_type.key),
            SlotSet("provider", appointment.provider.key),
        ]

    def extract_time(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if not self.answers(tracker) or tracker.get_slot("requested_slot") != "time":
            return {}
        moved = self.relative_to_the_appointment(tracker)  # "later the same day"
        if moved is not None:
            return {"time": moved}
        if time_entities(tracker):
            return {}
        return {"time": "earliest"} if wants_earliest(latest_text(tracker)) else {}

    @staticmethod
    def appointment_start(tracker: Tracker) -> datetime | None:
        """When the appointment being moved starts now (local time), if it is chosen and mine."""
        appointment_id = tracker.get_slot("appointment_id")
        if not appointment_id:
            return None
        try:
            with store(readonly=True) as session:
                appointment = scheduling.get_appointment(
                    session, current_caller().actor, str(appointment_id)
                )
                return text.local(appointment.start_at)
        except DomainError:
            return None

    def relative_to_the_appointment(self, tracker: Tracker, days_named_it: bool = False) -> Any:
        start = self.appointment_start(tracker)
        return moved_from(tracker, start, days_named_it) if start else None

    def shifted_on_activation(self, tracker: Tracker, activating: bool) -> list[EventType]:
        """ "Move my Wednesday appointment an hour later", "can I come in earlier than my
        appointment?": the new time from the request itself, once the appointment is known
        (its day, if said, named the appointment, not the new time), whether it is known at
        once or picked after "which one?"."""
        if tracker.get_slot("time") and not (activating and exact_move_said(latest_text(tracker))):
            return []  # (the week in "the same time next week" is no time of its own)
        if activating:
            moved = self.relative_to_the_appointment(tracker, days_named_it=True)
        else:
            start = self.appointment_start(tracker)
            request = _request_text(tracker, "reschedule_appointment")
            moved = moved_by_words(request, start) if start and request else None
        return [SlotSet("time", moved)] if moved is not None else []

    def time_on_the_appointments_day(self, tracker: Tracker) -> list[EventType]:
        """A time of day said with no day ("can I change it to the afternoon?", "at 3") means
        the day of the appointment being moved, not today (as the NLU resolves it)."""
        value = tracker.get_slot("time")
        if not value or not _said_without_a_day(tracker, value):
            return []
        moved = self.on_the_appointments_day(tracker, value)
        return [SlotSet("time", moved)] if moved != value else []

    def on_the_appointments_day(self, tracker: Tracker, value: Any) -> Any:
        start = self.appointment_start(tracker)
        return on_day(value, start.date()) if start else value

    def same_clock_time(self, tracker: Tracker) -> list[EventType]:
        """ "Can we do friday, same time?": that day at the appointment's own clock time."""
        value = tracker.get_slot("time")
        if not (isinstance(value, str) and len(value) == 10):
            return []
        if not _SAME_CLOCK_RE.search(latest_text(tracker)):
            return []
        start = self.appointment_start(tracker)
        if start is None:
            return []
        moment = datetime.combine(date.fromisoformat(value), start.time(), start.tzinfo)
        return [SlotSet("time", moment.isoformat())]

    def instead_of(self, tracker: Tracker) -> list[EventType]:
        """ "I have an appointment on Tuesday ... could I come at 9 instead of 10?": 9 that day,
        when the "instead of" time is the appointment's own."""
        found = _INSTEAD_OF_RE.search(latest_text(tracker))
        if found is None or tracker.get_slot("time"):
            return []
        start = self.appointment_start(tracker)
        if start is None:
            return []
        wanted, instead = bare_clock(found["new"]), bare_clock(found["old"])
        old = datetime.fromisoformat(instead).astimezone(start.tzinfo) if instead else None
        if not isinstance(wanted, str) or old is None or old.time() != start.time():
            return []
        return [SlotSet("time", on_day(wanted, start.date()))]

    def extract_slot_start(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return extract_picked_slot(self, dispatcher, tracker, waitlist=False)

    def extract_appointment_id(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot")
        if asked in ("time", "slot_start", "reschedule_confirmed") and _I_MEANT_RE.search(
            latest_text(tracker)
        ):
            # "actually I meant the checkup tomorrow" while moving the blood test: that one
            with store(readonly=True) as session:
                mine = as_choices(upcoming(session, current_caller()))
            other = [
                c
                for c in fitting_named(tracker, mine, ("type", "provider"))
                if c["id"] != str(tracker.get_slot("appointment_id"))
            ]
            if len(other) == 1 and len(other) < len(mine):
                label = other[0]["label"]
                dispatcher.utter_message(text=f"OK, your {label[:1].lower()}{label[1:]} then.")
                # its type and doctor come with it (validate_appointment_id)
                return {
                    "appointment_id": other[0]["id"],
                    "time": None,
                    "slot_start": None,
                    "reschedule_confirmed": None,
                }
        return super().extract_appointment_id(dispatcher, tracker, domain)

    def not_caught(self, dispatcher, tracker: Tracker, requested: str) -> None:
        if not asked_which_one(dispatcher, tracker, requested):
            super().not_caught(dispatcher, tracker, requested)

    def extract_reschedule_confirmed(self, dispatcher, tracker: Tracker, domain):
        return shift_at_confirmation(self, tracker, "reschedule_confirmed") or other_offer_picked(
            self, tracker, "reschedule_confirmed"
        )

    def validate_time(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        discussed = on_the_day_discussed(tracker, value)
        if (
            discussed == value
            and said_without_day(tracker, value)
            and not re.search(r"\bany\b", latest_text(tracker), re.I)
        ):
            # asked when to move it, "in the afternoon": that day's afternoon ("any
            # afternoon" is any day's: the NLU reads it as two weeks of afternoons)
            discussed = self.on_the_appointments_day(tracker, value)
        return {"time": with_hours(tracker, discussed)}

    def validate_slot_start(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return validate_picked_start(
            dispatcher,
            tracker,
            value,
            tracker.get_slot("appointment_type"),
            tracker.get_slot("provider"),
            label_for=moved_label,
        )

    def validate_reschedule_confirmed(self, value, dispatcher, tracker, domain):
        if value is not True:
            return {"reschedule_confirmed": False if value is False else None}
        start = parse_iso(tracker.get_slot("slot_start"))
        appointment_id = tracker.get_slot("appointment_id")
        if start is None or not appointment_id:
            return {"reschedule_confirmed": None}
        provider = tracker.get_slot("provider")
        try:
            with store() as session:
                moved = scheduling.reschedule(
                    session,
                    current_caller().actor,
                    appointment_id,
                    start,
                    provider_key=None if provider in (None, ANY) else provider,
                )
                moved_id = moved.id
        except SlotTaken as error:
            say_error(dispatcher, error)
            offers = slot_search.as_offers(error.alternatives)
            return {
                "reschedule_confirmed": None,
                "slot_start": None,
                "offered_slots": offers or None,
                **({} if offers else {"time": None}),
            }
        except DomainError as error:
            say_error(dispatcher, error)
            return {"reschedule_confirmed": None, "slot_start": None, "time": None}
        log.info("appointment.moved appointment=%s", moved_id)
        return {"reschedule_confirmed": True, "last_appointment_id": str(moved_id)}

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        events: list[EventType] = []
        if activating and not tracker.get_slot("time"):
            say_if_date_unread(dispatcher, tracker)  # "move it to feb 30"
        if not tracker.get_slot("appointment_id"):
            if activating:
                events = self.choose_on_activation(dispatcher, tracker)
                tracker.add_slots(events)
            if not tracker.get_slot("appointment_id"):
                return events or self.narrowed_choice(tracker)
            changed = changed | {"appointment_id"}
        if "appointment_id" in changed:  # "to the afternoon": that appointment's afternoon
            same_day = (
                self.time_on_the_appointments_day(tracker)
                or self.instead_of(tracker)
                or self.shifted_on_activation(tracker, activating)
            )
            tracker.add_slots(same_day)
            events += same_day
        same_clock = self.same_clock_time(tracker) if changed & {"appointment_id", "time"} else []
        if same_clock:
            tracker.add_slots(same_clock)
            events += same_clock
        provider_events = self.named_provider(dispatcher, tracker)
        if provider_events:
            tracker.add_slots(provider_events)
            events += provider_events
            changed = changed | {"provider"}
        type_key = tracker.get_slot("appointment_type")
        time_value = tracker.get_slot("time")
        if not (type_key and time_value):
            return events
        if "slot_start" in changed:  # a time was picked (and checked) or refused just now
            return events
        if not (changed & {"appointment_id", "provider", "time"}):
            return events
        provider = tracker.get_slot("provider")
        return events + search_slots_events(
            dispatcher,
            tracker,
            type_key,
            None if provider in (None, ANY) else provider,
            time_value,
            "reschedule_confirmed",
            label_for=moved_label,
        )


_CLOCK = r"\d{1,2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"
# "at 9 instead of 10", "9:30 instead of 10am"
_INSTEAD_OF_RE = re.compile(rf"\b(?P<new>{_CLOCK})\s+instead\s+of\s+(?P<old>{_CLOCK})\b", re.I)


def _said_without_a_day(tracker: Tracker, value: Any) -> bool:
    """Was `value` a time of day said with no day, in this move's messages?"""
    for event in recent_events(tracker):
        if event.get("event") != "user":
            continue
        parsed = event.get("parse_data") or {}
        for found in parsed.get("entities") or []:
            if found.get("entity") == "time" and found.get("value") == value:
                return not (found.get("additional_info") or {}).get("dated", True)
        if (parsed.get("intent") or {}).get("name") == "reschedule_appointment":
            return False  # where this move started
    return False


class ActionSubmitReschedule(StoreAction):
    def name(self) -> str:
        return "action_submit_reschedule"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        moved = tracker.get_slot("last_appointment_id")
        if tracker.get_slot("reschedule_confirmed") is True and moved:
            with store() as session:
                actor = caller_of(session, tracker).actor
                try:
                    appointment = scheduling.get_appointment(session, actor, moved)
                    dispatcher.utter_message(
                        text=f"Done! Your appointment is now: {scheduling.describe(appointment)}. "
                        "I've sent you the updated calendar file.",
                        buttons=scheduling.appointment_buttons(appointment),
                    )
                except DomainError as error:
                    say_error(dispatcher, error)
        elif tracker.get_slot("reschedule_confirmed") is False:
            dispatcher.utter_message(text="OK, I've left your appointment as it was.")
        offer_the_other(dispatcher, tracker)  # "...and also a refill"
        return reset_flow(tracker)


# --- cancel ------------------------------------------------------------------------------------


# "cancel it", "yes cancel", asked whether to cancel: yes (the NLU reads it as "stop")
_KEEP_RE = re.compile(r"\b(don'?t|do not|not|no|never|keep)\b", re.I)


class ValidateCancelForm(PickAppointmentForm):
    offers_the_other = True

    verb = "cancel"

    def name(self) -> str:
        return "validate_cancel_form"

    def choose_on_activation(self, dispatcher, tracker: Tracker) -> list[EventType]:
        """ "Cancel all my appointments": all of them, listed in one confirmation; "cancel
        both my blood tests": both blood tests, and nothing else; "everything except my blood
        test": all but that one (never the one to keep)."""
        if _EXCEPT_RE.search(latest_text(tracker)):
            with store() as session:
                mine = upcoming(session, current_caller())
                left = all_but_the_kept(tracker, mine)
                if left is None or not left:
                    # the one to keep not recognised, or nothing left: ask, never guess
                    if left is not None:
                        dispatcher.utter_message(text="That leaves nothing to cancel.")
                        return [SlotSet("requested_slot", None)]
                    return [SlotSet("offered_appointments", as_choices(mine))] if mine else []
                return self.chosen_events(left[0]) if len(left) == 1 else _all_of_them(left)
        if _ALL_OF_THEM_RE.search(latest_text(tracker)) and not time_entities(tracker):
            with store() as session:
                mine = upcoming(session, current_caller())
                named = {c["id"] for c in fitting_named(tracker, as_choices(mine), _NAMED)}
                mine = [a for a in mine if str(a.id) in named]
                mine = _about_what_is_said(latest_text(tracker), mine)  # "both knee ones"
                both = re.search(r"\bboth\b", latest_text(tracker), re.IGNORECASE)
                if len(mine) > 1 and (len(mine) == 2 or not both):
                    return _all_of_them(mine)
                # "both" of more than two: which two is not for me to guess
        return super().choose_on_activation(dispatcher, tracker)

    def extract_appointment_id(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if (
            tracker.get_slot("requested_slot") == "appointment_id"
            and self.answers(tracker)
            and _ALL_OF_THEM_RE.search(latest_text(tracker))
        ):
            return {"appointment_id": ALL}  # "all of them", "both" when asked which
        if tracker.get_slot("requested_slot") == "cancel_confirmed":
            return self.another_one_named(tracker)
        return super().extract_appointment_id(dispatcher, tracker, domain)

    @staticmethod
    def another_one_named(tracker: Tracker) -> dict[str, Any]:
        """ "No, cancel the blood test instead" when asked to confirm cancelling the check-up:
        that one, asked again (one of that kind only; nothing is cancelled without a yes)."""
        kind = entity(tracker, "appointment_type")
        if not kind or not _INSTEAD_OR_NOT_RE.search(latest_text(tracker)):
            return {}
        with store(readonly=True) as session:
            mine = as_choices(upcoming(session, current_caller()))
        same_kind = fitting_named(tracker, mine, ("type",))
        if len(same_kind) != 1 or same_kind[0]["id"] == str(tracker.get_slot("appointment_id")):
            return {}
        return {"appointment_id": same_kind[0]["id"], "cancel_confirmed": None}

    def validate_appointment_id(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value != ALL:
            return super().validate_appointment_id(value, dispatcher, tracker, domain)
        # "Both of them" under "which vaccination?": those two, not every appointment
        listed = {str(o["id"]) for o in tracker.get_slot("offered_appointments") or []}
        with store() as session:
            mine = upcoming(session, current_caller())
            if listed:
                mine = [a for a in mine if str(a.id) in listed]
            if len(mine) == 1:
                return super().validate_appointment_id(str(mine[0].id), dispatcher, tracker, domain)
            if not mine:
                dispatcher.utter_message(text="You have no upcoming appointments to cancel.")
                return {"appointment_id": None, "requested_slot": None}
            return {e["name"]: e["value"] for e in _all_of_them(mine)}

    def extract_cancel_confirmed(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        said = latest_text(tracker)
        if (
            tracker.get_slot("requested_slot") == "cancel_confirmed"
            and latest_intent(tracker) in ("stop", "cancel_appointment", "affirm")
            and CANCEL_WORD_RE.search(said)
            and not _KEEP_RE.search(said)
        ):
            return {"cancel_confirmed": True}
        return {}

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        if not tracker.get_slot("appointment_id"):
            if activating:
                return self.choose_on_activation(dispatcher, tracker)
            return self.narrowed_choice(tracker)
        return []


class ActionSubmitCancel(StoreAction):
    def name(self) -> str:
        return "action_submit_cancel"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        appointment_id = tracker.get_slot("appointment_id")
        if tracker.get_slot("cancel_confirmed") is True and appointment_id == ALL:
            self.cancel_all(dispatcher, tracker)
        elif tracker.get_slot("cancel_confirmed") is True and appointment_id:
            try:
                with store() as session:
                    actor = caller_of(session, tracker).actor
                    cancelled = scheduling.cancel(session, actor, appointment_id, "patient")
                    what = scheduling.describe(cancelled)
                    type_key = cancelled.appointment_type.key
                    left = len(upcoming(session, caller_of(session, tracker)))
            except DomainError as error:
                say_error(dispatcher, error)
            else:
                log.info("appointment.cancelled appointment=%s", appointment_id)
                choices = [
                    ("Book a new time", payload("book_appointment", appointment_type=type_key)),
                    ("No, thanks", "/deny"),
                ]
                question = "Would you like to book another time?"
                if left and _ALL_OF_THEM_RE.search(_request_text(tracker, "cancel_appointment")):
                    # "cancel all my appointments": the next one, as promised
                    more = f"{left} more appointment{'s' if left > 1 else ''}"
                    question = f"You have {more} coming up. Cancel the next one too?"
                    choices = [("Cancel the next one", "/cancel_appointment"), choices[-1]]
                dispatcher.utter_message(
                    text=f"Cancelled: your {what[0].lower() + what[1:]}. {question}",
                    buttons=buttons(choices),
                )
        elif tracker.get_slot("cancel_confirmed") is False:
            kept = "appointments" if appointment_id == ALL else "appointment"
            dispatcher.utter_message(text=f"OK, I've kept your {kept}.")
        offer_the_other(dispatcher, tracker)  # "...and also a refill"
        return reset_flow(tracker)

    @staticmethod
    def cancel_all(dispatcher, tracker: Tracker) -> None:
        """Exactly the appointments the confirmation named, in one transaction (none if one
        fails: the person hears why and can try again)."""
        listed = [o["id"] for o in tracker.get_slot("offered_appointments") or []]
        try:
            with store() as session:
                actor = caller_of(session, tracker).actor
                gone = [
                    lower_describe(scheduling.cancel(session, actor, appointment_id, "patient"))
                    for appointment_id in listed
                ]
        except DomainError as error:
            say_error(dispatcher, error)
            return
        log.info("appointment.cancelled_all count=%d", len(gone))
        dispatcher.utter_message(
            text="Cancelled:\n" + "\n".join(f"• {what}" for what in gone) + "\nWhen you'd like "
            "to come again, just ask me to book.",
            buttons=buttons([("Book an appointment", "/book_appointment")]),
        )


# --- one-turn actions ----------------------------------------------------------------------------


# "who is my doctor?", "who's my GP": the one they have seen most, then what is booked
_MY_DOCTOR_RE = re.compile(
    r"\bwho(?:'s| is| was)? my (?:usual |regular |family |primary )?"
    r"(?:doctor|dr|provider|physician|gp|pcp|nurse practitioner)\b",
    re.IGNORECASE,
)


def say_usual_doctor(dispatcher, session, caller) -> None:
    usual = scheduling.usual_provider(session, caller.actor)
    if usual is None:
        dispatcher.utter_message(
            text="I don't see an earlier visit of yours with us yet, so no one is your usual "
            "doctor; you can book with any of our providers."
        )
        return
    dispatcher.utter_message(
        text=f"The provider you've seen most here is {usual.display_name}"
        + (f" ({usual.specialty})." if usual.specialty else ".")
    )


# "when is my next appointment?", "my next visit": that one (the rest are counted)
_NEXT_ONE_RE = re.compile(r"\bnext\s+(appointment|appt|visit|booking|one)\b", re.IGNORECASE)


def list_buttons(shown: list[Appointment]) -> list[dict[str, str]]:
    """One appointment: move or cancel that one. Several: "Reschedule one" / "Cancel one",
    which ask which (a bare "Cancel" under three visits would have cancelled the first)."""
    if len(shown) == 1:
        return scheduling.appointment_buttons(shown[0])
    if not shown:
        return []
    return [
        outbox.button("Reschedule one", "reschedule_appointment"),
        outbox.button("Cancel one", "cancel_appointment"),
    ]


@answers("list_appointments")
class ActionListAppointments(StoreAction):
    def name(self) -> str:
        return "action_list_appointments"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        if say_my_meetings(dispatcher, tracker):  # staff: "my room bookings"
            return []
        with store() as session:
            caller = caller_of(session, tracker)
            looked_up = visits_answer(session, caller, tracker)  # staff: "is Maria Lopez booked?"
            if looked_up is not None:
                dispatcher.utter_message(text=looked_up)
                return []
            # a doctor's "my appointments": their day; any staff's "next week's bookings": the
            # schedule of those days (staff have no appointments of their own here)
            staff_only = caller.is_staff and not caller.is_patient
            wants_schedule = staff_only and (
                bool(caller.staff.provider_id) or bool(time_entities(tracker))
            )
            if not wants_schedule:
                named = entity(tracker, "provider")
                if named and named != ANY and AVAILABILITY_RE.search(latest_text(tracker)):
                    # "is Dr Garcia taking appointments next month?": a free time is wanted
                    return look_for_a_time(tracker)
                if not caller.is_patient:
                    say_not_linked(dispatcher, tracker, "see your appointments", caller)
                    return []
                if refuse_for_someone_else(session, dispatcher, tracker, caller, "appointments"):
                    return []
                if _MY_DOCTOR_RE.search(latest_text(tracker)):
                    say_usual_doctor(dispatcher, session, caller)
                mine = upcoming(session, caller)
                said = next((e.get("value") for e in time_entities(tracker)), None)
                on_day = in_days(mine, said, tracker) if said is not None and mine else []
                if said is not None and mine and not on_day:
                    dispatcher.utter_message(text=f"You have no appointment {day_phrase(said)}.")
                shown = on_day or mine  # "what time is my appointment on tuesday?": that one
                # "when am I seeing Dr Lee?", "when is my blood test?": those, or say there are none
                keys = ("type", "provider")
                named_visit = what_is_named(session, tracker, keys) if shown else None
                if named_visit:
                    fitting = {c["id"] for c in fitting_named(tracker, as_choices(shown), keys)}
                    if fitting:
                        day_matched = bool(on_day)
                        shown = on_day = [a for a in shown if str(a.id) in fitting]
                        said = said if day_matched else None
                    else:
                        dispatcher.utter_message(text=f"You have no {named_visit} booked.")
                after_it = 0
                if not on_day and _NEXT_ONE_RE.search(latest_text(tracker)) and len(shown) > 1:
                    after_it, shown = len(shown) - 1, shown[:1]  # "when is my next appointment?"
                lines = [f"• {scheduling.describe(a)} ({a.status.value})" for a in shown]
                if after_it:
                    more = plural("appointment", after_it)
                    lines.append(f"You have {after_it} more {more} after that.")
                next_buttons = list_buttons(shown)
        if wants_schedule:
            return ActionStaffSchedule().run(dispatcher, tracker, domain)
        if not mine:
            say_no_upcoming(dispatcher)
            return []
        head = "Your next appointment:" if len(shown) == 1 else "Your upcoming appointments:"
        if on_day:
            about = f" {day_phrase(said)}" if said else ""
            head = f"Your {plural(named_visit or 'appointment', len(on_day))}{about}:"
        dispatcher.utter_message(text="\n".join([head, *lines]), buttons=next_buttons)
        return []

    def pick(self, dispatcher, tracker: Tracker) -> list[EventType] | None:
        """ "the second one" after the list: that appointment, and what can be done with it
        (the list's own buttons are for the first one only); None if it names none."""
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                return None
            mine = upcoming(session, caller)
            index = pick_ordinal(latest_text(tracker), len(mine))
            if index is None:
                return None
            picked = mine[index]
            said = f"Your {lower_describe(picked)}: would you like to move it or cancel it?"
            choices = scheduling.appointment_buttons(picked)
        dispatcher.utter_message(text=said, buttons=choices)
        return []


_A_DAY_SAID_RE = re.compile(
    rf"\b(tomorrow|tmrw|tonight|on\s+{WEEKDAY}|next\s+{WEEKDAY}|the\s+\d{{1,2}}(st|nd|rd|th))",
    re.IGNORECASE,
)


class ActionRunningLate(StoreAction):
    """ "I'm running late": the front desk is told, about the visit that is about to start."""

    def name(self) -> str:
        return "action_running_late"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                phone = text.phone(practice.clinic_info(session).phone)
                dispatcher.utter_message(
                    text=f"Thanks for letting us know. Please call the front desk on {phone} so "
                    "they can tell the doctor."
                )
                return []
            soon = scheduling.appointment_about_to_start(session, caller.actor)
            if soon is not None:
                tell_desk_running_late(session, caller, dispatcher, soon, latest_text(tracker))
                return []
            mine = upcoming(session, caller)
            # "I'm running 20 minutes late" with nothing today is no note about tomorrow's
            # visit; "I'll be late tomorrow" is
            said_when = bool(time_entities(tracker)) or bool(
                _A_DAY_SAID_RE.search(latest_text(tracker))
            )
            if mine and said_when and mine[0].start_at - clock.now() <= LATE_NOTICE_AHEAD:
                # "I'll be a few minutes late tomorrow": the desk hears it now
                said = latest_text(tracker)
                tell_desk_running_late(session, caller, dispatcher, mine[0], said, ahead=True)
                return []
            if not mine:
                dispatcher.utter_message(
                    text="Thanks for letting us know, but I don't see an upcoming appointment "
                    "of yours.",
                    buttons=buttons([("Book an appointment", "/book_appointment")]),
                )
                return []
            none_today = text.local(mine[0].start_at).date() != text.local(clock.now()).date()
            today = "You have no appointment today. " if none_today else ""
            dispatcher.utter_message(
                text=f"Thanks for letting us know. {today}Your next appointment is "
                f"{scheduling.describe(mine[0])}. If you'll be late on the day, tell me then "
                "and I'll let the front desk know.",
                buttons=scheduling.appointment_buttons(mine[0]),
            )
        return []


class ActionConfirmAttendance(StoreAction):
    """ "Yes, I'll be there" (usually a reminder's button, which carries the id)."""

    def name(self) -> str:
        return "action_confirm_attendance"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        appointment_id = entity(tracker, "appointment_id")
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                say_not_linked(dispatcher, tracker, "confirm an appointment", caller)
                return []
            if appointment_id is None:
                mine = upcoming(session, caller)
                if says_cannot_come(latest_text(tracker)):
                    self._ask_cannot_come(dispatcher, mine)
                    return []
                said = latest_text(tracker)
                if _ASKS_WHO_OR_WHAT_RE.search(said) and not _CONFIRMS_RE.search(said):
                    # "who can see me tomorrow?" read as a confirmation: a question confirms
                    # nothing; what they have, and the two things they may want
                    self._offer_to_confirm(dispatcher, mine)
                    return []
                chosen = self._narrowed(tracker, mine)
                to_confirm = [a for a in chosen if a.status is not AppointmentStatus.CONFIRMED]
                if len(to_confirm) > 1 and _ALL_OF_THEM_RE.search(said):
                    # "confirm all of them pls": each, and each said
                    done = [
                        scheduling.describe(
                            scheduling.confirm_attendance(session, caller.actor, a.id)
                        )
                        for a in to_confirm
                    ]
                    dispatcher.utter_message(
                        text="\n".join(["Thanks, you're confirmed for:", *(f"• {d}" for d in done)])
                    )
                    return []
                if len(chosen) > 1 and len(to_confirm) == 1:
                    chosen = to_confirm  # the others are confirmed already: the one left
                if len(chosen) > 1 and not to_confirm:  # "yes I'll be there" once more
                    lines = [f"• {scheduling.describe(a)}" for a in chosen]
                    dispatcher.utter_message(
                        text="\n".join(["Thanks, you're already confirmed for:", *lines])
                    )
                    return []
                if len(chosen) != 1:
                    self._ask_which(dispatcher, to_confirm or chosen or mine)
                    return []
                appointment_id = chosen[0].id
            try:
                appointment = scheduling.confirm_attendance(session, caller.actor, appointment_id)
                what = scheduling.describe(appointment)
            except DomainError as error:
                say_error(dispatcher, error)
                return []
        dispatcher.utter_message(
            text=f"Thanks, you're confirmed for your {what[0].lower()}{what[1:]}."
        )
        return []

    @staticmethod
    def _offer_to_confirm(dispatcher, mine: list[Appointment]) -> None:
        if not mine:
            say_no_upcoming(dispatcher)
            return
        first = mine[0]
        dispatcher.utter_message(
            text=f"Your next appointment: {scheduling.describe(first)}. Would you like to confirm "
            "you'll be there, or book another visit?",
            buttons=buttons(
                [
                    (
                        "Yes, I'll be there",
                        payload("confirm_attendance", appointment_id=str(first.id)),
                    ),
                    BOOK_BUTTON,
                ]
            ),
        )

    def _narrowed(self, tracker: Tracker, mine: list[Appointment]) -> list[Appointment]:
        """The appointments the message points at: "the one on Tuesday", "the blood test",
        or "the first one" when asked which."""
        said = next((e.get("value") for e in time_entities(tracker)), None)
        chosen = in_days(mine, said, tracker) if said is not None else mine
        if len(chosen) > 1:
            ids = {c["id"] for c in named_in(tracker, as_choices(chosen), ("type", "provider"))}
            chosen = [a for a in chosen if str(a.id) in ids]
        asked_which = answered_before(tracker, skip="action_inform_without_context")
        if len(chosen) > 1 and asked_which == self.name():
            index = pick_ordinal(latest_text(tracker), len(chosen))
            chosen = [chosen[index]] if index is not None else chosen
        return chosen

    @staticmethod
    def _ask_cannot_come(dispatcher: CollectingDispatcher, mine: list[Appointment]) -> None:
        if len(mine) == 1:
            what = scheduling.describe(mine[0])
            dispatcher.utter_message(
                text=f"Just to be sure: can you come to your {what[0].lower()}{what[1:]}?",
                buttons=scheduling.appointment_buttons(mine[0], confirm=True),
            )
            return
        dispatcher.utter_message(
            text="It sounds like you can't make it. Shall I cancel an appointment or move one?",
            buttons=buttons(
                [
                    ("Cancel an appointment", payload("cancel_appointment")),
                    ("Move an appointment", payload("reschedule_appointment")),
                ]
            ),
        )

    @staticmethod
    def _ask_which(dispatcher: CollectingDispatcher, mine: list[Appointment]) -> None:
        if not mine:
            dispatcher.utter_message(text="You have no upcoming appointments to confirm.")
            return
        dispatcher.utter_message(
            text="Which appointment are you confirming?",
            buttons=buttons(
                (c["label"], payload("confirm_attendance", appointment_id=c["id"]))
                for c in as_choices(mine)
            ),
        )
