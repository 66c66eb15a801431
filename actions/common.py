"""What every action module shares: a store session, who is talking, entity values, replies.

Actions are thin: read slots and entities, call clinic/, say the result. Identity is the Rasa
sender id (`tg:<id>`, `web:<id>`), looked up in the store on every call; nothing a person types
or a button carries is trusted to say who they are or what they own.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy.orm import Session

from clinic import clock, practice, text
from clinic.db import session_scope
from clinic.errors import DomainError, InvalidInput
from clinic.identity import Caller, who_is
from clinic.red_flags import about_self_harm
from nlu.time_parsing import negated_at

log = logging.getLogger("actions")

# Intents that answer a question on the side: they never fill a form's free-text slot, so a
# form rejects them, the rule for the intent answers, and the form asks again.
SIDE_INTENTS = (
    "stop",
    "report_emergency",
    "request_human",
    "help",
    "bot_challenge",
    "greet",
    "goodbye",
    "ask_hours",
    "ask_location",
    "ask_services",
    "ask_visit_prep",
    "ask_balance",
    "ask_invoice",
    "ask_insurance",
    "ask_claim_status",
    "ask_payment_options",
    "ask_cost",
    "ask_my_details",
    "request_payment_plan",
    "list_appointments",
    "running_late",
    "out_of_scope",
)

# Every slot a form fills: reset when a flow ends so nothing leaks into the next one.
FLOW_SLOTS = (
    "also_wanted",
    "visit_reason",
    "appointment_type",
    "provider",
    "time",
    "slot_start",
    "offered_slots",
    "booking_confirmed",
    "appointment_id",
    "offered_appointments",
    "reschedule_confirmed",
    "cancel_confirmed",
    "message_recipient",
    "message_text",
    "callback_number",
    "message_urgent",
    "contact_name",
    "message_kind",
    "link_phone",
    "link_dob",
    "full_name",
    "register_confirmed",
    "room",
    "meeting_title",
    "meeting_minutes",
    "meeting_invite",
    "meeting_confirmed",
    "slot_label",
    "appointment_label",
    "last_appointment_id",
)

# a provider slot's value for "whoever is free first"
ANY = "any"
LINK_BUTTONS = (
    ("Link my account", "/link_account"),
    ("Register as a new patient", "/register"),
)
HUMAN_BUTTON = ("Talk to a person", "/request_human")
BOOK_BUTTON = ("Book an appointment", "/book_appointment")


SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and I couldn't do that just now. Please try again "
    "in a minute, or talk to a person."
)


def answers_on_failure(run: Callable) -> Callable:
    """Wrap an action's `run`: if the store is unreachable (or anything else fails), the person
    gets a short apology and a way to a person instead of silence; the error is logged. A
    red-flag symptom in a message the NLU took for something else gets the emergency advice
    first, whichever action answers it."""

    @functools.wraps(run)
    async def wrapper(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        # it needs `store` from here
        from actions.red_flags import say_no_such_day, warn_before_answering

        reported = warn_before_answering(dispatcher, tracker)
        if reported and about_self_harm(latest_text(tracker)) and not _is_form(self):
            return []  # the bill or the hours can wait: the crisis line and a person first
        say_no_such_day(dispatcher, tracker)
        warning = list(dispatcher.messages)
        try:
            result = run(self, dispatcher, tracker, domain)
            return await result if inspect.isawaitable(result) else result
        except Exception:
            log.exception("action.failed action=%s", self.name())
            dispatcher.messages[:] = warning  # half an answer would mislead; the advice stays
            dispatcher.utter_message(text=SOMETHING_WENT_WRONG, buttons=buttons([HUMAN_BUTTON]))
            return []

    return wrapper


def _is_form(action: Any) -> bool:
    return isinstance(action, FormValidationAction)


class StoreAction(Action, ABC):
    """Base of our actions: every subclass's `run` answers even when something fails.
    (Abstract, so rasa-sdk registers only the concrete actions.)"""

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = answers_on_failure(cls.__dict__["run"])  # type: ignore[method-assign]


@contextmanager
def store(readonly: bool = False) -> Iterator[Session]:
    """One transaction on the clinic store (DATABASE_URL)."""
    with session_scope(readonly=readonly) as session:
        yield session


def caller_of(session: Session, tracker: Tracker) -> Caller:
    """Who the sender is. A sender id that is no channel identity (rasa shell's "default")
    is a stranger with no rights at all."""
    try:
        return who_is(session, tracker.sender_id)
    except InvalidInput:
        return Caller(identity=tracker.sender_id or "unknown")


def reset_flow(tracker: Tracker) -> list[EventType]:
    """Forget a finished flow's answers: only the slots that hold something (every event makes
    each later turn of the conversation a little slower to load)."""
    return [SlotSet(name, None) for name in FLOW_SLOTS if tracker.get_slot(name) is not None]


def end_flow(tracker: Tracker) -> list[EventType]:
    """Leave any active form and forget its answers."""
    events = reset_flow(tracker)
    if (tracker.active_loop or {}).get("name"):
        events = [ActiveLoop(None), *events, SlotSet("requested_slot", None)]
    return events


def buttons(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "payload": payload} for title, payload in pairs]


def payload(intent: str, **entities: Any) -> str:
    """`/intent{"key":"value"}` (Rasa's button syntax); values travel as strings."""
    if not entities:
        return "/" + intent
    body = json.dumps({k: str(v) for k, v in entities.items()}, separators=(",", ":"))
    return f"/{intent}{body}"


# A date or a doctor the message seems to name but nothing understood: say so rather than
# go on silently ("31 feb", "next blursday", "Dr Nobody").
DATE_LIKE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*\d|"
    r"\b\d{1,2}(st|nd|rd|th)?\s+(of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    r"\b\d{1,4}[/.-]\d{1,2}([/.-]\d{1,4})?\b|"
    r"\b(?!to|birth|holi|every|some)\w+day\b",
    re.IGNORECASE,
)
# A message that asks about something rather than asks for it ("when is ...", "any meetings
# tomorrow?", "show me ...")
QUESTION_START_RE = re.compile(
    r"^\W*(?:any|what|which|when|where|show|list|do|does|has|have|am|is|are)\b", re.IGNORECASE
)
# "Dr Smith", "doctor Jones", "nurse Kim": someone named, to check against the practice's people
DOCTOR_LIKE = re.compile(r"\b(?:dr\.?|doctor|nurse)\s+(?P<name>[a-z][a-z'-]+)", re.IGNORECASE)


