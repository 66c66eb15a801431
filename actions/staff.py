"""Staff only: the day's schedule, the open inbox, booking a meeting room. The staff role is
checked in the store on every call (clinic.staff / clinic.inbox re-check it too); a patient or
a stranger asking gets a plain refusal and nothing else.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.types import DomainDict

from actions.common import (
    DATE_LIKE,
    DOCTOR_LIKE,
    QUESTION_START_RE,
    StoreAction,
    answered_before,
    buttons,
    caller_of,
    day_said_before,
    entity,
    entity_values,
    follows_side_question,
    latest_text,
    log,
    payload,
    reset_flow,
    said_without_day,
    say_error,
    slot_before_message,
    store,
    time_entities,
    today,
)
from actions.faq import provider_hours
from actions.forms import GuardedForm, current_caller, is_activating
from actions.when import WEEKDAY, bare_clock, day_phrase, days_of, on_day, wanted
from clinic import clock, inbox, practice, staff, text
from clinic.errors import DomainError, NotStaff
from clinic.models import ActorKind, Desk, RoomKind, SlipKind, StaffRole, Urgency

INBOX_LIMIT = 10
# the day and provider of the last schedule shown, for "and tomorrow?" (actions/follow_up.py)
SCHEDULE_ASKED = "schedule_asked"
DEFAULT_MEETING = timedelta(hours=1)
_TITLE_RE = re.compile(r"\bfor\s+(?:(?:a|an|the|our)\s+)?(?P<title>[^,.!?]+)", re.IGNORECASE)
# "for an hour", "for 90 minutes", "for half an hour", "for 1.5 hrs": how long, not what for
_DURATION_RE = re.compile(
    r"\bfor\s+(?:(?P<half>half an? hour)|(?P<count>\d+(?:\.\d+)?|an?|one|two|three|four)\s*"
    r"(?P<unit>hours?|hrs?|minutes?|mins?)\b)",
    re.IGNORECASE,
)
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_TIME_WORDS = re.compile(
    r"\s+(?:on|at|from|tomorrow|today|next|this|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|\d).*$",
    re.IGNORECASE,
)


def unread_parts(
    tracker: Tracker, day_found: bool, provider_found: bool, shown: date | None = None
) -> list[str]:
    message = latest_text(tracker)
    notes = []
    if not day_found and DATE_LIKE.search(message):
        day = "today" if shown in (None, today()) else text.day(shown)
        notes.append(f"I couldn't read a date in that, so here is {day}")
    doctor = None if provider_found else DOCTOR_LIKE.search(message)
    if doctor:
        notes.append(f"I don't know {doctor.group(0).strip()} here, so here is everyone")
    return notes


def refuse(dispatcher, tracker: Tracker, offer_booking: bool = False) -> list[EventType]:
    """The plain staff-only refusal; but a patient in the middle of a form who seems to ask a
    staff question was almost surely misread ("next blursday" when asked for a time), so they
    hear that, and the form asks its question again. A patient asking what is on a day ("do
    you have room on wednesday?") most likely wants a free time: offered, with their own
    appointments."""
    if (tracker.active_loop or {}).get("name"):
        dispatcher.utter_message(text="Sorry, I didn't catch that.")
        return []
    if offer_booking:
        dispatcher.utter_message(
            text="The practice's schedule is for staff only, but I can find you a free time.",
            buttons=buttons(
                [
                    ("Book an appointment", "/book_appointment"),
                    ("My appointments", "/list_appointments"),
                ]
            ),
        )
        return []
    say_error(dispatcher, NotStaff())
    return []


# "Who's next?", "next patient?": the coming visits, not the whole day
_NEXT_RE = re.compile(
    r"\b(who'?s|who\s+is|whos)\s+(up\s+)?next\b|\bnext\s+(patient|appointment|one\s+in)\b|"
    r"\bwho('?s|\s+is)\s+coming\s+in\s+next\b",
    re.IGNORECASE,
)


# The asker's own schedule (staff who are also a provider): "my schedule", "who am I seeing".
_OWN_RE = re.compile(r"\b(my|mine|am i|do i|have i|i have|i've got|i'm|me)\b", re.I)


# "do I have anything on friday?", "am I booked in tuesday?": one's own appointments
_OWN_DAY_RE = re.compile(
    r"\b(do\s+i\s+have|have\s+i\s+got|i\s+have\s+any|am\s+i\s+(booked|seeing|due|in)|"
    r"my\s+(appointments?|appts?|visits?|bookings?))\b",
    re.IGNORECASE,
)


# "send a reminder to all of tomorrow's patients", "text everyone booked friday"
_SEND_TO_PATIENTS_RE = re.compile(
    r"^\W*(please\s+)?(send|text|email|e-mail|message|remind|notify|call)\b.*\b(all|every\w*|"
    r"patients)\b",
    re.IGNORECASE,
)
# "when am I free?", "any open slots on Thursday?", "is Dr Lee available friday?"
_FREE_TIME_ASKED_RE = re.compile(
    r"(?<!feel )\b(free|available|availability|gaps?|openings?|open\s+(slots?|times?|spots?))\b"
    r"(?!\s+(rooms?|of charge))",
    re.IGNORECASE,
)


class ActionStaffSchedule(StoreAction):
    """ "What's on today?", "who is Dr Patel seeing tomorrow?" """

    def name(self) -> str:
        return "action_staff_schedule"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        # "who is Maria Lopez seeing this week?": one patient's visits, not the day's
        from actions.patient_lookup import say_patients_visits  # it imports this module

        if say_patients_visits(dispatcher, tracker):
            return []
        if _SEND_TO_PATIENTS_RE.search(latest_text(tracker)):
            # "send a reminder to all of tomorrow's patients": not from here, and not needed
            dispatcher.utter_message(
                text="I can't send messages to patients from this chat. Reminders go out by "
                "themselves, the day before and 2 hours before each visit, with buttons to "
                "confirm, move or cancel."
            )
            return []
        if _FREE_TIME_ASKED_RE.search(latest_text(tracker)):
            # "when am I free this week?", "does Dr Garcia have any free slots on Wednesday
            # afternoon?": the gaps, not the bookings
            with store(readonly=True) as session:
                caller = caller_of(session, tracker)
                if caller.is_staff:
                    from actions.booking import say_free_times_to_staff  # it imports this module

                    named = entity(tracker, "provider")
                    own = caller.staff.provider.key if caller.staff.provider else None
                    provider = named if named and named != "any" else own
                    if provider:
                        return say_free_times_to_staff(
                            dispatcher,
                            session,
                            tracker,
                            provider,
                            entity(tracker, "appointment_type"),
                        )
        if self.patient_asks_own_day(tracker):
            # a patient's "do I have anything this friday?": their own appointments that day
            from actions.appointments import ActionListAppointments  # it imports this module

            return ActionListAppointments().run(dispatcher, tracker, domain)
        asked = tracker.get_slot(SCHEDULE_ASKED)
        if (
            isinstance(asked, dict)
            and asked.get("days")
            and answered_before(tracker) == self.name()
        ):
            # "tuesday's schedule" just after a week's summary: that week's Tuesday
            return self.answer(dispatcher, tracker, {"days": asked["days"]})
        return self.answer(dispatcher, tracker, {})

    @staticmethod
    def patient_asks_own_day(tracker: Tracker) -> bool:
        text = latest_text(tracker)
        if (tracker.active_loop or {}).get("name") or not _OWN_DAY_RE.search(text):
            return False
        if entity(tracker, "provider"):
            return False  # "do I have anything with Dr Lee?": the doctor's time, below
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
            return caller.is_patient and not caller.is_staff

    def answer(self, dispatcher, tracker, before: dict[str, Any]) -> list[EventType]:
        """The schedule for the day and provider the message names; what it leaves out comes
        from `before`, the day and provider asked last ("and tomorrow?", "what about Dr Lee?"),
        else today and everyone."""
        said = next(iter(time_entities(tracker)), None)
        found_days = days_of(said.get("value")) if said else None
        if found_days and said and before.get("days"):
            found_days = _in_days_shown(found_days, said, before["days"], latest_text(tracker))
        found_day = found_days[0] if found_days else None
        day = found_day or _day_or_none(before.get("day")) or today()
        provider = entity(tracker, "provider") or before.get("provider")
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_staff:
                log.info("staff.refused action=schedule")
                named = entity(tracker, "provider")
                if AVAILABILITY_RE.search(latest_text(tracker)) and not (
                    tracker.active_loop or {}
                ).get("name"):
                    # "does Dr Lee have anything tomorrow morning?": a free time is wanted
                    return look_for_a_time(tracker)
                if named and not (tracker.active_loop or {}).get("name"):
                    # a patient's "is Dr Patel in tomorrow morning?": not the schedule (staff
                    # only), but when the doctor sees patients, which anyone may know
                    asked = [wanted(e.get("value")) for e in time_entities(tracker)]
                    return provider_hours(dispatcher, str(named), [w for w in asked if w])
                return refuse(dispatcher, tracker, offer_booking=found_day is not None)
            own = caller.staff.provider
            if provider is None and own is not None and _OWN_RE.search(latest_text(tracker)):
                provider = own.key  # a doctor's "my schedule", "who am I seeing today"
            shown: tuple[date, date] | None = None
            try:
                if _NEXT_RE.search(latest_text(tracker)) and day == today():
                    provider = provider or (own.key if own else None)  # a doctor's "who's next?"
                    days = staff.day_schedule(session, caller.staff_actor, day, provider)
                    dispatcher.utter_message(text=staff.format_next(days, clock.now()))
                    return [SlotSet(SCHEDULE_ASKED, {"day": day.isoformat(), "provider": provider})]
                if found_days and found_days[0] != found_days[1]:  # "next week"
                    shown = found_days
                    answer = staff.format_days(session, caller.staff_actor, *found_days, provider)
                else:
                    days = staff.day_schedule(session, caller.staff_actor, day, provider)
                    answer = staff.format_schedule(days, day, _part_of(said, day))
            except DomainError as error:
                say_error(dispatcher, error)
                return []
        notes = unread_parts(tracker, found_day is not None, provider is not None, day)
        if notes:
            note = "; ".join(notes)
            dispatcher.utter_message(text=note[0].upper() + note[1:] + ".")
        dispatcher.utter_message(text=answer)
        asked = {"day": day.isoformat(), "provider": provider}
        if shown:
            asked["days"] = [shown[0].isoformat(), shown[1].isoformat()]
        return [SlotSet(SCHEDULE_ASKED, asked)]


_WEEKDAY_ONLY_RE = re.compile(rf"(?:on\s+)?{WEEKDAY}", re.IGNORECASE)


# A patient asking whether a doctor or the practice has room, rather than what is on.
AVAILABILITY_RE = re.compile(
    r"\b(any(thing|\s+time)?\s+(free|open|available|left|earlier|sooner)|(have|has|got)\s+(any(thing)?|room)\b|"
    r"(is|are)\s+\w+(\s+\w+)?\s+(free|available)|free\s+(slots?|times?|spots?)|"
    r"availab\w*|openings?|room\s+for\s+me|fit\s+me\s+in|squeeze\s+me\s+in|see\s+me|"
    r"(taking|accepting|booking)\s+(new\s+)?(appointments|patients|bookings)|"
    r"(have|has|got)\s+(any\s+)?(time|space|spots?|slots?))\b",
    re.IGNORECASE,
)


def look_for_a_time(tracker: Tracker) -> list[EventType]:
    """The booking form, with the doctor, day and visit type the question named."""
    said = {
        "provider": entity(tracker, "provider"),
        "appointment_type": entity(tracker, "appointment_type"),
        "time": next(iter(time_entities(tracker)), {}).get("value"),
    }
    log.info("staff.schedule_asked_by_patient to=booking_form")
    return [
        *(SlotSet(slot, value) for slot, value in said.items() if value),
        FollowupAction("booking_form"),
    ]


def _in_days_shown(
    found: tuple[date, date], said: dict[str, Any], shown: list[str], message: str
) -> tuple[date, date]:
    """ "tuesday" after the week's summary: the Tuesday of the days shown, not this week's."""
    words = message[said.get("start", 0) : said.get("end", len(message))].strip()
    first, last = (_day_or_none(d) for d in shown)
    if found[0] != found[1] or not first or not last or not _WEEKDAY_ONLY_RE.fullmatch(words):
        return found
    day = first + timedelta(days=(found[0].weekday() - first.weekday()) % 7)
    return (day, day) if day <= last else found


def _part_of(said: dict[str, Any] | None, day: date) -> tuple[datetime, datetime] | None:
    """The hours of the day asked about ("friday afternoon", "tomorrow 2-4"), if not all of
    it."""
    found = wanted(said.get("value")) if said else None
    if found is None or found.is_exact or text.local(found.start).date() != day:
        return None
    whole = found.end - found.start >= timedelta(days=1)
    return None if whole else (found.start, found.end)


def _day_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


URGENT_ASKED_RE = re.compile(r"\b(urgent|emergenc\w*|important)\b", re.IGNORECASE)
_URGENT = (Urgency.EMERGENCY, Urgency.URGENT)
# "any refill requests?": one kind of slip, named as staff say it.
_KIND_ASKED = (
    (r"refills?|prescriptions?|renewals?|meds", SlipKind.REFILL, "refill requests"),
    (r"records?|lab results|transfers?", SlipKind.RECORDS, "records requests"),
    (r"payment plans?|instal+ments?", SlipKind.PAYMENT_PLAN, "payment plan requests"),
    (r"documents?|uploads?|photos?|files?|scans?", SlipKind.DOCUMENT, "documents"),
    (r"call ?backs?|call me back", SlipKind.CALLBACK, "callback requests"),
)


_FOR_ME_RE = re.compile(r"\b(for\s+me|my|mine)\b", re.IGNORECASE)


# "billing messages", "anything for the front desk?", "nurse messages": one desk's inbox
_DESK_ASKED = (
    (re.compile(r"\b(billing|accounts|payments?)\b", re.IGNORECASE), Desk.BILLING),
    (re.compile(r"\b(front\s*desk|reception)\b", re.IGNORECASE), Desk.FRONT_DESK),
    (re.compile(r"\b(nurses?|nursing)\b", re.IGNORECASE), Desk.NURSE),
)
_DESK_NAMES = {Desk.BILLING: "billing office", Desk.FRONT_DESK: "front desk", Desk.NURSE: "nurse"}
# whose "messages for me?" is their desk's (the front desk triages them all: it sees all)
_DESK_OF_ROLE = {StaffRole.BILLING: Desk.BILLING, StaffRole.NURSE: Desk.NURSE}


def _desk_asked(message: str, role: Any) -> Desk | None:
    """The desk whose messages are asked for: named, or the asker's own ("for me")."""
    for pattern, desk in _DESK_ASKED:
        if pattern.search(message):
            return desk
    return _DESK_OF_ROLE.get(role) if _FOR_ME_RE.search(message) else None


def _kind_asked(message: str) -> tuple[SlipKind | None, str]:
    for words, kind, name in _KIND_ASKED:
        if re.search(rf"\b({words})\b", message, re.IGNORECASE):
            return kind, name
    return None, "messages"


def _inbox_line(slip: Any) -> str:
    mark = {Urgency.EMERGENCY: "🚨 ", Urgency.URGENT: "❗ "}.get(slip.urgency, "")
    for_whom = (
        slip.provider.display_name
        if getattr(slip, "provider", None)
        else slip.desk.value.replace("_", " ")
    )
    reason = " ".join(slip.reason.split())
    return (
        f"• {mark}#{slip.id} {slip.kind.value.replace('_', ' ')} for {for_whom} from "
        f"{slip.from_name}, {text.when(slip.created_at)}"
        f"{' (answered)' if slip.status.value == 'answered' else ''}: "
        f"{reason[:120]}{'…' if len(reason) > 120 else ''}"
    )


# what the bot's gateway does with typed inbox commands (bot/staff_desk.py TYPED_COMMAND)
INBOX_HINT = "Type “reply {n} <your answer>” to answer #{n}, or “close {n}” to close it."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


class ActionStaffMessages(StoreAction):
    """Open inbox items, emergencies and urgent ones first, then the oldest; only the urgent
    ones, one kind ("any refill requests?") or one provider's ("messages for Dr Patel?") when
    asked, with how many others wait."""

    def name(self) -> str:
        return "action_staff_messages"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_staff and caller.is_patient:
                # a patient's "any messages for me?", "did Dr Patel reply?": their own
                return say_my_messages(dispatcher, session, caller)
            if not caller.is_staff:
                log.info("staff.refused action=messages")
                return refuse(dispatcher, tracker)
            return say_inbox(dispatcher, tracker, session, caller)


MY_MESSAGES_SHOWN = 5


def say_my_messages(dispatcher, session, caller) -> list[EventType]:
    """The patient's own recent messages to the practice and where each stands."""
    slips = inbox.my_messages(session, caller.actor, limit=MY_MESSAGES_SHOWN)
    if not slips:
        dispatcher.utter_message(
            text="You haven't sent the practice any messages here yet.",
            buttons=buttons([("Leave a message", "/leave_message")]),
        )
        return []
    lines = ["Your recent messages to the practice:"]
    for slip in slips:
        for_whom = (
            slip.provider.display_name if slip.provider else _DESK_NAMES.get(slip.desk, "practice")
        )
        staff_replies = [r for r in slip.replies if r.author_kind is ActorKind.STAFF]
        if staff_replies:
            answer = " ".join(staff_replies[-1].text.split())
            state = f"answered: “{answer[:100]}{'…' if len(answer) > 100 else ''}”"
        else:
            state = "closed" if slip.status.value == "closed" else "not answered yet"
        what = slip.kind.value.replace("_", " ")
        lines.append(f"• {text.when(slip.created_at)}, {what} for {for_whom}: {state}")
    lines.append("Replies from the practice come to you here, in this chat.")
    dispatcher.utter_message(text="\n".join(lines))
    return []


def say_inbox(dispatcher, tracker: Tracker, session, caller) -> list[EventType]:
    """The inbox as the message asks for it (a staff caller, checked by the caller)."""
    message = latest_text(tracker)
    urgent_only = bool(URGENT_ASKED_RE.search(message))
    kind, kind_name = _kind_asked(message)
    provider = _known_provider(session, entity(tracker, "provider"))
    if provider is None and caller.staff.provider and _FOR_ME_RE.search(message):
        provider = caller.staff.provider  # a doctor's "any messages for me?"
    desk = None if provider else _desk_asked(message, caller.staff.role)
    if kind is SlipKind.PAYMENT_PLAN:
        desk = None  # "payment plan requests": the kind says it
    if not (urgent_only or kind or provider or desk):
        return _whole_inbox(dispatcher, session, caller)
    slips = inbox.list_open(
        session,
        caller.staff_actor,
        desk=desk,
        kind=kind,
        provider_key=provider.key if provider else None,
        limit=500,
    )
    slips = [s for s in slips if not urgent_only or s.urgency in _URGENT]
    others = inbox.count_open(session, caller.staff_actor) - len(slips)
    lines = [_inbox_line(slip) for slip in slips[:INBOX_LIMIT]]
    what = f"{'urgent ' if urgent_only else ''}{kind_name}"
    what += f" for {provider.display_name}" if provider else ""
    what += f" for the {_DESK_NAMES[desk]}" if desk else ""
    rest = f"{_plural(others, 'other open message')}{' can wait' if urgent_only else ''}."
    if not lines:
        dispatcher.utter_message(text=f"No open {what} right now. {rest}")
        return []
    head = f"Open {what}: {len(slips)}"
    if len(slips) > INBOX_LIMIT:
        head += f", the {INBOX_LIMIT} {'most urgent' if urgent_only else 'first'} shown"
    head += ", emergencies first:" if urgent_only else ":"
    hidden = [_not_shown(len(slips) - len(lines), "urgent " if urgent_only else "")]
    tail = [*(hidden if len(slips) > len(lines) else []), *([rest] if others else [])]
    dispatcher.utter_message(text="\n".join([head, *lines, *tail]))
    return []


def _not_shown(count: int, what: str = "") -> str:
    """The part of the inbox a listing leaves out, never to be taken for "nothing else"."""
    return (
        f"{count} more open {what}{'message' if count == 1 else 'messages'} not shown here: "
        "type /inbox for the longer list."
    )


# Staff asking about messages rather than leaving one: "who do I need to call back?", "did
# anyone leave a message for Dr Lee?", "has Mrs Khan called?"
ASKS_ABOUT_MESSAGES_RE = re.compile(
    r"^\s*(who|whom|which|what|any|anything|anyone|anybody|did|has|have|were|are\s+there|"
    r"is\s+there|how\s+many)\b.*\b(messages?|messaged|call\s*backs?|call(ed)?\s+back|ring\s+back|"
    r"rang|rung|ring|calls?|called|phoned?|inbox|voice\s*mails?|notes?)\b",
    re.IGNORECASE,
)


def _whole_inbox(dispatcher, session, caller) -> list[EventType]:
    handoffs = inbox.open_handoffs(session, caller.staff_actor)
    slips = inbox.list_open(session, caller.staff_actor, limit=INBOX_LIMIT + 1)
    lines = [_inbox_line(slip) for slip in slips[:INBOX_LIMIT]]
    if not lines and not handoffs:
        dispatcher.utter_message(text="The inbox is empty: no open messages.")
        return []
    total = inbox.count_open(session, caller.staff_actor)
    head = f"Open messages: {total}"
    head += f", the {INBOX_LIMIT} most urgent shown, " if total > len(lines) else ", "
    head += "urgent first:" if lines else ""
    if handoffs:
        waiting = _plural(len(handoffs), "conversation")
        head = f"{waiting} waiting for a person. {head}"
    hidden = [_not_shown(total - len(lines))] if total > len(lines) else []
    hint = [INBOX_HINT.format(n=slips[0].id)] if lines else []
    dispatcher.utter_message(text="\n".join([head, *lines, *hidden, *hint]))
    return []


def _known_provider(session, key: Any) -> Any:
    try:
        return practice.get_provider(session, key) if isinstance(key, str) and key else None
    except DomainError:
        return None


# --- meeting rooms -------------------------------------------------------------------------------


def meeting_minutes(message: str) -> float | None:
    """How long the meeting is, if the request says ("for an hour", "for 30 minutes")."""
    found = _DURATION_RE.search(message or "")
    if not found:
        return None
    if found.group("half"):
        return 30.0
    count = found.group("count").lower()
    amount = float(_COUNTS.get(count, 0) or count)
    minutes = amount * (60 if found.group("unit").lower().startswith("h") else 1)
    return minutes if 0 < minutes <= 24 * 60 else None


def length_alone(message: str) -> float | None:
    """A meeting length said on its own ("1 hour", "for 30 minutes"), as an answer."""
    said = re.sub(r"(\s+long)?[.!]?$", "", (message or "").strip(), flags=re.IGNORECASE)
    said = said if said.lower().startswith("for ") else f"for {said}"
    return meeting_minutes(said) if _DURATION_RE.fullmatch(said) else None


def meeting_title(message: str) -> str:
    found = _TITLE_RE.search(_DURATION_RE.sub("", message or ""))
    if not found:
        return "Staff meeting"
    title = _TIME_WORDS.sub("", found.group("title")).strip()
    if _PEOPLE_RE.match(title):  # "for me and Rita", "for the whole team": who, not what
        return "Staff meeting"
    return title[:1].upper() + title[1:] if title else "Staff meeting"


_PEOPLE_RE = re.compile(
    r"^(me|us|myself|everyone|everybody|all(\s+of\s+us|\s+staff)?|(the\s+)?(whole\s+)?(team|staff)|"
    r"me\s+and\s+.*|.*\s+and\s+(me|i|myself))$",
    re.IGNORECASE,
)


def meeting_span(value: Any, minutes: float | None = None):
    """(start, end) of a meeting from a `time` value: a clock range, or a moment + its length
    (one hour unless the request said)."""
    want = wanted(value)
    if want is None or (isinstance(value, str) and len(value) == 10):
        return None
    if want.is_exact:
        length = timedelta(minutes=minutes) if minutes else DEFAULT_MEETING
        return want.exact, want.exact + length
    if isinstance(value, dict) and len(str(value.get("from", ""))) > 10:
        return want.start, want.end
    return None


# "a meeting with Ben and Dr Patel", "invite Rita": people named when booking starts
_INVITING_RE = re.compile(r"\b(with|invite|inviting|and)\b", re.IGNORECASE)


def named_staff(session, actor, message: str, provider_keys: list[Any]) -> list[Any]:
    """The staff members (not the asker) a message names, by first or last name ("Ben",
    "Okoro") or as a provider ("Dr Patel")."""
    words = {w.lower() for w in re.findall(r"[A-Za-z']+", message)}
    named = []
    for person in staff.staff_list(session, actor):
        if person.id == actor.id:
            continue
        parts = {p.lower() for p in person.name.replace(".", " ").split() if len(p) > 2}
        is_provider = person.provider is not None and person.provider.key in provider_keys
        if parts & words or is_provider:
            named.append(person)
    return named


def _names_of(session, staff_ids: list[Any]) -> str:
    names = [person.name for person in staff.staff_by_ids(session, staff_ids)]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


# "is the conference room free at 2?", "which meeting rooms are free tomorrow at 10?"
_ROOM_FREE_ASKED_RE = re.compile(
    r"^\W*(is|are|which|what|any|do we have)\b.*\b(free|available|booked|taken|empty)\b",
    re.IGNORECASE,
)


def say_rooms_free(dispatcher, session, caller, tracker: Tracker) -> list[EventType]:
    """Whether the room named (or each meeting room) is free at the time asked, for the length
    said (an hour if none), with who has it when not; a button books a free one."""
    want = wanted(time_entities(tracker)[0].get("value"))
    if want is None:
        return []
    start = want.exact or want.start
    minutes = meeting_minutes(latest_text(tracker)) or DEFAULT_MEETING.total_seconds() / 60
    end = start + timedelta(minutes=minutes) if want.exact else want.end
    named = entity(tracker, "room")
    rooms = (
        [practice.get_room(session, named)] if named else practice.rooms(session, RoomKind.MEETING)
    )
    booked = [
        b
        for b in staff.room_bookings(session, caller.staff_actor, text.local(start).date())
        if b.start_at < end and start < b.end_at
    ]
    when = f"{text.when(start)}" + ("" if want.exact else f" to {text.clock_time(end)}")
    lines, choices = [], []
    for room in rooms:
        taken = [b for b in booked if b.room_id == room.id]
        if taken:
            spans = "; ".join(
                f"{text.clock_time(b.start_at)}-{text.clock_time(b.end_at)} ({b.title})"
                for b in taken
            )
            lines.append(f"• {room.name}: booked {spans}")
        else:
            lines.append(f"• {room.name}: free")
            if want.exact:
                choices.append(
                    (
                        f"Book the {room.name}",
                        payload("staff_book_meeting", room=room.key, time=text.iso_local(start)),
                    )
                )
    log.info("staff.rooms_free rooms=%d", len(rooms))
    dispatcher.utter_message(text="\n".join([f"Meeting rooms, {when}:", *lines]),
                             buttons=buttons(choices))  # fmt: skip
    return []


class ValidateMeetingForm(GuardedForm):
    def name(self) -> str:
        return "validate_meeting_form"

    def gate(self, session, caller, dispatcher, tracker, activating):
        if not caller.is_staff:
            log.info("staff.refused action=meeting")
            say_error(dispatcher, NotStaff())
            return []
        said = latest_text(tracker)
        if activating and QUESTION_START_RE.search(said) and asks_about_my_meetings(said):
            # "any meetings tomorrow?": the meetings, not a new booking
            say_my_meetings(dispatcher, tracker)
            return []
        if activating and _ROOM_FREE_ASKED_RE.search(said) and time_entities(tracker):
            # "is the conference room free at 2pm today?": whether it is, then the way to book
            return say_rooms_free(dispatcher, session, caller, tracker)
        return None

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        events: list[EventType] = []
        if activating:
            said = latest_text(tracker)
            events.append(SlotSet("meeting_title", meeting_title(said)))
            events.append(SlotSet("meeting_minutes", meeting_minutes(said)))
        elif (length := length_alone(latest_text(tracker))) and not changed & {"time"}:
            # "1 hour" while the room is asked: kept for when the time is known
            events.append(SlotSet("meeting_minutes", length))
            hours, minutes = divmod(int(length), 60)
            parts = (hours and _plural(hours, "hour"), minutes and _plural(minutes, "minute"))
            dispatcher.utter_message(text=f"Noted: {' '.join(p for p in parts if p)}.")
        room, value = tracker.get_slot("room"), tracker.get_slot("time")
        if room and value and changed & {"room", "time", "meeting_invite"}:
            minutes = (
                meeting_minutes(latest_text(tracker))
                if activating
                else tracker.get_slot("meeting_minutes")
            )
            span = meeting_span(value, minutes)
            if span is not None:
                invite = tracker.get_slot("meeting_invite")
                with store(readonly=True) as session:
                    name = practice.get_room(session, room).name
                    guests = _names_of(session, invite) if isinstance(invite, list) else ""
                title = tracker.get_slot("meeting_title") or meeting_title(latest_text(tracker))
                events.append(
                    SlotSet(
                        "slot_label",
                        f"the {name} on {text.when(span[0])}–{text.clock_time(span[1])} for "
                        f"“{title}”" + (f", inviting {guests}" if guests else ""),
                    )
                )
        return events

    def extract_meeting_invite(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """Who to invite, named ("with Ben and Dr Patel", or "Ben and Rita" when asked whether
        to invite everyone): their staff ids. Said when booking starts, or when asked."""
        asked = tracker.get_slot("requested_slot") == "meeting_invite"
        if not (asked or is_activating(tracker, self.form_name())) or not self.answers(tracker):
            return {}
        message = latest_text(tracker)
        if not asked and not _INVITING_RE.search(message):
            return {}
        with store(readonly=True) as session:
            actor = current_caller().staff_actor
            named = named_staff(session, actor, message, entity_values(tracker, "provider"))
        return {"meeting_invite": [person.id for person in named]} if named else {}

    def extract_time(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """ "2 to 3" when asked what time: a time, on the day said before."""
        if tracker.get_slot("requested_slot") != "time" or time_entities(tracker):
            return {}
        value = bare_clock(latest_text(tracker))
        if value is None:
            return {}
        day = day_said_before(tracker)
        return {"time": on_day(value, day) if day else value}

    def validate_room(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            with store(readonly=True) as session:
                room = practice.get_room(session, str(value))
                if room.kind is not RoomKind.MEETING:
                    names = ", ".join(r.name for r in practice.rooms(session, RoomKind.MEETING))
                    dispatcher.utter_message(
                        text=f"{room.name} is an exam room. Meeting rooms: {names}."
                    )
                    return {"room": None}
        except DomainError as error:
            say_error(dispatcher, error)
            return {"room": None}
        return {"room": room.key}

    def validate_time(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if follows_side_question(tracker) == "staff_schedule":
            # "who is Dr Patel seeing tomorrow?" ... "and Friday?": that schedule again; the
            # meeting keeps the time it had
            before = tracker.get_slot(SCHEDULE_ASKED)
            events = ActionStaffSchedule().answer(dispatcher, tracker, before or {})
            kept = slot_before_message(tracker, "time")
            return {"time": kept, **{e["name"]: e["value"] for e in events}}
        earlier_day = day_said_before(tracker)
        if earlier_day and said_without_day(tracker, value):
            value = on_day(value, earlier_day)  # "tomorrow" ... "2 to 3pm"
        # a length said with the time ("at 2 for 30 minutes") wins over one said before
        minutes = meeting_minutes(latest_text(tracker)) or tracker.get_slot("meeting_minutes")
        span = meeting_span(value, minutes)
        if span is None:
            # a day alone: the time question asks what time that day (action_ask_..._time)
            return {"time": None}
        try:  # say now, not after the confirmation, that the time can't be had
            with store(readonly=True) as session:
                staff.check_meeting_time(session, *span)
        except DomainError as error:
            say_error(dispatcher, error)
            return {"time": None}
        return {"time": value, "meeting_minutes": minutes}

    def validate_meeting_confirmed(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is not True:
            return {"meeting_confirmed": False if value is False else None}
        span = meeting_span(tracker.get_slot("time"), tracker.get_slot("meeting_minutes"))
        if span is None:
            return {"meeting_confirmed": None, "time": None}
        actor = current_caller().staff_actor
        try:
            with store() as session:
                invite = tracker.get_slot("meeting_invite")
                invitees = []
                if isinstance(invite, list):  # the people named
                    invitees = [int(staff_id) for staff_id in invite]
                elif invite:  # the whole team
                    invitees = [
                        person.id
                        for person in staff.staff_list(session, actor)
                        if person.id != actor.id
                    ]
                booking = staff.book_room(
                    session,
                    actor,
                    tracker.get_slot("room"),
                    span[0],
                    span[1],
                    tracker.get_slot("meeting_title") or "Staff meeting",
                    invitees,
                )
                booked = booking.id
        except DomainError as error:
            say_error(dispatcher, error)
            return {"meeting_confirmed": None, "time": None}
        log.info("meeting.booked booking=%s invitees=%d", booked, len(invitees))
        return {"meeting_confirmed": True, "last_appointment_id": f"room:{booked}"}


class ActionAskRoom(StoreAction):
    def name(self) -> str:
        return "action_ask_room"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store(readonly=True) as session:
            rooms = [(r.name, r.key) for r in practice.rooms(session, RoomKind.MEETING)]
        dispatcher.utter_message(
            text="Which room?",
            buttons=buttons((name, payload("inform", room=key)) for name, key in rooms),
        )
        return []


class ActionSubmitMeeting(StoreAction):
    def name(self) -> str:
        return "action_submit_meeting"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        confirmed = tracker.get_slot("meeting_confirmed")
        if confirmed is True:
            invited = (
                " I've sent the invitations with a calendar file."
                if tracker.get_slot("meeting_invite")  # everyone, or the people named
                else ""
            )
            dispatcher.utter_message(text=f"Booked: {tracker.get_slot('slot_label')}.{invited}")
        elif confirmed is False:
            dispatcher.utter_message(text="OK, I haven't booked the room.")
        return reset_flow(tracker)


# --- cancelling a room booking -------------------------------------------------------------

# The cancel form's appointment_id for a staff member's room booking: "room:12" picks it,
# "room:12:yes" confirms (each step is one button; the form ends after each)
_ROOM_PICK_RE = re.compile(r"^room:(?P<id>\d+)(?P<yes>:yes)?$")


def _booking_label(booking) -> str:
    return (
        f"“{booking.title}” in the {booking.room.name}, {text.when(booking.start_at)}–"
        f"{text.clock_time(booking.end_at)}"
    )


# "what meetings do I have?", "my room bookings", "which rooms have I booked?" (not "book ...")
_MY_MEETINGS_RE = re.compile(
    r"\b(meetings?|room bookings?|rooms? (?:have )?i(?: have|'ve)? booked|booked rooms?)\b",
    re.IGNORECASE,
)
_BOOKING_ASKED_RE = re.compile(r"\b(book|reserve|set up|arrange|grab)\b", re.IGNORECASE)


def asks_about_my_meetings(said: str) -> bool:
    return bool(_MY_MEETINGS_RE.search(said)) and not (
        _BOOKING_ASKED_RE.search(said) and not QUESTION_START_RE.search(said)
    )


def say_my_meetings(dispatcher, tracker: Tracker) -> bool:
    """A staff member asking about their meetings: the ones ahead (on the days said) that they
    organised or are invited to. False when the caller is no staff member or asked no such
    thing."""
    said = latest_text(tracker)
    if not asks_about_my_meetings(said):
        return False
    found = next((e.get("value") for e in time_entities(tracker)), None)
    first, last = days_of(found) if found is not None else (None, None)
    with store(readonly=True) as session:
        caller = caller_of(session, tracker)
        if not caller.is_staff:
            return False
        meetings = staff.my_meetings(session, caller.staff_actor, first, last)
        lines = [
            f"• {_booking_label(b)}"
            + ("" if b.booked_by_id == caller.staff.id else f" (booked by {b.booked_by.name})")
            for b in meetings
        ]
    when = f" {day_phrase(found)}" if found is not None else " ahead"
    log.info("staff.my_meetings count=%d", len(lines))
    if not lines:
        dispatcher.utter_message(
            text=f"You have no meetings{when}.",
            buttons=buttons([("Book a meeting room", "/staff_book_meeting")]),
        )
        return True
    dispatcher.utter_message(text="\n".join([f"Your meetings{when}:", *lines]))
    return True


def cancel_room_booking_step(session, caller, dispatcher, tracker: Tracker) -> list[EventType]:
    """A staff member's "cancel the staff meeting on Friday" (the cancel form, whose
    appointments are patients'): the room bookings they organised that are still ahead (on the
    day said, if any); one picked is asked about; confirmed, it is cancelled and the people
    invited are told (clinic.staff.cancel_room_booking)."""
    actor = caller.staff_actor
    picked = _ROOM_PICK_RE.match(str(tracker.get_slot("appointment_id") or ""))
    try:
        if picked and picked["yes"]:
            booking = staff.my_room_booking(session, actor, int(picked["id"]))
            label, told = _booking_label(booking), len(booking.invitee_ids)
            staff.cancel_room_booking(session, actor, booking.id)
            log.info("meeting.cancelled booking=%s invitees=%d", booking.id, told)
            invited = (
                f" I've told the {told} people invited."
                if told > 1
                else (" I've told the person invited." if told else "")
            )
            dispatcher.utter_message(text=f"Cancelled: {label}.{invited}")
            return []
        if picked:
            mine = [staff.my_room_booking(session, actor, int(picked["id"]))]
        else:
            said = next(iter(time_entities(tracker)), None)
            days = days_of(said.get("value")) if said else None
            mine = staff.my_room_bookings(session, actor, *(days or (None, None)))
    except DomainError as error:
        say_error(dispatcher, error)
        return []
    if not mine:
        dispatcher.utter_message(
            text="You have no room bookings coming up"
            + (" then" if not picked and time_entities(tracker) else "")
            + ". Patients' appointments are changed by the patient or in the practice's system.",
            buttons=buttons([("Book a meeting room", "/staff_book_meeting")]),
        )
        return []
    if len(mine) == 1:
        (booking,) = mine
        invited, yes = len(booking.invitee_ids), f"room:{booking.id}:yes"
        note = (
            f" The {invited} people invited will be told."
            if invited > 1
            else (" The person invited will be told." if invited else "")
        )
        dispatcher.utter_message(
            text=f"Cancel {_booking_label(booking)}?{note}",
            buttons=buttons([("Yes, cancel it", payload("cancel_appointment", appointment_id=yes)),
                             ("No, keep it", "/deny")]),
        )  # fmt: skip
        return []
    dispatcher.utter_message(
        text="Which room booking would you like to cancel?",
        buttons=buttons(
            (_booking_label(b), payload("cancel_appointment", appointment_id=f"room:{b.id}"))
            for b in mine
        ),
    )
    return []
