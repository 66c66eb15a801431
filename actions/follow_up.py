"""A bare detail ("and tomorrow?", "what about Dr Lee on Friday", "Jane Doe") said with no
question open: read it against what was just answered, else ask what the person would like.

    staff, right after a schedule      -> the schedule again, for the day / provider now said
    after a bill, a claim, the hours   -> that answer again, for the day now said
    staff, otherwise                   -> what staff can do, as buttons
    stranger who was asked to link     -> a name typed in: how to link or register
    anyone else                        -> book / reschedule / cancel, as buttons

And a bare "yes" (`ActionAffirm`): to a question whose one button starts something ("Would you
like to book another time?"), that thing; else "OK, what else?".
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.types import DomainDict

from actions.appointments import ActionConfirmAttendance
from actions.billing import ActionAskClaimStatus, ActionAskInvoice
from actions.common import (
    LINK_BUTTONS,
    StoreAction,
    answered_before,
    buttons,
    caller_of,
    last_question_buttons,
    latest_text,
    log,
    payload_entities,
    payload_intent,
    pick_ordinal,
    store,
    time_entities,
)
from actions.faq import ActionAskHours
from actions.staff import SCHEDULE_ASKED, ActionStaffSchedule

WHAT_NOW = "Got it. What would you like to do?"
PATIENT_BUTTONS = (
    ("Book an appointment", "/book_appointment"),
    ("Reschedule", "/reschedule_appointment"),
    ("Cancel an appointment", "/cancel_appointment"),
)
STAFF_BUTTONS = (
    ("Today's schedule", "/staff_schedule"),
    ("Open messages", "/staff_messages"),
    ("Book a meeting room", "/staff_book_meeting"),
)
# "Jane Doe", "maria lopez": two to four words of letters, nothing else
_NAME_RE = re.compile(
    r"^\s*(?:my name is |i am |i'm |it's )?([a-z][a-z'.-]+(?: [a-z][a-z'.-]+){1,3})\s*[.!]?\s*$",
    re.I,
)


# Answers a bare new day can be asked again for ("what about January?", "and Saturday?")
ANSWERS_AGAIN = {a().name(): a for a in (ActionAskInvoice, ActionAskClaimStatus, ActionAskHours)}
# Answers that asked "which one?" with buttons: a typed "the one on Tuesday" answers them
WHICH_ONE = {a().name(): a for a in (ActionConfirmAttendance,)}


class ActionInformWithoutContext(StoreAction):
    NAME = "action_inform_without_context"

    def name(self) -> str:
        return self.NAME

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        menu = last_question_buttons(tracker)
        index = pick_ordinal(latest_text(tracker), len(menu))
        if index is not None:  # "the second one" from a menu: what that button does
            picked = await started_by(
                str(menu[index].get("payload") or ""), PICKS, dispatcher, tracker, domain
            )
            if picked is not None:
                return picked
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
        before = answered_before(tracker, skip=self.NAME)
        asked = tracker.get_slot(SCHEDULE_ASKED)
        if caller.is_staff and isinstance(asked, dict) and before == "action_staff_schedule":
            return ActionStaffSchedule().answer(dispatcher, tracker, asked)
        again = ANSWERS_AGAIN.get(before or "")
        if again is not None and time_entities(tracker):
            return await _ran(again().run(dispatcher, tracker, domain))
        which = WHICH_ONE.get(before or "")
        if which is not None:
            return await _ran(which().run(dispatcher, tracker, domain))
        if caller.is_staff:
            dispatcher.utter_message(text=WHAT_NOW, buttons=buttons(STAFF_BUTTONS))
            return []
        offered = {b.get("payload") for b in last_question_buttons(tracker)}
        name = _NAME_RE.match(latest_text(tracker))
        if (
            not caller.is_patient
            and name
            and not time_entities(tracker)
            and ("/register" in offered or "/link_account" in offered)
        ):
            dispatcher.utter_message(
                text=f"Thanks, {name.group(1).title()}. If you have been to the practice "
                "before, tap Link my account; if you are new, tap Register as a new patient, "
                "and I'll ask for your details.",
                buttons=buttons(LINK_BUTTONS),
            )
            return []
        dispatcher.utter_message(text=WHAT_NOW, buttons=buttons(PATIENT_BUTTONS))
        return []


# What a "yes" to a question with one such button starts ("Would you like to book another
# time? [Book a new time] [No, thanks]"): the form or action its payload's intent leads to
YES_STARTS = {
    "book_appointment": "booking_form",
    "reschedule_appointment": "reschedule_form",
    "cancel_appointment": "cancel_form",
    "leave_message": "message_form",
    "link_account": "link_form",
    "register": "register_form",
    "request_human": "action_request_human",
    "join_waitlist": "action_join_waitlist",
}
# the payload entities that are slots of those forms, carried over
CARRIED_SLOTS = ("appointment_type", "provider", "time", "appointment_id")
# A button picked by its place in the list ("the second one") with no form open: what its
# payload's intent leads to (data/rules.yml)
PICKS = {
    **YES_STARTS,
    "staff_book_meeting": "meeting_form",
    "help": "utter_help",
    **{
        intent: f"action_{intent}"
        for intent in (
            "list_appointments",
            "confirm_attendance",
            "ask_balance",
            "ask_invoice",
            "ask_claim_status",
            "ask_insurance",
            "request_payment_plan",
            "ask_payment_options",
            "ask_hours",
            "ask_location",
            "ask_visit_prep",
            "staff_schedule",
            "staff_messages",
        )
    },
}


# Forms start by being the next action (their loop then waits for the answer); plain actions
# run here, in this turn, as if their intent had been said (a follow-up action after this
# one would leave the dialogue with no rule for what comes next).
FORMS = frozenset(
    ("booking_form", "reschedule_form", "cancel_form", "message_form", "link_form",
     "register_form", "meeting_form")
)  # fmt: skip


def _action_named(name: str) -> Action | None:
    pending = list(StoreAction.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not inspect.isabstract(cls) and cls().name() == name:
            return cls()
    return None


async def started_by(
    payload_text: str, targets: dict[str, str], dispatcher, tracker: Tracker, domain
) -> list[EventType] | None:
    """What a button's payload would do: its slots, then its form (next) or its action (run
    now). None when the payload leads to nothing in `targets`."""
    target = targets.get(payload_intent(payload_text) or "")
    if target is None:
        return None
    carried = {k: v for k, v in payload_entities(payload_text).items() if k in CARRIED_SLOTS}
    slots = [SlotSet(k, v) for k, v in carried.items()]
    log.info("button.started_in_words target=%s", target)
    if target in FORMS:
        return [*slots, FollowupAction(target)]
    if target.startswith("utter_"):
        dispatcher.utter_message(response=target)
        return slots
    action = _action_named(target)
    if action is None:
        return None
    tracker.slots.update(carried)
    return [*slots, *await _ran(action.run(dispatcher, tracker, domain))]


async def _ran(result: Any) -> list[EventType]:
    """An action's run result (our runs are coroutines once wrapped by StoreAction)."""
    return list((await result) if inspect.isawaitable(result) else result or [])


class ActionAffirm(StoreAction):
    """ "Yes" with no form open: to a question whose one button starts something, that
    thing; otherwise "OK, what else?" (as before)."""

    def name(self) -> str:
        return "action_affirm"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        starting = [
            str(b.get("payload") or "")
            for b in last_question_buttons(tracker)
            if payload_intent(str(b.get("payload") or "")) in YES_STARTS
        ]
        if len(starting) == 1:
            started = await started_by(starting[0], YES_STARTS, dispatcher, tracker, domain)
            if started is not None:
                return started
        dispatcher.utter_message(text="OK. What else can I help you with?", buttons=buttons(MENU))
        return []


MENU = (
    ("Book an appointment", "/book_appointment"),
    ("My appointments", "/list_appointments"),
    ("What can you do?", "/help"),
)
