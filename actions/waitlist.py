"""The waitlist: "tell me if something earlier opens up". A freed slot is offered to whoever
waits for it by message (clinic.scheduling, the outbox); here a patient joins it, for a visit
type, a provider if they name one, and a window if they say one.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.types import DomainDict

from actions.common import (
    ANY,
    StoreAction,
    buttons,
    caller_of,
    end_flow,
    entity,
    last_bot_text,
    last_question_buttons,
    latest_intent,
    latest_text,
    log,
    payload,
    payload_entities,
    pick_ordinal,
    say_error,
    say_not_linked,
    store,
    time_entities,
)
from actions.when import wanted
from clinic import practice, scheduling, text
from clinic.errors import DomainError

WAITLIST_TYPE_QUESTION = "Which kind of visit should I watch for?"


def join_waitlist(
    dispatcher, tracker: Tracker, type_key: str | None, provider: str | None, session=None
) -> list[EventType]:
    """Put the caller on the waitlist for a visit type (and provider, and a window if the
    message says one); without a type, ask which (the buttons carry the provider). In the
    caller's transaction when given one (SQLite allows one writer: no second one inside)."""
    if session is None:
        with store() as own:
            return join_waitlist(dispatcher, tracker, type_key, provider, own)
    provider = None if provider in (None, ANY) else provider
    window = None
    for found in time_entities(tracker):
        window = wanted(found.get("value"))
    caller = caller_of(session, tracker)
    if not caller.is_patient:
        say_not_linked(dispatcher, tracker, "join the waitlist", caller)
        return []
    if not type_key:
        # only what the doctor named offers: a wait for anything else would never end
        kinds = [(k.name, k.key) for k in practice.appointment_types(session, provider)]
        dispatcher.utter_message(
            text=WAITLIST_TYPE_QUESTION,
            buttons=buttons(
                (name, payload("join_waitlist", appointment_type=key, **_maybe(provider)))
                for name, key in kinds
            ),
        )
        # The waitlist is what they asked for now: a form left open would ask its own
        # question right after this one.
        return end_flow(tracker)
    try:
        entry = scheduling.join_waitlist(
            session,
            caller.actor,
            type_key,
            provider_key=provider,
            earliest=window.start if window else None,
            latest=window.end if window else None,
        )
        kind = entry.appointment_type.name.lower()
        who = entry.provider.display_name if entry.provider else "any of our providers"
    except DomainError as error:
        say_error(dispatcher, error)
        return []
    dispatcher.utter_message(
        text=f"You're on the waitlist for {text.article(kind)} with {who}. If a time "
        "opens up I'll message you straight away; whoever books it first gets it."
    )
    return end_flow(tracker)


def _maybe(provider: str | None) -> dict[str, str]:
    return {"provider": provider} if provider else {}


def waitlist_answer(tracker: Tracker) -> tuple[str, str | None] | None:
    """A visit type typed in answer to the waitlist's question ("a checkup"): the type, and
    the provider the question's buttons carry. None for anything else."""
    type_key = entity(tracker, "appointment_type")
    if not type_key or latest_intent(tracker) != "inform":
        return None
    if last_bot_text(tracker) != WAITLIST_TYPE_QUESTION:
        return None
    carried = [
        payload_entities(str(b.get("payload") or "")) for b in last_question_buttons(tracker)
    ]
    provider = entity(tracker, "provider") or next(
        (c["provider"] for c in carried if c.get("provider")), None
    )
    return type_key, provider


# "Something earlier", "if someone cancels": an earlier time for a visit already booked.
_EARLIER_RE = re.compile(r"\b(earlier|sooner|cancel\w*|moved?\s+up)\b", re.IGNORECASE)
EARLIER_WHICH_QUESTION = "Which visit would you like an earlier time for?"


