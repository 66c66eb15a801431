"""The forms' fixed questions (the ones that need the store live next to their form).

Rasa asks a form's next question with `action_ask_<form>_<slot>` or `action_ask_<slot>`. They
are actions rather than domain responses so the wording can use the conversation (what is about
to be booked, moved or cancelled) and so `rasa data validate` knows every response is used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    StoreAction,
    buttons,
    caller_of,
    day_said_last,
    last_bot_text,
    latest_text,
    store,
)
from actions.identity import LAST_NAME_QUESTION, first_name_asked_for_last
from clinic import scheduling, text
from clinic.errors import DomainError
from clinic.identity import single_name

YES_NO = "/affirm", "/deny"
EARLIEST = ("The earliest available", '/inform{"time":"earliest"}')

Text = str | Callable[[Tracker], str]


def _slot(name: str, default: str = "") -> Callable[[Tracker], str]:
    return lambda tracker: tracker.get_slot(name) or default


def _birth_date(iso: str | None) -> str:
    born = date.fromisoformat(iso) if iso else None
    return f"{born:%B} {born.day}, {born.year}" if born else "(not given)"


def _moving(tracker: Tracker) -> str:
    label = tracker.get_slot("appointment_label")
    return f"your {label}" if label else "it"


NEARBY = timedelta(days=14)


def _same_kind_nearby(tracker: Tracker) -> str:
    """ "You already have a blood test on Wed, Mar 10 at 8:30 AM. " before "Shall I book a
    blood test ... ?", when one of the same kind is booked within two weeks of it (booking
    another stays possible: it may be meant)."""
    type_key, start = tracker.get_slot("appointment_type"), tracker.get_slot("slot_start")
    try:
        at = datetime.fromisoformat(str(start))
    except ValueError:
        return ""
    try:
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient or not type_key:
                return ""
            mine = scheduling.upcoming_for_patient(session, caller.actor, limit=20)
            near = [
                a
                for a in mine
                if a.appointment_type.key == type_key and abs(a.start_at - at) <= NEARBY
            ]
            if not near:
                return ""
            kind = near[0].appointment_type.name.lower()
            return f"You already have {text.article(kind)} on {text.when(near[0].start_at)}. "
    except DomainError:
        return ""


Choices = list[tuple[str, str]] | Callable[[Tracker], list[tuple[str, str]]]

QUESTIONS: dict[str, tuple[Text, Choices]] = {
    "action_ask_time": (
        'When would you like to come in? For example "tomorrow morning", "Friday at 9" or '
        '"next week".',
        [EARLIEST],
    ),
    "action_ask_reschedule_form_time": (
        # names the appointment: it may have been picked from the words ("the one next week")
        lambda t: (
            f'When would you like to move {_moving(t)} to? For example "Thursday afternoon" '
            'or "next week".'
        ),
        [EARLIEST],
    ),
    "action_ask_meeting_form_time": (
        lambda t: (
            f'What time on {text.day(day)}? For example "2-3pm".'
            if (day := day_said_last(t))
            else 'When is the meeting? Give the day and the time, e.g. "Thursday 2-3pm".'
        ),
        [],
    ),
    "action_ask_booking_confirmed": (
        lambda t: f"{_same_kind_nearby(t)}Shall I book {_slot('slot_label', 'this visit')(t)}?",
        [("Yes, book it", YES_NO[0]), ("No", YES_NO[1])],
    ),
    "action_ask_reschedule_confirmed": (
        lambda t: (
            f"Move your {_slot('appointment_label', 'appointment')(t)} to "
            f"{_slot('slot_label', 'the new time')(t)}?"
        ),
        [("Yes, move it", YES_NO[0]), ("No", YES_NO[1])],
    ),
    "action_ask_cancel_confirmed": (
        lambda t: f"Cancel your {_slot('appointment_label', 'appointment')(t)}?",
        lambda t: (
            [("Yes, cancel them all", YES_NO[0]), ("No, keep them", YES_NO[1])]
            if t.get_slot("appointment_id") == "all"
            else [("Yes, cancel it", YES_NO[0]), ("No, keep it", YES_NO[1])]
        ),
    ),
    "action_ask_message_urgent": (
        "Is it urgent (should someone call you back today)?",
        [("Yes, it's urgent", YES_NO[0]), ("No, it can wait", YES_NO[1])],
    ),
    "action_ask_link_phone": (
        lambda t: (
            "What is your phone number? (with area code)"
            if (t.active_loop or {}).get("name") == "register_form"  # a new patient: none on file
            else "What phone number do we have on file for you? (with area code)"
        ),
        [],
    ),
    "action_ask_link_dob": ("What is your date of birth? (e.g. 31 March 1980)", []),
    "action_ask_full_name": (
        # a first name alone just given: ask for the last name (ValidateRegisterForm joins them)
        lambda t: (
            LAST_NAME_QUESTION.format(first=first)
            if t.get_slot("requested_slot") == "full_name"
            and (first := single_name(latest_text(t)))
            and not first_name_asked_for_last(last_bot_text(t) or "")
            else "Welcome! What is your full name (first and last name)?"
        ),
        [],
    ),
    "action_ask_register_confirmed": (
        lambda t: (
            f"Please check: {t.get_slot('full_name')}, born "
            f"{_birth_date(t.get_slot('link_dob'))}, phone {text.phone(t.get_slot('link_phone'))}. "
            "Shall I register you?"
        ),
        [("Yes, register me", YES_NO[0]), ("No, something's wrong", YES_NO[1])],
    ),
    "action_ask_meeting_invite": (
        "Shall I invite the whole team?",
        [("Yes, invite everyone", YES_NO[0]), ("No, just book the room", YES_NO[1])],
    ),
    "action_ask_meeting_confirmed": (
        lambda t: f"Book {_slot('slot_label', 'the room')(t)}?",
        [("Yes, book it", YES_NO[0]), ("No", YES_NO[1])],
    ),
}


def _question_action(action_name: str, text: Text, choices: Choices) -> type:
    class Question(StoreAction):
        def name(self) -> str:
            return action_name

        def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain
        ) -> list[EventType]:
            said = text(tracker) if callable(text) else text
            offered = choices(tracker) if callable(choices) else choices
            dispatcher.utter_message(text=said, buttons=buttons(offered))
            return []

    Question.__name__ = Question.__qualname__ = "".join(
        part.title() for part in action_name.split("_")
    )
    return Question


# rasa-sdk registers every Action subclass defined when the package is imported; each class
# is also a module attribute so it can be found (and pickled) by name.
for _name, _spec in QUESTIONS.items():
    _action = _question_action(_name, *_spec)
    globals()[_action.__name__] = _action
