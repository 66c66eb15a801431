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

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.types import DomainDict

from actions.also_asked import awaited
from actions.appointments import ActionConfirmAttendance, ActionListAppointments
from actions.billing import (
    BEFORE_THAT_RE,
    ActionAskBalance,
    ActionAskClaimStatus,
    ActionAskInvoice,
    ActionRequestPaymentPlan,
)
from actions.common import (
    ANY,
    LINK_BUTTONS,
    StoreAction,
    answered_before,
    asked_to_link,
    buttons,
    caller_of,
    entity,
    is_telegram,
    last_question_buttons,
    latest_text,
    log,
    payload_entities,
    payload_intent,
    pick_ordinal,
    store,
    time_entities,
)
from actions.faq import (
    ActionAskHours,
    ActionAskInsurance,
    ActionAskLocation,
    ActionAskPaymentOptions,
    ActionAskVisitPrep,
    provider_hours,
    say_practice_answer,
)
from actions.identity import without_name_lead
from actions.messages import ActionRequestHuman
from actions.staff import (
    SCHEDULE_ASKED,
    URGENT_ASKED_RE,
    ActionStaffMessages,
    ActionStaffSchedule,
)
from actions.unclear import NOT_UNDERSTOOD, ActionHelp, say_unclear
from actions.waitlist import ActionJoinWaitlist
from actions.when import wanted

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
_CANCEL_WORDS_RE = re.compile(
    r"\b(remove|delete|drop|scrap|ditch|scratch|call off|cancel)\b", re.IGNORECASE
)
_NAME_RE = re.compile(r"^[a-z][a-z'.-]+(?: [a-z][a-z'.-]+){1,3}$", re.I)
# "I am Maria Lopez, born 12 april 1985", "my name is ...", "my dob is ...": who they are
_INTRODUCES_ONESELF_RE = re.compile(
    r"(?i:\bborn\b|\b(date of birth|dob|d\.o\.b)\b|^\s*my name(\s+is|'s)\b)|"
    r"^\s*(?i:i am|i'?m|this is)\s+[A-Z][a-z'-]+\s+[A-Z][a-z'-]+"  # "I'm Maria Lopez"
)


# Answers a bare new day can be asked again for ("what about January?", "and Saturday?")
ANSWERS_AGAIN = {a().name(): a for a in (ActionAskInvoice, ActionAskClaimStatus, ActionAskHours)}
# Answers that asked "which one?" with buttons: a typed "the one on Tuesday" answers them
WHICH_ONE = {a().name(): a for a in (ActionConfirmAttendance,)}


_QUESTION_RE = re.compile(r"\?\s*$|^\s*(is|does|do|what|which|who|when|where|how)\b", re.I)


class ActionInformWithoutContext(StoreAction):
    NAME = "action_inform_without_context"

    def name(self) -> str:
        return self.NAME

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if answered_before(tracker, skip=self.NAME) == ActionListAppointments().name():
            picked = ActionListAppointments().pick(dispatcher, tracker)
            if picked is not None:  # "the second one": of the appointments listed
                return picked
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
        if (
            caller.is_staff
            and before == "action_staff_messages"
            and URGENT_ASKED_RE.search(latest_text(tracker))
        ):  # "only the urgent ones", just after the inbox
            return await awaited(ActionStaffMessages().run(dispatcher, tracker, domain))
        if before == ActionAskInvoice().name() and BEFORE_THAT_RE.search(latest_text(tracker)):
            return await awaited(ActionAskInvoice().run(dispatcher, tracker, domain))
        again = ANSWERS_AGAIN.get(before or "")
        if again is not None and time_entities(tracker):
            return await awaited(again().run(dispatcher, tracker, domain))
        which = WHICH_ONE.get(before or "")
        if which is not None:
            return await awaited(which().run(dispatcher, tracker, domain))
        another = _another_time_button(tracker)
        if another is not None and caller.is_patient and time_entities(tracker):
            # "no" to the time offered ([Another time]), then "what about thursday?": that
            # visit and doctor again, on the day now said
            said = time_entities(tracker)[0].get("value")
            started = await started_by(another, YES_STARTS, dispatcher, tracker, domain) or []
            return [*started[:-1], SlotSet("time", said), *started[-1:]]
        if (
            caller.is_patient
            and time_entities(tracker)
            and _CANCEL_WORDS_RE.search(latest_text(tracker))
        ):
            # "remove my 8:30 on wednesday", read as a time: cancelling the one then (the form
            # picks it by the time said, and asks before cancelling anything)
            log.info("inform.cancel_words")
            return [FollowupAction("cancel_form")]
        if caller.is_staff and time_entities(tracker):
            # a day out of the blue from staff ("friday afternoon?"): that day's schedule
            return ActionStaffSchedule().answer(dispatcher, tracker, {})
        if not (tracker.latest_message or {}).get("entities") and not (
            not caller.is_patient and asked_to_link(tracker)
        ):
            # classified as an answer but nothing in it was understood ("test", "what's 2+2"):
            # not "Got it", but what an unclear message hears
            return say_unclear(dispatcher, tracker, NOT_UNDERSTOOD, suggest=True)
        if caller.is_staff:
            dispatcher.utter_message(text=WHAT_NOW, buttons=buttons(STAFF_BUTTONS))
            return []
        named = entity(tracker, "provider")
        if named and named != ANY and _QUESTION_RE.search(latest_text(tracker)):
            # "is Dr Garcia a dermatologist?", "what days does Dr Lee work?"
            asked = [wanted(e.get("value")) for e in time_entities(tracker)]
            return provider_hours(dispatcher, str(named), [w for w in asked if w], about=True)
        if entity(tracker, "insurer"):  # "blue cross": do we take it, and what is on file
            return await awaited(ActionAskInsurance().run(dispatcher, tracker, domain))
        if not time_entities(tracker) and say_practice_answer(dispatcher, tracker):
            return []  # "what's the fax number?": a question the clinic file answers
        if not caller.is_patient and (
            asked_to_link(tracker) or _INTRODUCES_ONESELF_RE.search(latest_text(tracker))
        ):
            # a name, a birth date or a number typed where the linking buttons were shown, or
            # "I am Maria Lopez, born 12 april 1985" out of the blue: how to link, not "Got it"
            return _how_to_link(dispatcher, tracker)
        dispatcher.utter_message(text=WHAT_NOW, buttons=buttons(PATIENT_BUTTONS))
        return []


