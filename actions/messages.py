"""Reaching a person: message slips (messages, refill and records requests), a live handoff to
the front desk, emergencies, and "stop".

The message form asks for whom, what, a callback number (a patient may keep the one on file;
a stranger gives a name and a number) and whether it is urgent, then writes a slip to the
clinic inbox, which alerts the staff channel in the same transaction. A refill request is
passed to the prescriber and never promised.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.also_asked import offer_the_other
from actions.common import (
    CANCEL_WORD_RE,
    DOCTOR_LIKE,
    SIDE_INTENTS,
    StoreAction,
    answered_before,
    buttons,
    caller_of,
    end_flow,
    entity,
    has_phone,
    is_phone_only,
    last_bot_text,
    last_question_buttons,
    latest_intent,
    latest_text,
    log,
    payload,
    payload_intent,
    phone_in,
    recent_events,
    reset_flow,
    say_error,
    say_unknown_doctor,
    store,
)
from actions.forms import GuardedForm, current_caller, is_activating
from actions.identity import without_name_lead
from actions.red_flags import emergency_number, report_emergency
from actions.staff import ASKS_ABOUT_MESSAGES_RE, say_inbox
from clinic import inbox, practice, scheduling
from clinic.errors import DomainError, InvalidPhone
from clinic.identity import normalize_phone
from clinic.models import Desk, SlipKind, Urgency
from clinic.text import phone as readable_phone

KIND_BY_INTENT = {
    "leave_message": SlipKind.MESSAGE.value,
    "request_refill": SlipKind.REFILL.value,
    "request_records": SlipKind.RECORDS.value,
}
DESKS = {
    "front_desk": "the front desk",
    "billing": "the billing office",
    "nurse": "the nurse",
}
_DESK_WORDS = (
    (re.compile(r"\b(bill|billing|payment|accounts?)\b", re.I), "billing"),
    (re.compile(r"\bnurse\b(?! practitioner)", re.I), "nurse"),
    (
        re.compile(
            r"\b(front ?desk|reception|office|anyone|anybody|whoever|not sure|don'?t know)\b", re.I
        ),
        "front_desk",
    ),
)
# In the request itself only a desk the message is addressed to counts ("can a nurse call me
# back", "a message for billing"), not one it mentions ("the nurse said my results were fine").
_TO = r"\b(tell|ask|let|for|to|message|note)\s+(the\s+|a\s+)?"
_CALLS_BACK = r"\s+(call|ring|phone|text|get back to|contact)\b"
_ADDRESSED_DESKS = (
    (
        re.compile(_TO + r"(billing|accounts)\b|\bbilling (department|office|team)\b", re.I),
        "billing",
    ),
    (
        re.compile(_TO + r"nurse\b(?! practitioner)|\b(a|the)\s+nurse" + _CALLS_BACK, re.I),
        "nurse",
    ),
    (
        re.compile(
            _TO + r"(front ?desk|reception(ist)?)\b|\b(the )?front desk" + _CALLS_BACK, re.I
        ),
        "front_desk",
    ),
    (  # the record's own details: "my address has changed", "update my phone number"
        re.compile(
            r"\bmy (home |mailing |new )?(address|phone( number)?|cell( number)?|number|email|"
            r"contact (details|info\w*)|last name|surname)\b.{0,30}\b(changed|change|new|update\w*|"
            r"different|wrong)\b|\b(update|change|correct)\w* (my|the) (home |mailing )?(address|"
            r"phone( number)?|email|contact (details|info\w*))\b|\bi (have )?moved\b",
            re.I,
        ),
        "front_desk",
    ),
)
ON_FILE = "on_file"
_PHARMACY_RE = re.compile(
    r"\b(pharmacy|pharmacist|chemist|drug\s*store|cvs|walgreens?|rite\s*aid|walmart|costco|"
    r"kroger|stop\s*&?\s*shop|big\s*y)\b",
    re.IGNORECASE,
)
# "actually make that Dr Lee", "send it to Dr Patel instead": the recipient changes
_SWITCH_RE = re.compile(
    r"\b(actually|instead|make (that|it)|change (that|it)|rather|not (dr|doctor)|send it to|"
    r"i meant|sorry,? (i meant|for))\b",
    re.IGNORECASE,
)
# A name as typed: one to four words of letters ("Carla Mendes", "Mary-Ann O'Neil")
_PLAIN_NAME_RE = re.compile(r"[A-Za-z][A-Za-z'.-]+(?:\s+[A-Za-z][A-Za-z'.-]+){0,3}")
# "this is Carla Mendes", "my name is John Park": a stranger's name in the request itself
_NAME_GIVEN_RE = re.compile(
    r"(?i:\bmy name(?:\s+is|'s)|^(?:hi|hello|hey)?[,\s]*(?:this is|i'?m|i am))\s+"
    r"(?P<name>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2})\b"  # capitalised: "I'm worried" is no name
)
# Answers to "what is your name?" that are no name
_NOT_A_NAME_RE = re.compile(
    r"^[/#]|\?|\b(rather not|prefer not|not (say|telling|tell you)|none of your|why do you|"
    r"anonymous|no name|don'?t want to)\b|^(no|nope|nah|yes|yeah|ok|okay|why|what)\W*$",
    re.IGNORECASE,
)
NO_CALL_BACK = "no_call_back"  # "no need to call back": a note, not a call
# A number in the request that is where something goes, not where to call the patient back
# ("send my records to Dr Jones, fax 413-555-0177", "the pharmacy's number is ...")
_NOT_MY_NUMBER_RE = re.compile(
    r"\b(fax|their|his|her|pharmacy'?s?|office'?s?|clinic'?s?|hospital'?s?|doctor'?s|"
    r"dr\.?\s+\w+'s)\b(?:\s+\w+){0,3}\s*(?:number|no\.?|is|at|:)?\s*[(+\d]",
    re.IGNORECASE,
)
_NO_CALL_BACK_RE = re.compile(
    r"\b(no need (for them |for anyone )?to (call|ring|phone|get back)|no need for a call\s*back|"
    # "don't call me" alone is often "don't call me before 5"
    r"(doesn'?t|don'?t|do not|does not) need to (call|ring|phone) me back|needn'?t (call|ring) me|"
    r"no (call\s*back|reply|response) (needed|necessary|required))",
    re.IGNORECASE,
)
OTHER_NUMBER_QUESTION = "OK. Which number should they call you back on?"
# Words around a phone number ("call me at 413...", "my cell is ..."), not about the request.
_PHONE_WORD_RE = re.compile(
    r"call|calls|phone|number|cell|mobile|home|work|office|ext|extension|the|this|that"
    r"|and|you|can|reach|try|use|its|his|her|dial|back|please|pls|thanks|thank|instead"
)
_ON_FILE_RE = re.compile(r"\b(same|on file|that one|that number|this number|my number)\b", re.I)
# Words that only say "I want to leave a message / a refill / my records", not what about.
_FILLER_WORDS = """
    i i'd id i'm im would like want wanna need needs to can could may please pls plz just leave
    send give pass get have a an the message msg note for my me to with of on about it this that
    some hi hello hey doctor dr dr. doc nurse office desk front practice refill refills renew
    renewed renewal prescription prescriptions script meds medication medicine records record
    copy copies medical request requesting results file files thanks thank you someone somebody
    tell let know billing bill department dept reception receptionist team staff accounts
    nurses doctors