# "see the doctor about", "a doctor tomorrow": words after "doctor" that are not a name
_NOT_NAMES = frozenset(
    {
        "about",
        "after",
        "again",
        "and",
        "any",
        "anyone",
        "as",
        "asap",
        "at",
        "available",
        "before",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "next",
        "not",
        "now",
        "of",
        "on",
        "or",
        "please",
        "quickly",
        "really",
        "regarding",
        "since",
        "so",
        "soon",
        "that",
        "the",
        "this",
        "to",
        "today",
        "tomorrow",
        "was",
        "who",
        "will",
        "with",
        "would",
    }
)


# "what did the doctor say", "my nurse told me": a doctor, not a title before a name
_GENERIC_BEFORE = re.compile(r"\b(?:the|a|an|my|your|our|his|her|their|that|this|which)\s+$", re.I)


def doctor_named(said: str) -> re.Match | None:
    """ "Dr Smith", "doctor Pattel": a person named as a doctor in the message, if any."""
    return next(
        (
            m
            for m in DOCTOR_LIKE.finditer(said or "")
            if m.group("name").lower() not in _NOT_NAMES
            and not _GENERIC_BEFORE.search(said[: m.start()])
        ),
        None,
    )


def say_no_upcoming(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        text="You have no upcoming appointments.", buttons=buttons([BOOK_BUTTON])
    )


def say_unknown_doctor(dispatcher, said: str) -> None:
    """A doctor named in the message whom the practice does not have: say so, with who is."""
    named = doctor_named(said)
    if named is None:
        return
    with store(readonly=True) as session:
        people = ", ".join(p.display_name for p in practice.providers(session))
    dispatcher.utter_message(
        text=f"I couldn't find {named.group(0).strip()} at the practice. Our providers are "
        f"{people}."
    )


_PAYLOAD_RE = re.compile(r"^/(?P<intent>[\w-]+)(?P<entities>\{.*\})?$", re.DOTALL)


def payload_intent(text: str) -> str | None:
    """The intent a button payload sends: `/book_appointment{...}` gives book_appointment."""
    match = _PAYLOAD_RE.match((text or "").strip())
    return match.group("intent") if match else None