def _how_to_link(dispatcher, tracker: Tracker) -> list[EventType]:
    name = _NAME_RE.match(without_name_lead(latest_text(tracker)))
    thanks = f"Thanks, {name.group(0).title()}. " if name and not time_entities(tracker) else ""
    if is_telegram(tracker):
        # Telegram proves the number is the sender's own only when shared with the button
        dispatcher.utter_message(
            json_message={
                "request_contact": True,
                "text": thanks + 'Please tap "Share my phone number" (the button under the '
                "message box) rather than typing your details: that shows me the number is "
                "really yours. Then I'll ask for your date of birth. New patients register the "
                "same way.",
            }
        )
        return []
    dispatcher.utter_message(
        text=thanks + "If you have been to the practice before, tap Link my account; if you "
        "are new, tap Register as a new patient, and I'll ask for your details.",
        buttons=buttons(LINK_BUTTONS),
    )
    return []


# What a "yes" to a question with one such button starts ("Would you like to book another
# time? [Book a new time] [No, thanks]"): the form (a name: it becomes the next action, its
# loop then waits for the answers) or the action (a class: it runs here, in this turn, as if
# its intent had been said; as a next action it would leave the dialogue with no rule for
# what comes after it)
YES_STARTS: dict[str, str | type[Action]] = {
    "book_appointment": "booking_form",
    "reschedule_appointment": "reschedule_form",
    "cancel_appointment": "cancel_form",
    "leave_message": "message_form",
    "link_account": "link_form",
    "register": "register_form",
    "request_human": ActionRequestHuman,
    "join_waitlist": ActionJoinWaitlist,
}
# the payload entities that are slots of those forms, carried over
CARRIED_SLOTS = ("appointment_type", "provider", "time", "appointment_id")
# A button picked by its place in the list ("the second one") with no form open: what its
# payload's intent leads to (as in data/rules.yml)
PICKS: dict[str, str | type[Action]] = {
    **YES_STARTS,
    "staff_book_meeting": "meeting_form",
    "help": ActionHelp,
    "list_appointments": ActionListAppointments,
    "confirm_attendance": ActionConfirmAttendance,
    "ask_balance": ActionAskBalance,
    "ask_invoice": ActionAskInvoice,
    "ask_claim_status": ActionAskClaimStatus,
    "ask_insurance": ActionAskInsurance,
    "request_payment_plan": ActionRequestPaymentPlan,
    "ask_payment_options": ActionAskPaymentOptions,
    "ask_hours": ActionAskHours,
    "ask_location": ActionAskLocation,
    "ask_visit_prep": ActionAskVisitPrep,
    "staff_schedule": ActionStaffSchedule,
    "staff_messages": ActionStaffMessages,
}


async def started_by(
    payload_text: str, targets: dict[str, str | type[Action]], dispatcher, tracker, domain
) -> list[EventType] | None:
    """What a button's payload would do: its slots, then its form (next) or its action (run
    now). None when the payload leads to nothing in `targets`."""
    target = targets.get(payload_intent(payload_text) or "")
    if target is None:
        return None
    carried = {k: v for k, v in payload_entities(payload_text).items() if k in CARRIED_SLOTS}
    slots = [SlotSet(k, v) for k, v in carried.items()]
    if isinstance(target, str):
        log.info("button.started_in_words target=%s", target)
        if target.startswith("utter_"):
            dispatcher.utter_message(response=target)
            return slots
        return [*slots, FollowupAction(target)]
    action = target()
    log.info("button.started_in_words target=%s", action.name())
    tracker.slots.update(carried)
    return [*slots, *await awaited(action.run(dispatcher, tracker, domain))]


def _another_time_button(tracker) -> str | None:
    return next(
        (
            str(b.get("payload"))
            for b in last_question_buttons(tracker)
            if payload_intent(str(b.get("payload") or "")) == "book_appointment"
        ),
        None,
    )


class ActionAffirm(StoreAction):
    """ "Yes" with no form open: to a question whose one button starts something, that
    thing; otherwise "OK, what else?" (as before)."""

    def name(self) -> str:
        return "action_affirm"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        shown = [str(b.get("payload") or "") for b in last_question_buttons(tracker)]
        starting = [p for p in shown if payload_intent(p) in YES_STARTS]
        # a yes/no question: one thing to start, and at most a "no" besides ("Would you like to
        # book another time? [Book a new time] [No, thanks]"); an "ok" after a menu ("[What can
        # you do?] [Talk to a person]") picks nothing from it
        yes_no = all(p in starting or payload_intent(p) == "deny" for p in shown)
        if len(starting) == 1 and yes_no:
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
