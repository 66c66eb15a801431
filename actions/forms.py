"""The base of every form validator: who may use the form, and what to do with an answer that
fills nothing.

A `GuardedForm` runs in three steps on every turn of its form:
  1. `gate`: checks the caller in the store (a patient, staff, anyone). When the caller may not
     use the form, it says why and ends the form at once (requested_slot = None).
  2. rasa-sdk's extraction (`extract_<slot>`) and validation (`validate_<slot>`) methods.
  3. `after`: work that needs several slots at once (searching free times once the type,
     provider and time are known).
A side question ("what are your hours?") fills nothing and returns no events, so the form
rejects it, the intent's rule answers, and the form asks its question again. An answer meant
for the form that fills nothing ("hmm", an affirm where a time was asked) gets "Sorry, I didn't
catch that" and the question again, instead of a generic fallback.
"""

from __future__ import annotations

import contextvars
from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.also_asked import LATER_REQUESTS, answering, awaited, other_request, second_question
from actions.common import (
    FORM_ANSWER_INTENTS,
    FORM_START_INTENTS,
    answers_on_failure,
    button_named,
    buttons,
    caller_of,
    latest_intent,
    log,
    payload_intent,
    recent_events,
    reset_flow,
    store,
)
from actions.red_flags import emergency_instead_of, reported_now
from actions.unclear import say_if_other_language
from clinic.identity import Caller

DIALOGUE_FALLBACK = (
    'Sorry, I didn\'t get that. Could you say it another way? To start over, say "stop".'
)

_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("caller")
_starting_over: contextvars.ContextVar[bool] = contextvars.ContextVar("starting_over")


def current_caller() -> Caller:
    """The caller this form turn runs for (set by GuardedForm.run; one asyncio task each)."""
    return _caller.get()


