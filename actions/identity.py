"""Who am I to the practice: linking a chat to a patient record, or registering as a new patient.

On Telegram the bot links with the person's own shared contact (it checks the contact is the
sender's), so these forms only answer with `{"custom": {"request_contact": true, "text": ..}}`,
which bot/ renders as the "Share my phone number" button. Elsewhere (the web chat, the REST
channel) the forms ask for the phone number and date of birth themselves and call
clinic.identity.link_identity / register_patient, which rate-limit failed tries.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import dateparser
from dateparser.search import search_dates
from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.types import DomainDict

from actions.common import (
    ANY,
    HUMAN_BUTTON,
    SIDE_INTENTS,
    StoreAction,
    buttons,
    caller_of,
    carry_on_button,
    entity,
    is_phone_only,
    is_telegram,
    last_bot_text,
    latest_intent,
    latest_text,
    log,
    payload,
    phone_in,
    reset_flow,
    say_error,
    say_not_linked,
    store,
    today,
)
from actions.forms import GuardedForm
from clinic import identity as identity_service
from clinic import patient_documents, practice, text
from clinic.config import date_order
from clinic.db import session_scope
from clinic.errors import (
    AlreadyRegistered,
    DomainError,
    InvalidPhone,
    TooManyAttempts,
    VerificationFailed,
)
from clinic.identity import (
    link_identity,
    looks_like_a_name,
    normalize_phone,
    register_patient,
    single_name,
)


def dob_settings() -> dict:
    return {
        "DATE_ORDER": date_order(),
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
    }


# "my name's Tom O'Neil", "it's Jane Doe": the name itself
_NAME_LEAD_RE = re.compile(
    r"^(my\s+name\s+is|my\s+name'?s|my\s+full\s+name\s+is|name\s*:|i\s+am|i'?m|it'?s|this\s+is|"
    r"call\s+me)\s+",
    re.I,
)


def without_name_lead(text: str) -> str:
    """The name alone: "my name's Tom O'Neil." -> "Tom O'Neil"."""
    return _NAME_LEAD_RE.sub("", str(text).strip()).strip(" .!")


def parse_date_of_birth(text: str) -> date | None | str:
    """A date of birth, None if none is there, or a sentence saying what is wrong with it."""
    text = (text or "").strip()
    if not text or len(text) > 60 or not re.search(r"\d", text):
        return None
    parsed = dateparser.parse(text, languages=["en"], settings=dob_settings())
    if parsed is None:  # "I was born on 3 Feb 1950", "dob 4/12/85": the date inside
        found = search_dates(text, languages=["en"], settings=dob_settings()) or []
        if len(found) != 1:
            return None
        parsed = found[0][1]
    born = parsed.date()
    now = today()
    if born > now or born.year < now.year - 120:
        return "That date of birth doesn't look right. Please check it (e.g. 31 March 1980)."
    return born


def _looks_like_the_answer(slot: str, text: str) -> bool:
    """A phone number or a birth date typed when asked for one, whatever the classifier made of
    it ("+14135550142" reads as nothing it knows: out of scope)."""
    if slot in ("link_phone", "callback_number"):
        return is_phone_only(text)
    if slot == "link_dob":
        return isinstance(parse_date_of_birth(text), date)
    return False


class _AskOwnData(GuardedForm):
    """Shared by linking and registering: answers are the typed text (not side questions)."""

    def gate(self, session, caller, dispatcher, tracker, activating):
        if caller.is_patient:
            named = entity(tracker, "provider")
            if named and named != ANY:  # "is Dr Garcia accepting new patients?"
                try:
                    who = practice.get_provider(session, str(named)).display_name
                except DomainError:
                    who = None
                if who:
                    dispatcher.utter_message(
                        text=f"You're already a patient here, {caller.patient.first_name}, so "
                        f"you can book with {who} directly.",
                        buttons=buttons(
                            [(f"Book with {who}", payload("book_appointment", provider=named))]
                        ),
                    )
                    return []
            dispatcher.utter_message(
                text=f"You're already linked to your patient record, {caller.patient.first_name}."
            )
            return []
        if is_telegram(tracker):
            say_not_linked(dispatcher, tracker)
            return []
        return None

    @staticmethod
    def _typed(tracker: Tracker, slot: str) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            return {}
        if latest_intent(tracker) in SIDE_INTENTS and not _looks_like_the_answer(slot, text):
            return {}  # a question on the side ("what are your hours?"), not the answer
        return {slot: text}

    def extract_link_phone(self, dispatcher, tracker, domain):
        return self._typed(tracker, "link_phone") or self._early(tracker, "link_phone")

    def extract_link_dob(self, dispatcher, tracker, domain):
        return self._typed(tracker, "link_dob") or self._early(tracker, "link_dob")

    @staticmethod
    def _early(tracker: Tracker, slot: str) -> dict[str, Any]:
        """The number or the birth date given while another question was asked ("01/02/1960"
        when asked for the name): kept, so that question is not asked again."""
        asked = tracker.get_slot("requested_slot")
        if asked in (None, slot) or tracker.get_slot(slot):
            return {}
        text = latest_text(tracker)
        return {slot: text} if _looks_like_the_answer(slot, text) else {}

    def validate_link_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            return {"link_phone": normalize_phone(phone_in(str(value)))}
        except InvalidPhone as error:
            say_error(dispatcher, error)
            return {"link_phone": None}

    def validate_link_dob(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return {"link_dob": value}
        born = parse_date_of_birth(str(value))
        if isinstance(born, date):
            return {"link_dob": born.isoformat()}
        dispatcher.utter_message(
            text=born
            if isinstance(born, str)
            else "Please give your date of birth with the year, e.g. 31 March 1980 or 03/31/1980."
        )
        return {"link_dob": None}


class ValidateLinkForm(_AskOwnData):
    def name(self) -> str:
        return "validate_link_form"


NEW_PATIENTS_WELCOME = "New patients can register right here; it takes a minute."
_ASKED_RE = re.compile(r"\?\s*$|^\s*(are|do|does|is|can|could|will)\b", re.IGNORECASE)


class ValidateRegisterForm(_AskOwnData):
    def name(self) -> str:
        return "validate_register_form"

    def extract_full_name(self, dispatcher, tracker, domain):
        if tracker.get_slot("requested_slot") == "full_name" and (
            _looks_like_the_answer("link_phone", latest_text(tracker))
            or _looks_like_the_answer("link_dob", latest_text(tracker))
        ):
            return {}  # a number or a birth date first: kept for its own question
        return self._typed(tracker, "full_name")

    def validate_full_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        text = without_name_lead(str(value))
        first = first_name_asked_for_last(last_bot_text(tracker) or "")
        if first and single_name(text):  # "John", then "Smith" when asked for the last name
            return {"full_name": f"{first} {single_name(text)}"}
        if single_name(text):  # the question that follows asks for the last name
            return {"full_name": None}
        parts = text.split()
        if not looks_like_a_name(text):
            dispatcher.utter_message(text="Please give your first and last name.")
            return {"full_name": None}
        return {"full_name": " ".join(parts)}

    def extract_link_dob(self, dispatcher, tracker, domain):
        return super().extract_link_dob(dispatcher, tracker, domain) or self._correction(
            tracker, "link_dob"
        )

    def extract_link_phone(self, dispatcher, tracker, domain):
        return super().extract_link_phone(dispatcher, tracker, domain) or self._correction(
            tracker, "link_phone"
        )

    @staticmethod
    def _correction(tracker: Tracker, slot: str) -> dict[str, Any]:
        """ "no, it's 16 March 1980" when asked to check the details: that one corrected."""
        if tracker.get_slot("requested_slot") != "register_confirmed":
            return {}
        said = latest_text(tracker)
        return {slot: said} if _looks_like_the_answer(slot, said) else {}

    def validate_register_confirmed(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if {"link_dob", "link_phone"} & set(tracker.slots_to_validate()):
            return {"register_confirmed": None}  # corrected: the details are shown again
        if value is False:
            dispatcher.utter_message(text="No problem, let's go through it again.")
            return {
                "register_confirmed": None,
                "full_name": None,
                "link_dob": None,
                "link_phone": None,
            }
        return {"register_confirmed": True if value is True else None}

    def after(self, dispatcher, tracker: Tracker, changed: set[str], activating: bool):
        if activating and _ASKED_RE.search(latest_text(tracker)):
            # "are you taking new patients?": a question, answered before the form's own
            dispatcher.utter_message(text=NEW_PATIENTS_WELCOME)
        early = {"link_phone": "your phone number", "link_dob": "your date of birth"}
        asked = tracker.get_slot("requested_slot")
        noted = [
            what
            for slot, what in early.items()
            # given in this message, not forgotten by a "no" to the details read back
            if slot in changed
            and slot != asked
            and _looks_like_the_answer(slot, latest_text(tracker))
        ]
        if not activating and noted:
            dispatcher.utter_message(text=f"Thanks, I've noted {' and '.join(noted)}.")
        return []


LAST_NAME_QUESTION = "Thanks, {first}. And your last name?"
_LAST_NAME_ASKED_RE = re.compile(r"^Thanks, (?P<first>.+)\. And your last name\?$")


def first_name_asked_for_last(question: str) -> str | None:
    found = _LAST_NAME_ASKED_RE.match(question)
    return found["first"] if found else None


class ActionSubmitLink(StoreAction):
    def name(self) -> str:
        return "action_submit_link"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        phone, dob = tracker.get_slot("link_phone"), tracker.get_slot("link_dob")
        if not (phone and dob):
            return reset_flow(tracker)
        try:
            # A session of its own: a failed match commits the counted try before it raises.
            with session_scope() as session:
                patient = link_identity(session, tracker.sender_id, phone, date.fromisoformat(dob))
                first_name = patient.first_name
        except VerificationFailed as error:
            dispatcher.utter_message(
                text=str(error),
                buttons=buttons(
                    [
                        ("Try again", "/link_account"),
                        ("Register as a new patient", "/register"),
                        HUMAN_BUTTON,
                    ]
                ),
            )
            return reset_flow(tracker)
        except (TooManyAttempts, DomainError) as error:
            say_error(dispatcher, error)
            return reset_flow(tracker)
        log.info("identity.linked")
        dispatcher.utter_message(
            text=f"Thanks, {first_name}, your account is linked. You can now book and manage "
            "your appointments and ask about your bills.",
            buttons=carry_on_button(tracker),
        )
        return reset_flow(tracker)


class ActionSubmitRegister(StoreAction):
    def name(self) -> str:
        return "action_submit_register"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        name = tracker.get_slot("full_name")
        phone, dob = tracker.get_slot("link_phone"), tracker.get_slot("link_dob")
        if not (name and phone and dob and tracker.get_slot("register_confirmed")):
            return reset_flow(tracker)
        *first, last = name.split()
        try:
            with store() as session:
                patient = register_patient(
                    session,
                    first_name=" ".join(first),
                    last_name=last,
                    date_of_birth=date.fromisoformat(dob),
                    phone=phone,
                    identity=tracker.sender_id,
                )
                first_name = patient.first_name
        except AlreadyRegistered as error:
            dispatcher.utter_message(
                text=str(error), buttons=buttons([("Link my account", "/link_account")])
            )
            return reset_flow(tracker)
        except DomainError as error:
            say_error(dispatcher, error)
            return reset_flow(tracker)
        log.info("identity.registered")
        dispatcher.utter_message(
            text=f"Welcome, {first_name}! You're registered as a new patient and can book "
            "appointments now.",
            buttons=carry_on_button(tracker)
            or buttons([("Book an appointment", "/book_appointment")]),
        )
        return reset_flow(tracker)


_DOCUMENT_NAMES = {
    "insurance_card": "insurance card",
    "referral": "referral letter",
    "lab_result": "lab result",
    "id": "photo ID",
    "other": "file",
}
SHOWN_DOCUMENTS = 5


# "what is your name?", "who are you?": about the assistant, not the patient's record
_ABOUT_THE_BOT_RE = re.compile(r"\b(your\s+name|who\s+are\s+you|what\s+are\s+you)\b", re.I)
_ABOUT_ME_RE = re.compile(r"\b(my|me|mine|i)\b", re.I)


class ActionAskMyDetails(StoreAction):
    """ "What phone number do you have for me?", "did you get my insurance card photo?": the
    patient's own record and the files they sent, and how to change anything."""

    def name(self) -> str:
        return "action_ask_my_details"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        said = latest_text(tracker)
        if _ABOUT_THE_BOT_RE.search(said) and not _ABOUT_ME_RE.search(said):
            dispatcher.utter_message(response="utter_bot_challenge")  # "what is your name?"
            return []
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                say_not_linked(dispatcher, tracker, "see your details", caller)
                return []
            patient = identity_service.patient_details(session, caller.actor)
            sent = patient_documents.documents_for(session, caller.actor)
            lines = [
                "On file for you:",
                f"• Name: {patient.first_name} {patient.last_name}",
                f"• Date of birth: {patient.date_of_birth:%B} {patient.date_of_birth.day}, "
                f"{patient.date_of_birth.year}",
                f"• Phone: {text.phone(patient.phone)}",
                f"• Email: {patient.email or 'none'}",
                "• Insurance: "
                + (
                    f"{patient.insurer.name}, member ID ending {(patient.member_id or '')[-4:]}"
                    if patient.insurer
                    else "none"
                ),
            ]
            if sent:
                lines.append("Files you've sent us:")
                lines += [
                    f"• {_DOCUMENT_NAMES.get(d.kind, 'file').capitalize()}, received "
                    f"{text.when(d.received_at)}"
                    for d in sent[:SHOWN_DOCUMENTS]
                ]
            elif _DOCUMENTS_RE.search(latest_text(tracker)):
                lines.append(
                    "I don't see any file from you yet. Send a photo or PDF here and I'll keep "
                    "it with your record."
                )
        lines.append("If anything needs changing, tell me and I'll pass it to the front desk.")
        log.info("details.shown documents=%d", len(sent))
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=buttons([("Update my details", '/leave_message{"provider":"front_desk"}')]),
        )
        return []


_DOCUMENTS_RE = re.compile(
    r"\b(photo|picture|pic|scan|pdf|document|letter|referral|card|upload\w*|sent|arrive\w*)\b",
    re.IGNORECASE,
)
