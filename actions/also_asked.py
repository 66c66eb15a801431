"""Two questions in one message ("what's my balance and when is my next appointment?").

The classifier gives a message one intent, so the second question went unanswered. Here, after
a one-turn answer, the runner-up intent (second or third) is answered too when all of these
hold: the message joins two requests ("and", "also", "plus", or two question marks); the
runner-up is another one-turn question; and the message has that question's own words ("owe",
"address", "hours").
The classifier's runner-up alone is not enough (it is always something); its words alone are
not either ("I owe you one, when is my appointment?"). A sure classifier leaves the second
question next to nothing (0.0006), so it is looked for among the next two, by its words."""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from contextvars import ContextVar
from typing import Any

from rasa_sdk import Tracker

from actions.common import latest_text, payload, store
from clinic import practice
from clinic.errors import DomainError
from clinic.text import article

# The one-turn questions, and the words that show a message asks them.
ASKED_BY_WORDS = {
    # (with the usual misspellings: "balence", "apointment")
    "ask_balance": re.compile(
        r"\b(bal[ae]n[cs]e|owe|how much (do|did) i (still )?(have to )?pay)\b"
    ),
    "list_appointments": re.compile(
        r"\b((next|upcoming|my) (ap+oi?nt?ments?|appt|visit)s?|when am i (booked|coming in))\b"
    ),
    "ask_hours": re.compile(r"\b(hours|open|opening|close|closing)\b"),
    "ask_location": re.compile(
        r"\b(address|where are you|located|location|directions|parking|how do i get)\b"
    ),
    "ask_claim_status": re.compile(r"\b(claims?|insurance (pay|paid|covered?))\b"),
    "ask_insurance": re.compile(r"\b((do|does) you (take|accept)|in.network|insurance plans?)\b"),
    "ask_invoice": re.compile(r"\b(invoice|itemi[sz]ed|statement|receipt)\b"),
    "ask_visit_prep": re.compile(r"\b(bring|prepare|fast(ing)?|arrive early)\b"),
}
_JOINED_RE = re.compile(r"\b(and|also|plus)\b|\?.*\S.*\?")
_LEAST_CONFIDENCE = 0.005  # a later request (one that needs questions) must be this likely

_ANSWERS: dict[str, type] = {}  # intent -> the action that answers it
_answering_second = ContextVar("answering_second", default=False)


@functools.cache
def _import_answering_modules() -> None:
    """The decorated actions register when their module is imported (the action server imports
    them all; a test may import one)."""
    for module in ("actions.appointments", "actions.billing", "actions.faq"):
        importlib.import_module(module)


def second_question(tracker: Tracker, answered: str) -> str | None:
    """The other one-turn question this message also asks, if it plainly asks one."""
    text = latest_text(tracker).lower()
    if not _JOINED_RE.search(text):
        return None
    ranking = [
        r
        for r in (tracker.latest_message or {}).get("intent_ranking") or []
        if r.get("name") != "nlu_fallback"
    ]
    if len(ranking) < 2 or ranking[0].get("name") != answered:
        return None  # answered for another reason (a button, a rule): not a two-part message
    _import_answering_modules()
    for runner_up in ranking[1:3]:  # the second or third: a sure classifier leaves ~0 for both
        name = runner_up.get("name")
        words = ASKED_BY_WORDS.get(name)
        if name == answered or words is None or name not in _ANSWERS:
            continue
        if words.search(text):
            return name
    return None


def answering(intent: str) -> type:
    """The action class that answers a one-turn question (after `second_question` found it)."""
    _import_answering_modules()
    return _ANSWERS[intent]


async def awaited(result: Any) -> list[Any]:
    """An action's `run` result (our runs are async once wrapped by StoreAction)."""
    return (await result if inspect.isawaitable(result) else result) or []


def answers(intent: str):
    """Class decorator for the action answering `intent` in one turn: after its answer, the
    second question of a two-question message is answered too (once: no third)."""

    def register(cls: type) -> type:
        _ANSWERS[intent] = cls
        run = cls.run

        @functools.wraps(run)
        async def run_and_answer_the_second(self, dispatcher, tracker, domain) -> list[Any]:
            events = await awaited(run(self, dispatcher, tracker, domain))
            if _answering_second.get():
                return events
            second = second_question(tracker, intent)
            if second is None:
                return events
            token = _answering_second.set(True)
            try:
                more = await awaited(_ANSWERS[second]().run(dispatcher, tracker, domain))
            finally:
                _answering_second.reset(token)
            return [*events, *more]

        cls.run = run_and_answer_the_second
        return cls

    return register


# Requests that start a flow of questions, the words that show a message makes them, and how
# to name them when they have to wait for the flow already started
LATER_REQUESTS = {
    "request_refill": (
        re.compile(
            r"\b(refill|renew(al)?|prescription|script|meds|medication|running (low|out))\b"
        ),
        "your refill",
        "Request the refill",
    ),
    "leave_message": (
        re.compile(r"\b(message|tell (dr|doctor|the)|let (dr|the doctor|the nurse) know)\b"),
        "your message",
        "Leave the message",
    ),
    "request_records": (
        re.compile(r"\b(records?|results|copy of my)\b"),
        "your records request",
        "Request records",
    ),
    "book_appointment": (
        re.compile(
            r"\b(book|appointment|appt|come in|"
            r"see (a |the |my )?(doctor|dr\.?|nurse|someone|dermatologist|np)\b)"
        ),
        "the booking",
        "Book an appointment",
    ),
    "cancel_appointment": (re.compile(r"\bcancel\b"), "the cancellation", "Cancel an appointment"),
    "reschedule_appointment": (
        re.compile(r"\b(reschedul\w*|move)\b"),
        "moving your appointment",
        "Move an appointment",
    ),
}


def other_request(tracker: Tracker, started: str) -> str | None:
    """Another request the message makes besides `started` ("I need a refill and also want to
    book a checkup"): the classifier ranked it, the message joins two requests, and it has
    that request's own words. It waits until the first one is done (`offer_the_other`)."""
    text = latest_text(tracker).lower()
    if not _JOINED_RE.search(text):
        return None
    for ranked in ((tracker.latest_message or {}).get("intent_ranking") or [])[:4]:
        name = ranked.get("name")
        if name == started or name not in LATER_REQUESTS:
            continue
        if (ranked.get("confidence") or 0) >= _LEAST_CONFIDENCE and LATER_REQUESTS[name][0].search(
            text
        ):
            return name
    return None


# also_wanted for a second visit named in a booking request: "book_appointment:<type key>"
ANOTHER_VISIT = "book_appointment:"


def offer_the_other(dispatcher, tracker: Tracker) -> None:
    """At the end of a flow, the request that was waiting for it, as a button."""
    waiting = tracker.get_slot("also_wanted")
    if isinstance(waiting, str) and waiting.startswith(ANOTHER_VISIT):
        key = waiting.removeprefix(ANOTHER_VISIT)
        try:
            with store(readonly=True) as session:
                name = practice.get_type(session, key).name.lower()
        except DomainError:
            return
        dispatcher.utter_message(
            text=f"You also asked about {article(name)}.",
            buttons=[{"title": f"Book the {name}", "payload": payload("book_appointment",
                                                                      appointment_type=key)}],
        )  # fmt: skip
        return
    if waiting in LATER_REQUESTS:
        _, named, button = LATER_REQUESTS[waiting]
        dispatcher.utter_message(
            text=f"You also asked about {named}.",
            buttons=[{"title": button, "payload": f"/{waiting}"}],
        )