class ActionJoinWaitlist(StoreAction):
    """Put me on the waitlist for a visit type (and provider, and a window if I said one); or,
    for a patient with visits booked who asks for something earlier, for an earlier time for
    one of them (offered as a move when it frees up)."""

    def name(self) -> str:
        return "action_join_waitlist"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        type_key = entity(tracker, "appointment_type") or tracker.get_slot("appointment_type")
        provider = entity(tracker, "provider") or tracker.get_slot("provider")
        appointment_id = entity(tracker, "appointment_id")
        with store() as session:
            caller = caller_of(session, tracker)
            said = latest_text(tracker)
            if caller.is_patient and (_LEAVE_RE.search(said) or _ON_IT_RE.search(said)):
                # "take me off the waitlist", "am I on any waiting lists?": theirs, not a new one
                return my_waitlist(dispatcher, session, caller, type_key, provider, said)
            picked = earlier_pick(tracker, session, caller) if not appointment_id else None
            if picked is not None:  # "the blood test", "the second one" for the question
                return wait_for_earlier(dispatcher, tracker, session, caller, picked)
            if caller.is_patient and (appointment_id or _EARLIER_RE.search(latest_text(tracker))):
                mine = scheduling.upcoming_for_patient(session, caller.actor)
                if appointment_id:
                    mine = [a for a in mine if str(a.id) == str(appointment_id)] or mine
                elif type_key:
                    mine = [a for a in mine if a.appointment_type.key == type_key]
                if len(mine) == 1:
                    return wait_for_earlier(dispatcher, tracker, session, caller, mine[0])
                if mine:
                    dispatcher.utter_message(
                        text=EARLIER_WHICH_QUESTION,
                        buttons=buttons(
                            (
                                f"{a.appointment_type.name}, {text.when(a.start_at)}",
                                payload("join_waitlist", appointment_id=str(a.id)),
                            )
                            for a in mine
                        ),
                    )
                    return end_flow(tracker)
            return join_waitlist(dispatcher, tracker, type_key, provider, session)


_LEAVE_RE = re.compile(
    r"\b(take me off|remove me|get me off|cancel|leave|drop me|no longer need|don'?t need)\b"
    r".{0,30}\bwait(ing)?[\s-]?list",
    re.IGNORECASE,
)
_ON_IT_RE = re.compile(
    r"\b(am i|are we|what|which|show|my)\b.{0,25}\bwait(ing)?[\s-]?lists?\b(?!.*\b(put|add)\b)",
    re.IGNORECASE,
)


def my_waitlist(dispatcher, session, caller, type_key, provider, said: str) -> list[EventType]:
    """Leave the waitlist (for the visit or doctor named, else all of it), or hear what it
    holds."""
    entries = scheduling.waitlist_for(session, caller.actor)
    if type_key:
        entries = [e for e in entries if e.appointment_type.key == type_key]
    if provider and provider != ANY:
        entries = [e for e in entries if e.provider is not None and e.provider.key == provider]
    described = [
        e.appointment_type.name.lower()
        + (f" with {e.provider.display_name}" if e.provider else "")
        + (f" (an earlier time for your {text.when(e.appointment.start_at)} visit)"
           if e.appointment is not None else "")
        for e in entries
    ]  # fmt: skip
    if not entries:
        dispatcher.utter_message(text="You're not on any waitlist at the moment.")
        return []
    if _LEAVE_RE.search(said):
        for entry in entries:
            scheduling.leave_waitlist(session, caller.actor, entry.id)
        log.info("waitlist.left entries=%d", len(entries))
        dispatcher.utter_message(
            text="Done: you're off the waitlist for " + "; ".join(described) + "."
        )
        return []
    dispatcher.utter_message(
        text="You're on the waitlist for: " + "; ".join(described) + ". I'll message you here "
        'if a time opens up; to leave it, say "take me off the waitlist".'
    )
    return []


def earlier_pick(tracker: Tracker, session, caller) -> Any:
    """The visit picked, in words, for the question "Which visit would you like an earlier time
    for?" just asked ("the blood test", "the one with Dr Patel", "the second one"); None when
    that was not the question or the words fit no single one of its buttons."""
    if not caller.is_patient or last_bot_text(tracker) != EARLIER_WHICH_QUESTION:
        return None
    offered = [
        str(payload_entities(str(b.get("payload") or "")).get("appointment_id"))
        for b in last_question_buttons(tracker)
    ]
    mine = [
        a for a in scheduling.upcoming_for_patient(session, caller.actor) if str(a.id) in offered
    ]
    index = pick_ordinal(latest_text(tracker), len(mine))
    if index is not None:
        return mine[index]
    type_key, provider = entity(tracker, "appointment_type"), entity(tracker, "provider")
    named = [
        a
        for a in mine
        if (type_key or provider)
        and (not type_key or a.appointment_type.key == type_key)
        and (not provider or a.provider.key == provider)
    ]
    return named[0] if len(named) == 1 else None


def wait_for_earlier(dispatcher, tracker, session, caller, appointment) -> list[EventType]:
    try:
        entry = scheduling.wait_for_earlier(session, caller.actor, appointment.id)
    except DomainError as error:
        say_error(dispatcher, error)
        return []
    kind = entry.appointment_type.name.lower()
    dispatcher.utter_message(
        text=f"I'll watch for an earlier {kind} with {entry.provider.display_name} than your "
        f"{text.when(appointment.start_at)}. If one opens up I'll message you, and you can "
        "move your visit there; until then it stays as booked."
    )
    return end_flow(tracker)