def payload_entities(text: str) -> dict[str, Any]:
    """The entities a button payload carries: `/inform{"provider":"lee"}` gives provider lee."""
    match = _PAYLOAD_RE.match((text or "").strip())
    if not match or not match.group("entities"):
        return {}
    try:
        found = json.loads(match.group("entities"))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def say_if_date_unread(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A message that seems to give a date ("feb 30", "next blursday") but gave no time: say
    so, rather than go on as if no date had been said. The time question follows."""
    said = latest_text(tracker)
    dates = [found for found in DATE_LIKE.finditer(said) if not negated_at(said, found.start())]
    if time_entities(tracker) or not dates:
        return False  # none, or only the day not wanted ("any day but Monday")
    dispatcher.utter_message(text="I couldn't read a date in that. I'll ask you for the day.")
    return True


SESSION_BOUNDARIES = ("session_started", "restart")


def recent_events(tracker: Tracker) -> Iterator[dict[str, Any]]:
    """The conversation's events, newest first, back to the start of the current session: a
    button shown or a question asked before the session expired (or was restarted) is not what
    a message today answers."""
    for event in reversed(tracker.events):
        if event.get("event") in SESSION_BOUNDARIES:
            return
        yield event


def user_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """The person's messages in the current session, oldest first."""
    return [e for e in reversed(list(recent_events(tracker))) if e.get("event") == "user"]


def last_bot_text(tracker: Tracker) -> str | None:
    """What the bot said last (its last message's text)."""
    for event in recent_events(tracker):
        if event.get("event") == "bot":
            return event.get("text")
    return None


def asked_to_link(tracker: Tracker) -> bool:
    """Did the bot's last message ask the person to link their record or register (the
    Telegram contact button, or the Link / Register buttons)?"""
    for event in recent_events(tracker):
        if event.get("event") == "bot":
            data = event.get("data") or {}
            if (data.get("custom") or {}).get("request_contact"):
                return True
            sent = {b.get("payload") for b in data.get("buttons") or []}
            return bool(sent & {"/link_account", "/register"})
    return False


def asked_in_this_form(tracker: Tracker, question: str) -> bool:
    """Has the bot already asked `question` (its text) since the open form started?"""
    for event in recent_events(tracker):
        if event.get("event") == "active_loop" and event.get("name"):
            return False
        if event.get("event") == "bot" and (event.get("text") or "").startswith(question):
            return True
    return False


def slot_before_message(tracker: Tracker, slot: str) -> Any:
    """The value `slot` had before the person's latest message (the form sets it anew)."""
    seen_latest = False
    for event in recent_events(tracker):
        if event.get("event") == "user":
            seen_latest = True
        elif seen_latest and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def previous_user_text(tracker: Tracker) -> str:
    """What the person said before their latest message."""
    users = user_messages(tracker)
    return (users[-2].get("text") or "").strip() if len(users) >= 2 else ""


def answered_before(tracker: Tracker, skip: str = "") -> str | None:
    """The action that answered the person's previous message (looking through `skip`, an
    action that only passes a follow-up on: "bill from Feb 3" -> "and January?" -> "and
    December?" were all answered by the bill action)."""
    seen_latest = False
    for event in recent_events(tracker):
        kind = event.get("event")
        if kind == "user":
            seen_latest = True
        elif kind == "action" and seen_latest:
            name = event.get("name")
            if name not in ("action_listen", skip):
                return name
    return None


def last_question_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons of the bot's last message (the question being answered), if it had any."""
    seen_current_message = False
    for event in recent_events(tracker):
        if event.get("event") == "bot":
            return list((event.get("data") or {}).get("buttons") or [])
        if event.get("event") == "user":
            if seen_current_message:
                break  # the bot said nothing between the person's last two messages
            seen_current_message = True
    return []


def _plain_words(text: Any) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", str(text or "").lower()))


def button_named(tracker: Tracker) -> str | None:
    """The payload of the button, in the question just asked, whose title the message repeats
    ("Carry on", "yes book it", "book an appointment"): people type what they see."""
    said = _plain_words(latest_text(tracker))
    if len(said) < 3:
        return None
    for button in last_question_buttons(tracker):
        title = _plain_words(button.get("title"))
        if title == said or (len(said.split()) >= 2 and title.startswith(said + " ")):
            return str(button.get("payload") or "") or None
    return None


def picked_button(tracker: Tracker, slot: str) -> Any:
    """The value for `slot` in the button the person picked by its place in the list ("the first
    one", "2", "the last"), for people who type rather than tap."""
    choices = last_question_buttons(tracker)
    index = pick_ordinal(latest_text(tracker), len(choices))
    if index is None:
        return None
    return payload_entities(str(choices[index].get("payload") or "")).get(slot)


def is_telegram(tracker: Tracker) -> bool:
    return (tracker.sender_id or "").startswith("tg:")


STAFF_NOT_PATIENT = (
    "You're signed in as staff ({name}), not as a patient, so there is no patient record of "
    "yours here {purpose}. For the practice, ask me for a day's schedule, a patient's visits by "
    'name ("is Maria Lopez booked this week?"), the inbox or a meeting room (/today, '
    "/schedule, /inbox)."
)


NEED_TO_KNOW = "I first need to know who you are"
CARRY_ON_TITLE = 50  # characters of the request shown on its button


CARRIED_ENTITIES = ("appointment_type", "provider", "time", "insurer", "appointment_id")


def asked_before_linking(tracker: Tracker) -> dict[str, Any] | None:
    """The user event of what a stranger asked that needed their record ("I'd like to book a
    checkup"), if the linking prompt answered it in this session: offered again once they are
    known, so nobody has to type it twice."""
    prompted = False
    for event in recent_events(tracker):
        kind = event.get("event")
        if kind == "session_started":
            return None
        if kind == "bot" and NEED_TO_KNOW in (event.get("text") or ""):
            prompted = True  # the request is the user message before this prompt
        elif kind == "user" and prompted:
            return event if (event.get("text") or "").strip() else None
    return None


def carry_on_button(tracker: Tracker) -> list[dict[str, str]]:
    """The request asked before linking, as a button: its intent and entities as understood
    then (so a typed "yes" can press it too), or its words when the intent is unknown."""
    asked = asked_before_linking(tracker)
    if asked is None:
        return []
    said = (asked.get("text") or "").strip()
    parsed = asked.get("parse_data") or {}
    intent = (parsed.get("intent") or {}).get("name")
    if said.startswith("/") or not intent or intent == "nlu_fallback":
        sent = said
    else:
        entities = {
            e["entity"]: e["value"]
            for e in parsed.get("entities") or []
            if e.get("entity") in CARRIED_ENTITIES and e.get("value") is not None
        }
        sent = f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")
    shown = said if len(said) <= CARRY_ON_TITLE else said[: CARRY_ON_TITLE - 1] + "…"
    return [{"title": f"Carry on: “{shown}”", "payload": sent}]


_RELATION = (
    r"(?:(?:little|youngest|eldest|oldest|older|younger|teenage|elderly|old|baby|step)\s*)?"
    r"(daughter|son|child|children|kid|kids|baby|boy|girl|toddler|teenager|twins|wife|husband|"
    r"hubby|partner|spouse|mother|mom|mum|father|dad|grandson|granddaughter|grandchild|"
    r"grandmother|grandfather|grandma|grandpa|sister|brother|aunt|uncle|niece|nephew|friend|"
    r"family|parents?|neighbou?r)"
)
# a child's record is the parent's to ask about at the desk, not the child's to link
_CHILDREN = {"daughter", "son", "child", "children", "kid", "kids", "baby", "boy", "girl",
             "toddler", "twins", "grandson", "granddaughter", "grandchild"}  # fmt: skip
_RECORD = (
    r"(?:next |upcoming |last )?(appointments?|appts?|visits?|bills?|balance|invoices?|claims?|"
    r"bookings?|check-?ups?|physical|vaccinations?|shots?|tests?|results|records?)"
)
# "for my daughter", "my husband's appointment", "my son owes", "does my wife have": the
# request is about someone else's record, not the sender's ("my husband is driving me" is not)
_SOMEONE_ELSE_RE = re.compile(
    rf"\bfor my {_RELATION}\b|\bmy {_RELATION}(?:'s|s') {_RECORD}|"
    rf"\bmy {_RELATION} (?:has|have|had|needs?|got) (?:an? |his |her |their )?{_RECORD}|"
    rf"\bmy {_RELATION} owes?\b|\b(?:does|did|is|has) my {_RELATION} (?:have|has|got|owes?|"
    r"need|still|booked)\b|"
    # "my daughter has a fever, can she come in today?", "my son is sick, can you book him?"
    rf"\bmy {_RELATION}\b.*\b(?:can|could|may) (?:she|he|they) (?:come|be seen|see|get)\b|"
    rf"\bmy {_RELATION}\b.*\b(?:book|see|fit|squeeze) (?:her|him|them)\b|"
    rf"\bmy {_RELATION} (?:needs?|wants?) to (?:see|come|be seen)\b|"
    # "my mother passed away and I need to cancel her appointments"
    rf"\bmy {_RELATION}\b.*\b(?:her|his|their) {_RECORD}",
    re.IGNORECASE,
)


def someone_else(message: str) -> str | None:
    """The relative a request is about ("my husband's appointment": "husband"), if any."""
    found = _SOMEONE_ELSE_RE.search(message or "")
    return next((g.lower() for g in found.groups() if g), None) if found else None


def is_a_child(relative: str) -> bool:
    return relative in _CHILDREN


def refuse_for_someone_else(
    session: Session, dispatcher: CollectingDispatcher, tracker: Tracker, caller: Caller, what: str
) -> bool:
    """A linked patient asking about a relative's appointments or bills: only their own are
    here, said plainly (rather than their own shown as if they were the relative's)."""
    if not caller.is_patient:
        return False
    relative = someone_else(latest_text(tracker))
    phone = text.phone(practice.clinic_info(session).phone)
    if relative is None:
        named = another_person_named(session, latest_text(tracker), caller)
        if named is None:
            return False
        # "how much does Maria Lopez owe?": never their own answer, as if it were hers
        dispatcher.utter_message(
            text=f"I can only help with your own {what} here, {caller.patient.first_name}. "
            f"{named} can ask in their own chat, or call the front desk on {phone}."
        )
        log.info("request.for_someone_named what=%s", what)
        return True
    if _BEREAVED_RE.search(latest_text(tracker)):  # no "they can link their own record"
        dispatcher.utter_message(
            text=f"I'm so sorry for your loss, {caller.patient.first_name}. Your {relative}'s "
            f"record isn't one I can change here; please call the front desk on {phone} and "
            "they will take care of it with you."
        )
    elif relative in _CHILDREN:
        dispatcher.utter_message(
            text=f"I can only help with your own {what} here, {caller.patient.first_name}. For "
            f"your {relative}'s, please call the front desk on {phone}: they can do it with you."
        )
    else:
        dispatcher.utter_message(
            text=f"I can only help with your own {what} here, {caller.patient.first_name}. For "
            f"your {relative}'s, they can link their own record in their own chat, or you can "
            f"call the front desk on {phone}."
        )
    log.info("request.for_someone_else what=%s", what)
    return True


# "Maria Lopez", "John Smith's": a person's full name as typed (two capitalised words)
_FULL_NAME_RE = re.compile(r"\b([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)(?:'s)?\b")
_NOT_PEOPLE_WORDS = (
    "Dr Doctor Nurse Mr Mrs Ms Miss Blue Cross Shield United Health New York Maple Street Family "
    "Practice Good Friday Easter Monday Tuesday Wednesday Thursday Saturday Sunday January "
    "February March April May June July August September October November December Christmas "
    "Memorial Labor Day Thanksgiving Is Can Could Would Does Do Did How What When Where Why "
    "Which Who Please Hi Hello Hey Thanks Thank I My The"
)
_NOT_PEOPLE = frozenset(_NOT_PEOPLE_WORDS.split())


def another_person_named(session: Session, message: str, caller: Caller) -> str | None:
    """A full name in the message that is not the caller's own, nor a doctor's, nor anything
    else the practice has a name for ("how much does Maria Lopez owe?": "Maria Lopez")."""
    own = {caller.patient.first_name.lower(), caller.patient.last_name.lower()}
    known = {
        word.lower()
        for provider in practice.providers(session)
        for word in (provider.name.split() + [provider.key])
    }
    for found in _FULL_NAME_RE.finditer(message or ""):
        first, last = found.group(1), re.sub(r"'s$", "", found.group(2))
        if {first, last} & _NOT_PEOPLE or {first.lower(), last.lower()} & (own | known):
            continue
        return f"{first} {last}"
    return None


_BEREAVED_RE = re.compile(r"\b(passed away|passed on|died|has passed|deceased|death of)\b", re.I)


_NEW_PATIENT_RE = re.compile(
    r"\b(i'?m new|i am new|new patient|first time|never been (here|to you|there))\b", re.I
)


def say_not_linked(
    dispatcher: CollectingDispatcher, tracker: Tracker, what: str = "", caller: Caller | None = None
) -> None:
    """Tell a stranger how to become a known patient (and nothing else). A staff member asking
    for a patient's own things hears what staff can do instead: the linking prompt would invite
    them to link their staff chat to a patient record."""
    if caller is not None and caller.is_staff:
        purpose = f"to {what}" if what else "to use"
        dispatcher.utter_message(
            text=STAFF_NOT_PATIENT.format(name=caller.staff.name, purpose=purpose)
        )
        return
    lead = f"To {what}, {NEED_TO_KNOW}. " if what else ""
    if is_telegram(tracker):
        dispatcher.utter_message(
            json_message={
                "request_contact": True,
                "text": lead + 'Tap "Share my phone number" below and confirm your date of '
                "birth to link your patient record; new patients can register the same way.",
                # the bot carries on with the request once the chat is linked
                "held_request": bool(what),
            }
        )
        return
    if _NEW_PATIENT_RE.search(latest_text(tracker)):  # "I'm new, can I book a checkup?"
        dispatcher.utter_message(
            text=lead + "As a new patient, tap Register as a new patient: I'll ask your name, "
            "date of birth and phone number, then carry on with your request.",
            buttons=buttons(list(reversed(LINK_BUTTONS))),
        )
        return
    dispatcher.utter_message(
        text=lead + "Link your patient record with your phone number and date of birth, or "
        "register as a new patient.",
        buttons=buttons(LINK_BUTTONS),
    )


def say_error(dispatcher: CollectingDispatcher, error: DomainError) -> None:
    dispatcher.utter_message(text=str(error))


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def entity_values(tracker: Tracker, entity: str) -> list[Any]:
    return [
        e.get("value")
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == entity and e.get("value") is not None
    ]


def entity(tracker: Tracker, name: str) -> Any:
    values = entity_values(tracker, name)
    return values[0] if values else None


def time_entities(tracker: Tracker) -> list[dict[str, Any]]:
    return [
        e for e in (tracker.latest_message or {}).get("entities") or [] if e.get("entity") == "time"
    ]


def said_without_day(tracker: Tracker, value: Any) -> bool:
    """Is this `time` value the latest message's clock time with no day said ("9:30",
    "2 to 3pm")? The NLU resolves those to today or tomorrow (nlu/time_parsing.py `dated`)."""
    said = next((e for e in time_entities(tracker) if e.get("value") == value), None)
    return said is not None and not (said.get("additional_info") or {}).get("dated", True)


def said_day(entities: list[dict[str, Any]]) -> date | None:
    """The day a message named with no time of day ("tomorrow", "on the 3rd"), if any."""
    for found in entities:
        value = found.get("value")
        if found.get("entity") == "time" and isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
    return None


# Answers aimed at a form itself; anything else that fills nothing is a side question.
FORM_ANSWER_INTENTS = ("inform", "affirm", "deny", "nlu_fallback")
# The intent that starts a form, said again while it runs ("cancel my appointment" when asked
# which one), is also meant for it: no rule could answer it as a side question.
FORM_START_INTENTS = {
    "booking_form": "book_appointment",
    "reschedule_form": "reschedule_appointment",
    "cancel_form": "cancel_appointment",
    "message_form": "leave_message",
    "link_form": "link_account",
    "register_form": "register",
    "meeting_form": "staff_book_meeting",
}
# Messages that answered a form, as against a question asked on the side while it was open
# ("who is Dr Patel seeing tomorrow?" while booking the room): a side question's day is not
# the form's day.
_FORM_MESSAGES = frozenset((*FORM_ANSWER_INTENTS, *FORM_START_INTENTS.values()))


# "and Friday?", "what about Dr Lee?": the side question again, for something else
_SIDE_FOLLOW_UP_RE = re.compile(r"^\s*(?:and|what about|how about)\b", re.I)


def intent_of(message: dict[str, Any]) -> str | None:
    """The intent of a user event in `tracker.events`."""
    return ((message.get("parse_data") or {}).get("intent") or {}).get("name")


def follows_side_question(tracker: Tracker) -> str | None:
    """The intent of the side question the latest message follows up ("who is Dr Patel seeing
    tomorrow?" -> "and Friday?"), if it does."""
    users = user_messages(tracker)
    if len(users) < 2:
        return None
    return _side_follow_up(users[-2], users[-1])


def _side_follow_up(before: dict[str, Any], message: dict[str, Any]) -> str | None:
    side = intent_of(before)
    if side in _FORM_MESSAGES or not _SIDE_FOLLOW_UP_RE.match(message.get("text") or ""):
        return None
    return side


def _form_answers(tracker: Tracker) -> list[dict[str, Any]]:
    """The person's messages that answered the form, oldest first."""
    users = user_messages(tracker)
    return [
        message
        for before, message in zip([{}, *users], users, strict=False)
        if intent_of(message) in _FORM_MESSAGES and not _side_follow_up(before, message)
    ]


def _day_of(message: dict[str, Any]) -> date | None:
    return said_day((message.get("parse_data") or {}).get("entities") or [])


def day_said_before(tracker: Tracker) -> date | None:
    """The day the person's previous answer named on its own ("book the room tomorrow"), so
    that a time of day given next ("2 to 3pm") means that day."""
    users = user_messages(tracker)
    if len(users) < 2:
        return None
    earlier = [e for e in _form_answers(tracker) if e is not users[-1]]
    return _day_of(earlier[-1]) if earlier else None


def day_said_last(tracker: Tracker) -> date | None:
    """The day the person's latest answer to the form named on its own (not a side question's)."""
    answers = _form_answers(tracker)
    return _day_of(answers[-1]) if answers else None


_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "fifth": 4,
    "5th": 4,
    "five": 4,
    "sixth": 5,
    "6th": 5,
    "six": 5,
}
_ORDINAL_RE = re.compile(
    r"\b(?:(?P<word>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th)\b"
    r"|(?:option|number|no\.?|#)\s*(?P<num>[1-9])\b|(?P<last>last|latest|later one|latter)\b"
    r"|(?P<earlier>earlier one|former)\b)",
    re.IGNORECASE,
)
_ONLY_DIGIT_RE = re.compile(r"^\s*#?([1-9])\s*[.)]?\s*$")
_EARLIEST_RE = re.compile(
    r"\b(earliest|asap|as soon as|soonest|first (available|free|opening)|next (available|free|"
    r"opening)|any ?time|whenever|anything|whatever|whichever|up to you|any of (them|those|these)"
    r"|any one|either)\b",
    re.IGNORECASE,
)