"""
_FILLER = frozenset(_FILLER_WORDS.split())
MAX_MESSAGE = 2000
# "Is it urgent?" answered in words rather than yes/no. Negations are checked first.
_NOT_URGENT_RE = re.compile(
    r"\b(not|isn'?t|no|never)\b[\w\s,]{0,15}\b(urgent|emergency|rush|hurry)\b"
    r"|\b(can|could) wait\b|\bno (rush|hurry)\b|\bwhenever\b|\bnot really\b",
    re.I,
)
_URGENT_RE = re.compile(
    r"\b(urgent|urgently|asap|emergency|right away|straight away|today|important)\b"
    r"|\bas soon as (possible|you can)\b",
    re.I,
)


_CHANGES_THE_FLOW = ("stop", "report_emergency", "request_human", "goodbye")
# A question to the assistant rather than words for the message
_QUESTION_RE = re.compile(
    r"\?\s*$|^\s*(what|when|where|how|which|do you|are you|is there|can i|could i)\b", re.I
)


def urgency_in(text: str) -> bool | None:
    """True / False when the words say urgent / not urgent; None when they say neither."""
    if _NOT_URGENT_RE.search(text):
        return False
    if _URGENT_RE.search(text):
        return True
    return None


def substantive(text: str, provider_words: set[str], enough: int = 2) -> bool:
    """Does the request already say what it is about ("my rash is better", "metformin")?"""
    words = re.findall(r"[a-z0-9']+", text.lower())
    content = [w for w in words if w not in _FILLER and w not in provider_words]
    return len(content) >= enough


def message_kind(tracker: Tracker) -> str:
    return tracker.get_slot("message_kind") or KIND_BY_INTENT.get(
        latest_intent(tracker) or "", SlipKind.MESSAGE.value
    )


def whom(session, recipient: str) -> str:
    if recipient in DESKS:
        return DESKS[recipient]
    return practice.get_provider(session, recipient).display_name


_ABOUT_ME_WORDS_RE = re.compile(
    r"\b(my|name|is|and|number|phone|cell|mobile|it'?s|call|me|on|at|you|can|reach|this|i'?m|"
    r"i|am|hi|hello|hey|the|best)\b",
    re.IGNORECASE,
)


def only_who_i_am(text: str) -> bool:
    """ "my name is Carla Diaz and my number is 413-555-7788": a stranger's name and number,
    with nothing the message is about."""
    named = _NAME_GIVEN_RE.search(text)
    if not named and not has_phone(text):
        return False
    rest = text.replace(named.group("name"), " ") if named else text
    rest = _ABOUT_ME_WORDS_RE.sub(" ", phone_pattern_removed(rest))
    return len(re.findall(r"[a-z]{2,}", rest.lower())) == 0


def phone_pattern_removed(text: str) -> str:
    return re.sub(r"[+(]?\d[\d\s().-]{6,}\d", " ", text)


class ValidateMessageForm(GuardedForm):
    offers_the_other = True

    def name(self) -> str:
        return "validate_message_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        slots = ["message_recipient", "message_text"]
        if message_kind(tracker) == SlipKind.RECORDS.value:
            slots = ["message_text"]
        caller = current_caller()
        if caller.is_staff and not caller.is_patient:  # a colleague: known, and reached inside
            return [*slots, "message_urgent"]
        if not caller.is_patient:
            slots.append("contact_name")
        return [*slots, "callback_number", "message_urgent"]

    restart_slots = ("message_kind", "message_recipient", "message_text", "message_urgent")

    def gate(self, session, caller, dispatcher, tracker: Tracker, activating: bool):
        if (
            activating
            and caller.is_staff
            and not caller.is_patient
            and ASKS_ABOUT_MESSAGES_RE.search(latest_text(tracker))
        ):
            return say_inbox(dispatcher, tracker, session, caller)  # "who do I call back?"
        if (
            activating
            and caller.is_staff
            and not caller.is_patient
            and message_kind(tracker) in (SlipKind.REFILL.value, SlipKind.RECORDS.value)
        ):
            # "can you prescribe amoxicillin for Emma Nelson?": a patient's request form, not
            # for staff
            dispatcher.utter_message(
                text="I can't prescribe, renew or send records from this chat: that is done in "
                "the practice's own systems. I can take a message for a colleague if that helps.",
                buttons=buttons([("Leave a message", "/leave_message")]),
            )
            return []
        return None

    def starts_over(self, tracker: Tracker) -> bool:
        # "actually, can you send my records instead" while a message or refill is taken
        kind = KIND_BY_INTENT.get(latest_intent(tracker) or "")
        current = tracker.get_slot("message_kind")
        return (
            kind is not None
            and current is not None
            and kind != current
            and not is_activating(tracker, "message_form")
        )

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        asked = tracker.get_slot("requested_slot")
        if (
            (activating or asked == "message_recipient")
            and not tracker.get_slot("message_recipient")
            and not entity(tracker, "provider")
            # "send my records to Dr Smith at Baystate": where they go, not who at the practice
            and message_kind(tracker) != SlipKind.RECORDS.value
        ):
            say_unknown_doctor(dispatcher, latest_text(tracker))  # "tell Dr Kim": not silently lost
        if not activating and "message_urgent" in changed and asked != "message_urgent":
            urgent = tracker.get_slot("message_urgent")  # "it's not urgent", said early
            dispatcher.utter_message(text=f"Noted: {'urgent' if urgent else 'not urgent'}.")
        if not activating:
            return []
        kind = message_kind(tracker)
        events = [SlotSet("message_kind", kind)]
        if kind == SlipKind.RECORDS.value:
            events.append(SlotSet("message_recipient", "front_desk"))
        return events

    # --- for whom -------------------------------------------------------------------------

    def extract_message_recipient(self, dispatcher, tracker: Tracker, domain):
        requested = tracker.get_slot("requested_slot")
        named = entity(tracker, "provider")
        if named and requested == "message_text" and _SWITCH_RE.search(latest_text(tracker)):
            # "actually make that Dr Lee", "can I send it to Dr Patel instead?": the new one
            dispatcher.utter_message(text="OK, changed.")
            return {"message_recipient": named}
        if named or tracker.get_slot("message_recipient"):
            return {}
        text = latest_text(tracker)
        if requested == "message_recipient":  # the answer to "who is it for?"
            words = _DESK_WORDS
        elif requested is None:  # the request itself: "can a nurse call me back about ..."
            words = _ADDRESSED_DESKS
        else:
            return {}
        for pattern, desk in words:
            if pattern.search(text):
                return {"message_recipient": desk}
        return {}

    def validate_message_recipient(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        value = str(value).strip().lower()
        if value in DESKS:
            return {"message_recipient": value}
        try:
            with store(readonly=True) as session:
                return {"message_recipient": practice.get_provider(session, value).key}
        except DomainError as error:
            say_error(dispatcher, error)
            return {"message_recipient": None}

    # --- what -------------------------------------------------------------------------------

    def extract_message_text(self, dispatcher, tracker: Tracker, domain):
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        refill = message_kind(tracker) == SlipKind.REFILL.value
        if (
            refill
            and not self.starting(tracker)
            and _PHARMACY_RE.search(text)
            and requested
            in ("message_recipient", "message_text", "callback_number", "message_urgent")
        ):
            # "CVS on Main Street" for a refill: where it goes, kept with the request (not the
            # practice's own address, which a location question would get)
            current = tracker.get_slot("message_text") or ""
            combined = f"{current} (pharmacy: {text.strip()})" if current else text.strip()
            if requested != "message_text":
                dispatcher.utter_message(text="Noted: I've added the pharmacy to your request.")
            return {"message_text": combined[:MAX_MESSAGE]}
        if self.starting(tracker):
            with store(readonly=True) as session:
                names = {
                    word
                    for p in practice.providers(session)
                    for name in [p.key, p.name, *p.synonyms]
                    for word in name.lower().split()
                }
            # A refill or records request needs one word more ("metformin"); a message two.
            enough = 1 if message_kind(tracker) != SlipKind.MESSAGE.value else 2
            return {"message_text": text} if substantive(text, names, enough) else {}
        if (
            requested == "message_recipient"
            and not tracker.get_slot("message_text")
            and latest_intent(tracker) in ("inform", "nlu_fallback")
            and not (entity(tracker, "provider") or DOCTOR_LIKE.search(text))
            and not any(pattern.search(text) for pattern, _ in _DESK_WORDS)
            and substantive(text, set(), enough=1 if refill else 2)
        ):
            # asked who prescribed it, they name the medicine ("lisinopril"); asked who the
            # message is for, they say what it is about ("it's about my test results"): kept as
            # what it says, and the question comes again
            dispatcher.utter_message(text=f"Noted: {text.strip()}.")
            return {"message_text": text}
        if requested != "message_text" or not text:
            return {}
        intent = latest_intent(tracker)
        if intent in _CHANGES_THE_FLOW or (intent in SIDE_INTENTS and _QUESTION_RE.search(text)):
            return {}  # "stop", "what are your hours?": not what the message says
        if _SWITCH_RE.search(text) and (entity(tracker, "provider") or DOCTOR_LIKE.search(text)):
            return {}  # "actually make that Dr Lee": whom it is for (the recipient), not what
        if not current_caller().is_patient and only_who_i_am(text):
            return {}  # "my name is Carla Diaz and my number is 413...": who, not what
        # Asked what the message says, a statement is the message, whatever it is about ("I
        # think I was charged twice" for billing reads like a billing question, but it is
        # what they want billing to know)
        return {"message_text": text}

    def validate_message_text(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        value = " ".join(str(value or "").split())
        if not value:
            return {"message_text": None}
        if len(value) > MAX_MESSAGE:
            dispatcher.utter_message(
                text=f"That's a bit long for a message ({len(value)} characters). Please keep "
                f"it under {MAX_MESSAGE}, or ask to talk to a person."
            )
            return {"message_text": None}
        return {"message_text": value}

    # --- who (strangers) and how to call back ------------------------------------------------

    def extract_contact_name(self, dispatcher, tracker: Tracker, domain):
        said = latest_text(tracker)
        asked = tracker.get_slot("requested_slot")
        early = asked is None and self.starting(tracker)
        if (early or asked in ("message_text", "message_recipient", "callback_number")) and not (
            tracker.get_slot("contact_name")
        ):
            # "Hi, this is Carla Mendes, please ask Dr Patel to call me back ...": given at once
            named = _NAME_GIVEN_RE.search(said)
            return {"contact_name": named.group("name")} if named else {}
        if asked != "contact_name":
            return {}
        name = without_name_lead(said)
        if latest_intent(tracker) in SIDE_INTENTS and not _PLAIN_NAME_RE.fullmatch(name):
            return {}  # "Carla Mendes" may be read as anything: a plain name is still a name
        return {"contact_name": name}

    def validate_contact_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if _NOT_A_NAME_RE.search(name) or len(name.split()) > 5:
            # "I'd rather not say", "/deny", "what's on this afternoon?": no name to call back
            dispatcher.utter_message(
                text="The staff need a name to know who they're calling back; your first name "
                "is enough."
            )
            return {"contact_name": None}
        if len(name) < 2 or len(name) > 120 or any(ch.isdigit() for ch in name):
            dispatcher.utter_message(text="Please tell me your name (letters only).")
            return {"contact_name": None}
        return {"contact_name": name}

    def extract_callback_number(self, dispatcher, tracker: Tracker, domain):
        asked = tracker.get_slot("requested_slot")
        if self.starting(tracker) and not tracker.get_slot("callback_number"):
            # all in the request: "..., it's urgent, call me at 413-555-0999"
            said = latest_text(tracker)
            if _NO_CALL_BACK_RE.search(said) and current_caller().is_patient:
                # "thanks for the cream, no need to call back" (a stranger's number is needed)
                return {"callback_number": NO_CALL_BACK}
            if has_phone(said) and not _NOT_MY_NUMBER_RE.search(said):
                return {"callback_number": phone_in(said)}
            return {}
        said = latest_text(tracker)
        stranger = not current_caller().is_patient
        if (
            asked not in ("callback_number", None)
            and has_phone(said)
            and (is_phone_only(said) or (stranger and not _NOT_MY_NUMBER_RE.search(said)))
        ):
            # a number given before it was asked for ("413 555 0111" when asked whom the
            # message is for): the number to call back; the question comes again
            dispatcher.utter_message(text="Noted: we'll call you back on that number.")
            return {"callback_number": phone_in(latest_text(tracker))}
        if asked != "callback_number":
            return {}
        text = latest_text(tracker)
        intent = latest_intent(tracker)
        if current_caller().is_patient and (intent == "affirm" or _ON_FILE_RE.search(text)):
            return {"callback_number": ON_FILE}
        if urgency_in(text) is not None and not re.search(r"\d", text):
            return {}  # "no, it's not urgent": about urgency (extract_message_urgent), not this
        if intent == "deny" and not re.search(r"\d", text):
            if current_caller().is_patient and last_bot_text(tracker) == OTHER_NUMBER_QUESTION:
                # "no" to the number on file, then "no" to giving another: no loop; they can
                # still be reached on the number on file, and are told so
                phone = current_caller().patient.phone
                dispatcher.utter_message(
                    text=f"No problem. If they need to reach you, they'll use the number on file "
                    f"(ending {phone[-4:]})."
                )
                return {"callback_number": ON_FILE}
            return {"callback_number": None}  # asked again, for the other number
        added = self.added_to_message(tracker, text)
        if added is not None:
            dispatcher.utter_message(text="I've added that to your message.")
            return {"message_text": added}
        if re.search(r"\d", text):
            return {"callback_number": phone_in(text)}
        return {}

    @staticmethod
    def added_to_message(tracker: Tracker, text: str) -> str | None:
        """Asked for a number, the person says more about the request instead ("lisinopril
        10mg", "Dr Brooks at Riverside Cardiology"): no phone number, and words that are not
        about phoning or urgency. Kept with the message (nothing they write is lost); the
        number is asked again."""
        if has_phone(text) or urgency_in(text) is not None:
            return None
        words = re.findall(r"[a-z]{3,}", text.lower())
        about = [word for word in words if not _PHONE_WORD_RE.fullmatch(word)]
        # digits that are no number ("10mg"), or a few words from a plain answer
        enough = 1 if re.search(r"\d", text) else 2
        if len(about) < enough or latest_intent(tracker) not in ("inform", "nlu_fallback"):
            return None
        current = tracker.get_slot("message_text") or ""
        combined = f"{current} ({text.strip()})" if current else text.strip()
        return combined if len(combined) <= MAX_MESSAGE else None

    def extract_message_urgent(self, dispatcher, tracker: Tracker, domain):
        # yes / no come from the slot mappings; this reads "it can wait", "quite urgent"...
        # Also when it is said early, in place of the callback number ("it's not urgent"):
        # taken, and the number asked again, rather than "Sorry, I didn't catch that".
        asked = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        early = asked in ("message_recipient", "callback_number") and not re.search(r"\d", text)
        if self.starting(tracker) and tracker.get_slot("message_urgent") is None:
            urgent = urgency_in(text)  # "please tell Dr Lee ..., it's urgent": not asked again
            return {} if urgent is None else {"message_urgent": urgent}
        if asked != "message_urgent" and not early:
            return {}
        if asked == "message_urgent" and latest_intent(tracker) in ("affirm", "deny"):
            return {}  # a plain yes / no: the slot mappings
        urgent = urgency_in(text)
        return {} if urgent is None else {"message_urgent": urgent}

    def validate_callback_number(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {"callback_number": None}
        if value == ON_FILE and current_caller().is_patient:
            return {"callback_number": ON_FILE}
        if value == NO_CALL_BACK:
            return {"callback_number": NO_CALL_BACK}
        try:
            return {"callback_number": normalize_phone(str(value))}
        except InvalidPhone as error:
            say_error(dispatcher, error)
            return {"callback_number": None}


class ActionAskMessageRecipient(StoreAction):
    def name(self) -> str:
        return "action_ask_message_recipient"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        refill = tracker.get_slot("message_kind") == SlipKind.REFILL.value
        with store(readonly=True) as session:
            people = [(p.display_name, p.key) for p in practice.providers(session)]
            caller = caller_of(session, tracker)
            usual = scheduling.usual_provider(session, caller.actor) if caller.is_patient else None
        if usual is not None:  # "tell the doctor ...": most likely the one they see
            people.remove((usual.display_name, usual.key))
            people.insert(0, (f"{usual.display_name} (seen most)", usual.key))
        desks = (
            [("The front desk", "front_desk")]
            if refill
            else [
                ("The front desk", "front_desk"),
                ("Billing", "billing"),
                ("The nurse", "nurse"),
            ]
        )
        question = "Which doctor prescribed it?" if refill else "Who is the message for?"
        dispatcher.utter_message(
            text=question,
            buttons=buttons(
                (title, payload("inform", provider=key)) for title, key in [*people, *desks]
            ),
        )
        return []


class ActionAskMessageText(StoreAction):
    def name(self) -> str:
        return "action_ask_message_text"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        kind = tracker.get_slot("message_kind")
        question = {
            SlipKind.REFILL.value: "Which medicine (and dose) do you need renewed? Add your "
            "pharmacy if it changed.",
            SlipKind.RECORDS.value: "Which records do you need, and where should they go (you, "
            "or another doctor's office)?",
        }.get(kind, "What would you like the message to say?")
        dispatcher.utter_message(text=question)
        return []


class ActionAskContactName(StoreAction):
    def name(self) -> str:
        return "action_ask_contact_name"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text="What is your name, so the staff know who is asking?")
        return []


class ActionAskCallbackNumber(StoreAction):
    def name(self) -> str:
        return "action_ask_callback_number"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
            # the first question ("I need a doctor's note for work" said it all): say first what
            # is being done, so "they" in the question is somebody
            lead = self.lead(session, tracker) if _first_question(tracker) else ""
        if caller.is_patient and latest_intent(tracker) == "deny":
            dispatcher.utter_message(text=OTHER_NUMBER_QUESTION)
        elif caller.is_patient:
            phone = caller.patient.phone
            dispatcher.utter_message(
                text=f"{lead}Should they call you back on the number we have on file (ending "
                f"{phone[-4:]}), or on another number? Type the other number if so.",
                buttons=buttons([("Yes, the number on file", "/affirm")]),
            )
        else:
            dispatcher.utter_message(text=f"{lead}What phone number can they call you back on?")
        return []

    @staticmethod
    def lead(session, tracker: Tracker) -> str:
        what = {
            SlipKind.REFILL.value: "your refill request",
            SlipKind.RECORDS.value: "your request",
        }.get(tracker.get_slot("message_kind"), "your message")
        to = whom(session, tracker.get_slot("message_recipient") or "front_desk")
        return f"I'll pass {what} to {to}. "


def _first_question(tracker: Tracker) -> bool:
    """Did the form start on the latest message (nothing asked before this question)?"""
    for event in recent_events(tracker):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name"):
            return True
    return False


class ActionSubmitMessage(StoreAction):
    def name(self) -> str:
        return "action_submit_message"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.get_slot("message_text")
        if not text:
            return reset_flow(tracker)
        kind = tracker.get_slot("message_kind") or SlipKind.MESSAGE.value
        recipient = tracker.get_slot("message_recipient") or "front_desk"
        urgent = tracker.get_slot("message_urgent") is True
        callback = tracker.get_slot("callback_number")
        try:
            with store() as session:
                caller = caller_of(session, tracker)
                colleague = caller.is_staff and not caller.is_patient
                slip = inbox.leave_message(
                    session,
                    caller.staff_actor if colleague else caller.actor,
                    reason=text,
                    for_provider=None if recipient in DESKS else recipient,
                    desk=Desk(recipient) if recipient in DESKS else Desk.PROVIDER,
                    urgency=Urgency.URGENT if urgent else Urgency.ROUTINE,
                    callback_number=None if callback in (ON_FILE, NO_CALL_BACK) else callback,
                    from_name=tracker.get_slot("contact_name"),
                    kind=SlipKind(kind),
                )
                to = whom(session, recipient)
                number = (
                    readable_phone(slip.callback_number)
                    if slip.callback_number
                    else "the number on file"
                )
                emergency = practice.clinic_info(session).emergency_number
        except DomainError as error:
            say_error(dispatcher, error)
            return reset_flow(tracker)
        log.info("message.left kind=%s urgent=%s", kind, urgent)
        when = "today" if urgent else "as soon as they can"
        if kind == SlipKind.REFILL.value:
            said = (
                f"I've sent your refill request to {to}. The doctor decides on every refill, so "
                f"I can't promise it; the practice will call you on {number} {when} if they need "
                "anything, and tell you when it's sent to your pharmacy."
            )
        elif kind == SlipKind.RECORDS.value:
            said = (
                f"I've passed your records request to {to}. They'll contact you on {number} "
                f"{when}; records requests can take a few working days."
            )
        elif colleague:
            said = f"Done: your message is in the inbox for {to}."
        elif callback == NO_CALL_BACK:
            said = f"Thanks, I've passed your message to {to}. As you asked, no call back."
        else:
            said = (
                f"Thanks, I've passed your message to {to}. "
                f"They'll call you back on {number} {when}."
            )
        if urgent:
            said += f" If it becomes an emergency, call {emergency} right away."
        dispatcher.utter_message(text=said)
        offer_the_other(dispatcher, tracker)  # "...and also a refill"
        return reset_flow(tracker)


# --- a person, an emergency, stop --------------------------------------------------------------


class ActionRequestHuman(StoreAction):
    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        try:
            with store() as session:
                caller = caller_of(session, tracker)
                thread = inbox.open_handoff(
                    session,
                    tracker.sender_id,
                    patient_id=caller.patient.id if caller.is_patient else None,
                    reason=latest_text(tracker)[:500]
                    if not latest_text(tracker).startswith("/")
                    else "",
                )
                thread_id = thread.id
        except DomainError as error:
            say_error(dispatcher, error)
            return end_flow(tracker)
        log.info("handoff.requested thread=%s", thread_id)
        dispatcher.utter_message(
            text="I've asked the front desk to join. Everything you write here now goes to a "
            "person, who will answer in this chat. If nobody is free right now, your messages "
            "wait in their inbox and nothing is lost.",
            buttons=[{"title": "End chat with staff", "payload": "#done"}],
        )
        return end_flow(tracker)


class ActionReportEmergency(StoreAction):
    """First, whatever else is going on: call the emergency number now; staff are alerted."""

    def name(self) -> str:
        return "action_report_emergency"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        report_emergency(dispatcher, tracker)
        return end_flow(tracker)


class ActionEmergencyAgain(StoreAction):
    """ "What do I do?" just after the emergency advice: the advice again, in plain steps
    (staff were alerted the first time; not again)."""

    def name(self) -> str:
        return "action_emergency_again"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        number = emergency_number()
        dispatcher.utter_message(
            text=f"Please call {number} now, or go to the nearest emergency room. If you can't "
            f"make the call yourself, ask someone near you to call {number} for you. Don't wait "
            "for a reply here: the practice staff have been told."
        )
        return []


class ActionStop(StoreAction):
    """Leave any open form, forgetting its answers, and say so."""

    in_form = "OK, I've stopped. Nothing was changed."
    no_form = "OK. Is there anything else I can help with?"

    def name(self) -> str:
        return "action_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> list[EventType]:
        in_form = bool((tracker.active_loop or {}).get("name"))
        cancel = not in_form and CANCEL_WORD_RE.search(latest_text(tracker))
        offered = [
            payload_intent(str(b.get("payload") or "")) for b in last_question_buttons(tracker)
        ]
        if cancel and (
            answered_before(tracker) == "action_list_appointments"
            or "cancel_appointment" in offered  # a Cancel button was just shown: that one
        ):
            # "cancel it", "cancel the second one" just after my appointments were listed:
            # one of them, not "stop" (the cancel form asks which, and to confirm)
            return [FollowupAction("cancel_form")]
        if cancel:
            # "cancel", "cancel everything" with nothing going on: most likely an appointment
            dispatcher.utter_message(
                text="Would you like to cancel an appointment?",
                buttons=buttons(
                    [("Yes, cancel an appointment", "/cancel_appointment"), ("No", "/deny")]
                ),
            )
            return end_flow(tracker)
        dispatcher.utter_message(text=self.in_form if in_form else self.no_form)
        return end_flow(tracker)


class ActionGoodbye(ActionStop):
    """ "Bye" also leaves an open form: a person saying goodbye mid-booking has left, and the
    form's question after the farewell would only confuse them."""

    in_form = "OK, I've stopped; nothing was changed. Goodbye, take care."
    no_form = "Goodbye, take care."

    def name(self) -> str:
        return "action_goodbye"