def slot_events(events: list[EventType]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def is_activating(tracker: Tracker, form: str) -> bool:
    """Is this the turn the form starts? Rasa validates a starting form on a copy of the
    tracker that already has the form active (ActiveLoop after the user's message), and may
    call again with the tracker as it was (no form active)."""
    if (tracker.active_loop or {}).get("name") != form:
        return True
    for event in recent_events(tracker):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return False


class GuardedForm(FormValidationAction):
    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    def gate(
        self,
        session: Any,
        caller: Caller,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        activating: bool,
    ) -> list[EventType] | None:
        """None to go on; else the events that end the form (after saying why)."""
        return None

    def answers(self, tracker: Tracker) -> bool:
        """Is the latest message meant as an answer to this form (not a side question)? The
        `extract_<slot>` methods that read free text ("any", "the first one", a day) only look
        at answers: "do you take any insurance?" asked mid-booking is not "anyone"."""
        intent = latest_intent(tracker)
        return (
            intent in FORM_ANSWER_INTENTS
            or intent == FORM_START_INTENTS.get(self.form_name())
            or self.starts_over(tracker)
        )

    def starts_over(self, tracker: Tracker) -> bool:
        """Does the latest message start this form afresh while it runs ("actually, send my
        records instead" while a message is being taken)? Its answers so far are then
        forgotten (`restart_slots`) and the message is read as if the form had just started."""
        return False

    restart_slots: tuple[str, ...] = ()
    # whether the form's submit action offers a second request made with its first message
    # (actions/also_asked.py `offer_the_other`)
    offers_the_other = False

    def starting(self, tracker: Tracker) -> bool:
        """Is the form starting on this message, or starting over?"""
        return _starting_over.get(False) or is_activating(tracker, self.form_name())

    async def note_the_other_request(self, dispatcher, tracker: Tracker, domain) -> list[EventType]:
        """ "I need a refill and also want to book a checkup": one thing at a time; the other
        is offered when this one is done. A one-turn question besides ("book a physical and
        also what's my balance?") is answered at once, before the form's first question."""
        started = latest_intent(tracker) or FORM_START_INTENTS.get(self.form_name()) or ""
        other = other_request(tracker, started)
        if other is None:
            question = second_question(tracker, started)
            if question is not None:
                log.info("form.answered_on_the_side form=%s intent=%s", self.form_name(), question)
                await awaited(
                    answering(question)().run(dispatcher, tracker, domain)
                )  # events: none
            return []
        first = LATER_REQUESTS[started][1] if started in LATER_REQUESTS else "this"
        waiting = LATER_REQUESTS[other][1]
        dispatcher.utter_message(
            text=f"One thing at a time: first {first}, then I'll come back to {waiting}."
        )
        return [SlotSet("also_wanted", other)]

    def after(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        changed: set[str],
        activating: bool,
    ) -> list[EventType]:
        return []

    @answers_on_failure
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        over = self.starts_over(tracker)  # asked before the answers so far are forgotten
        activating = over or is_activating(tracker, self.form_name())
        forgotten: list[EventType] = []
        if over:
            just_said = tracker.slots_to_validate()  # from this very message: kept
            forgotten = [
                SlotSet(name, None)
                for name in (*self.restart_slots, REQUESTED_SLOT)
                if name not in just_said
            ]
            tracker.add_slots(forgotten)
            log.info("form.started_over form=%s", self.form_name())
        # at the start, or said at any turn ("yes book it, btw i have crushing chest pain")
        if ((activating and not over) or reported_now(dispatcher)) and emergency_instead_of(
            dispatcher, tracker
        ):
            return [*reset_flow(tracker), SlotSet(REQUESTED_SLOT, None)]
        with store() as session:
            caller = caller_of(session, tracker)
            stop = self.gate(session, caller, dispatcher, tracker, activating)
        if stop is not None:
            log.info("form.stopped form=%s activating=%s", self.form_name(), activating)
            return [*stop, *reset_flow(tracker), SlotSet(REQUESTED_SLOT, None)]
        requested = tracker.get_slot(REQUESTED_SLOT) if not activating else None
        token = _caller.set(caller)
        over_token = _starting_over.set(over)
        try:
            if requested:
                tracker.add_slots(typed_yes_or_no(tracker, domain, requested))
            before = set(tracker.slots_to_validate())
            events = await super().run(dispatcher, tracker, domain)
            changed = before | set(slot_events(events))
            events += self.after(dispatcher, tracker, changed, activating)
            if activating and not over and self.offers_the_other:
                events += await self.note_the_other_request(dispatcher, tracker, domain)
        finally:
            _caller.reset(token)
            _starting_over.reset(over_token)
        filled = [e for e in events if e.get("event") == "slot" and e["name"] != REQUESTED_SLOT]
        if requested and not filled and self.answers(tracker):
            self.not_caught(dispatcher, tracker, requested)
            events.append(SlotSet(requested, None))
        return [*forgotten, *events]

    def not_caught(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str
    ) -> None:
        """Said when an answer to the question asked gave nothing; the question follows."""
        if not say_if_other_language(dispatcher, tracker):
            dispatcher.utter_message(text="Sorry, I didn't catch that.")


def typed_yes_or_no(tracker: Tracker, domain: DomainDict, requested: str) -> list[EventType]:
    """A yes/no button's title typed as the answer ("no, just book the room"), whatever the
    classifier made of it: the value the slot takes for that yes or no (its `from_intent`
    mapping), as if the button had been tapped."""
    if requested in tracker.slots_to_validate():
        return []
    pressed = button_named(tracker)
    intent = payload_intent(pressed) if pressed else None
    if intent not in ("affirm", "deny"):
        return []
    for mapping in ((domain.get("slots") or {}).get(requested) or {}).get("mappings") or []:
        if mapping.get("type") == "from_intent" and mapping.get("intent") == intent:
            log.info("form.typed_button slot=%s answer=%s", requested, intent)
            return [SlotSet(requested, mapping.get("value"))]
    return []


class ActionDialogueFallback(Action):
    """The dialogue's fallback (config.yml `core_fallback_action_name`): no rule knows what
    follows, e.g. a side question a form rejected that no rule answers. Says so and forgets the
    message, like Rasa's `action_default_fallback`, so the conversation stays where it was (a
    form keeps waiting for its answer) and the next message is handled as usual."""

    def name(self) -> str:
        return "action_dialogue_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info(
            "dialogue.fallback intent=%s form=%s",
            latest_intent(tracker),
            (tracker.active_loop or {}).get("name"),
        )
        dispatcher.utter_message(
            text=DIALOGUE_FALLBACK,
            buttons=buttons(
                [("What can you do?", "/help"), ("Talk to a person", "/request_human")]
            ),
        )
        return [UserUtteranceReverted()]
