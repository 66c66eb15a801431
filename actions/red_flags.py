"""A red-flag symptom (clinic.red_flags) in a request the NLU took for something else ("can I
book an appointment, I have chest pain", "tell Dr Patel I can't breathe well", "are you open now,
my chest hurts", "I can't afford these bills, I want to end my life"): whichever of our actions
answers the message first (actions.common.answers_on_failure) reports it as an emergency: the
number, the crisis line for self-harm, and the staff alerted as urgent with the whole message.
Then a question is still answered ("are you open now?"), a form does not start (nobody should be
asked which doctor while having a stroke), and self-harm gets a person rather than the bill.
Once in a conversation: said again at every mention it would bury what was asked."""

from __future__ import annotations

import logging
import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import caller_of, has_phone, latest_text, phone_in, recent_events, store
from clinic import inbox, practice
from clinic.config import get_settings
from clinic.red_flags import (
    CRISIS_ADVICE,
    EMERGENCY_ADVICE,
    EMERGENCY_ALERTED,
    about_self_harm,
    crisis_advice,
    has_red_flags,
)
from nlu.time_parsing import no_such_day

log = logging.getLogger(__name__)


def emergency_number() -> str:
    try:
        with store(readonly=True) as session:
            return practice.clinic_info(session).emergency_number
    except Exception:  # the store is down: the number from the environment still goes out
        log.exception("emergency.number_lookup_failed")
        return get_settings().emergency_number


def say_crisis_line(dispatcher: CollectingDispatcher, message: str) -> None:
    """For a message about harming oneself: the practice's crisis line, after the advice."""
    try:
        with store(readonly=True) as session:
            line = practice.clinic_info(session).crisis_line
    except Exception:  # the store is down: the emergency advice has gone out all the same
        log.exception("emergency.crisis_line_lookup_failed")
        return
    said = crisis_advice(line, message)
    if said:
        dispatcher.utter_message(text=said)


def _answered_already(tracker: Tracker) -> bool:
    for event in recent_events(tracker):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            return True
    return True  # no message to read


# "the chest pain is getting worse", "it's happening again": reported anew, however often
_WORSE_RE = re.compile(r"\b(worse|worsening|again|spreading|not stopping|can'?t stand)\b", re.I)


def _advised_already(tracker: Tracker) -> bool:
    if _WORSE_RE.search(latest_text(tracker)):
        return False
    return any(
        event.get("event") == "bot" and (event.get("text") or "").startswith("🚨")
        for event in recent_events(tracker)
    )


def say_no_such_day(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """ "February has no 31st." before the first answer to a message naming a day that does
    not exist (it gives no time, so the answer that follows asks or shows the nearest sense)."""
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/") or _answered_already(tracker):
        return False
    said = no_such_day(text)
    if said:
        dispatcher.utter_message(text=said)
        log.info("time.no_such_day")
    return bool(said)


def warn_before_answering(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """The advice before the first answer to a message, once in a conversation (said again at
    every mention it would bury what was asked); an emergency report says its own, and a
    pressed button's payload names no symptom."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") == "report_emergency":
        return False
    text = message.get("text") or ""
    if text.startswith("/") or _answered_already(tracker) or _advised_already(tracker):
        return False
    if not has_red_flags(text):
        return False
    # reported, not only warned: a symptom said inside a question about the bill or the hours
    # reaches the staff as urgent all the same ("I can't afford these bills, I want to end my
    # life" must not end with the balance alone)
    log.info("red_flag.reported_before_answering")
    report_emergency(dispatcher, tracker)
    return True


def reported_now(dispatcher: CollectingDispatcher) -> bool:
    """Was the emergency advice said in this answer already (by the check before it)?"""
    head = EMERGENCY_ADVICE.split("{", 1)[0]
    return any((m.get("text") or "").startswith(head) for m in dispatcher.messages)


def report_emergency(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Call the emergency number now, the crisis line for self-harm, and the staff alerted as
    urgent with the message itself (so nothing it asked for is lost). False if the alert could
    not be written (the advice went out all the same)."""
    number = emergency_number()
    # the conditional warning (and crisis line) said before this answer would only repeat it
    said_before = ("🚨", CRISIS_ADVICE.split("{", 1)[0])
    dispatcher.messages[:] = [
        m for m in dispatcher.messages if not (m.get("text") or "").startswith(said_before)
    ]
    dispatcher.utter_message(text=EMERGENCY_ADVICE.format(number=number))
    say_crisis_line(dispatcher, latest_text(tracker))
    try:
        with store() as session:
            caller = caller_of(session, tracker)
            said = latest_text(tracker)
            actor = (
                caller.staff_actor if caller.is_staff and not caller.is_patient else caller.actor
            )
            # a stranger's number in the message ("I'm Rosa Vega, 413-555-3030, ..."): kept,
            # so the staff can call back
            number = phone_in(said) if has_phone(said) else None
            inbox.report_emergency(session, actor, said, callback_number=number)
        if about_self_harm(latest_text(tracker)):  # someone to talk to, here, as well
            dispatcher.utter_message(
                text=f"{EMERGENCY_ALERTED} If you'd like to talk to someone at the practice "
                "here too, tap below.",
                buttons=[{"title": "Talk to a person", "payload": "/request_human"}],
            )
        else:
            dispatcher.utter_message(text=EMERGENCY_ALERTED)
        log.info("emergency.reported")
        return True
    except Exception:  # never let a store problem hide the advice above
        log.exception("emergency.alert_failed")
        dispatcher.utter_message(
            text=f"I couldn't reach the practice staff just now. Call {number} for emergencies."
        )
        return False


ONCE_SAFE = "The staff have your whole message. Once you are safe, I can help with the rest here."


def emergency_instead_of(
    dispatcher: CollectingDispatcher, tracker: Tracker, then: str | None = ONCE_SAFE
) -> bool:
    """A red-flag symptom in the message that starts a booking, a message, a cancellation
    ("book me with dr lee, my face is drooping"): the emergency report instead of the form's
    questions (nobody should be asked which doctor while having a stroke); the staff alert
    carries the whole message. True if that is what happened."""
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/") or not has_red_flags(text):
        return False
    if reported_now(dispatcher):  # said and alerted just before this answer
        reported = True
    elif _advised_already(tracker):
        return False  # reported earlier in this conversation: the request goes on
    else:
        reported = report_emergency(dispatcher, tracker)
    log.info("red_flag.form_not_started")
    if reported and then:
        dispatcher.utter_message(text=then)
    return True