def pick_ordinal(text: str, count: int) -> int | None:
    """The list position a person picked ("the second one", "option 3", "2", "the last")."""
    if count <= 0:
        return None
    bare = _ONLY_DIGIT_RE.match(text)
    if bare:
        index = int(bare.group(1)) - 1
        return index if index < count else None
    match = _ORDINAL_RE.search(text)
    if not match:
        return None
    if match.group("last"):
        return count - 1
    if match.group("earlier"):
        return 0
    index = _ORDINALS[match.group("word").lower()] if match.group("word") else None
    if match.group("num"):
        index = int(match.group("num")) - 1
    return index if index is not None and index < count else None


# "cancel", "cancel it", "cancellation": the word, wherever it leads
CANCEL_WORD_RE = re.compile(r"\bcancel", re.IGNORECASE)
_PHONE_RE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
# A message that is a phone number and nothing else ("413 555 0111", "my number is ...")
_PHONE_ONLY_RE = re.compile(
    r"(my\s+(phone\s+)?(number|phone)\s+is\s+)?\+?[\d\s().-]{10,20}", re.IGNORECASE
)


def is_phone_only(text: str) -> bool:
    return bool(_PHONE_ONLY_RE.fullmatch((text or "").strip()))


def has_phone(text: str) -> bool:
    return _PHONE_RE.search(text or "") is not None


def phone_in(text: str) -> str:
    """The phone-number-looking part of a message ("it's 413-555-0199 thanks" -> the number);
    the whole text when there is none (so the clinic's error says why it isn't one)."""
    found = _PHONE_RE.search(text or "")
    return found.group(0).strip() if found else (text or "").strip()


def wants_earliest(text: str) -> bool:
    return bool(_EARLIEST_RE.search(text))


def today() -> date:
    return clock.local_now().date()


def parse_iso(value: Any) -> datetime | None:
    """An aware datetime from an ISO string (a button payload); None if it is not one."""
    if not isinstance(value, str) or len(value) < 16:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.clinic_tz())


def as_str_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def one_of(value: Any, allowed: Mapping[str, Any]) -> Any:
    return allowed.get(str(value).strip().lower()) if value is not None else None
